import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Testing } from 'cdktf';
import { manifestFileName, type RegistryManifest } from '../../lambdas/shared/manifest';
import { findSecretValues } from '../../lib/private/rules';
import { fixture } from './helpers';

function* filesUnder(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) yield* filesUnder(full);
    else yield full;
  }
}

const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\s]{40,}/;
const JWK_PRIVATE_MEMBER = /\\*"d\\*"\s*:\s*\\*"[A-Za-z0-9_-]{16,}/;

describe('full synth', () => {
  const f = fixture({ namePrefix: 'acme-auth', accessTokenTtlSecs: 600, clientSecretOverlapHours: 2 });
  const partner = f.registry.addExternalClient('Partner', { scopes: ['incidents.read', 'incidents.write'], description: 'Partner' });
  f.registry.addExternalClient('Reporter', { scopes: ['incidents.read'], audience: 'https://api.example.com', active: false });
  f.registry.addRoute('GET /v1/hello', { handler: { entry: 'lambdas/examples/hello.ts' }, scopes: ['incidents.read'] });
  const outdir = Testing.fullSynth(f.stack);
  const stackDir = path.join(outdir, 'stacks', 'Test');
  const files = [...filesUnder(outdir)];

  it('writes the configuration and one zip asset per function', () => {
    assert.ok(files.includes(path.join(stackDir, 'cdk.tf.json')));
    assert.equal(files.filter((file) => file.endsWith('.zip')).length, 3);
  });

  it('leaves no secret value in any file of the output directory', () => {
    for (const file of files) {
      const text = readFileSync(file).toString('latin1');
      assert.doesNotMatch(text, /secret_string|secret_binary/, file);
      assert.doesNotMatch(text, PEM_PRIVATE_KEY, file);
      assert.doesNotMatch(text, JWK_PRIVATE_MEMBER, file);
    }
    assert.deepEqual(findSecretValues(JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'))), []);
  });

  it('writes the manifest with clients and routes, and no secret', () => {
    const file = path.join(stackDir, manifestFileName('Registry'));
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as RegistryManifest;
    assert.deepEqual(manifest, f.registry.manifest());
    assert.equal(manifest.version, 1);
    assert.equal(manifest.registryPath, 'Test/Registry');
    assert.equal(manifest.namePrefix, 'acme-auth');
    assert.equal(manifest.accessTokenTtlSecs, 600);
    assert.equal(manifest.secretOverlapSecs, 7200);
    assert.equal(manifest.signingKeySecretId, 'acme-auth/signing-key');
    assert.equal(manifest.signingKeyRotationDays, 30);
    assert.equal(manifest.audience, undefined);
    assert.deepEqual(
      manifest.clients.map((c) => [c.name, c.clientId, c.active, c.audience, c.secretId]),
      [
        ['Partner', partner.clientId, true, undefined, 'acme-auth/clients/Partner'],
        ['Reporter', f.registry.externalClients[1].clientId, false, 'https://api.example.com', 'acme-auth/clients/Reporter'],
      ],
    );
    assert.deepEqual(manifest.routes, [
      { routeKey: 'GET /v1/hello', scopes: ['incidents.read'], handler: { entry: 'lambdas/examples/hello.ts', exportName: 'handler' } },
    ]);
    const text = readFileSync(file, 'utf8');
    assert.doesNotMatch(text, /secret_string|client_secret"|PRIVATE KEY/);
  });
});
