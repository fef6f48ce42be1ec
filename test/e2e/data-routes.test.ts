/**
 * Data routes in local mode, driven by a real OAuth client (oauth4webapi, client credentials): a token with the scope
 * posts a record that `oauth-registry data tail --local` prints with the client's id; no token is a 401, a token
 * without the scope a 403; a body claiming another sender does not change the provenance; an oversize, non-JSON or
 * non-`application/json` request is refused with a clear message and nothing is recorded; `status` counts records; a
 * user-delegated token (JWT bearer grant, openid-client) records the user's `sub` beside the client's id.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { renderDashboard } from '../../bin/commands/operator-html';
import { collectOperatorReport } from '../../bin/commands/operator-report';
import { readDataRecords } from '../../bin/local/local-data-routes';
import { startLocalRegistry, type LocalRegistry } from '../../bin/local/local-registry';
import { registryStateDir } from '../../bin/local/local-state';
import type { DataRecord } from '../../lambdas/shared/data-routes';
import { JWT_BEARER_GRANT_TYPE, manifestFileName, type RegistryManifest } from '../../lambdas/shared/manifest';
import { ClientAuth, DataTarget, GrantType } from '../../lib';
import { signAssertion, testKey, type TestKey } from '../helpers/assertions';
import { fixture } from '../lib/helpers';
import { exampleManifest, repoRoot } from './fixture';

const cli = path.join(repoRoot, 'bin', 'oauth-registry.js');

/** A JSON document of exactly `bytes` bytes. */
const paddedJson = (bytes: number): string => JSON.stringify({ pad: 'x'.repeat(bytes - '{"pad":""}'.length) });
const INCIDENTS = 'POST /v1/incidents';
const TELEMETRY = 'POST /v1/telemetry';

async function runCli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [cli, ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c) => (stdout += c));
  child.stderr.on('data', (c) => (stderr += c));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, stdout, stderr };
}

