/**
 * The cold JWKS figure for `npm run bench`: a fresh process per sample, as a new Lambda container, timing what API
 * Gateway's JWKS fetch waits for (it allows 1,500 ms): loading the AWS SDK clients' modules, loading the bundle, and the
 * first JWKS answer (SDK client construction, the mocked call, and our work). "Before": the same bundle answering
 * through the private ring (Secrets Manager read, every private JWK imported; `cold-jwks-before.ts`); "after": the
 * real handler, reading the published ring (one DynamoDB GetItem). The SDK calls are answered by aws-sdk-client-mock at
 * `send`, so no network, no SigV4 and no KMS decrypt are counted: in AWS the before path adds a Secrets Manager round
 * trip (and its KMS decrypt), the after path a DynamoDB one.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { marshall } from '@aws-sdk/util-dynamodb';
import { generateSigningKey } from '../lambdas/rotation/rotation';
import { DEFAULT_KEY_SCHEDULE, firstKeyRing, rotateKeyRing, serializeKeyRing } from '../lambdas/shared/key-schedule';
import { ENV } from '../lambdas/shared/names';
import { PUBLIC_KEY_RING_KEY, publicKeyRingOf } from '../lambdas/shared/public-key-ring';
import { bundleEntry } from '../lib';
import { apiEvent } from '../testing/events';
import { fmt, median, type Row } from './report';

/** API Gateway's timeout for fetching an issuer's discovery document and JWKS. */
const GATEWAY_KEY_FETCH_BUDGET_MS = 1_500;

/**
 * Runs in a fresh `node` per sample: `node driver.js <bundle> before|after <fixture>`; prints `{sdkMs, bundleMs,
 * answerMs, kids}`. Plain JavaScript, so no loader hooks sit on the timed `require`s.
 */
const DRIVER = `
const ms = (from) => Number(process.hrtime.bigint() - from) / 1e6;
const [bundle, mode, fixtureFile] = process.argv.slice(2);
const fixture = JSON.parse(require('node:fs').readFileSync(fixtureFile, 'utf8'));
Object.assign(process.env, fixture.env);
fixture.getSecretValue.CreatedDate = new Date(fixture.getSecretValue.CreatedDate);
let t = process.hrtime.bigint();
const sm = require('@aws-sdk/client-secrets-manager');
const ddb = require('@aws-sdk/client-dynamodb');
const sdkMs = ms(t);
// Untimed: the mocks stand in for the network.
const { mockClient } = require('aws-sdk-client-mock');
const secretsManager = mockClient(sm.SecretsManagerClient);
secretsManager.on(sm.GetSecretValueCommand).resolves(fixture.getSecretValue);
const dynamodb = mockClient(ddb.DynamoDBClient);
dynamodb.on(ddb.GetItemCommand).resolves(fixture.getItem);
t = process.hrtime.bigint();
const entry = require(bundle);
const bundleMs = ms(t);
t = process.hrtime.bigint();
const answer = mode === 'before' ? entry.privateRingJwks() : entry.handler(fixture.event);
answer.then((result) => {
  const answerMs = ms(t);
  if (result.statusCode !== 200) throw new Error(mode + ' answered ' + result.statusCode + ': ' + result.body);
  const kids = JSON.parse(result.body).keys.map((k) => k.kid);
  const calls = { secretsManager: secretsManager.calls().length, dynamodb: dynamodb.calls().length };
  process.stdout.write(JSON.stringify({ sdkMs, bundleMs, answerMs, kids, calls }));
});
`;

interface Sample {
  readonly sdkMs: number;
  readonly bundleMs: number;
  readonly answerMs: number;
  readonly kids: readonly string[];
  readonly calls: { readonly secretsManager: number; readonly dynamodb: number };
}

