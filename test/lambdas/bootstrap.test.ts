/**
 * The bootstrap: first values, synchronously, for secrets without one (whatever their rotation setting); idempotent;
 * a summary without secret values; a missing secret fails it. Through the function itself, the local adapters and
 * local mode's `ensureSecrets`, and the Lambda entry (Secrets Manager mocked at the SDK).
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { ensureSecrets } from '../../bin/local/local-registry';
import { BOOTSTRAP_VERSION_ID, bootstrapSecrets } from '../../lambdas/rotation/bootstrap';
import { emergencyRotateSigningKey } from '../../lambdas/rotation/emergency';
import { generateSigningKey } from '../../lambdas/rotation/rotation';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { LocalSecretStore, MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { LocalStateStore, MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ROTATION_SLACK_SECS, keyLeadSecs, signingKeyAt, readKeyRing } from '../../lambdas/shared/key-schedule';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type RegistryManifest } from '../../lambdas/shared/manifest';
import { ENV } from '../../lambdas/shared/names';
import { PUBLIC_KEY_RING_KEY, loadPublishedKeyRing, publicKeyRingOf, publishKeyRing } from '../../lambdas/shared/public-key-ring';

const NOW_MS = Date.UTC(2025, 0, 1);
const SCHEDULE = { rotationPeriodSecs: 86_400, prePublishSecs: 7200, longestTokenTtlSecs: 900 };
const SECRETS = { client: 'reg/clients/Acme', signing: 'reg/signing-key', link: 'reg/connections/link-key' };

function declare(secrets: LocalSecretStore) {
  // Rotation is not enabled yet: the bootstrap must not need it.
  secrets.createSecret(SECRETS.client, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: 'acme' }, { rotationEnabled: false });
  secrets.createSecret(SECRETS.signing, { [SECRET_KIND_TAG]: 'signing-key' }, { rotationEnabled: false });
  secrets.createSecret(SECRETS.link, { [SECRET_KIND_TAG]: 'link-key' }, { rotationEnabled: false });
}

const event = (...secretIds: string[]) => ({ action: 'bootstrap' as const, secretIds });

async function snapshot(secrets: LocalSecretStore) {
  const out: Record<string, { versionId: string; value: string; stages: readonly string[] }> = {};
  for (const id of Object.values(SECRETS)) {
    const v = (await secrets.getSecretVersion(id, 'AWSCURRENT'))!;
    out[id] = { versionId: v.versionId, value: v.value, stages: v.stages };
  }
  return out;
}

/** Every string of secret material in the values: client secrets, symmetric keys, private RSA members. */
function secretMaterial(values: readonly string[]): string[] {
  return values.flatMap((value) => {
    const parsed = JSON.parse(value) as { client_secret?: string; k?: string; keys?: { jwk: JWK }[] };
    if (parsed.client_secret) return [parsed.client_secret];
    if (parsed.k) return [parsed.k];
    return (parsed.keys ?? []).flatMap(({ jwk }) => [jwk.d!, jwk.p!, jwk.q!, jwk.dp!, jwk.dq!, jwk.qi!]);
  });
}

