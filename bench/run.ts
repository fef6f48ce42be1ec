/**
 * `npm run bench`: the project's figures next to their peer or limit, in one run. Prints a table and writes
 * bench/results.json. A benchmark, not a test: nothing here fails on a slow machine; the `goal` column says
 * whether a figure meets its goal.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT, importJWK, type JWK } from 'jose';
import { createAuthorizationServer } from '../lambdas/authorization-server/server';
import { rotateSecret } from '../lambdas/rotation/rotation';
import { MemorySecretStore } from '../lambdas/shared/adapters/local-secret-store';
import { MemoryStateStore } from '../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../lambdas/shared/adapters/manifest-registration-store';
import { parseClientSecretValue } from '../lambdas/shared/client-secret';
import { ACCESS_TOKEN_TTL_SECS, CACHE_TTL_SECS, CLIENT_SECRET_OVERLAP_SECS, SIGNING_KEY_ROTATION_DAYS } from '../lambdas/shared/defaults';
import { readKeyRing, signingKeyAt } from '../lambdas/shared/key-schedule';
import { createJsonLogger } from '../lambdas/shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type RegistryManifest } from '../lambdas/shared/manifest';
import { bundleEntry } from '../lib';
import { tokenEvent } from '../testing/events';
import { measureUserGrants, type BenchStore } from './auth-code';
import { coldJwksFigures } from './cold-jwks';
import { connectionFigures } from './connections';
import { measureOps, measureRate } from './load';
import { fmt, median, type Row } from './report';

const root = path.resolve(__dirname, '..');
const quick = process.argv.includes('--quick');
/** `--results <file>`: where the figures go (the test that keeps the bench runnable writes to a temp file). */
const resultsArg = process.argv.indexOf('--results');

const rows: Row[] = [];
const raw: Record<string, unknown> = {};

async function inProcessIssuance(): Promise<void> {
  const secrets = new MemorySecretStore();
  const manifest: RegistryManifest = {
    version: 1,
    registryPath: 'bench/Registry',
    namePrefix: 'bench',
    accessTokenTtlSecs: ACCESS_TOKEN_TTL_SECS,
    secretOverlapSecs: CLIENT_SECRET_OVERLAP_SECS,
    signingKeySecretId: 'bench/signing-key',
    signingKeyRotationDays: SIGNING_KEY_ROTATION_DAYS,
    routes: [],
    clients: [
      {
        name: 'Bench',
        clientId: 'bench-client',
        grantTypes: ['client_credentials'],
        authMethod: 'client_secret_basic',
        scopes: ['incidents.read'],
        accessTokenTtlSecs: ACCESS_TOKEN_TTL_SECS,
        active: true,
        secretId: 'bench/clients/Bench',
        secretRotationDays: 90,
      },
    ],
  };
  secrets.createSecret(manifest.signingKeySecretId, { [SECRET_KIND_TAG]: 'signing-key' });
  secrets.createSecret('bench/clients/Bench', { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: 'bench-client' });
  const state = new MemoryStateStore();
  await rotateSecret(secrets, manifest.signingKeySecretId, undefined, { state });
  await rotateSecret(secrets, 'bench/clients/Bench');
  const { client_secret } = parseClientSecretValue((await secrets.getSecretVersion('bench/clients/Bench', 'AWSCURRENT'))!.value)!;
  const server = createAuthorizationServer({
    config: {
      issuer: 'https://bench.example',
      signingKeySecretId: manifest.signingKeySecretId,
      secretOverlapSecs: CLIENT_SECRET_OVERLAP_SECS,
      scopesSupported: ['incidents.read'],
      cacheTtlSecs: CACHE_TTL_SECS,
    },
    secrets,
    registrations: new ManifestRegistrationStore(manifest),
    state,
    // The JSON log line is built as in Lambda, then dropped: the figure counts our work, not a terminal's.
    log: createJsonLogger(() => undefined),
  });
  const authorization = `Basic ${Buffer.from(`bench-client:${client_secret}`).toString('base64')}`;
  const event = tokenEvent({ grant_type: 'client_credentials' }, { headers: { authorization } });
  const check = await server.handle(event);
  if (check.statusCode !== 200) throw new Error(`bench token request failed: ${check.body}`);

  // The same key the server signs with: the ring's current key (the signing-key secret holds a key ring).
  const value = (await secrets.getSecretVersion(manifest.signingKeySecretId, 'AWSCURRENT'))!.value;
  const jwk: JWK = signingKeyAt(readKeyRing({ value, createdAtSecs: 0 }), Date.now() / 1000)!.jwk;
  const key = await importJWK(jwk, 'RS256');
  const rawSign = () =>
    new SignJWT({ client_id: 'bench-client', scope: 'incidents.read' })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: jwk.kid })
      .setIssuer('https://bench.example')
      .setSubject('bench-client')
      .setAudience('https://bench.example')
      .setIssuedAt()
      .setExpirationTime('15m')
      .setJti(crypto.randomUUID())
      .sign(key);

  const durationMs = quick ? 1_000 : 3_000;
  // Alternate so that neither side gets a warmer CPU.
  const rawRate = await measureOps(rawSign, { durationMs });
  const oursRate = await measureOps(() => server.handle(event), { durationMs });
  const ratio = oursRate / rawRate;
  raw.inProcess = { tokensPerSecond: oursRate, rawJoseSignsPerSecond: rawRate, ratio };
  rows.push({
    section: 'a',
    metric: 'warm token issuance, in-process (tokens/s)',
    ours: fmt(oursRate),
    peer: `${fmt(rawRate)} raw jose RS256 sign`,
    ratio: fmt(ratio, 2),
    goal: '≥ 0.80 of raw',
    met: ratio >= 0.8,
  });
}

