import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fixture } from './helpers';

describe('scale', () => {
  it('synthesizes 1000 clients', () => {
    const { stack, registry } = fixture();
    for (let i = 0; i < 1000; i++) registry.addExternalClient(`Client${i}`, { scopes: [`scope.${i % 25}`] });
    stack.runAllValidations();
    const tf = stack.toTerraform();
    assert.equal(Object.keys(tf.resource.aws_dynamodb_table_item).length, 1000);
    assert.equal(Object.keys(tf.resource.aws_secretsmanager_secret).length, 1001);
    assert.equal(new Set(registry.externalClients.map((c) => c.clientId)).size, 1000);
    // One prefix pattern covers every client secret, so the policy stays small whatever the number of clients.
    assert.ok(Object.values<any>(tf.resource.aws_iam_role_policy).every((p) => p.policy.length < 2048));
  });
});
