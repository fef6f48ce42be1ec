import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findWildcardDataActions } from '../../lib';
import { fixture, policyOf, resources, synthJson } from './helpers';

const DATA_SERVICES = /^(secretsmanager|dynamodb|kms):/;

function synthesized() {
  const f = fixture({ namePrefix: 'acme-auth' });
  f.registry.addExternalClient('Partner', { scopes: ['incidents.read'] });
  f.registry.addRoute('GET /v1/hello', { handler: { entry: 'lambdas/examples/hello.ts' }, scopes: ['incidents.read'] });
  return synthJson(f.stack);
}

describe('least privilege', () => {
  const tf = synthesized();
  const signingKeyArn = /^\$\{aws_secretsmanager_secret\.Registry_SigningKey_\w+\.arn\}$/;
  const clientsPattern =
    /^arn:\$\{data\.aws_partition\.\w+\.partition\}:secretsmanager:\$\{data\.aws_region\.\w+\.region\}:\$\{data\.aws_caller_identity\.\w+\.account_id\}:secret:acme-auth\/clients\/\*$/;

  it('gives the authorization server read access to its own secrets, table and key only', () => {
    const { Statement } = policyOf(tf, 'Registry_AuthorizationServer');
    const byAction = (action: string) => Statement.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);
    const secrets = byAction('secretsmanager:GetSecretValue');
    assert.equal(secrets.length, 2);
    assert.match(secrets[0]!, signingKeyArn);
    assert.match(secrets[1]!, clientsPattern);
    assert.deepEqual(byAction('secretsmanager:DescribeSecret'), secrets);
    const table = byAction('dynamodb:GetItem');
    assert.equal(table.length, 1);
    assert.match(table[0]!, /^\$\{aws_dynamodb_table\.Registry_Table_\w+\.arn\}$/);
    assert.deepEqual(byAction('dynamodb:PutItem'), table);
    assert.deepEqual(byAction('dynamodb:UpdateItem'), table);
    assert.deepEqual(byAction('dynamodb:DeleteItem'), table);
    assert.match(byAction('kms:Decrypt')[0]!, /^\$\{aws_kms_key\.Registry_Key_\w+\.arn\}$/);
    const actions = Statement.flatMap((s) => s.Action).sort();
    assert.deepEqual(actions, [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const logs = Statement.find((s) => s.Action.includes('logs:PutLogEvents'))!;
    assert.deepEqual(logs.Resource.length, 1);
    assert.match(logs.Resource[0]!, /^\$\{aws_cloudwatch_log_group\.Registry_AuthorizationServer_LogGroup_\w+\.arn\}:\*$/);
  });

  it('gives the rotation function rotation rights on the same secrets and its key only', () => {
    const { Statement } = policyOf(tf, 'Registry_RotationFunction');
    const secrets = Statement.find((s) => s.Action.includes('secretsmanager:PutSecretValue'))!;
    assert.deepEqual([...secrets.Action].sort(), [
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:UpdateSecretVersionStage',
    ]);
    assert.match(secrets.Resource[0]!, signingKeyArn);
    assert.match(secrets.Resource[1]!, clientsPattern);
    const kms = Statement.find((s) => s.Action.includes('kms:Decrypt'))!;
    assert.deepEqual([...kms.Action].sort(), ['kms:Decrypt', 'kms:GenerateDataKey']);
    assert.match(kms.Resource[0]!, /aws_kms_key\.Registry_Key_\w+\.arn/);
    assert.ok(!Statement.some((s) => s.Action.some((a) => a.startsWith('dynamodb:'))));
  });

  it('gives a route handler nothing but its own logs', () => {
    const { Statement } = policyOf(tf, 'GetV1Hello_Handler');
    assert.deepEqual(Statement.flatMap((s) => s.Action).sort(), ['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('never grants a Secrets Manager, DynamoDB or KMS action on "*"', () => {
    for (const [id, policy] of Object.entries<any>(resources(tf, 'aws_iam_role_policy'))) {
      for (const statement of JSON.parse(policy.policy).Statement) {
        if (!statement.Action.some((a: string) => DATA_SERVICES.test(a))) continue;
        for (const r of statement.Resource) assert.ok(r !== '*' && !/:\*$/.test(r.replace(/\/\*$/, '')), `${id}: ${r}`);
      }
    }
    assert.deepEqual(findWildcardDataActions(tf), []);
  });

  it('lets only Lambda assume each role', () => {
    for (const role of Object.values<any>(resources(tf, 'aws_iam_role'))) {
      const doc = JSON.parse(role.assume_role_policy);
      assert.deepEqual(doc.Statement.map((s: any) => s.Principal), [{ Service: 'lambda.amazonaws.com' }]);
    }
  });
});