/** authorization_code redemption and refresh_token rotation, in-process, next to the client_credentials rate of (a). */
async function userGrantRates(): Promise<void> {
  const durationMs = quick ? 1_000 : 3_000;
  const clientCredentials = (raw.inProcess as { tokensPerSecond: number }).tokensPerSecond;
  const results: Partial<Record<BenchStore, Awaited<ReturnType<typeof measureUserGrants>>>> = {};
  for (const store of ['memory', 'dynalite'] as const) {
    const r = (results[store] = await measureUserGrants(store, { durationMs }));
    const rates = [
      ['authorization_code redemption', r.redemptionsPerSecond],
      ['refresh_token rotation', r.refreshesPerSecond],
    ] as const;
    for (const [grant, rate] of rates) {
      rows.push({
        section: 'f',
        metric: `${grant}, in-process, ${store} store (tokens/s)`,
        ours: fmt(rate),
        peer: `${fmt(clientCredentials)} client_credentials (a)`,
        ratio: fmt(rate / clientCredentials, 2),
        goal: '—',
      });
    }
  }
  raw.userGrants = results;
}

/** What a bench server prints when it listens: its token endpoint and a client's credentials. */
type ServerInfo = { url: string; client_id: string; client_secret: string };

async function startServer(script: string): Promise<{ child: ChildProcess; info: ServerInfo }> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'servers', script)], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const info = await new Promise<ServerInfo>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line));
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, info };
}