describe('bootstrap', () => {
  it('gives each listed secret without a value its first value as AWSCURRENT, and a second run changes nothing', async () => {
    const secrets = new MemorySecretStore({ clock: () => NOW_MS });
    const state = new MemoryStateStore({ clock: () => NOW_MS });
    declare(secrets);
    const first = await bootstrapSecrets(secrets, event(...Object.values(SECRETS)), { clock: () => NOW_MS, schedule: SCHEDULE, state });
    // In the order listed, whatever order the values were made in (secrets are worked on a few at a time).
    assert.deepEqual(first, { created: Object.values(SECRETS), existing: [], published: [SECRETS.signing] });
    const values = await snapshot(secrets);
    for (const v of Object.values(values)) assert.deepEqual([v.versionId, v.stages], [BOOTSTRAP_VERSION_ID, ['AWSCURRENT']]);

    assert.deepEqual(JSON.parse(values[SECRETS.client].value).client_id, 'acme');
    assert.equal(Buffer.from(JSON.parse(values[SECRETS.link].value).k, 'base64url').length, 32);
    const ring = readKeyRing({ value: values[SECRETS.signing].value, createdAtSecs: 0 });
    assert.deepEqual(
      ring.keys.map((k) => k.activatesAt),
      [NOW_MS / 1000, NOW_MS / 1000 + keyLeadSecs(SCHEDULE)],
      'a key signing now, a next key',
    );
    assert.equal(signingKeyAt(ring, NOW_MS / 1000)?.jwk.kid, await calculateJwkThumbprint(ring.keys[0].jwk));
    // The public ring is published beside it, with the schedule and public members only.
    assert.deepEqual(await loadPublishedKeyRing(state), publicKeyRingOf(ring));
    assert.equal(JSON.stringify(await state.get(PUBLIC_KEY_RING_KEY)).includes(ring.keys[0].jwk.d!), false);

    const summary = JSON.stringify(first);
    for (const material of secretMaterial(Object.values(values).map((v) => v.value))) {
      assert.equal(summary.includes(material), false, 'the summary (Terraform state) holds no secret value');
    }

    const publishedItem = await state.get(PUBLIC_KEY_RING_KEY);
    const second = await bootstrapSecrets(secrets, event(...Object.values(SECRETS)), {
      clock: () => NOW_MS + 1000,
      schedule: SCHEDULE,
      state,
    });
    assert.deepEqual(second, { created: [], existing: Object.values(SECRETS), published: [] });
    assert.deepEqual(await state.get(PUBLIC_KEY_RING_KEY), publishedItem, 'the published ring is left alone');
    assert.deepEqual(await snapshot(secrets), values, 'same version ids, same values');
  });

  it('leaves a secret that has a value alone, and fails before writing anything when a listed secret is missing', async () => {
    const secrets = new MemorySecretStore();
    declare(secrets);
    await secrets.putSecretValue(SECRETS.client, 'operator-set', JSON.stringify({ client_id: 'acme', client_secret: 'y'.repeat(43) }), []);
    await assert.rejects(bootstrapSecrets(secrets, event(SECRETS.signing, 'reg/nope', 'reg/gone')), /no such secret: reg\/nope, reg\/gone/);
    assert.equal(await secrets.getSecretVersion(SECRETS.signing, 'AWSCURRENT'), undefined, 'nothing written');
    assert.deepEqual(await bootstrapSecrets(secrets, event(SECRETS.client, SECRETS.signing), { state: new MemoryStateStore() }), {
      created: [SECRETS.signing],
      existing: [SECRETS.client],
      published: [SECRETS.signing],
    });
    assert.equal((await secrets.getSecretVersion(SECRETS.client, 'AWSCURRENT'))?.versionId, 'operator-set');
    secrets.createSecret('reg/untagged');
    await assert.rejects(bootstrapSecrets(secrets, event('reg/untagged')), /oauth-registry:kind/);
    await assert.rejects(bootstrapSecrets(secrets, { action: 'bootstrap', secretIds: 'reg/x' } as never), /secretIds must be a list/);
  });

  it('two bootstraps racing on one secret leave one first value', async () => {
    const secrets = new MemorySecretStore();
    declare(secrets);
    const state = new MemoryStateStore();
    const results = await Promise.all([
      bootstrapSecrets(secrets, event(SECRETS.signing), { state }),
      bootstrapSecrets(secrets, event(SECRETS.signing), { state }),
    ]);
    assert.deepEqual(
      results.map((r) => r.created.length + r.existing.length),
      [1, 1],
    );
    assert.equal(results.filter((r) => r.created.length === 1).length, 1);
    assert.deepEqual(Object.keys((await secrets.describeSecret(SECRETS.signing)).versionStages), [BOOTSTRAP_VERSION_ID]);
    // Whichever bootstrap won, the published ring is the one AWSCURRENT holds.
    const current = readKeyRing({ value: (await secrets.getSecretVersion(SECRETS.signing, 'AWSCURRENT'))!.value, createdAtSecs: 0 });
    assert.deepEqual(await loadPublishedKeyRing(state), publicKeyRingOf(current));
  });

  it('an upgrade publishes the ring of an existing signing key once; a ring published since is never overwritten', async () => {
    const secrets = new MemorySecretStore();
    declare(secrets);
    await bootstrapSecrets(secrets, event(SECRETS.signing), { state: new MemoryStateStore() }); // deployed before publication
    const state = new MemoryStateStore();
    const upgrade = await bootstrapSecrets(secrets, event(SECRETS.signing), { state });
    assert.deepEqual(upgrade, { created: [], existing: [SECRETS.signing], published: [SECRETS.signing] });
    const current = readKeyRing({ value: (await secrets.getSecretVersion(SECRETS.signing, 'AWSCURRENT'))!.value, createdAtSecs: 0 });
    assert.deepEqual(await loadPublishedKeyRing(state), publicKeyRingOf(current));
    // A rotation published a newer ring (its stage move still to come): a bootstrap run meanwhile keeps it.
    const rotated = { keys: [...current.keys, { ...current.keys[1], jwk: await generateSigningKey(), activatesAt: 10 ** 10 }] };
    await publishKeyRing(state, rotated, { nowSecs: 1 });
    assert.deepEqual((await bootstrapSecrets(secrets, event(SECRETS.signing), { state })).published, []);
    assert.deepEqual(await loadPublishedKeyRing(state), publicKeyRingOf(rotated));
  });

  it('republishes a stale published ring that lacks a key of the current ring, merged: no published key is dropped', async () => {
    const secrets = new MemorySecretStore();
    declare(secrets);
    const state = new MemoryStateStore();
    await bootstrapSecrets(secrets, event(SECRETS.signing), { state });
    // A point-in-time restore (or a stage moved by hand) left a ring of other keys published.
    const stale = { keys: [{ jwk: await generateSigningKey(), createdAt: 1, activatesAt: 1 }] };
    await publishKeyRing(state, stale, { nowSecs: 1 });
    const result = await bootstrapSecrets(secrets, event(SECRETS.signing), { state });
    assert.deepEqual(result.published, [SECRETS.signing]);
    const current = readKeyRing({ value: (await secrets.getSecretVersion(SECRETS.signing, 'AWSCURRENT'))!.value, createdAtSecs: 0 });
    assert.deepEqual(await loadPublishedKeyRing(state), { keys: [...publicKeyRingOf(stale).keys, ...publicKeyRingOf(current).keys] });
  });

  it('never republishes a key an emergency rotation revoked, even when AWSCURRENT is moved back to it by hand', async () => {
    const secrets = new MemorySecretStore();
    declare(secrets);
    const state = new MemoryStateStore();
    await bootstrapSecrets(secrets, event(SECRETS.signing), { state });
    const leaked = (await secrets.getSecretVersion(SECRETS.signing, 'AWSCURRENT'))!;
    const result = await emergencyRotateSigningKey(secrets, SECRETS.signing, { schedule: SCHEDULE, state });
    await secrets.putSecretValue(SECRETS.signing, 'restored-by-hand', leaked.value, ['AWSCURRENT']);
    assert.deepEqual((await bootstrapSecrets(secrets, event(SECRETS.signing), { state })).published, []);
    assert.deepEqual(
      (await loadPublishedKeyRing(state))!.keys.map((k) => k.jwk.kid),
      [result.signingKid, result.nextKid],
    );
  });

  it('refuses a signing key without a state store to publish to, naming it', async () => {
    const secrets = new MemorySecretStore();
    declare(secrets);
    await assert.rejects(
      bootstrapSecrets(secrets, event(SECRETS.signing)),
      /signing key reg\/signing-key: its public ring needs the registry's table/,
    );
    assert.deepEqual((await bootstrapSecrets(secrets, event(SECRETS.client, SECRETS.link))).created, [SECRETS.client, SECRETS.link]);
  });

  it('local mode: ensureSecrets declares and bootstraps the file-backed secrets; a restart changes nothing', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'oauth-registry-bootstrap-')), 'secrets.json');
    const client = { name: 'Acme', clientId: 'acme', secretId: SECRETS.client, accessTokenTtlSecs: 600 };
    const manifest = { signingKeySecretId: SECRETS.signing, signingKeyRotationDays: 30, accessTokenTtlSecs: 900, clients: [client] };
    const clock = () => NOW_MS;
    const state = new LocalStateStore(path.join(path.dirname(file), 'state.json'), { clock });
    const run = () => ensureSecrets(new LocalSecretStore(file, { clock }), manifest as unknown as RegistryManifest, { clock, state });
    assert.deepEqual(await run(), [SECRETS.signing, SECRETS.client]);
    const store = new LocalSecretStore(file);
    const before = await store.describeSecret(SECRETS.signing);
    const values = [
      await store.getSecretVersion(SECRETS.signing, 'AWSCURRENT'),
      await store.getSecretVersion(SECRETS.client, 'AWSCURRENT'),
    ];
    assert.equal(
      readKeyRing({ value: values[0]!.value, createdAtSecs: 0 }).keys[1].activatesAt,
      NOW_MS / 1000 + 30 * 86_400 + ROTATION_SLACK_SECS,
    );
    assert.deepEqual(await loadPublishedKeyRing(state), publicKeyRingOf(readKeyRing({ value: values[0]!.value, createdAtSecs: 0 })));

    assert.deepEqual(await run(), [], 'second start: nothing generated');
    const again = new LocalSecretStore(file);
    assert.deepEqual(await again.describeSecret(SECRETS.signing), before);
    assert.deepEqual(
      [await again.getSecretVersion(SECRETS.signing, 'AWSCURRENT'), await again.getSecretVersion(SECRETS.client, 'AWSCURRENT')],
      values,
    );
  });
});

