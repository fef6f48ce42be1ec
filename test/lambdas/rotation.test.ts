import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { calculateJwkThumbprint, type JWK } from 'jose';
import { createRotationHandler, rotateSecret, type RotationHandler } from '../../lambdas/rotation/rotation';
import { MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { silentLogger } from '../../lambdas/shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG } from '../../lambdas/shared/manifest';

const CLIENT_SECRET = 'test/clients/Acme';
const SIGNING_KEY = 'test/signing-key';

function setup() {
  const secrets = new MemorySecretStore({ clock: () => Date.UTC(2025, 0, 1) });
  secrets.createSecret(CLIENT_SECRET, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: 'acme-client' });
  secrets.createSecret(SIGNING_KEY, { [SECRET_KIND_TAG]: 'signing-key' });
  const handler = createRotationHandler({ secrets, log: silentLogger });
  const step = (SecretId: string, ClientRequestToken: string, Step: string) => handler({ SecretId, ClientRequestToken, Step });
  return { secrets, handler, step };
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
    assert.match(value.client_secret!, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(value.client_secret!, 'base64url').length, 32);
    await rotateSecret(secrets, CLIENT_SECRET);
    const next = JSON.parse((await secrets.getSecretVersion(CLIENT_SECRET, 'AWSCURRENT'))!.value) as Record<string, string>;
    assert.notEqual(next.client_secret, value.client_secret);
  });

  it('signing key value is a private RSA 2048 JWK with its thumbprint as kid, alg RS256, use sig', async () => {
    const { secrets } = setup();
    await rotateSecret(secrets, SIGNING_KEY);
    const jwk = JSON.parse((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))!.value) as JWK;
    assert.equal(jwk.kty, 'RSA');
    assert.equal(jwk.alg, 'RS256');
    assert.equal(jwk.use, 'sig');
    assert.equal(jwk.kid, await calculateJwkThumbprint(jwk));
    assert.equal(Buffer.from(jwk.n!, 'base64url').length * 8, 2048);
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi'] as const) assert.equal(typeof jwk[member], 'string');
  });

  it('testSecret fails on a malformed pending value', async () => {
    const { secrets, step } = setup();
    await secrets.putSecretValue(CLIENT_SECRET, 'bad', JSON.stringify({ client_id: 'other-client', client_secret: 'x'.repeat(43) }), ['AWSPENDING']);
    await assert.rejects(step(CLIENT_SECRET, 'bad', 'testSecret'), /names another client/);
    await secrets.putSecretValue(SIGNING_KEY, 'bad', JSON.stringify({ kty: 'RSA', n: 'AQAB', e: 'AQAB', kid: 'x' }), ['AWSPENDING']);
    await assert.rejects(step(SIGNING_KEY, 'bad', 'testSecret'), /not a private RSA JWK/);
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

  it('rotateSecret resolves to the new version id, now AWSCURRENT without AWSPENDING', async () => {
    const { secrets } = setup();
    const id = await rotateSecret(secrets, SIGNING_KEY);
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.deepEqual((await secrets.getSecretVersion(SIGNING_KEY, 'AWSCURRENT'))?.stages, ['AWSCURRENT']);
    assert.equal(await secrets.getSecretVersion(SIGNING_KEY, 'AWSPENDING'), undefined);
  });
});
