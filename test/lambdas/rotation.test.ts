import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { emergencyRotateSigningKey } from '../../lambdas/rotation/emergency';
import { createRotationHandler, generateSigningKey, rotateSecret, type RotationHandler } from '../../lambdas/rotation/rotation';
import { AwsSecretStore } from '../../lambdas/shared/adapters/aws-secret-store';
import { MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import {
  KEY_RETIREMENT_SKEW_SECS,
  ROTATION_SLACK_SECS,
  keyLeadSecs,
  readKeyRing,
  type KeySchedule,
} from '../../lambdas/shared/key-schedule';
import { createJsonLogger, silentLogger } from '../../lambdas/shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG } from '../../lambdas/shared/manifest';
import {
  PUBLIC_KEY_RING_KEY,
  loadPublishedKeyRing,
  loadRevokedKids,
  publicKeyRingOf,
  publishKeyRing,
  publishMissingKeys,
} from '../../lambdas/shared/public-key-ring';

const CLIENT_SECRET = 'test/clients/Acme';
const SIGNING_KEY = 'test/signing-key';
const NOW_MS = Date.UTC(2025, 0, 1);
const NOW = NOW_MS / 1000;
const SCHEDULE: KeySchedule = { rotationPeriodSecs: 86_400, prePublishSecs: 7200, longestTokenTtlSecs: 3600 };

interface RingValue {
  keys: { jwk: JWK; createdAt: number; activatesAt: number }[];
}

function setup() {
  const secrets = new MemorySecretStore({ clock: () => NOW_MS });
  secrets.createSecret(CLIENT_SECRET, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: 'acme-client' });
  secrets.createSecret(SIGNING_KEY, { [SECRET_KIND_TAG]: 'signing-key' });
  const state = new MemoryStateStore({ clock: () => NOW_MS });
  const handler = createRotationHandler({ secrets, log: silentLogger, clock: () => NOW_MS, schedule: SCHEDULE, state });
  const step = (SecretId: string, ClientRequestToken: string, Step: string) => handler({ SecretId, ClientRequestToken, Step });
  return { secrets, handler, step, state };
}

async function runSteps(handler: RotationHandler, SecretId: string, ClientRequestToken: string) {
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret']) await handler({ SecretId, ClientRequestToken, Step });
}