describe('rotation Lambda entry', () => {
  const sm = mockClient(SecretsManagerClient);
  const ddb = mockClient(DynamoDBClient);
  after(() => {
    sm.restore();
    ddb.restore();
  });

  it('runs the bootstrap for {"action":"bootstrap"} and a rotation step otherwise', async () => {
    process.env.AWS_REGION ??= 'eu-west-1';
    process.env[ENV.SIGNING_KEY_ROTATION_SECS] = String(7 * 86_400);
    process.env[ENV.TABLE_NAME] = 'reg-registry';
    const { handler } = await import('../../lambdas/rotation/index');
    sm.on(DescribeSecretCommand).resolves({
      Name: 'reg/signing-key',
      RotationEnabled: false,
      Tags: [{ Key: SECRET_KIND_TAG, Value: 'signing-key' }],
    });
    // No AWSCURRENT until the bootstrap puts one; then it reads its own value back to publish.
    let written: string | undefined;
    sm.on(GetSecretValueCommand).callsFake(() => {
      if (written === undefined) throw new ResourceNotFoundException({ message: 'no AWSCURRENT', $metadata: {} });
      return { SecretString: written, VersionId: BOOTSTRAP_VERSION_ID, VersionStages: ['AWSCURRENT'], CreatedDate: new Date(NOW_MS) };
    });
    sm.on(PutSecretValueCommand).callsFake((input: { SecretString: string }) => {
      written = input.SecretString;
      return {};
    });
    ddb.on(GetItemCommand).resolves({}); // nothing published, nothing revoked
    ddb.on(PutItemCommand).resolves({});

    const result = await handler({ action: 'bootstrap', secretIds: ['arn:aws:secretsmanager:eu-west-1:1:secret:reg/signing-key'] });
    assert.deepEqual(result, { created: ['reg/signing-key'], existing: [], published: ['reg/signing-key'] });
    const [publish, ...noMore] = ddb.commandCalls(PutItemCommand).map((c) => c.args[0].input);
    assert.deepEqual(noMore, []);
    assert.equal(publish.TableName, 'reg-registry');
    assert.equal(publish.ConditionExpression, undefined, 'a first value is published as written');
    const item = unmarshall(publish.Item!);
    assert.equal(item.pk, PUBLIC_KEY_RING_KEY);
    assert.deepEqual(item.keys, publicKeyRingOf(readKeyRing({ value: written!, createdAtSecs: 0 })).keys);
    const put = sm.commandCalls(PutSecretValueCommand)[0].args[0].input;
    assert.deepEqual([put.ClientRequestToken, put.VersionStages], [BOOTSTRAP_VERSION_ID, ['AWSCURRENT']]);
    const ring = readKeyRing({ value: put.SecretString!, createdAtSecs: 0 });
    assert.equal(
      ring.keys[1].activatesAt - ring.keys[0].activatesAt,
      7 * 86_400 + ROTATION_SLACK_SECS,
      'the schedule comes from the environment',
    );

    const step = { SecretId: 'reg/signing-key', ClientRequestToken: 'v2', Step: 'createSecret' as const };
    await assert.rejects(handler(step), /does not have rotation enabled/);
  });

  it('waits out IAM propagation of the publish permission: AccessDenied on the first PutItem, then it publishes', async () => {
    ddb.reset();
    const denied = Object.assign(new Error('not authorized to perform dynamodb:PutItem'), { name: 'AccessDeniedException' });
    ddb.on(GetItemCommand).resolves({});
    ddb.on(PutItemCommand).rejectsOnce(denied).resolves({});
    const secrets = new MemorySecretStore();
    declare(secrets);
    const slept: number[] = [];
    const client = new DynamoDBClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    const state = new AwsStateStore({ tableName: 'reg-registry', client });
    const sleep = async (ms: number) => void slept.push(ms);
    const result = await bootstrapSecrets(secrets, event(SECRETS.signing), { state, sleep });
    assert.deepEqual(result.published, [SECRETS.signing]);
    assert.equal(ddb.commandCalls(PutItemCommand).length, 2);
    assert.equal(slept.length, 1);
  });
});