async function httpTokenRates(): Promise<void> {
  const durationMs = quick ? 1_500 : 4_000;
  const results: Record<string, Awaited<ReturnType<typeof measureRate>>> = {};
  for (const [name, script] of [
    ['ours', 'local-registry.ts'],
    ['oidc-provider', 'oidc-provider.ts'],
  ] as const) {
    const { child, info } = await startServer(script);
    try {
      const credentials = `${encodeURIComponent(info.client_id)}:${encodeURIComponent(info.client_secret)}`;
      const authorization = `Basic ${Buffer.from(credentials).toString('base64')}`;
      results[name] = await measureRate(
        {
          url: info.url,
          headers: { authorization, 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials&scope=incidents.read',
        },
        { concurrency: 16, durationMs },
      );
    } finally {
      child.kill();
    }
  }
  const { ours, 'oidc-provider': peer } = results;
  const ratio = ours.perSecond / peer.perSecond;
  raw.http = { ...results, ratio };
  rows.push({
    section: 'b',
    metric: 'local HTTP token endpoint, client_credentials RS256 (tokens/s; p50/p99 ms)',
    ours: `${fmt(ours.perSecond)} (${fmt(ours.p50Ms, 1)}/${fmt(ours.p99Ms, 1)}, ${ours.errors} errors)`,
    peer: `${fmt(peer.perSecond)} oidc-provider (${fmt(peer.p50Ms, 1)}/${fmt(peer.p99Ms, 1)}, ${peer.errors} errors)`,
    ratio: fmt(ratio, 2),
    goal: '≥ 1.5× oidc-provider',
    met: ratio >= 1.5 && ours.errors === 0,
  });
}

function bundles(): void {
  const cacheDir = path.join(root, 'node_modules', '.cache', 'oauth-registry', 'bench');
  mkdirSync(cacheDir, { recursive: true });
  const entries = [
    ['authorization-server', 'lambdas/authorization-server/index.ts', 150 * 1024],
    ['rotation', 'lambdas/rotation/index.ts', 150 * 1024],
    ['connections', 'lambdas/connections/index.ts', 150 * 1024],
    ['example route (hello)', 'lambdas/examples/hello.ts', undefined],
  ] as const;
  raw.bundles = {};
  for (const [name, entry, limit] of entries) {
    const bundle = bundleEntry(path.join(root, entry));
    const file = path.join(cacheDir, `${name.replace(/\W+/g, '-')}.js`);
    writeFileSync(file, bundle.code);
    // A fresh process per sample, as in Lambda's init phase. `own code`: the AWS SDK clients (which the Lambda
    // runtime provides) are loaded first, untimed; `with SDK`: everything the bundle pulls in, SDK included.
    const timedRequire =
      `const t=process.hrtime.bigint();require(${JSON.stringify(file)});` +
      'process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
    const coldRequire = (preload: string) =>
      median(
        Array.from({ length: quick ? 3 : 7 }, () =>
          Number(execFileSync(process.execPath, ['-e', `${preload}${timedRequire}`], { cwd: cacheDir, encoding: 'utf8' })),
        ),
      );
    const sdkModules = [...new Set(bundle.code.match(/@aws-sdk\/[a-z0-9-]+/g) ?? [])];
    const ownMs = coldRequire(sdkModules.map((m) => `require(${JSON.stringify(m)});`).join(''));
    const withSdkMs = coldRequire('');
    (raw.bundles as Record<string, unknown>)[name] = {
      bytes: bundle.bytes,
      coldRequireOwnCodeMs: ownMs,
      coldRequireWithSdkMs: withSdkMs,
      sdkModules,
    };
    rows.push({
      section: 'c',
      metric: `${name} bundle: size; cold require own code / with runtime AWS SDK`,
      ours: `${fmt(bundle.bytes / 1024, 1)} KB; ${fmt(ownMs, 1)} ms / ${fmt(withSdkMs, 1)} ms`,
      peer: limit ? `limit ${fmt(limit / 1024)} KB; 50 ms` : '—',
      goal: limit ? '≤ 150 KB, ≤ 50 ms' : '—',
      met: limit ? bundle.bytes <= limit && ownMs <= 50 : undefined,
    });
  }
}

function synthTimes(): void {
  const counts = quick ? [10, 100] : [10, 100, 1000];
  const results = counts.map((n) => {
    const script = path.join(__dirname, 'synth-clients.ts');
    const out = execFileSync(process.execPath, ['--import', 'tsx', script, String(n)], { cwd: root, encoding: 'utf8' });
    return JSON.parse(out.trim().split('\n').pop()!) as { clients: number; resources: number; synthMs: number };
  });
  raw.synth = results;
  const base = results[0];
  for (const r of results) {
    const perClient = (r.synthMs - base.synthMs) / Math.max(1, r.clients - base.clients);
    rows.push({
      section: 'd',
      metric: `synth ${r.clients} external clients (${r.resources} resources)`,
      ours: `${fmt(r.synthMs)} ms`,
      peer: r.clients === base.clients ? 'baseline' : `${fmt(perClient, 2)} ms per added client`,
      goal: r.clients === 1000 ? '≤ 5,000 ms' : '—',
      met: r.clients === 1000 ? r.synthMs <= 5_000 : undefined,
    });
  }
}

function print(): void {
  const header = ['', 'metric', 'ours', 'peer / limit', 'ratio', 'goal', 'met'];
  const met = (r: Row) => (r.met === undefined ? '' : r.met ? 'yes' : 'NO');
  const lines = rows.map((r) => [r.section, r.metric, r.ours, r.peer, r.ratio ?? '', r.goal, met(r)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const render = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  process.stdout.write(`${render(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n${lines.map(render).join('\n')}\n`);
}

async function main(): Promise<void> {
  const started = new Date();
  await inProcessIssuance();
  await userGrantRates();
  await httpTokenRates();
  const connections = await connectionFigures(quick);
  rows.push(...connections.rows);
  raw.connections = connections.raw;
  bundles();
  const coldJwks = await coldJwksFigures(root, quick);
  rows.push(coldJwks.row);
  raw.coldJwks = coldJwks.raw;
  synthTimes();
  print();
  const file = resultsArg > 0 ? path.resolve(process.argv[resultsArg + 1]) : path.join(__dirname, 'results.json');
  const cpus = (await import('node:os')).cpus().length;
  writeFileSync(file, `${JSON.stringify({ date: started.toISOString(), node: process.version, cpus, rows, raw }, null, 2)}\n`);
  process.stdout.write(`\nwritten to ${path.relative(process.cwd(), file)}\n`);
}

void main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
