/**
 * `oauth-registry status`: the health of every connection and stored subject, read from the state store (local file,
 * or DynamoDB through AwsStateStore.list), as a table or `--json`; never a token.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { collectStatus, formatStatusTable, type StatusReport } from '../../bin/commands/status';
import { registryStatePaths } from '../../bin/local/local-state';
import { tokenSetKey, type TokenSetItem } from '../../lambdas/connections/token-set-item';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { LocalStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { manifestFileName } from '../../lambdas/shared/manifest';
import { connection, startHarness, type Harness } from '../../testing/connections/harness';
import { browse, SECRET_BASIC, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';
import { startDynalite } from '../../testing/dynalite';
import { repoRoot } from '../e2e/fixture';

const run = promisify(execFile);
const TTL = 120;

describe('oauth-registry status', () => {
  let ours: Harness;
  let provider: ThirdParty;
  let manifest: { connections: ReturnType<typeof connection>[] };
  const secs = (ms: number) => Math.floor(ms / 1000);

  before(async () => {
    ours = await startHarness({ renewal: { retryDelaysMs: [] } });
    provider = await startThirdParty({ redirectUris: [ours.callbackUrl('Crm'), ours.callbackUrl('Mail')], accessTokenTtlSecs: TTL });
    const common = { provider: { issuer: provider.issuer } };
    manifest = {
      connections: [
        connection('Crm', common),
        connection('Mail', { ...common, mode: 'perUser' }),
        connection('Reports', { ...common, grant: 'client_credentials', scopes: ['api:read'] }),
      ],
    };
    for (const c of manifest.connections) await ours.add(c, { client_id: 'basic-client', client_secret: SECRET_BASIC });
  });
  after(async () => {
    await ours?.close();
    await provider?.close();
  });

  it('before any consent every connection is not_connected', async () => {
    assert.deepEqual(await collectStatus(manifest, ours.state, ours.clock.now()), [
      {
        connection: 'Crm',
        subject: undefined,
        health: 'not_connected',
        hasRefreshToken: false,
        grant: 'authorization_code',
        mode: 'shared',
      },
      {
        connection: 'Mail',
        subject: undefined,
        health: 'not_connected',
        hasRefreshToken: false,
        grant: 'authorization_code',
        mode: 'perUser',
      },
      {
        connection: 'Reports',
        subject: undefined,
        health: 'not_connected',
        hasRefreshToken: false,
        grant: 'client_credentials',
        mode: 'shared',
      },
    ]);
  });

  it('after consent: connected, with the access token expiry, one row per stored subject', async () => {
    for (const [name, subject] of [
      ['Crm', undefined],
      ['Mail', 'bob'],
      ['Mail', 'alice'],
    ] as const) {
      const { response, body } = await browse(await ours.link(name, subject));
      assert.equal(response.status, 200, body);
    }
    const expiresAt = secs(ours.clock.now()) + TTL;
    const connected = {
      health: 'connected',
      expiresAt,
      scope: 'api:read',
      hasRefreshToken: true,
      lastError: undefined,
      retryAfter: undefined,
      grant: 'authorization_code',
    };
    assert.deepEqual(await collectStatus(manifest, ours.state, ours.clock.now()), [
      { connection: 'Crm', subject: undefined, ...connected, mode: 'shared' },
      { connection: 'Mail', subject: 'alice', ...connected, mode: 'perUser' },
      { connection: 'Mail', subject: 'bob', ...connected, mode: 'perUser' },
      {
        connection: 'Reports',
        subject: undefined,
        health: 'not_connected',
        hasRefreshToken: false,
        grant: 'client_credentials',
        mode: 'shared',
      },
    ]);
  });

  it('shows refreshing while a lease is live, and error with retryAfter after a provider outage', async () => {
    const bob = tokenSetKey('Mail', 'bob');
    await ours.state.update(bob, { leaseUntil: ours.clock.now() + 10_000, leaseOwner: 'someone' });
    assert.equal((await collectStatus(manifest, ours.state, ours.clock.now()))[2].health, 'refreshing');
    await ours.state.update(bob, { leaseUntil: undefined, leaseOwner: undefined });

    ours.clock.advance(TTL);
    provider.tokenEndpointMode = 'unavailable';
    const result = await ours.server.invoke({ action: 'token', connection: 'Mail', subject: 'bob' });
    provider.tokenEndpointMode = 'normal';
    assert.equal('error' in result && result.error, 'provider_unavailable');
    const row = (await collectStatus(manifest, ours.state, ours.clock.now()))[2];
    assert.equal(row.health, 'error');
    assert.equal(row.lastError, 'the provider answered 503');
    assert.equal(row.retryAfter, secs(ours.clock.now() + 5_000));
  });

  it("after the grant is revoked at the provider: needs_consent with the provider's error", async () => {
    const pk = tokenSetKey('Crm', undefined);
    const item = (await ours.state.get<TokenSetItem>(pk))!;
    const refreshToken = await ours.cipher.decrypt(item.refreshToken!, {
      'oauth-registry:connection': 'Crm',
      'oauth-registry:token-set': pk,
    });
    const revoked = await fetch(`${provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`basic-client:${SECRET_BASIC}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }).toString(),
    });
    assert.equal(revoked.status, 200);
    const result = await ours.server.invoke({ action: 'token', connection: 'Crm' });
    assert.equal('error' in result && result.error, 'needs_consent');

    const [crm] = await collectStatus(manifest, ours.state, ours.clock.now());
    assert.equal(crm.health, 'needs_consent');
    assert.equal(crm.expiresAt, undefined, 'a set that needs consent hands out no token: no expiry shown');
    assert.match(crm.lastError!, /^the provider answered 400 invalid_grant/);
    const table = formatStatusTable({ registry: 'status', source: 'local', connections: [crm] }, ours.clock.now() + 60_000);
    const [header, titles, line] = table.trimEnd().split('\n');
    assert.equal(header, 'registry status (local state)');
    assert.match(titles, /^CONNECTION\s+SUBJECT\s+GRANT\s+HEALTH\s+ACCESS TOKEN EXPIRES\s+RETRY AFTER\s+LAST ERROR$/);
    assert.match(line, /^Crm\s+\(shared\)\s+authorization_code\s+needs_consent\s+-\s+-\s+the provider answered 400 invalid_grant/);
  });

  it('the CLI reads the local state file: a table by default, --json for scripts, never a token', async () => {
    const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-status-'));
    const outdir = path.join(work, 'cdktf.out');
    const stateDir = path.join(work, 'state');
    mkdirSync(path.join(outdir, 'stacks', 'Test'), { recursive: true });
    writeFileSync(
      path.join(outdir, 'stacks', 'Test', manifestFileName('Registry')),
      JSON.stringify({ namePrefix: 'status', registryPath: 'Test/Registry', ...manifest }),
    );
    mkdirSync(path.dirname(registryStatePaths(stateDir, 'status').state), { recursive: true });
    const file = new LocalStateStore(registryStatePaths(stateDir, 'status').state, { clock: ours.clock.now });
    const items = await ours.state.list<TokenSetItem>('tokenset#');
    for (const item of items) await file.put(item);

    const args = [
      path.join(repoRoot, 'bin', 'oauth-registry.js'),
      'status',
      '--local',
      '--no-synth',
      '--outdir',
      outdir,
      '--state-dir',
      stateDir,
    ];
    const json = JSON.parse((await run(process.execPath, [...args, '--json'], { cwd: work })).stdout) as StatusReport;
    assert.equal(json.registry, 'status');
    assert.equal(json.source, 'local');
    assert.deepEqual(
      json.connections.map((r) => [r.connection, r.subject ?? null, r.health]),
      [
        ['Crm', null, 'needs_consent'],
        ['Mail', 'alice', 'connected'],
        ['Mail', 'bob', 'error'],
        ['Reports', null, 'not_connected'],
      ],
    );
    assert.deepEqual(Object.keys(json.connections[2]).sort(), [
      'connection',
      'expiresAt',
      'grant',
      'hasRefreshToken',
      'health',
      'lastError',
      'mode',
      'retryAfter',
      'scope',
      'subject',
    ]);
    assert.equal(json.connections[1].expiresAt, secs(items.find((i) => i.subject === 'alice')!.accessTokenExpiresAt!));

    const { stdout: table } = await run(process.execPath, args, { cwd: work });
    assert.match(table, /^registry status \(local state\)\n/);
    assert.match(table, /\nMail\s+bob\s+authorization_code\s+error\s/);
    for (const output of [table, JSON.stringify(json)]) {
      for (const item of items) {
        if (item.accessToken) assert.ok(!output.includes(item.accessToken), 'no access token');
        if (item.refreshToken) assert.ok(!output.includes(item.refreshToken), 'no refresh token');
      }
      assert.doesNotMatch(output, /eyJ[\w-]{10,}/);
    }
  });
});

describe('AwsStateStore.list (status of a deployed registry)', () => {
  it('returns the live items under a prefix, in key order, across scan pages', async () => {
    const dynamo = await startDynalite();
    try {
      const now = Date.UTC(2025, 0, 1);
      const store = new AwsStateStore({ tableName: dynamo.tableName, client: dynamo.client, clock: () => now });
      const big = 'x'.repeat(300_000); // ~300 KB items: a 1 MB scan page holds three
      for (const subject of ['carol', 'alice', 'bob', 'dave']) await store.put({ pk: tokenSetKey('Mail', subject), subject, big });
      await store.put({ pk: tokenSetKey('Mail', 'expired'), expiresAt: Math.floor(now / 1000) - 1 });
      await store.put({ pk: tokenSetKey('Mailbox', 'alice') });
      await store.put({ pk: 'connection#Mail' });
      const listed = await store.list<TokenSetItem>('tokenset#Mail#');
      assert.deepEqual(
        listed.map((i) => i.subject),
        ['alice', 'bob', 'carol', 'dave'],
      );
    } finally {
      await dynamo.close();
    }
  });
});