export async function coldJwksFigures(root: string, quick: boolean): Promise<{ row: Row; raw: Record<string, unknown> }> {
  const dir = path.join(root, 'node_modules', '.cache', 'oauth-registry', 'bench', 'cold-jwks');
  mkdirSync(dir, { recursive: true });
  // A ring as after its first rotation: the signer, the next key, and the newest (three private RSA-2048 keys).
  const nowSecs = Math.floor(Date.now() / 1000);
  const first = firstKeyRing(await generateSigningKey(), await generateSigningKey(), nowSecs - 40 * 86_400, DEFAULT_KEY_SCHEDULE);
  const ring = rotateKeyRing(first, await generateSigningKey(), nowSecs - 10 * 86_400, DEFAULT_KEY_SCHEDULE);
  const fixture = {
    env: {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      [ENV.ISSUER]: 'https://bench.example',
      [ENV.TABLE_NAME]: 'bench-registry',
      [ENV.SIGNING_KEY_SECRET_ID]: 'bench/signing-key',
    },
    getSecretValue: {
      SecretString: serializeKeyRing(ring),
      VersionId: 'v1',
      VersionStages: ['AWSCURRENT'],
      CreatedDate: new Date(nowSecs * 1000 - 10 * 86_400_000).toISOString(),
    },
    getItem: { Item: marshall({ pk: PUBLIC_KEY_RING_KEY, ...publicKeyRingOf(ring), publishedAt: nowSecs }) },
    event: apiEvent({ path: '/.well-known/jwks.json' }),
  };
  const fixtureFile = path.join(dir, 'fixture.json');
  writeFileSync(fixtureFile, JSON.stringify(fixture));
  const driver = path.join(dir, 'driver.js');
  writeFileSync(driver, DRIVER);
  const bundles = {
    before: path.join(dir, 'before.js'),
    after: path.join(dir, 'after.js'),
  };
  writeFileSync(bundles.before, bundleEntry(path.join(root, 'bench', 'cold-jwks-before.ts')).code);
  writeFileSync(bundles.after, bundleEntry(path.join(root, 'lambdas', 'authorization-server', 'index.ts')).code);

  const samples: Record<'before' | 'after', Sample[]> = { before: [], after: [] };
  // Alternate, so neither side gets a warmer disk cache or CPU.
  for (let i = 0; i < (quick ? 3 : 9); i++) {
    for (const mode of ['before', 'after'] as const) {
      const out = execFileSync(process.execPath, [driver, bundles[mode], mode, fixtureFile], {
        cwd: dir,
        encoding: 'utf8',
        // The SDK's warning about the Node.js version goes to stderr: kept out of the bench's output.
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      samples[mode].push(JSON.parse(out) as Sample);
    }
  }
  const summary = (mode: 'before' | 'after') => {
    const of = (pick: (s: Sample) => number) => median(samples[mode].map(pick));
    return {
      totalMs: of((s) => s.sdkMs + s.bundleMs + s.answerMs),
      sdkMs: of((s) => s.sdkMs),
      bundleMs: of((s) => s.bundleMs),
      firstAnswerMs: of((s) => s.answerMs),
    };
  };
  const [before, after] = [summary('before'), summary('after')];
  const sameKeys = JSON.stringify(samples.before[0].kids) === JSON.stringify(samples.after[0].kids);
  if (!sameKeys) throw new Error('the before and after JWKS differ');
  const { calls } = samples.after[0];
  const parts = (s: typeof before) =>
    `${fmt(s.totalMs, 1)} ms (SDK ${fmt(s.sdkMs, 1)} + bundle ${fmt(s.bundleMs, 1)} + answer ${fmt(s.firstAnswerMs, 1)})`;
  return {
    row: {
      section: 'c',
      metric: 'cold container, first JWKS answer: SDK modules + bundle + answer (SDK mocked at send; median ms)',
      ours: `after: ${parts(after)}; ${calls.secretsManager} Secrets Manager, ${calls.dynamodb} DynamoDB call`,
      peer: `before (private ring from Secrets Manager): ${parts(before)}`,
      ratio: fmt(after.totalMs / before.totalMs, 2),
      goal: `no Secrets Manager call; ≤ ${fmt(GATEWAY_KEY_FETCH_BUDGET_MS)} ms`,
      met: calls.secretsManager === 0 && after.totalMs <= GATEWAY_KEY_FETCH_BUDGET_MS,
    },
    raw: { before, after, calls, samples, ringKeys: ring.keys.length },
  };
}
