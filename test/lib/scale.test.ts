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
    // One prefix pattern covers every client secret, so the policy stays small whatever the number of clients: as
    // large as with one client, and far under IAM's 10,240 characters per role (the conditions on the table and the
    // key make the largest about 2.5 KB here; ARNs in place of Terraform references add a few hundred characters).
    const one = fixture();
    one.registry.addExternalClient('Client0', { scopes: ['scope.0'] });
    one.stack.runAllValidations();
    const sizes = (config: any) => Object.values<any>(config.resource.aws_iam_role_policy).map((p) => p.policy.length);
    assert.deepEqual(sizes(tf), sizes(one.stack.toTerraform()));
    assert.ok(
      sizes(tf).every((size) => size < 4096),
      `policy sizes ${sizes(tf)}`,
    );
  });
});
