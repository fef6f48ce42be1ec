/**
 * The destroy guard Terraform invokes on create, update and destroy (lifecycle scope CRUD, `tf.action` added to the
 * input): only a destroy with deletion protection on fails, so the destroy stops before anything it guards.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { guardDestroy, isDestroyGuardEvent } from '../../lambdas/rotation/destroy-guard';

describe('destroy guard', () => {
  const input = { action: 'guard-destroy', table: 'incident-api-state', deletionProtection: true } as const;

  it('refuses its destroy while deletion protection is on, saying what to do', async () => {
    await assert.rejects(
      guardDestroy({ ...input, tf: { action: 'delete' } }),
      /table incident-api-state has deletionProtection on, so nothing of it was destroyed: set deletionProtection: false and apply/,
    );
    // A replacement of the guard (a ForceNew change) is a destroy too: the refusal says how to get through.
    await assert.rejects(guardDestroy({ ...input, tf: { action: 'delete' } }), /replaces or removes this guard.*terraform state rm/);
  });

  it('lets Terraform create and update it, and destroy it once protection is off', async () => {
    for (const action of ['create', 'update']) {
      assert.deepEqual(await guardDestroy({ ...input, tf: { action } }), { table: 'incident-api-state', deletionProtection: true });
    }
    await guardDestroy({ ...input, deletionProtection: false, tf: { action: 'delete' } });
  });

  it('is told apart from the other events of the rotation function', () => {
    assert.equal(isDestroyGuardEvent(input), true);
    assert.equal(isDestroyGuardEvent({ action: 'bootstrap', secretIds: [] }), false);
    assert.equal(isDestroyGuardEvent({ SecretId: 's', ClientRequestToken: 't', Step: 'createSecret' }), false);
    assert.equal(isDestroyGuardEvent(null), false);
  });
});
