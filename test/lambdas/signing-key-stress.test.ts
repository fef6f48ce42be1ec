/**
 * Rotation stress test, in process on a controlled clock: the real authorization-server handler issues
 * client_credentials tokens every 10 simulated minutes, the real rotation handler rotates the signing key once a
 * period (six times, on time or up to a day late as Secrets Manager may), and local mode's emulation of API Gateway's
 * JWT authorizer (JWKS cached 2 hours, no refetch on an unknown kid, JWKS fetched from the handler) verifies every token
 * still live at each step, until the last key added has signed. With the key schedule no verification fails; with keys
 * that sign as soon as they are made (the old order) the same scenario fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeProtectedHeader, type JSONWebKeySet } from 'jose';
import { createJwtAuthorizer } from '../../bin/local/jwt-authorizer';
import { createAuthorizationServer } from '../../lambdas/authorization-server/server';
import { bootstrapSecrets } from '../../lambdas/rotation/bootstrap';
import { rotateSecret } from '../../lambdas/rotation/rotation';
import { MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { CACHE_TTL_SECS } from '../../lambdas/shared/defaults';
import {
  GATEWAY_JWKS_CACHE_SECS,
  ROTATION_SLACK_SECS,
  keyLeadSecs,
  maxRingKeys,
  readKeyRing,
  type KeySchedule,
} from '../../lambdas/shared/key-schedule';
import { silentLogger } from '../../lambdas/shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type ClientRegistration } from '../../lambdas/shared/manifest';
import { FrozenClock } from '../../testing/clock';
import { apiEvent, jsonBody, structured, tokenEvent } from '../../testing/events';

const ISSUER = 'https://auth.example.test';
const SIGNING_KEY = 'stress/signing-key';
const TOKEN_TTL_SECS = 3600;
const CLIENT: ClientRegistration = {
  name: 'Stress',
  clientId: 'stress-client',
  grantTypes: ['client_credentials'],
  authMethod: 'client_secret_basic',
  scopes: ['incidents.read'],
  audience: 'https://api.example.test',
  accessTokenTtlSecs: TOKEN_TTL_SECS,
  active: true,
  secretId: 'stress/clients/Stress',
};
/** Secrets Manager rotates every `signingKeyRotationDays` (here 1); the rotation function is told this schedule. */
const PERIOD_SECS = 86_400;
const STEP_SECS = 600;
const ROTATIONS = 6;
const SCHEDULE: KeySchedule = {
  rotationPeriodSecs: PERIOD_SECS,
  prePublishSecs: GATEWAY_JWKS_CACHE_SECS,
  longestTokenTtlSecs: TOKEN_TTL_SECS,
};
/** Keys that sign as soon as a rotation adds them: a schedule whose lead is zero. */
// The old order: a new key signs as soon as it is made. Its negative pre-publish window also gets it past testSecret's
// refusal of keys that would sign unpublished (which exists to stop exactly this).
const SIGN_AT_ONCE: KeySchedule = { ...SCHEDULE, rotationPeriodSecs: -ROTATION_SLACK_SECS, prePublishSecs: -CACHE_TTL_SECS };

interface Outcome {
  verifications: number;
  failures: number;
  rotations: number;
  signers: Set<string>;
  largestRing: number;
  /** Steps up to the last rotation (before and after each rotation) at which no key was published ahead of its time. */
  withoutNextKey: number;
  /** Steps at which the fresh token's kid was not the JWKS's first key. */
  signerNotFirst: number;
}

