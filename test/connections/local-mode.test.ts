/**
 * Local mode serves connections too: the CLI stores credentials (stdin) and prints a local consent link, the consent
 * completes against oidc-provider, `getConnectionToken` gets a token from the local broker, the proxy forwards.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalRegistry, type LocalRegistry } from '../../bin/local/local-registry';
import { registryStateDir, registryStatePaths } from '../../bin/local/local-state';
import { getConnectionToken, ConnectionTokenError } from '../../lambdas/connections/client';
import type { ProtectedRouteEvent } from '../../lambdas/runtime';
import { connection } from '../../testing/connections/harness';
import { browse, SECRET_BASIC, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';
import { exampleManifest, freePort, repoRoot } from '../../testing/example-app';

const cli = path.join(repoRoot, 'bin', 'oauth-registry.js');

/** Runs the CLI with `stdin`; resolves with its exit code and output. */
function runCli(args: string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

describe('connections in local mode', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-connections-'));
  const stateDir = path.join(work, 'state');
  const outdir = path.join(work, 'cdktf.out');
  let provider: ThirdParty;
  let local: LocalRegistry;
  let port: number;
  let common: string[];

  before(async () => {
    port = await freePort();
    provider = await startThirdParty({ redirectUris: [`http://127.0.0.1:${port}/connections/Crm/callback`] });
    const example = exampleManifest();
    const manifest = {
      ...example,
      connections: [
        ...(example.connections ?? []),
        connection('Crm', {
          provider: { issuer: provider.issuer },
          apiBaseUrl: provider.apiBaseUrl,
          credentialsSecretId: `${example.namePrefix}/connections/Crm`,
        }),
      ],
    };
    mkdirSync(path.join(outdir, 'stacks', 'test'), { recursive: true });
    writeFileSync(path.join(outdir, 'stacks', 'test', 'oauth-registry.Registry.json'), JSON.stringify(manifest));
    local = await startLocalRegistry({ manifest, appDir: repoRoot, stateDir: registryStateDir(stateDir, manifest.namePrefix), port });
    common = ['--local', '--no-synth', '--outdir', outdir, '--state-dir', stateDir];
  });
  after(async () => {
    await local?.close();
    await provider?.close();
  });

  it('set-credentials reads stdin and refuses credentials that do not fit the connection', async () => {
    const bad = await runCli(['connections', 'set-credentials', 'Crm', ...common], '{"client_id":"basic-client"}');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /connection Crm uses client_secret_basic: the credentials need a client_secret/);
    const notJson = await runCli(['connections', 'set-credentials', 'Crm', ...common], 'basic-client:secret');
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /stdin must be JSON/);

    const ok = await runCli(
      ['connections', 'set-credentials', 'Crm', ...common],
      JSON.stringify({ client_id: 'basic-client', client_secret: SECRET_BASIC }),
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /stored the credentials of Crm \(client_id basic-client\) in incident-api\/connections\/Crm/);
    assert.ok(!ok.stderr.includes(SECRET_BASIC) && !ok.stdout.includes(SECRET_BASIC));
    assert.ok(readFileSync(registryStatePaths(stateDir, 'incident-api').secrets, 'utf8').includes(SECRET_BASIC));
  });

  it('connect --local prints a link that completes the consent on the local registry', async () => {
    const { code, stdout, stderr } = await runCli(['connect', 'Crm', '--port', String(port), ...common]);
    assert.equal(code, 0, stderr);
    const link = stdout.trim();
    assert.match(link, new RegExp(`^http://127\\.0\\.0\\.1:${port}/connections/Crm/connect\\?link=ey[\\w-]+\\.[\\w-]+\\.[\\w-]+$`));
    const { response, body } = await browse(link);
    assert.equal(response.status, 200, body);
    assert.match(body, /Connected to Crm/);
  });

  it('connect refuses a per-user connection without --subject, and an unknown connection', async () => {
    const noSubject = await runCli(['connect', 'Salesforce', ...common]);
    assert.equal(noSubject.code, 1);
    assert.match(noSubject.stderr, /connection Salesforce is per user: give a subject .*\(--subject\)/);
    const unknown = await runCli(['connect', 'Nope', ...common]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no connection named "Nope" \(connections: Salesforce, Crm\)/);
  });

  it('getConnectionToken gets a working token from the local broker', async () => {
    const token = await getConnectionToken('Crm');
    assert.equal(token.token_type, 'Bearer');
    const response = await fetch(`${provider.apiBaseUrl}/x`, { headers: { authorization: `Bearer ${token.access_token}` } });
    assert.equal(response.status, 200);
    await assert.rejects(getConnectionToken('Salesforce', { subject: 'alice' }), (err: unknown) => {
      assert.ok(err instanceof ConnectionTokenError);
      assert.equal(err.code, 'not_connected');
      assert.equal(err.consentUrl, undefined, 'no link unless asked for');
      return true;
    });
    await assert.rejects(getConnectionToken('Salesforce', { subject: 'alice', consentLink: true }), (err: unknown) => {
      assert.ok(err instanceof ConnectionTokenError);
      assert.equal(err.code, 'not_connected');
      assert.ok(err.consentUrl?.startsWith(`${local.url}/connections/Salesforce/connect?link=`));
      return true;
    });
  });

  it("the README's handler answers a subject who never consented with the error code, never a consent link", async () => {
    const { handler } = await import('../../lambdas/examples/accounts');
    const claims = { client_id: 'partner', sub: 'bob' };
    const event = { requestContext: { authorizer: { jwt: { claims, scopes: null } } } } as unknown as ProtectedRouteEvent;
    const result = await handler(event);
    assert.equal(result.statusCode, 409);
    assert.deepEqual(JSON.parse(result.body!), { error: 'not_connected' });
    assert.doesNotMatch(JSON.stringify(result), /link|https?:/);
  });

  it('the local broker endpoint answers unknown connections with 404 JSON, and the proxy forwards', async () => {
    const unknown = await fetch(`${local.url}/_local/connections/Nope/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(unknown.status, 404);
    assert.deepEqual(await unknown.json(), { error: 'unknown_connection', error_description: "no connection named 'Nope'" });
    const proxied = await fetch(`${local.url}/connections/Crm/proxy/incidents`);
    assert.equal(proxied.status, 200);
    assert.equal(((await proxied.json()) as { sub: string }).sub, 'alice');
  });
});
