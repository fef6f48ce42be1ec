import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { Testing } from 'cdktf';
import { findLogGroupsWithoutRetention, findSecretValues, findWildcardDataActions } from '../../lib';
import { fixture } from './helpers';

const policy = (statement: object) => ({
  resource: {
    aws_iam_role_policy: { p: { policy: JSON.stringify({ Version: '2012-10-17', Statement: [statement] }) } },
  },
});

describe('rules', () => {
  describe('findWildcardDataActions', () => {
    it('passes statements scoped to named resources, and non-data actions on "*"', () => {
      assert.deepEqual(
        findWildcardDataActions(policy({ Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: ['arn:aws:secretsmanager:eu-west-1:1:secret:x/clients/*'] })),
        [],
      );
      assert.deepEqual(findWildcardDataActions(policy({ Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' })), []);
    });

    it('flags a data action on "*"', () => {
      const findings = findWildcardDataActions(policy({ Effect: 'Allow', Action: ['kms:Decrypt', 'dynamodb:*'], Resource: '*' }));
      assert.deepEqual(findings.map((f) => f.message.match(/"([^"]+)"/)![1]), ['kms:Decrypt', 'dynamodb:*']);
      assert.equal(findings[0]!.address, 'aws_iam_role_policy.p');
      assert.equal(findWildcardDataActions(policy({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ['*'] })).length, 1);
    });
  });

  describe('findLogGroupsWithoutRetention', () => {
    it('passes a log group with retention', () => {
      assert.deepEqual(findLogGroupsWithoutRetention({ resource: { aws_cloudwatch_log_group: { g: { retention_in_days: 30 } } } }), []);
    });
    it('flags a log group without retention', () => {
      const findings = findLogGroupsWithoutRetention({ resource: { aws_cloudwatch_log_group: { g: { name: 'x' }, h: { retention_in_days: 0 } } } });
      assert.deepEqual(findings.map((f) => f.address), ['aws_cloudwatch_log_group.g', 'aws_cloudwatch_log_group.h']);
    });
  });

  describe('findSecretValues', () => {
    it('passes a secret without value and a public JWK', () => {
      const config = {
        resource: {
          aws_secretsmanager_secret: { s: { name: 'x/signing-key' } },
          aws_lambda_function: { f: { environment: { variables: { JWKS: JSON.stringify({ keys: [{ kty: 'RSA', n: 'abc', e: 'AQAB' }] }) } } } },
        },
      };
      assert.deepEqual(findSecretValues(config), []);
    });
    it('flags secret_string, a PEM private key and a private JWK inside a JSON string', () => {
      // A fake key, assembled so that no key-shaped text is committed.
      const label = ['PRIVATE', 'KEY'].join(' ');
      const pem = `-----BEGIN ${label}-----\n${'A'.repeat(64)}\n-----END ${label}-----`;
      const config = {
        resource: {
          aws_secretsmanager_secret_version: { v: { secret_id: 'x', secret_string: 'hunter2' } },
          aws_ssm_parameter: { p: { value: pem } },
          aws_lambda_function: { f: { environment: { variables: { KEY: JSON.stringify({ kty: 'RSA', n: 'n', e: 'AQAB', d: 'private' }) } } } },
        },
      };
      assert.deepEqual(findSecretValues(config).map((f) => f.address), [
        'aws_secretsmanager_secret_version.v',
        'aws_ssm_parameter.p',
        'aws_lambda_function.f',
      ]);
    });
  });

  describe('RegistryRulesAspect', () => {
    it('reports findings inside the registry as synth errors', () => {
      const { stack, registry } = fixture();
      new CloudwatchLogGroup(registry, 'Forever', { name: 'forever' });
      new SecretsmanagerSecretVersion(registry, 'Leak', { secretId: 'x', secretString: 'hunter2' });
      assert.throws(() => Testing.fullSynth(stack), (error: Error) => {
        assert.match(error.message, /\[log-group-without-retention\] aws_cloudwatch_log_group\.Registry_Forever_\w+ has no retention_in_days/);
        assert.match(error.message, /\[secret-value\] aws_secretsmanager_secret_version\.Registry_Leak_\w+ sets secret_string/);
        return true;
      });
    });

    it('finds nothing in a registry as built', () => {
      const { stack, registry } = fixture();
      registry.addExternalClient('Acme', { scopes: ['a'] });
      assert.doesNotThrow(() => Testing.fullSynth(stack));
    });
  });
});