describe('data routes in local mode', () => {
  let registry: LocalRegistry;
  let manifest: RegistryManifest;
  let outdir: string;
  let stateDir: string;

  /** A client-credentials token from the local token endpoint, through oauth4webapi. */
  const tokenOf = async (name: 'AcmeMonitoring' | 'ReportingJob', scope: string): Promise<string> => {
    const issuer = new URL(registry.issuer);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
    );
    const { client_id, client_secret } = registry.credentials[name];
    const auth = name === 'AcmeMonitoring' ? oauth.ClientSecretBasic(client_secret) : oauth.ClientSecretPost(client_secret);
    const response = await oauth.clientCredentialsGrantRequest(as, { client_id }, auth, new URLSearchParams({ scope }), {
      [oauth.allowInsecureRequests]: true,
    });
    return (await oauth.processClientCredentialsResponse(as, { client_id }, response)).access_token;
  };
  const post = (routePath: string, body: string | Buffer, headers: Record<string, string>) =>
    fetch(`${registry.url}${routePath}`, { method: 'POST', headers, body });
  const json = (token: string) => ({ authorization: `Bearer ${token}`, 'content-type': 'application/json' });
  const records = (routeKey: string): DataRecord[] => readDataRecords(registry.dataDir, routeKey);
  const cliArgs = ['--local', '--no-synth', '--outdir', '', '--state-dir', ''];

  before(async () => {
    const example = exampleManifest();
    manifest = {
      ...example,
      dataRoutes: [
        { routeKey: INCIDENTS, scopes: ['incidents.write'], target: { kind: 'queue' } },
        { routeKey: TELEMETRY, scopes: ['incidents.write'], target: { kind: 'stream' } },
      ],
    };
    // The app as `--no-synth` finds it: cdktf's manifest.json and the registry's manifest in its stack folder.
    outdir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-data-out-'));
    mkdirSync(path.join(outdir, 'stacks', 'incident-api'), { recursive: true });
    writeFileSync(path.join(outdir, 'manifest.json'), JSON.stringify({ stacks: { 'incident-api': { name: 'incident-api' } } }));
    writeFileSync(path.join(outdir, 'stacks', 'incident-api', manifestFileName('Registry')), JSON.stringify(manifest));
    stateDir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-data-state-'));
    cliArgs.splice(3, 1, outdir);
    cliArgs.splice(5, 1, stateDir);
    registry = await startLocalRegistry({
      manifest,
      appDir: repoRoot,
      stateDir: registryStateDir(stateDir, manifest.namePrefix),
      port: 0,
    });
  });
  after(() => registry.close());

  it("a token with the scope posts a record; data tail prints it with the client's id", async () => {
    const token = await tokenOf('AcmeMonitoring', 'incidents.write');
    const response = await post('/v1/incidents', JSON.stringify({ title: 'disk full', severity: 2 }), json(token));
    assert.equal(response.status, 200);
    const answer = (await response.json()) as { MessageId: string };
    const acme = registry.credentials.AcmeMonitoring.client_id;

    const tail = await runCli(['data', 'tail', INCIDENTS, ...cliArgs]);
    assert.equal(tail.code, 0, tail.stderr);
    const lines = tail.stdout.trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0], new RegExp(`^\\S+Z  client_id=${acme} sub=${acme}  \\{"title":"disk full","severity":2\\}$`));

    const asJson = await runCli(['data', 'tail', '/v1/incidents', '--json', ...cliArgs]);
    const record = JSON.parse(asJson.stdout) as DataRecord;
    assert.equal(record.id, answer.MessageId);
    assert.deepEqual(record.provenance, { client_id: acme, sub: acme });
  });

  it('a body claiming another sender is stored as body; the provenance is the token', async () => {
    const token = await tokenOf('AcmeMonitoring', 'incidents.write');
    const forged = { client_id: 'someone-else', sub: 'someone-else', provenance: { client_id: 'someone-else' } };
    const response = await post('/v1/telemetry', JSON.stringify(forged), json(token));
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys((await response.json()) as object).sort(), ['SequenceNumber', 'ShardId']);
    const [record] = records(TELEMETRY);
    const acme = registry.credentials.AcmeMonitoring.client_id;
    assert.deepEqual(record.provenance, { client_id: acme, sub: acme });
    assert.deepEqual(record.body, forged);
  });

  it('no token: 401, nothing recorded', async () => {
    const before = records(INCIDENTS).length;
    const response = await post('/v1/incidents', '{"title":"x"}', { 'content-type': 'application/json' });
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { message: 'Unauthorized' });
    assert.equal(records(INCIDENTS).length, before);
  });

  it('a token without the scope: 403, nothing recorded', async () => {
    const before = records(INCIDENTS).length;
    const response = await post('/v1/incidents', '{"title":"x"}', json(await tokenOf('ReportingJob', 'reports.read')));
    assert.equal(response.status, 403);
    assert.deepEqual(await response.json(), { message: 'Forbidden' });
    assert.equal(records(INCIDENTS).length, before);
  });

  it('oversize, non-JSON and non-application/json bodies are refused with a clear message, nothing recorded', async () => {
    const token = await tokenOf('AcmeMonitoring', 'incidents.write');
    const before = { incidents: records(INCIDENTS).length, telemetry: records(TELEMETRY).length };
    const refusals: Array<[string, string | Buffer, Record<string, string>, number, RegExp]> = [
      ['/v1/incidents', JSON.stringify({ blob: 'x'.repeat(256 * 1024) }), json(token), 413, /SQS SendMessage takes at most 262144/],
      // Exactly 256 KiB of body: SQS counts the provenance attributes too, so it does not fit.
      ['/v1/incidents', paddedJson(256 * 1024), json(token), 413, /body is 262144 bytes \(262\d{3} with the sender's provenance\)/],
      ['/v1/telemetry', JSON.stringify({ blob: 'x'.repeat(1024 * 1024) }), json(token), 413, /Kinesis PutRecord takes at most 1048576/],
      ['/v1/incidents', 'title=disk+full', json(token), 400, /body must be a JSON document/],
      ['/v1/incidents', '', json(token), 400, /got an empty body/],
      ['/v1/incidents', '{"title":"x"}', { ...json(token), 'content-type': 'text/plain' }, 415, /Content-Type must be application\/json/],
    ];
    for (const [routePath, body, headers, status, message] of refusals) {
      const response = await post(routePath, body, headers);
      assert.equal(response.status, status, `${routePath} ${String(message)}`);
      assert.match(((await response.json()) as { message: string }).message, message);
    }
    // Under the limit is accepted: the limit is the service's, not a rounder number.
    // Just under the limit with the partition key (the client id, 24 characters) is accepted: the service's limit.
    const fits = await post('/v1/telemetry', paddedJson(1024 * 1024 - 24), json(token));
    assert.equal(fits.status, 200);
    assert.deepEqual(
      { incidents: records(INCIDENTS).length, telemetry: records(TELEMETRY).length },
      { incidents: before.incidents, telemetry: before.telemetry + 1 },
    );
  });

  it('verify posts a test record to each data route only with --call-unsafe-routes', async () => {
    type Row = { check: string; target: string; result: string; detail: string };
    const verify = async (...extra: string[]): Promise<Row[]> => {
      const run = await runCli(['verify', ...cliArgs, '--port', new URL(registry.url).port, '--json', ...extra]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      return (JSON.parse(run.stdout) as { rows: Row[] }).rows.filter((r) => r.target === INCIDENTS || r.target === TELEMETRY);
    };
    const count = () => records(INCIDENTS).length + records(TELEMETRY).length;
    const before = count();

    const safe = await verify();
    assert.deepEqual(
      safe.filter((r) => r.check === 'route-token').map((r) => [r.target, r.result, r.detail]),
      [
        [INCIDENTS, 'skip', 'POST would deliver a test record to its queue: pass --call-unsafe-routes to call it with a token'],
        [TELEMETRY, 'skip', 'POST would deliver a test record to its stream: pass --call-unsafe-routes to call it with a token'],
      ],
    );
    assert.deepEqual(
      safe.filter((r) => r.check === 'route-no-token').map((r) => [r.target, r.result]),
      [
        [INCIDENTS, 'ok'],
        [TELEMETRY, 'ok'],
      ],
    );
    assert.equal(count(), before, 'nothing delivered without --call-unsafe-routes');

    const unsafe = await verify('--call-unsafe-routes');
    assert.deepEqual(
      unsafe.filter((r) => r.check === 'route-token').map((r) => [r.target, r.result]),
      [
        [INCIDENTS, 'ok'],
        [TELEMETRY, 'ok'],
      ],
    );
    assert.equal(count(), before + 2);
    const test = records(INCIDENTS).at(-1)!;
    assert.deepEqual(test.body, { oauthRegistryVerify: true, note: 'test record from oauth-registry verify; ignore it' });
    assert.equal(test.provenance.client_id, registry.credentials.AcmeMonitoring.client_id);
  });

  it('status --local and the dashboard count the records per data route', async () => {
    const status = await runCli(['status', ...cliArgs, '--json']);
    assert.equal(status.code, 0, status.stderr);
    const report = JSON.parse(status.stdout) as { dataRoutes: Array<{ routeKey: string; records: number; target: string }> };
    assert.deepEqual(
      report.dataRoutes.map((r) => [r.routeKey, r.target, r.records]),
      [
        [INCIDENTS, 'SQS SendMessage', records(INCIDENTS).length],
        [TELEMETRY, 'Kinesis PutRecord', records(TELEMETRY).length],
      ],
    );
    assert.equal(records(INCIDENTS).length, 2, "the partner's record and verify's");

    // The dashboard renders the same report.
    const local = await collectOperatorReport(manifest, {
      secrets: registry.secrets,
      connections: [],
      source: 'local',
      dataDir: registry.dataDir,
    });
    const html = renderDashboard(local, { live: false });
    assert.match(html, /<h2>Data routes \(2\)<\/h2>/);
    assert.match(html, /<code>POST \/v1\/incidents<\/code><\/td><td>incidents.write<\/td><td>SQS SendMessage<\/td><td>2<\/td>/);
  });
});

describe('data routes declared with the constructs, with a user-delegated token (JWT bearer grant, openid-client)', () => {
  let registry: LocalRegistry;
  let clientKey: TestKey;
  let idpKey: TestKey;

  before(async () => {
    [clientKey, idpKey] = await Promise.all([testKey('ES256', 'partner-es'), testKey('RS256', 'idp-rs')]);
    const { registry: construct } = fixture({ namePrefix: 'data-user' });
    construct.addExternalClient('Partner', {
      clientId: 'partner-app',
      authMethod: ClientAuth.privateKeyJwt({ jwks: { keys: [clientKey.publicJwk] } }),
      grantTypes: [GrantType.JWT_BEARER],
      jwtBearer: { issuer: 'https://login.partner.example', jwks: { keys: [idpKey.publicJwk] } },
      scopes: ['incidents.write'],
    });
    construct.addDataRoute('POST /v1/incidents', {
      target: DataTarget.eventBus(undefined, { source: 'partner', detailType: 'Incident' }),
      scopes: ['incidents.write'],
    });
    registry = await startLocalRegistry({
      manifest: construct.manifest(),
      appDir: repoRoot,
      stateDir: mkdtempSync(path.join(tmpdir(), 'oauth-registry-data-user-')),
      port: 0,
    });
  });
  after(() => registry?.close());

  it("records the user's sub beside the client's id", async () => {
    const config = await client.discovery(
      new URL(registry.issuer),
      'partner-app',
      undefined,
      client.PrivateKeyJwt({ key: clientKey.privateKey, kid: clientKey.kid }),
      { execute: [client.allowInsecureRequests] },
    );
    const assertion = await signAssertion(idpKey, {
      iss: 'https://login.partner.example',
      sub: 'alice',
      aud: registry.issuer,
      nowSecs: Math.floor(Date.now() / 1000),
    });
    const tokens = await client.genericGrantRequest(config, JWT_BEARER_GRANT_TYPE, { assertion, scope: 'incidents.write' });
    const response = await fetch(`${registry.url}/v1/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ title: 'printer on fire', sub: 'bob' }),
    });
    assert.equal(response.status, 200);
    const [record] = readDataRecords(registry.dataDir, 'POST /v1/incidents');
    assert.deepEqual(record.provenance, { client_id: 'partner-app', sub: 'https://login.partner.example|alice' });
    assert.deepEqual(record.body, { title: 'printer on fire', sub: 'bob' });
  });
});
