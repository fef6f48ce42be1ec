/**
 * `oauth-registry verify` as an operator runs it, in a child process over real HTTP: it passes against the example app
 * served by `oauth-registry dev`, and fails, naming the failing row, against (a) a server that signs its tokens with a
 * key its JWKS does not publish and (b) a registry whose route accepts an audience its declaration does not name.
 * Its output never holds a client secret or a token.
 */
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { ConnectionHealthRow } from '../../bin/commands/operator-report';
import { terraformIssuer } from '../../bin/commands/terraform-outputs';
import { type LocalRegistry } from '../../bin/local/local-registry';
import { registryStateDir, registryStatePaths } from '../../bin/local/local-state';
import {
  PATH_PLACEHOLDER,
  jwksProblems,
  modulusBits,
  routeRequest,
  verifyRegistry,
  type VerifyInput,
  type VerifyReport,
} from '../../bin/verify/checks';
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import { startDev, type Dev } from '../../testing/dev-server';
import { OTHER_API, OWN_AUDIENCE, declaredManifest, privateKeyJwtClient } from '../verify/fixture';
import { exampleManifest, repoRoot, startExample } from './fixture';

const cli = path.join(repoRoot, 'bin', 'oauth-registry.js');
const JWT = /eyJ[\w-]+\.[\w-]+\.[\w-]+/;

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to completion; never throws on a non-zero exit. */
function runCli(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { cwd: repoRoot }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Writes `manifest` where `--no-synth --outdir <outdir>` finds it, as a synth would. */
function writeManifest(outdir: string, stack: string, manifest: RegistryManifest): void {
  const dir = path.join(outdir, 'stacks', stack);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'oauth-registry.Registry.json'), JSON.stringify(manifest));
}

/** The rows of a table printed by verify, as [check, target, result] triples. */
const rowsOf = (table: string): string[][] =>
  table
    .split('\n')
    .slice(1)
    .map((line) => line.split(/\s{2,}/).slice(0, 3))
    .filter((cells) => cells.length === 3);

function assertNothingSecret(run: Run, secrets: readonly string[]): void {
  for (const secret of secrets) {
    assert.ok(secret.length >= 20);
    assert.ok(!run.stdout.includes(secret) && !run.stderr.includes(secret), 'a client secret was printed');
  }
  assert.doesNotMatch(run.stdout + run.stderr, JWT, 'a token was printed');
}