describe('rotation handler', () => {
  it('first rotation of an empty secret creates AWSCURRENT', async () => {
    const { secrets, handler } = setup();
    assert.equal(await secrets.getSecretVersion(CLIENT_SECRET, 'AWSCURRENT'), undefined);
    await runSteps(handler, CLIENT_SECRET, 'v1');
    assert.deepEqual((await secrets.describeSecret(CLIENT_SECRET)).versionStages, { v1: ['AWSPENDING', 'AWSCURRENT'] });
    assert.equal((await secrets.getSecretVersion(CLIENT_SECRET, 'AWSCURRENT'))?.versionId, 'v1');
  });

  it('createSecret stages AWSPENDING under the token, and twice with the same token makes one version', async () => {
    const { secrets, step } = setup();
    await rotateSecret(secrets, CLIENT_SECRET, 'v1');
    await step(CLIENT_SECRET, 'v2', 'createSecret');
    const pending = await secrets.getSecretVersion(CLIENT_SECRET, 'AWSPENDING');
    assert.equal(pending?.versionId, 'v2');
    await step(CLIENT_SECRET, 'v2', 'createSecret');
    assert.deepEqual((await secrets.describeSecret(CLIENT_SECRET)).versionStages, { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] });
    assert.equal((await secrets.getSecretVersionById(CLIENT_SECRET, 'v2'))?.value, pending?.value);
  });

  it('finishSecret moves AWSCURRENT; the old current becomes AWSPREVIOUS; a repeat is a no-op', async () => {
    const { secrets, step } = setup();
    await rotateSecret(secrets, CLIENT_SECRET, 'v1');
    await rotateSecret(secrets, CLIENT_SECRET, 'v2');
    assert.deepEqual((await secrets.describeSecret(CLIENT_SECRET)).versionStages, { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] });
    for (const s of ['createSecret', 'setSecret', 'testSecret']) await step(CLIENT_SECRET, 'v3', s);
    assert.deepEqual((await secrets.describeSecret(CLIENT_SECRET)).versionStages, {
      v1: ['AWSPREVIOUS'],
      v2: ['AWSCURRENT'],
      v3: ['AWSPENDING'],
    });
    await step(CLIENT_SECRET, 'v3', 'finishSecret');
    // v1 lost its last label and is gone, as two rotations ago should be.
    assert.deepEqual((await secrets.describeSecret(CLIENT_SECRET)).versionStages, {
      v2: ['AWSPREVIOUS'],
      v3: ['AWSPENDING', 'AWSCURRENT'],
    });
    await step(CLIENT_SECRET, 'v3', 'finishSecret');
    await step(CLIENT_SECRET, 'v3', 'createSecret'); // already AWSCURRENT: nothing to do
    assert.deepEqual(Object.keys((await secrets.describeSecret(CLIENT_SECRET)).versionStages), ['v2', 'v3']);
  });

  it('client secret value holds the tagged client id and a 256-bit base64url secret', async () => {
    const { secrets } = setup();
    await rotateSecret(secrets, CLIENT_SECRET);
    const value = JSON.parse((await secrets.getSecretVersion(CLIENT_SECRET, 'AWSCURRENT'))!.value) as Record<string, string>;
    assert.deepEqual(Object.keys(value).sort(), ['client_id', 'client_secret']);
    assert.equal(value.client_id, 'acme-client');
    assert.match(value.client_secret, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(value.client_secret, 'base64url').length, 32);
    await rotateSecret(secrets, CLIENT_SECRET);
    const next = JSON.parse((await secrets.getSecretVersion(CLIENT_SECRET, 'AWSCURRENT'))!.value) as Record<string, string>;
    assert.notEqual(next.client_secret, value.client_secret);
  });

  it('first signing key value is a ring: a key signing now and a next key one lead later, private RSA 2048 JWKs', async () => {
    const { secrets, state } = setup();
    await rotateSecret(secrets, SIGNING_KEY, undefined, { clock: () => NOW_MS, schedule: SCHEDULE, state });
    const ring = JSON.parse((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))!.value) as RingValue;
    assert.deepEqual(Object.keys(ring), ['keys']);
    assert.deepEqual(
      ring.keys.map((k) => [k.createdAt, k.activatesAt]),
      [
        [NOW, NOW],
        [NOW, NOW + keyLeadSecs(SCHEDULE)],
      ],
    );
    for (const { jwk } of ring.keys) {
      assert.equal(jwk.kty, 'RSA');
      assert.equal(jwk.alg, 'RS256');
      assert.equal(jwk.use, 'sig');
      assert.equal(jwk.kid, await calculateJwkThumbprint(jwk));
      assert.equal(Buffer.from(jwk.n!, 'base64url').length * 8, 2048);
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) assert.equal(typeof jwk[member], 'string');
    }
    assert.notEqual(ring.keys[0].jwk.kid, ring.keys[1].jwk.kid);
  });

  it('a rotation keeps the ring, adds a key signing a full period plus a day later, and retires keys only after their tokens', async () => {
    const { secrets, state } = setup();
    let now = NOW_MS;
    const rotate = () => rotateSecret(secrets, SIGNING_KEY, undefined, { clock: () => now, schedule: SCHEDULE, state });
    const ring = async () => (JSON.parse((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))!.value) as RingValue).keys;
    await rotate();
    const [a, b] = await ring();
    const period = SCHEDULE.rotationPeriodSecs;
    const lead = period + ROTATION_SLACK_SECS;
    assert.equal(keyLeadSecs(SCHEDULE), lead);
    now += period * 1000; // the next rotation: a still signs, b is published and signs at NOW + lead
    await rotate();
    const second = await ring();
    assert.deepEqual(second.slice(0, 2), [a, b]);
    assert.equal(second[2].activatesAt, NOW + period + lead, 'the added key signs a full period plus the slack later');
    now = (NOW + lead) * 1000; // b starts signing now; a stops
    await rotate();
    const third = await ring();
    assert.deepEqual(third.slice(0, 3), second, 'a is kept: tokens it signed a moment ago still live');
    assert.equal(third[3].activatesAt, NOW + 2 * lead);
    now += (SCHEDULE.longestTokenTtlSecs + KEY_RETIREMENT_SKEW_SECS - 1) * 1000;
    await rotate();
    assert.equal((await ring()).length, 5, 'one second short of the longest token lifetime plus skew: a stays');
    now += 1000;
    await rotate();
    const kids = (await ring()).map((k) => k.jwk.kid);
    assert.equal(kids.includes(a.jwk.kid), false, 'a is dropped once every token it signed has expired');
    assert.equal(kids[0], b.jwk.kid);
    assert.equal(kids.length, 5);
  });

  it('reads a legacy value (one JWK) as a ring: it keeps signing, and the legacy previous key stays while needed', async () => {
    const { secrets, state } = setup();
    const [old, current] = [await generateSigningKey(), await generateSigningKey()];
    await secrets.putSecretValue(SIGNING_KEY, 'legacy-1', JSON.stringify(old), ['AWSCURRENT']);
    await secrets.putSecretValue(SIGNING_KEY, 'legacy-2', JSON.stringify(current), ['AWSCURRENT']);
    await rotateSecret(secrets, SIGNING_KEY, undefined, { clock: () => NOW_MS, schedule: SCHEDULE, state });
    const ring = JSON.parse((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))!.value) as RingValue;
    // The store stamps versions with its clock (NOW), so `current` has signed since NOW and `old` stopped then.
    assert.deepEqual(
      ring.keys.map((k) => [k.jwk.kid, k.activatesAt]),
      [
        [old.kid, 0],
        [current.kid, NOW],
        [ring.keys[2].jwk.kid, NOW + keyLeadSecs(SCHEDULE)],
      ],
    );
  });

  it('testSecret fails on a malformed pending value', async () => {
    const { secrets, step } = setup();
    const otherClient = JSON.stringify({ client_id: 'other-client', client_secret: 'x'.repeat(43) });
    await secrets.putSecretValue(CLIENT_SECRET, 'bad', otherClient, ['AWSPENDING']);
    await assert.rejects(step(CLIENT_SECRET, 'bad', 'testSecret'), /names another client/);
    const badKey = { kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'x' };
    const badRing = JSON.stringify({ keys: [{ jwk: badKey, createdAt: 0, activatesAt: 0 }] });
    await secrets.putSecretValue(SIGNING_KEY, 'bad', badRing, ['AWSPENDING']);
    await assert.rejects(step(SIGNING_KEY, 'bad', 'testSecret'), /not a private RSA JWK/);
    await secrets.putSecretValue(SIGNING_KEY, 'legacy', JSON.stringify(await generateSigningKey()), ['AWSPENDING']);
    await assert.rejects(step(SIGNING_KEY, 'legacy', 'testSecret'), /not a key ring/);
    const future = { keys: [{ jwk: await generateSigningKey(), createdAt: 0, activatesAt: Date.UTC(2030, 0, 1) / 1000 }] };
    await secrets.putSecretValue(SIGNING_KEY, 'future', JSON.stringify(future), ['AWSPENDING']);
    await assert.rejects(step(SIGNING_KEY, 'future', 'testSecret'), /no key active now/);
  });

  it('testSecret refuses a ring that drops a key tokens may still need', async () => {
    const { secrets, step, state } = setup();
    await rotateSecret(secrets, SIGNING_KEY, 'v1', { clock: () => NOW_MS, schedule: SCHEDULE, state });
    const [signer, next] = (JSON.parse((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))!.value) as RingValue).keys;
    // The next key signs now instead (not a new key, so not a stale one), and the signer is gone.
    const withoutSigner = {
      keys: [
        { ...next, activatesAt: NOW },
        { jwk: await generateSigningKey(), createdAt: NOW, activatesAt: NOW + 2 * 86_400 },
      ],
    };
    await secrets.putSecretValue(SIGNING_KEY, 'v2', JSON.stringify(withoutSigner), ['AWSPENDING']);
    await assert.rejects(step(SIGNING_KEY, 'v2', 'testSecret'), new RegExp(`drops key ${signer.jwk.kid}`));
  });

  it('testSecret refuses a stale rotation: a pending ring whose new key would sign before it was published long enough', async () => {
    // The pending ring was written by a createSecret long ago (its new key activates in an hour), and is tested now.
    const { secrets, step, state } = setup();
    await rotateSecret(secrets, SIGNING_KEY, 'v1', { clock: () => NOW_MS, schedule: SCHEDULE, state });
    const current = JSON.parse((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))!.value) as RingValue;
    const stale = await generateSigningKey();
    const pending = { keys: [...current.keys, { jwk: stale, createdAt: NOW - 86_400, activatesAt: NOW + 3600 }] };
    await secrets.putSecretValue(SIGNING_KEY, 'v2', JSON.stringify(pending), ['AWSPENDING']);
    await assert.rejects(step(SIGNING_KEY, 'v2', 'testSecret'), new RegExp(`adds key ${stale.kid}, which would sign .*a stale rotation`));
    // The same key a full lead ahead passes.
    const fresh = { keys: [...current.keys, { jwk: stale, createdAt: NOW, activatesAt: NOW + 2 * 86_400 }] };
    await secrets.putSecretValue(SIGNING_KEY, 'v3', JSON.stringify(fresh), ['AWSPENDING']);
    await step(SIGNING_KEY, 'v3', 'testSecret');
  });

  it('testSecret succeeds, logging it, on an AWSPENDING version without a value (Secrets Manager testing the setup)', async () => {
    const logs: Record<string, unknown>[] = [];
    const { secrets, state } = setup();
    await rotateSecret(secrets, SIGNING_KEY, 'v1', { state });
    // DescribeSecret lists the pending version Secrets Manager made, but GetSecretValue finds no value in it.
    const configTest = Object.assign(Object.create(secrets) as MemorySecretStore, {
      describeSecret: async (id: string) => {
        const d = await secrets.describeSecret(id);
        return { ...d, versionStages: { ...d.versionStages, probe: ['AWSPENDING'] } };
      },
    });
    const handler = createRotationHandler({ secrets: configTest, log: createJsonLogger((l) => logs.push(JSON.parse(l))) });
    await handler({ SecretId: SIGNING_KEY, ClientRequestToken: 'probe', Step: 'testSecret' });
    assert.equal(
      logs.some((l) => l.msg === 'rotation_test_without_value' && l.version === 'probe'),
      true,
    );
    assert.equal((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))?.versionId, 'v1', 'nothing changed');
  });

  it("passes Secrets Manager's configuration test, which runs testSecret before rotation is enabled (AWS SDK mocked)", async () => {
    // What RotateSecret with RotateImmediately=false does: it stages an AWSPENDING version without a value, invokes
    // testSecret while DescribeSecret still reports rotation disabled, then removes the version and enables rotation.
    const client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const sm = mockClient(client);
    try {
      sm.on(DescribeSecretCommand).resolves({
        Name: SIGNING_KEY,
        RotationEnabled: false,
        Tags: [{ Key: SECRET_KIND_TAG, Value: 'signing-key' }],
        VersionIdsToStages: { v1: ['AWSCURRENT'], probe: ['AWSPENDING'] },
      });
      sm.on(GetSecretValueCommand, { SecretId: SIGNING_KEY, VersionId: 'probe' }).rejects(
        new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret value for VersionId: probe",
          $metadata: {},
        }),
      );
      const handler = createRotationHandler({ secrets: new AwsSecretStore({ client }), log: silentLogger, clock: () => NOW_MS });
      await handler({ SecretId: SIGNING_KEY, ClientRequestToken: 'probe', Step: 'testSecret' });
      assert.equal(sm.commandCalls(PutSecretValueCommand).length + sm.commandCalls(UpdateSecretVersionStageCommand).length, 0);
      // The steps that write still need rotation enabled.
      for (const Step of ['createSecret', 'setSecret', 'finishSecret']) {
        await assert.rejects(handler({ SecretId: SIGNING_KEY, ClientRequestToken: 'probe', Step }), /does not have rotation enabled/);
      }
    } finally {
      sm.restore();
    }
  });

  it('refuses secrets without rotation enabled, without a kind tag, versions not pending, and unknown steps', async () => {
    const { secrets, step } = setup();
    secrets.createSecret('disabled', { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: 'x' }, { rotationEnabled: false });
    await assert.rejects(step('disabled', 'v1', 'createSecret'), /rotation enabled/);
    secrets.createSecret('untagged');
    await assert.rejects(step('untagged', 'v1', 'createSecret'), /oauth-registry:kind/);
    await rotateSecret(secrets, CLIENT_SECRET, 'v1');
    await rotateSecret(secrets, CLIENT_SECRET, 'v2');
    await assert.rejects(step(CLIENT_SECRET, 'v1', 'finishSecret'), /not staged AWSPENDING/); // v1 is AWSPREVIOUS
    await assert.rejects(step(CLIENT_SECRET, 'nope', 'testSecret'), /not staged AWSPENDING/);
    await assert.rejects(step(CLIENT_SECRET, 'v3', 'dropSecret'), /unknown rotation step/);
    await assert.rejects(step('missing', 'v1', 'createSecret'), { name: 'ResourceNotFoundException' });
  });

  it("publishes a signing key's pending ring before it becomes AWSCURRENT; a failed stage move leaves it published", async () => {
    const { secrets, state, step } = setup();
    await rotateSecret(secrets, SIGNING_KEY, 'v1', { clock: () => NOW_MS, schedule: SCHEDULE, state });
    const ringOf = async (versionId: string) =>
      readKeyRing({ value: (await secrets.getSecretVersionById(SIGNING_KEY, versionId))!.value, createdAtSecs: 0 });
    assert.deepEqual(await loadPublishedKeyRing(state), publicKeyRingOf(await ringOf('v1')));

    for (const Step of ['createSecret', 'setSecret', 'testSecret']) await step(SIGNING_KEY, 'v2', Step);
    const published = await loadPublishedKeyRing(state);
    assert.deepEqual(
      published?.keys.map((k) => k.jwk.kid),
      [...new Set([...(await ringOf('v1')).keys, ...(await ringOf('v2')).keys].map((k) => k.jwk.kid))],
      'createSecret published the new key, keeping every published one',
    );

    const failingMove = Object.assign(Object.create(secrets) as MemorySecretStore, {
      updateVersionStage: async () => {
        throw new Error('throttled');
      },
    });
    const failing = createRotationHandler({ secrets: failingMove, log: silentLogger, clock: () => NOW_MS, schedule: SCHEDULE, state });
    await assert.rejects(failing({ SecretId: SIGNING_KEY, ClientRequestToken: 'v2', Step: 'finishSecret' }), /throttled/);
    assert.equal((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))?.versionId, 'v1');
    const pending = await ringOf('v2');
    assert.deepEqual(await loadPublishedKeyRing(state), publicKeyRingOf(pending), 'the new key is known before its ring can sign');

    await step(SIGNING_KEY, 'v2', 'finishSecret'); // Secrets Manager retries
    assert.equal((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))?.versionId, 'v2');
    assert.deepEqual(await loadPublishedKeyRing(state), publicKeyRingOf(pending));

    // Other kinds publish nothing.
    const item = await state.get(PUBLIC_KEY_RING_KEY);
    await rotateSecret(secrets, CLIENT_SECRET, 'c1', { state });
    assert.deepEqual(await state.get(PUBLIC_KEY_RING_KEY), item);
  });

  it('an emergency rotation during a stalled rotation: the retried rotation fails and publishes no revoked key', async () => {
    const { secrets, state, step } = setup();
    await rotateSecret(secrets, SIGNING_KEY, 'v1', { clock: () => NOW_MS, schedule: SCHEDULE, state });
    await step(SIGNING_KEY, 'v2', 'createSecret'); // ...and the rotation stalls
    const stalled = (await secrets.getSecretVersionById(SIGNING_KEY, 'v2'))!;
    const result = await emergencyRotateSigningKey(secrets, SIGNING_KEY, { schedule: SCHEDULE, state, clock: () => NOW_MS });
    const staleKids = readKeyRing({ value: stalled.value, createdAtSecs: 0 }).keys.map((k) => k.jwk.kid);
    assert.deepEqual([...result.removedKids].sort(), [...staleKids].sort(), 'the pending ring (old keys and its new one) is revoked');
    assert.deepEqual((await secrets.describeSecret(SIGNING_KEY)).versionStages[stalled.versionId], undefined, 'v2 is not AWSPENDING');
    assert.deepEqual([...(await loadRevokedKids(state))].sort(), [...staleKids].sort());

    // As in AWS, a version whose labels were removed stays readable by id: Secrets Manager's retry finds the stale ring.
    const keepsUnlabelled = Object.assign(Object.create(secrets) as MemorySecretStore, {
      getSecretVersionById: async (id: string, versionId: string) =>
        versionId === 'v2' ? stalled : secrets.getSecretVersionById(id, versionId),
    });
    const retry = createRotationHandler({ secrets: keepsUnlabelled, log: silentLogger, clock: () => NOW_MS, schedule: SCHEDULE, state });
    await assert.rejects(
      retry({ SecretId: SIGNING_KEY, ClientRequestToken: 'v2', Step: 'createSecret' }),
      new RegExp(`lacks the current signing key ${result.signingKid}.*cancel this rotation`),
    );
    const published = (await loadPublishedKeyRing(state))!.keys.map((k) => k.jwk.kid);
    assert.deepEqual(published, [result.signingKid, result.nextKid], 'no revoked key is published again');
    // Had it been staged AWSPENDING still, its testSecret and finishSecret refuse it too.
    await secrets.putSecretValue(SIGNING_KEY, 'v2-again', stalled.value, ['AWSPENDING']);
    await assert.rejects(step(SIGNING_KEY, 'v2-again', 'testSecret'), /cancel this rotation/);
    await assert.rejects(step(SIGNING_KEY, 'v2-again', 'finishSecret'), /lacks the current signing key/);
    assert.equal((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))?.versionId, result.versionId);
    assert.deepEqual(
      (await loadPublishedKeyRing(state))!.keys.map((k) => k.jwk.kid),
      published,
    );
  });

  it('a revoked kid is never published again: a merge skips it, an exact publish refuses it, a read drops it', async () => {
    const { secrets, state } = setup();
    await rotateSecret(secrets, SIGNING_KEY, 'v1', { clock: () => NOW_MS, schedule: SCHEDULE, state });
    const old = readKeyRing({ value: (await secrets.getSecretVersionById(SIGNING_KEY, 'v1'))!.value, createdAtSecs: 0 });
    const result = await emergencyRotateSigningKey(secrets, SIGNING_KEY, { schedule: SCHEDULE, state, clock: () => NOW_MS });
    assert.equal(await publishMissingKeys(state, old, { nowSecs: NOW }), false);
    await assert.rejects(publishKeyRing(state, old, { nowSecs: NOW }), /an emergency rotation revoked it/);
    const item = (await state.get(PUBLIC_KEY_RING_KEY))!;
    await state.put({ ...item, keys: [...(item.keys as never[]), ...publicKeyRingOf(old).keys] }); // written by hand
    assert.deepEqual(
      (await loadPublishedKeyRing(state))!.keys.map((k) => k.jwk.kid),
      [result.signingKid, result.nextKid],
    );
  });

  it('a stalled rotation: the new key was published a full pre-publish window before it signs, however late finishSecret runs', async () => {
    let nowMs = NOW_MS;
    const { secrets, state } = setup();
    await rotateSecret(secrets, SIGNING_KEY, 'v1', { clock: () => nowMs, schedule: SCHEDULE, state });
    // When each kid was first published, read from every write to the public ring.
    const firstPublished = new Map<string, number>();
    const recording = Object.assign(Object.create(state) as MemoryStateStore, {
      put: async (item: { pk: string; keys?: { jwk: { kid: string } }[] }, condition?: never) => {
        for (const key of item.pk === PUBLIC_KEY_RING_KEY ? (item.keys ?? []) : []) {
          if (!firstPublished.has(key.jwk.kid)) firstPublished.set(key.jwk.kid, nowMs / 1000);
        }
        return state.put(item, condition);
      },
    });
    const handler = createRotationHandler({ secrets, log: silentLogger, clock: () => nowMs, schedule: SCHEDULE, state: recording });
    for (const Step of ['createSecret', 'setSecret', 'testSecret'])
      await handler({ SecretId: SIGNING_KEY, ClientRequestToken: 'v2', Step });
    const added = (await secrets.getSecretVersionById(SIGNING_KEY, 'v2'))!;
    const before = new Set(
      readKeyRing({ value: (await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))!.value, createdAtSecs: 0 }).keys.map(
        (k) => k.jwk.kid,
      ),
    );
    const newKey = readKeyRing({ value: added.value, createdAtSecs: 0 }).keys.find((k) => !before.has(k.jwk.kid))!;
    // finishSecret failed; Secrets Manager retries the rotation (same version id) after the new key's activation.
    nowMs = (newKey.activatesAt + 60) * 1000;
    await handler({ SecretId: SIGNING_KEY, ClientRequestToken: 'v2', Step: 'createSecret' });
    await handler({ SecretId: SIGNING_KEY, ClientRequestToken: 'v2', Step: 'finishSecret' });
    assert.equal((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))?.versionId, 'v2');
    const publishedAt = firstPublished.get(newKey.jwk.kid as string);
    assert.ok(publishedAt !== undefined, 'the new key was published');
    assert.ok(
      newKey.activatesAt - publishedAt >= SCHEDULE.prePublishSecs,
      `published at ${publishedAt}, signs at ${newKey.activatesAt}: less than the ${SCHEDULE.prePublishSecs} s pre-publish window`,
    );
  });

  it('a signing-key rotation without a state store stops before promoting, naming the secret', async () => {
    const { secrets } = setup();
    await assert.rejects(
      rotateSecret(secrets, SIGNING_KEY, 'v1'),
      /signing key test\/signing-key: its public ring needs the registry's table/,
    );
    assert.equal(await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'), undefined);
  });

  it('rotateSecret resolves to the new version id, now AWSCURRENT without AWSPENDING', async () => {
    const { secrets, state } = setup();
    const id = await rotateSecret(secrets, SIGNING_KEY, undefined, { state });
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))?.stages, ['AWSCURRENT']);
    assert.equal(await secrets.getSecretVersion(SIGNING_KEY, 'AWSPENDING'), undefined);
  });
});