/** `lateSecs(n)`: how long after its scheduled time (n periods in) rotation n runs, a multiple of the step. */
async function simulate(rotationSchedule: KeySchedule, lateSecs: (n: number) => number = () => 0): Promise<Outcome> {
  const clock = new FrozenClock();
  const start = clock.nowMs;
  const secrets = new MemorySecretStore({ clock: clock.now });
  secrets.createSecret(SIGNING_KEY, { [SECRET_KIND_TAG]: 'signing-key' });
  secrets.createSecret(CLIENT.secretId!, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: CLIENT.clientId });
  const state = new MemoryStateStore({ clock: clock.now });
  await bootstrapSecrets(
    secrets,
    { action: 'bootstrap', secretIds: [SIGNING_KEY, CLIENT.secretId!] },
    { clock: clock.now, schedule: rotationSchedule, state },
  );
  const server = createAuthorizationServer({
    config: { issuer: ISSUER, signingKeySecretId: SIGNING_KEY, secretOverlapSecs: 3600, scopesSupported: CLIENT.scopes, cacheTtlSecs: 60 },
    secrets,
    registrations: new ManifestRegistrationStore({ clients: [CLIENT] }),
    state,
    clock: clock.now,
    log: silentLogger,
  });
  const jwks = async () => {
    const result = structured(await server.handle(apiEvent({ path: '/.well-known/jwks.json' })));
    if (result.statusCode !== 200) throw new Error(`JWKS answered ${result.statusCode}`);
    return JSON.parse(result.body!) as JSONWebKeySet;
  };
  const authorize = createJwtAuthorizer({
    issuer: ISSUER,
    jwksUri: `${ISSUER}/.well-known/jwks.json`,
    jwksCacheSecs: GATEWAY_JWKS_CACHE_SECS,
    refetchOnUnknownKid: false,
    clock: clock.now,
    fetchJwks: jwks,
  });
  const clientSecret = JSON.parse((await secrets.getSecretVersion(CLIENT.secretId!, 'AWSCURRENT'))!.value).client_secret as string;

  const outcome: Outcome = {
    verifications: 0,
    failures: 0,
    rotations: 0,
    signers: new Set(),
    largestRing: 0,
    withoutNextKey: 0,
    signerNotFirst: 0,
  };
  const live: { jwt: string; exp: number }[] = [];
  const issueAndVerify = async () => {
    const result = await server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENT.clientId, clientSecret] }));
    assert.equal(structured(result).statusCode, 200, structured(result).body);
    const jwt = jsonBody<{ access_token: string }>(result).access_token;
    const kid = decodeProtectedHeader(jwt).kid!;
    outcome.signers.add(kid);
    if ((await jwks()).keys[0].kid !== kid) outcome.signerNotFirst++;
    live.push({ jwt, exp: clock.now() + TOKEN_TTL_SECS * 1000 });
    for (const token of live.filter((t) => t.exp > clock.now())) {
      outcome.verifications++;
      if (!(await authorize(`Bearer ${token.jwt}`, { audiences: [CLIENT.audience!], scopes: CLIENT.scopes })).allow) outcome.failures++;
    }
  };
  const ring = async () => readKeyRing({ value: (await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))!.value, createdAtSecs: 0 });
  const checkNextKey = async () => {
    if (!(await ring()).keys.some((k) => k.activatesAt > clock.now() / 1000)) outcome.withoutNextKey++;
  };

  const rotationAt = Array.from({ length: ROTATIONS }, (_, i) => (i + 1) * PERIOD_SECS + lateSecs(i + 1));
  const lastRotation = rotationAt.at(-1)!;
  // Past the last rotation until the key it added has signed for a while.
  const end = lastRotation + keyLeadSecs(rotationSchedule) + 2 * GATEWAY_JWKS_CACHE_SECS;
  for (let t = 0; t <= end; t += STEP_SECS) {
    clock.nowMs = start + t * 1000;
    // Verifying first lets the emulated gateway refresh its JWKS just before a rotation: the worst moment for a new key.
    await issueAndVerify();
    if (t <= lastRotation) await checkNextKey();
    if (t !== rotationAt[outcome.rotations]) continue;
    await rotateSecret(secrets, SIGNING_KEY, undefined, { clock: clock.now, schedule: rotationSchedule, state });
    outcome.rotations++;
    outcome.largestRing = Math.max(outcome.largestRing, (await ring()).keys.length);
    await checkNextKey();
    await issueAndVerify();
  }
  return outcome;
}

describe("signing-key rotation under the gateway's JWKS cache", () => {
  it('issues and verifies a token every 10 minutes across six rotations without one failed verification', async () => {
    const outcome = await simulate(SCHEDULE);
    assert.equal(outcome.rotations, ROTATIONS);
    assert.ok(outcome.verifications > 4000, `verified ${outcome.verifications} tokens`);
    assert.equal(outcome.failures, 0, `${outcome.failures} of ${outcome.verifications} verifications failed`);
    // The bootstrap's two keys, then the key of each rotation, a period apart.
    assert.equal(outcome.signers.size, ROTATIONS + 2, 'a new key signed each period');
    assert.equal(outcome.signerNotFirst, 0, 'the key that signs is always the first in the JWKS');
    assert.equal(outcome.withoutNextKey, 0, 'until the last rotation a key is always published ahead of its time');
    assert.ok(outcome.largestRing <= maxRingKeys(SCHEDULE), `the ring grew to ${outcome.largestRing} keys`);
    assert.ok(outcome.largestRing <= 4);
  });

  it('verifies every token, with a next key always published and the ring within maxRingKeys, when rotations run up to a day late', async () => {
    // Rotation 1 runs at the end of its day, 2 to 4 on time (2 ten minutes after 1), 5 late again after an on-time one,
    // 6 three hours late.
    const late = [0, ROTATION_SLACK_SECS - STEP_SECS, 0, 0, 0, ROTATION_SLACK_SECS - STEP_SECS, 3 * 3600];
    const outcome = await simulate(SCHEDULE, (n) => late[n]);
    assert.equal(outcome.rotations, ROTATIONS);
    assert.equal(outcome.failures, 0, `${outcome.failures} of ${outcome.verifications} verifications failed`);
    assert.equal(outcome.signers.size, ROTATIONS + 2, 'every key added signed in its turn');
    assert.equal(outcome.signerNotFirst, 0, 'the key that signs is always the first in the JWKS');
    assert.equal(outcome.withoutNextKey, 0, 'until the last rotation a key is always published ahead of its time');
    // Rotation 1's key signs late, so the key before it (the bootstrap's next) stays one rotation longer: the ring
    // reaches its bound, and keeps within it.
    assert.equal(outcome.largestRing, maxRingKeys(SCHEDULE), `the ring grew to ${outcome.largestRing} keys`);
  });

  it('fails verifications in the same scenario when a new key signs as soon as it is made (the old order)', async () => {
    assert.equal(keyLeadSecs(SIGN_AT_ONCE), 0);
    const outcome = await simulate(SIGN_AT_ONCE);
    assert.equal(outcome.rotations, ROTATIONS);
    assert.ok(outcome.failures > 0, 'the gateway cannot verify a key it has not fetched');
    // Each new key fails until the gateway's cached JWKS expires: up to two hours of tokens per rotation.
    assert.ok(outcome.failures >= ROTATIONS * 10, `only ${outcome.failures} failures`);
  });
});