describe('oauth-registry verify --local against the example app (oauth-registry dev)', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-verify-'));
  const stateDir = path.join(work, 'state');
  const outdir = path.join(work, 'cdktf.out');
  let dev: Dev;
  let port = '';

  before(async () => {
    dev = await startDev(['--state-dir', stateDir, '--outdir', outdir]);
    port = String(dev.port);
  });
  after(() => dev.stop());

  const local = () => ['verify', '--local', '--port', port, '--no-synth', '--outdir', outdir, '--state-dir', stateDir];
  const secrets = () =>
    Object.values(
      JSON.parse(readFileSync(registryStatePaths(stateDir, 'incident-api').clients, 'utf8')) as Record<string, { client_secret: string }>,
    ).map((c) => c.client_secret);

  it('passes: every check ok (the next signing key pre-published), nothing secret printed', async () => {
    const run = await runCli(local());
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const rows = rowsOf(run.stdout);
    assert.deepEqual(rows[0], ['CHECK', 'TARGET', 'RESULT']);
    const result = (check: string, target?: string) => rows.find(([c, t]) => c === check && (target === undefined || t === target))?.[2];
    assert.equal(result('metadata', '/.well-known/openid-configuration'), 'ok');
    assert.equal(result('metadata', '/.well-known/oauth-authorization-server'), 'ok');
    assert.equal(result('jwks'), 'ok');
    assert.equal(result('jwks-next-key'), 'ok');
    assert.equal(result('token', 'AcmeMonitoring'), 'ok');
    assert.equal(result('token-verification', 'AcmeMonitoring'), 'ok');
    assert.equal(result('route-no-token', 'GET /v1/hello'), 'ok');
    assert.equal(result('route-token', 'GET /v1/hello'), 'ok');
    assert.equal(result('route-foreign-audience', 'GET /v1/hello'), 'skip');
    assert.equal(result('authorize-pkce'), 'skip');
    assert.equal(result('route-callable', 'GET /v1/hello'), 'ok');
    assert.equal(result('connection', 'Salesforce'), 'warn'); // no consent yet: a person must act, nothing is broken
    assert.ok(run.stdout.includes(`redirect URI http://127.0.0.1:${port}/connections/Salesforce/callback; health not_connected`));
    assert.match(run.stdout, /\nPASSED: 9 ok, 1 warn, 2 skip, 0 fail\n$/);
    assertNothingSecret(run, secrets());
  });

  it("--json: rows and a summary; a client without the route's scope expects (and gets) 403", async () => {
    const run = await runCli([...local(), '--json', '--client', 'ReportingJob']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const report = JSON.parse(run.stdout) as VerifyReport;
    assert.equal(report.issuer, `http://127.0.0.1:${port}`);
    assert.deepEqual(report.summary, { ok: 9, fail: 0, warn: 1, skip: 2, passed: true });
    const routeToken = report.rows.find((r) => r.check === 'route-token')!;
    assert.equal(routeToken.result, 'ok');
    assert.match(routeToken.detail, /HTTP 403 \(expected 403/);
    assertNothingSecret(run, secrets());
  });
});

describe('oauth-registry verify fails on a server whose tokens are signed with a key its JWKS does not publish', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-verify-unpublished-'));
  const outdir = path.join(work, 'cdktf.out');
  const stateDir = path.join(work, 'state');
  const secret = 'lying-server-secret-0123456789abcdefABCDEF';
  const client: ClientRegistration = {
    name: 'Partner',
    clientId: 'partner',
    grantTypes: ['client_credentials'],
    authMethod: 'client_secret_basic',
    scopes: ['incidents.read'],
    accessTokenTtlSecs: 300,
    active: true,
    secretId: 'tiny/clients/Partner',
  };
  let server: Server;
  let issuer = '';
  const issued: string[] = [];

  before(async () => {
    const signing = await generateKeyPair('RS256');
    const published = await generateKeyPair('RS256');
    const publishedJwk = { ...(await exportJWK(published.publicKey)), kid: 'published-key', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      const json = (status: number, body: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', issuer);
      if (url.pathname === '/.well-known/openid-configuration' || url.pathname === '/.well-known/oauth-authorization-server') {
        return json(200, { issuer, token_endpoint: `${issuer}/oauth2/token`, jwks_uri: `${issuer}/.well-known/jwks.json` });
      }
      if (url.pathname === '/.well-known/jwks.json') return json(200, { keys: [publishedJwk] });
      if (url.pathname === '/oauth2/token' && req.method === 'POST') {
        const expected = `Basic ${Buffer.from(`partner:${secret}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return json(401, { error: 'invalid_client' });
        void new SignJWT({ client_id: 'partner', scope: 'incidents.read' })
          .setProtectedHeader({ alg: 'RS256', kid: 'unpublished-key' })
          .setIssuer(issuer)
          .setAudience(issuer)
          .setSubject('partner')
          .setIssuedAt()
          .setExpirationTime('5m')
          .sign(signing.privateKey)
          .then((token) => {
            issued.push(token);
            json(200, { access_token: token, token_type: 'Bearer', expires_in: 300, scope: 'incidents.read' });
          });
        return;
      }
      json(404, { message: 'Not Found' });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const manifest: RegistryManifest = {
      version: 1,
      registryPath: 'tiny/Registry',
      namePrefix: 'tiny',
      accessTokenTtlSecs: 300,
      secretOverlapSecs: 3600,
      signingKeySecretId: 'tiny/signing-key',
      signingKeyRotationDays: 30,
      clients: [client],
      routes: [],
    };
    writeManifest(outdir, 'tiny', manifest);
    mkdirSync(path.dirname(registryStatePaths(stateDir, 'tiny').clients), { recursive: true });
    writeFileSync(
      registryStatePaths(stateDir, 'tiny').clients,
      JSON.stringify({ Partner: { client_id: 'partner', client_secret: secret } }),
    );
  });
  after(() => server.close());

  it('exits 1 and names token-verification: the signing kid is not in the JWKS', async () => {
    const run = await runCli(['verify', '--local', '--issuer', issuer, '--no-synth', '--outdir', outdir, '--state-dir', stateDir]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const rows = rowsOf(run.stdout);
    assert.deepEqual(rows.find(([c]) => c === 'token')?.[2], 'ok');
    assert.deepEqual(
      rows.find(([c]) => c === 'token-verification'),
      ['token-verification', 'Partner', 'fail'],
    );
    assert.match(run.stdout, /signed with kid unpublished-key, not the JWKS's first key published-key: that key is not published/);
    assert.match(run.stdout, /\nFAILED: .* 2 fail\n$/); // and jwks-next-key: one key, none pre-published
    assert.equal(issued.length, 1, 'verify got a real token from the server');
    assert.ok(!run.stdout.includes(issued[0]));
    assertNothingSecret(run, [secret]);
  });
});

describe('oauth-registry verify and audiences: a foreign-audience token must be refused by every route', () => {
  const OWN = OWN_AUDIENCE;
  // What the app declares: its own audience, a client minted for another API, user sign-in; /v1/hello names no audience.
  const declared = declaredManifest;
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-verify-aud-'));
  const outdir = path.join(work, 'cdktf.out');
  const started: LocalRegistry[] = [];
  const serve = async (manifest: RegistryManifest) => {
    const stateDir = mkdtempSync(path.join(work, 'state-'));
    const registry = await startExample({ manifest, stateDir: registryStateDir(stateDir, manifest.namePrefix) });
    started.push(registry);
    const args = ['verify', '--local', '--port', new URL(registry.issuer).port, '--no-synth', '--outdir', outdir, '--state-dir', stateDir];
    return { registry, args };
  };

  before(() => writeManifest(outdir, 'incident-api', declared()));
  after(() => Promise.all(started.map((r) => r.close())));

  it('served as declared: the foreign token gets 401 (row ok), PKCE is required (row ok), exit 0', async () => {
    const { registry, args } = await serve(declared());
    const run = await runCli(args);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    const rows = rowsOf(run.stdout);
    assert.deepEqual(
      rows.find(([c]) => c === 'route-foreign-audience'),
      ['route-foreign-audience', 'GET /v1/hello', 'ok'],
    );
    assert.match(run.stdout, /OtherApiJob's token \(aud https:\/\/other-api\.example\): HTTP 401/);
    assert.deepEqual(rows.find(([c]) => c === 'authorize-pkce')?.[2], 'ok');
    assert.match(run.stdout, /WebApp without code_challenge: refused with error=invalid_request/);
    assertNothingSecret(
      run,
      Object.values(registry.credentials).map((c) => c.client_secret),
    );
  });

  it('a route that accepts the foreign audience (served config drifted from the declaration): exit 1, the row named', async () => {
    // The gateway's authorizer for /v1/hello accepts OTHER_API too (as a union of every client's audiences did); the
    // declaration verify reads does not name it, so for this route it is foreign.
    const served = declared();
    const drifted = { ...served, routes: served.routes.map((r) => ({ ...r, audiences: [OWN, OTHER_API] })) };
    const { registry, args } = await serve(drifted);
    const run = await runCli(args);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const rows = rowsOf(run.stdout);
    assert.deepEqual(
      rows.find(([c]) => c === 'route-foreign-audience'),
      ['route-foreign-audience', 'GET /v1/hello', 'fail'],
    );
    assert.match(run.stdout, /OtherApiJob's token \(aud https:\/\/other-api\.example\): HTTP 200; the route accepts an audience/);
    assert.match(run.stdout, /\nFAILED: .* 1 fail\n$/);
    assertNothingSecret(
      run,
      Object.values(registry.credentials).map((c) => c.client_secret),
    );
  });
});

describe("verify's JWKS and route rules (pure)", () => {
  const publicJwk = async (alg: 'RS256' | 'ES256', modulusLength?: number) =>
    exportJWK((await generateKeyPair(alg, { extractable: true, ...(modulusLength ? { modulusLength } : {}) })).publicKey);

  it('accepts RSA keys of 2048 bits and more with a kid; counts the modulus exactly', async () => {
    const keys = [
      { ...(await publicJwk('RS256')), kid: 'a' },
      { ...(await publicJwk('RS256', 3072)), kid: 'b' },
    ];
    assert.deepEqual(jwksProblems({ keys }), []);
    assert.deepEqual(keys.map(modulusBits), [2048, 3072]);
  });

  it('refuses an empty set, a short modulus, a non-RSA key, a key without kid, and private members', async () => {
    assert.deepEqual(jwksProblems({ keys: [] }), ['no keys']);
    // jose refuses to make a short RSA key; node:crypto still does.
    const short = { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), kid: 'short' };
    const ec = { ...(await publicJwk('ES256')), kid: 'ec' };
    const noKid = await publicJwk('RS256');
    const leaked = { ...(await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)), kid: 'leaked' };
    assert.deepEqual(jwksProblems({ keys: [short, ec, noKid, leaked] }), [
      'key short has a 1024-bit modulus (minimum 2048)',
      'key ec is EC, not RSA',
      'key #2 has no kid',
      'key leaked has private members',
    ]);
  });

  it('calls a route with each path variable, {proxy+} too, as one placeholder segment; ANY as GET', () => {
    assert.deepEqual(routeRequest('https://api.example', { routeKey: 'DELETE /v1/incidents/{id}/notes/{proxy+}' }), {
      method: 'DELETE',
      url: `https://api.example/v1/incidents/${PATH_PLACEHOLDER}/notes/${PATH_PLACEHOLDER}`,
    });
    assert.equal(routeRequest('https://api.example', { routeKey: 'ANY /v1/{proxy+}' }).method, 'GET');
  });
});

describe("verify, deployed: the issuer from the stack's Terraform outputs", () => {
  const hasTerraform = spawnSync('terraform', ['version'], { encoding: 'utf8' }).status === 0;
  const outdir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-verify-tf-'));
  const stackDir = path.join(outdir, 'stacks', 'tiny');
  const ISSUER = 'https://abc123.execute-api.eu-west-1.amazonaws.com';

  before(() => {
    if (!hasTerraform) return;
    // A real Terraform state holding the outputs the registry declares (an outputs-only configuration: no provider).
    mkdirSync(stackDir, { recursive: true });
    const output = { 'tiny-issuer': { value: ISSUER }, 'tiny-token-endpoint': { value: `${ISSUER}/oauth2/token` } };
    writeFileSync(path.join(stackDir, 'main.tf.json'), JSON.stringify({ output }));
    for (const args of [
      ['init', '-input=false', '-no-color'],
      ['apply', '-auto-approve', '-input=false', '-no-color'],
    ]) {
      const result = spawnSync('terraform', args, { cwd: stackDir, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
    }
  });

  it('reads <namePrefix>-issuer with terraform output -json', { skip: !hasTerraform && 'terraform is not installed' }, () => {
    assert.equal(terraformIssuer(outdir, 'tiny', 'tiny'), ISSUER);
  });

  it('names the missing output and the ones there are', { skip: !hasTerraform && 'terraform is not installed' }, () => {
    assert.throws(
      () => terraformIssuer(outdir, 'tiny', 'other'),
      /no Terraform output other-issuer .*outputs: tiny-issuer, tiny-token-endpoint.*--issuer/,
    );
  });

  it('says to deploy first, or pass --issuer, where there is no stack or no state', { skip: !hasTerraform && 'no terraform' }, () => {
    assert.throws(() => terraformIssuer(outdir, 'missing-stack', 'tiny'), /no synthesized stack at .*missing-stack.*--issuer <url>/);
    const undeployed = path.join(outdir, 'stacks', 'undeployed');
    mkdirSync(undeployed);
    writeFileSync(path.join(undeployed, 'main.tf.json'), JSON.stringify({ terraform: { backend: { local: {} } } }));
    assert.throws(
      () => terraformIssuer(outdir, 'undeployed', 'tiny'),
      /terraform output -json in .*undeployed failed \(Error: .*\).*--issuer/,
    );
  });
});

describe('verify, deployed, where no terraform is installed (as in CI): a stand-in terraform CLI on PATH', () => {
  // The stand-in answers `terraform output -json` as Terraform does: the outputs of the state, or Terraform's error box.
  const bin = mkdtempSync(path.join(tmpdir(), 'oauth-registry-fake-terraform-'));
  const outdir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-verify-fake-tf-'));
  const ISSUER = 'https://abc123.execute-api.eu-west-1.amazonaws.com';
  const savedPath = process.env.PATH;

  before(() => {
    const script = [
      '#!/usr/bin/env node',
      "const fs = require('node:fs');",
      "if (!fs.existsSync('outputs.json')) {",
      "  process.stderr.write('╷\\n│ Error: No outputs found\\n│\\n│ The state file has no outputs.\\n╵\\n');",
      '  process.exit(1);',
      '}',
      "process.stdout.write(fs.readFileSync('outputs.json', 'utf8'));",
    ].join('\n');
    writeFileSync(path.join(bin, 'terraform'), script, { mode: 0o755 });
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
    for (const stack of ['tiny', 'undeployed']) mkdirSync(path.join(outdir, 'stacks', stack), { recursive: true });
    const outputs = { 'tiny-issuer': { value: ISSUER }, 'tiny-token-endpoint': { value: `${ISSUER}/oauth2/token` } };
    writeFileSync(path.join(outdir, 'stacks', 'tiny', 'outputs.json'), JSON.stringify(outputs));
  });
  after(() => {
    process.env.PATH = savedPath;
  });

  it('reads <namePrefix>-issuer, names a missing output, and says what to do without a state', () => {
    assert.equal(terraformIssuer(outdir, 'tiny', 'tiny'), ISSUER);
    assert.throws(
      () => terraformIssuer(outdir, 'tiny', 'other'),
      /no Terraform output other-issuer .*outputs: tiny-issuer, tiny-token-endpoint/,
    );
    assert.throws(
      () => terraformIssuer(outdir, 'undeployed', 'tiny'),
      /terraform output -json in .*undeployed failed \(Error: No outputs found\): deploy first .*--issuer <url>/,
    );
    assert.throws(() => terraformIssuer(outdir, 'missing-stack', 'tiny'), /no synthesized stack at .*missing-stack/);
  });
});

describe('verify covers key-based clients, routes no client can call, and connections', () => {
  let keys: Server;
  let keysUrl = '';
  let registry: LocalRegistry;
  let manifest: RegistryManifest;
  const started: Array<() => Promise<void>> = [];

  before(async () => {
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(publicKey)), kid: 'partner-1', use: 'sig', alg: 'RS256' };
    keys = createServer((req, res) => {
      res.writeHead(req.url === '/missing' ? 404 : 200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/empty' ? { keys: [] } : { keys: [jwk] }));
    });
    await new Promise<void>((resolve) => keys.listen(0, '127.0.0.1', resolve));
    keysUrl = `http://127.0.0.1:${(keys.address() as AddressInfo).port}`;
    started.push(() => new Promise<void>((resolve) => keys.close(() => resolve())));
    const example = exampleManifest();
    const keyClient = privateKeyJwtClient;
    const hello = example.routes[0];
    manifest = {
      ...example,
      clients: [...example.clients, keyClient('PartnerEtl', `${keysUrl}/jwks.json`), keyClient('EmptyKeys', `${keysUrl}/empty`)],
      // Deployed by an older version, or edited by hand: synth refuses it now, verify still names it.
      routes: [...example.routes, { ...hello, routeKey: 'GET /v1/nobody', audiences: ['https://nobody.example'] }],
    };
    registry = await startExample({ manifest });
    started.push(() => registry.close());
  });
  after(() => Promise.all(started.map((stop) => stop())));

  const verify = (connectionHealth?: VerifyInput['connectionHealth']) =>
    verifyRegistry({
      issuer: registry.issuer,
      manifest,
      secretOf: async (client) => registry.credentials[client.name].client_secret,
      ...(connectionHealth ? { connectionHealth } : {}),
    });
  const rowOf = (report: VerifyReport, check: string, target: string) => report.rows.find((r) => r.check === check && r.target === target);

  it('a private_key_jwt client: its published keys are checked, and the row says the exchange is not exercised', async () => {
    const report = await verify();
    const good = rowOf(report, 'client-keys', 'PartnerEtl')!;
    assert.equal(good.result, 'ok', good.detail);
    assert.match(good.detail, /jwks\.json: 1 public signing key\(s\) \(partner-1\); the assertion exchange is not exercised/);
    assert.deepEqual(
      { ...rowOf(report, 'client-keys', 'EmptyKeys')! },
      { check: 'client-keys', target: 'EmptyKeys', result: 'fail', detail: `${keysUrl}/empty: no keys` },
    );
  });

  it('a route no client can call fails its row; the others pass', async () => {
    const report = await verify();
    assert.equal(rowOf(report, 'route-callable', 'GET /v1/hello')?.result, 'ok');
    const nobody = rowOf(report, 'route-callable', 'GET /v1/nobody')!;
    assert.equal(nobody.result, 'fail');
    assert.match(nobody.detail, /no client has both an audience it accepts \(https:\/\/nobody\.example\) and one of its scopes/);
    assert.equal(report.summary.passed, false);
  });

  it("a connection's row: routes served, redirect URI, and health (error fails, connected passes, unreadable warns)", async () => {
    const health = (h: ConnectionHealthRow['health'], lastError?: string): ConnectionHealthRow[] => [
      {
        connection: 'Salesforce',
        subject: 'alice',
        health: h,
        hasRefreshToken: true,
        grant: 'authorization_code',
        mode: 'perUser',
        ...(lastError ? { lastError } : {}),
      },
    ];
    const redirect = `redirect URI ${registry.issuer}/connections/Salesforce/callback`;
    const failing = rowOf(await verify(health('error', 'the provider answered 500')), 'connection', 'Salesforce')!;
    assert.equal(failing.result, 'fail');
    assert.equal(failing.detail, `routes served; ${redirect}; health error; last error: the provider answered 500`);
    assert.equal(rowOf(await verify(health('connected')), 'connection', 'Salesforce')?.result, 'ok');
    const unreadable = rowOf(await verify({ unreadable: 'no AWS credentials' }), 'connection', 'Salesforce')!;
    assert.deepEqual([unreadable.result, unreadable.detail], ['warn', `routes served; ${redirect}; health not read: no AWS credentials`]);
  });
});
