/**
 * Offboarding in local mode: after `connections disconnect <name> --subject <s> --local`, oidc-provider (a real RFC
 * 7009 provider) saw the refresh token revoked, the subject's token fetch says not_connected, `connections list` no
 * longer shows the subject, and another subject keeps its tokens.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalRegistry, type LocalRegistry } from '../../bin/local/local-registry';
import { registryStateDir } from '../../bin/local/local-state';
import { ConnectionTokenError, getConnectionToken } from '../../lambdas/connections/client';
import { connection } from '../../testing/connections/harness';
import { browse, SECRET_BASIC, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';
import { exampleManifest, freePort, repoRoot } from '../../testing/example-app';

const cli = path.join(repoRoot, 'bin', 'oauth-registry.js');

function runCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end();
  });
}

describe('connections disconnect in local mode', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-disconnect-'));
  const stateDir = path.join(work, 'state');
  const outdir = path.join(work, 'cdktf.out');
  const revoked: string[] = [];
  let provider: ThirdParty;
  let local: LocalRegistry;
  /** The local-mode options; the last two name the port. */
  let common: string[];

  before(async () => {
    const port = await freePort();
    provider = await startThirdParty({ redirectUris: [`http://127.0.0.1:${port}/connections/Crm/callback`] });
    const example = exampleManifest();
    const crm = connection('Crm', {
      provider: { issuer: provider.issuer },
      mode: 'perUser',
      credentialsSecretId: `${example.namePrefix}/connections/Crm`,
    });
    const manifest = { ...example, connections: [crm] };
    mkdirSync(path.join(outdir, 'stacks', 'test'), { recursive: true });
    writeFileSync(path.join(outdir, 'stacks', 'test', 'oauth-registry.Registry.json'), JSON.stringify(manifest));
    local = await startLocalRegistry({ manifest, appDir: repoRoot, stateDir: registryStateDir(stateDir, manifest.namePrefix), port });
    common = ['--local', '--no-synth', '--outdir', outdir, '--state-dir', stateDir, '--port', String(port)];
    const credentials = JSON.stringify({ client_id: 'basic-client', client_secret: SECRET_BASIC });
    await local.secrets.putSecretValue(crm.credentialsSecretId, randomUUID(), credentials, ['AWSCURRENT']);
    for (const subject of ['alice', 'bob']) {
      const { response, body } = await browse(await local.connections!.consentLink('Crm', subject));
      assert.equal(response.status, 200, body);
    }
  });
  after(async () => {
    await local?.close();
    await provider?.close();
  });

  it('revokes at the provider, deletes the token set and leaves other subjects connected', async () => {
    assert.equal((await getConnectionToken('Crm', { subject: 'alice' })).token_type, 'Bearer');
    // oidc-provider emits `<kind>.destroyed` when it deletes a token: what revocation does.
    provider.provider.on('refresh_token.destroyed', (token: { kind: string }) => revoked.push(token.kind));
    provider.provider.on('access_token.destroyed', (token: { kind: string }) => revoked.push(token.kind));
    const { code, stdout, stderr } = await runCli(['connections', 'disconnect', 'Crm', '--subject', 'alice', ...common]);
    assert.equal(code, 0, stderr);
    assert.deepEqual(JSON.parse(stdout), { connection: 'Crm', subject: 'alice', deleted: true, revocation: 'refresh_token' });
    assert.deepEqual(revoked, ['RefreshToken']);

    await assert.rejects(getConnectionToken('Crm', { subject: 'alice' }), (err: unknown) => {
      assert.ok(err instanceof ConnectionTokenError);
      assert.equal(err.code, 'not_connected');
      return true;
    });
    assert.equal((await getConnectionToken('Crm', { subject: 'bob' })).token_type, 'Bearer');
  });

  it('lists the remaining subjects, and a second disconnect finds nothing to delete', async () => {
    const list = await runCli(['connections', 'list', 'Crm', ...common.slice(0, -2)]);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /Crm\s+bob\s+authorization_code\s+connected/);
    assert.doesNotMatch(list.stdout, /alice/);

    const again = await runCli(['connections', 'disconnect', 'Crm', '--subject', 'alice', ...common]);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { connection: 'Crm', subject: 'alice', deleted: false, revocation: 'nothing_to_revoke' });
    assert.match(again.stderr, /Crm had no token set for alice: nothing to delete/);
  });

  it('refuses a perUser disconnect without a subject, and a disconnect through a connection alias', async () => {
    const noSubject = await runCli(['connections', 'disconnect', 'Crm', ...common]);
    assert.equal(noSubject.code, 1);
    assert.match(noSubject.stderr, /connection Crm is per user: give a subject .*\(--subject\)/);
    const viaAlias = await local.connections!.server.disconnect(
      { action: 'disconnect', connection: 'Crm', subject: 'bob' },
      'arn:aws:lambda:eu-west-1:123456789012:function:incident-api-connections:connection-Crm',
    );
    assert.deepEqual(viaAlias, { error: 'invalid_request', error_description: 'disconnect is invoked on the function, not an alias' });
    assert.equal((await getConnectionToken('Crm', { subject: 'bob' })).token_type, 'Bearer');
  });
});
