import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { LocalSecretStore, MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';

const stagesOf = async (store: LocalSecretStore, id = 's') => (await store.describeSecret(id)).versionStages;

describe('LocalSecretStore staging rules', () => {
  it('puts without stages as AWSCURRENT; moving AWSCURRENT gives the old holder AWSPREVIOUS and drops unlabelled versions', async () => {
    const store = new MemorySecretStore();
    store.createSecret('s');
    await store.putSecretValue('s', 'v1', 'one', []);
    assert.deepEqual(await stagesOf(store), { v1: ['AWSCURRENT'] });
    await store.putSecretValue('s', 'v2', 'two', ['AWSCURRENT']);
    assert.deepEqual(await stagesOf(store), { v1: ['AWSPREVIOUS'], v2: ['AWSCURRENT'] });
    await store.putSecretValue('s', 'v3', 'three', ['AWSPENDING']);
    await store.updateVersionStage('s', 'AWSCURRENT', { moveToVersionId: 'v3', removeFromVersionId: 'v2' });
    assert.deepEqual(await stagesOf(store), { v2: ['AWSPREVIOUS'], v3: ['AWSPENDING', 'AWSCURRENT'] });
    assert.equal(await store.getSecretVersionById('s', 'v1'), undefined);
    assert.equal((await store.getSecretVersion('s', 'AWSPREVIOUS'))?.value, 'two');
  });

  it('is idempotent for the same token and value, and refuses another value under an existing token', async () => {
    const store = new MemorySecretStore();
    store.createSecret('s');
    await store.putSecretValue('s', 'v1', 'one', ['AWSPENDING']);
    await store.putSecretValue('s', 'v1', 'one', ['AWSPENDING']);
    assert.deepEqual(await stagesOf(store), { v1: ['AWSPENDING'] });
    await assert.rejects(store.putSecretValue('s', 'v1', 'other', ['AWSPENDING']), { name: 'ResourceExistsException' });
  });

  it('refuses to move a stage without naming its current holder, as Secrets Manager does', async () => {
    const store = new MemorySecretStore();
    store.createSecret('s');
    await store.putSecretValue('s', 'v1', 'one', ['AWSCURRENT']);
    await store.putSecretValue('s', 'v2', 'two', ['AWSPENDING']);
    await assert.rejects(store.updateVersionStage('s', 'AWSCURRENT', { moveToVersionId: 'v2' }), { name: 'InvalidParameterException' });
    await assert.rejects(store.updateVersionStage('s', 'AWSCURRENT', { moveToVersionId: 'v2', removeFromVersionId: 'v2' }), {
      name: 'InvalidParameterException',
    });
    await assert.rejects(store.describeSecret('missing'), { name: 'ResourceNotFoundException' });
    await assert.rejects(store.putSecretValue('missing', 'v1', 'x', []), { name: 'ResourceNotFoundException' });
    assert.equal(await store.getSecretVersion('missing', 'AWSCURRENT'), undefined);
  });

  it('stamps createdAt from the injected clock', async () => {
    const store = new MemorySecretStore({ clock: () => Date.UTC(2030, 5, 1) });
    store.createSecret('s');
    await store.putSecretValue('s', 'v1', 'one', []);
    assert.equal((await store.getSecretVersion('s', 'AWSCURRENT'))?.createdAt.toISOString(), '2030-06-01T00:00:00.000Z');
  });
});

describe('LocalSecretStore file backing', () => {
  it("writes atomically with mode 0600, survives a restart, and sees another instance's writes", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-secrets-'));
    const file = path.join(dir, 'local', 'secrets.json');
    const first = new LocalSecretStore(file);
    assert.equal(first.createSecret('s', { kind: 'client-secret' }), true);
    await first.putSecretValue('s', 'v1', 'one', []);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(path.dirname(file)), ['secrets.json']); // no temp file left behind

    const restarted = new LocalSecretStore(file);
    assert.equal(restarted.createSecret('s', { extra: 'tag' }), false); // re-declaring keeps the versions
    assert.equal((await restarted.getSecretVersion('s', 'AWSCURRENT'))?.value, 'one');
    assert.deepEqual((await restarted.describeSecret('s')).tags, { kind: 'client-secret', extra: 'tag' });
    assert.deepEqual(restarted.listSecrets(), ['s']);

    await restarted.putSecretValue('s', 'v2', 'two', []);
    assert.equal((await first.getSecretVersion('s', 'AWSCURRENT'))?.value, 'two');
    assert.equal((await first.getSecretVersion('s', 'AWSPREVIOUS'))?.value, 'one');
  });
});
