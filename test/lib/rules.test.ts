import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsSecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/data-aws-secretsmanager-secret-version';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { TerraformOutput, Testing } from 'cdktf';
import {
  findLogGroupsWithoutRetention,
  findRegistrationWrites,
  findSecretValues,
  findUnscopedTableReads,
  findWildcardDataActions,
} from '../../lib/private/rules';
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
        findWildcardDataActions(
          policy({
            Effect: 'Allow',
            Action: ['secretsmanager:GetSecretValue'],
            Resource: ['arn:aws:secretsmanager:eu-west-1:1:secret:x/clients/*'],
          }),
        ),
        [],
      );
      assert.deepEqual(findWildcardDataActions(policy({ Effect: 'Allow', Action: 'xray:PutTraceSegments', Resource: '*' })), []);
    });

    it('flags a data action on "*"', () => {
      const findings = findWildcardDataActions(policy({ Effect: 'Allow', Action: ['kms:Decrypt', 'dynamodb:*'], Resource: '*' }));
      assert.deepEqual(
        findings.map((f) => f.message.match(/"([^"]+)"/)![1]),
        ['kms:Decrypt', 'dynamodb:*'],
      );
      assert.equal(findings[0].address, 'aws_iam_role_policy.p');
      assert.equal(
        findWildcardDataActions(policy({ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', Resource: ['*'] })).length,
        1,
      );
    });

    it('flags a data action allowed with NotResource (every resource but a few)', () => {
      const notResource = {
        Effect: 'Allow',
        Action: 'secretsmanager:GetSecretValue',
        NotResource: 'arn:aws:secretsmanager:eu-west-1:1:secret:x',
      };
      assert.deepEqual(
        findWildcardDataActions(policy(notResource)).map((f) => f.address),
        ['aws_iam_role_policy.p'],
      );
      assert.deepEqual(findWildcardDataActions(policy({ ...notResource, Effect: 'Deny' })), [], 'a Deny with NotResource is fine');
    });
  });

  describe('findRegistrationWrites', () => {
    const TABLE = '${aws_dynamodb_table.t.arn}';
    const withTable = (statement: object) => ({
      ...policy(statement),
      resource: { ...policy(statement).resource, aws_dynamodb_table: { t: { name: 'reg-registry' } } },
    });
    const write = (extra: object = {}) => ({ Effect: 'Allow', Action: ['dynamodb:PutItem'], Resource: [TABLE], ...extra });
    const leadingKeys = (keys: string[], operator = 'ForAllValues:StringLike') => ({
      Condition: { [operator]: { 'dynamodb:LeadingKeys': keys } },
    });

    it('passes reads, writes limited to state prefixes, and writes on other tables', () => {
      assert.deepEqual(findRegistrationWrites(withTable({ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [TABLE] })), []);
      assert.deepEqual(findRegistrationWrites(withTable(write(leadingKeys(['code#*', 'consent#*', 'consentstate#*'])))), []);
      assert.deepEqual(findRegistrationWrites(withTable(write(leadingKeys(['tokenset#x'], 'ForAllValues:StringEquals')))), []);
      assert.deepEqual(findRegistrationWrites(withTable(write({ Resource: ['${aws_dynamodb_table.orders.arn}'] }))), []);
      assert.deepEqual(findRegistrationWrites(withTable(write({ Resource: ['arn:aws:dynamodb:eu-west-1:1:table/orders'] }))), []);
      assert.deepEqual(findRegistrationWrites(withTable(write({ Resource: [`${TABLE}/index/*`] }))), []);
      assert.deepEqual(findRegistrationWrites(withTable(write({ Effect: 'Deny' }))), []);
      const wildcardWithKey = { ...leadingKeys(['code#*']).Condition, Null: { 'dynamodb:LeadingKeys': 'false' } };
      assert.deepEqual(findRegistrationWrites(withTable(write({ Action: 'dynamodb:*', Condition: wildcardWithKey }))), []);
    });

    it("flags a write on the registry's table that could reach the registrations", () => {
      const flagged = (statement: object) => findRegistrationWrites(withTable(statement)).map((f) => f.message);
      assert.match(flagged(write())[0], /^aws_iam_role_policy\.p allows dynamodb:PutItem on the registry's table without a /);
      assert.match(flagged(write(leadingKeys(['*'])))[0], /leading-key pattern "\*", which matches "client#…" items/);
      assert.match(flagged(write(leadingKeys(['code#*', 'c*'])))[0], /leading-key pattern "c\*"/);
      assert.match(flagged(write(leadingKeys(['conn?ction#*'])))[0], /matches "connection#…" items/);
      assert.match(flagged(write(leadingKeys(['client#abc'], 'ForAllValues:StringEquals')))[0], /"client#abc"/);
      assert.match(flagged(write(leadingKeys(['${aws:username}'])))[0], /leading-key pattern/);
      assert.equal(flagged(write(leadingKeys(['code#*'], 'ForAllValues:StringLikeIfExists'))).length, 1);
      assert.equal(flagged(write(leadingKeys(['code#*'], 'ForAnyValue:StringLike'))).length, 1);
      // `ForAllValues` is true over no key at all: a wildcard grants table actions that carry none.
      assert.match(flagged(write({ Action: 'dynamodb:*', ...leadingKeys(['code#*']) }))[0], /may carry no leading key/);
      assert.equal(flagged(write({ Action: undefined, NotAction: ['dynamodb:GetItem'], ...leadingKeys(['code#*']) })).length, 1);
      // Other spellings of the same table.
      assert.equal(flagged(write({ Resource: '*' })).length, 1);
      assert.equal(flagged(write({ Resource: ['arn:aws:dynamodb:*:*:table/*'] })).length, 1);
      const writtenOut = 'arn:${data.aws_partition.p.partition}:dynamodb:eu-west-1:1:table/reg-registry';
      assert.equal(flagged(write({ Resource: [writtenOut] })).length, 1);
      assert.equal(flagged(write({ Action: ['dynamodb:batchwriteitem'] })).length, 1);
      assert.match(flagged(write({ Sid: 'Mine' }))[0], /^aws_iam_role_policy\.p \(statement "Mine"\)/);
    });
  });

  describe('findUnscopedTableReads', () => {
    const TABLE = '${aws_dynamodb_table.t.arn}';
    const withTable = (statement: object) => ({
      ...policy(statement),
      resource: { ...policy(statement).resource, aws_dynamodb_table: { t: { name: 'reg-registry' } } },
    });
    const read = (extra: object = {}) => ({ Effect: 'Allow', Action: ['dynamodb:GetItem'], Resource: [TABLE], ...extra });
    const own = { Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['client#*', 'code#*'] } } };

    it('passes reads limited to key prefixes, and reads of other tables', () => {
      assert.deepEqual(findUnscopedTableReads(withTable(read(own))), []);
      assert.deepEqual(findUnscopedTableReads(withTable(read({ Resource: ['${aws_dynamodb_table.orders.arn}'] }))), []);
      assert.deepEqual(findUnscopedTableReads(withTable({ ...read(), Action: ['dynamodb:PutItem'], ...own })), []);
      const scanRefused = { Condition: { ...own.Condition, Null: { 'dynamodb:LeadingKeys': 'false' } } };
      assert.deepEqual(findUnscopedTableReads(withTable(read({ Action: 'dynamodb:*', ...scanRefused }))), []);
    });

    it("flags a read of the registry's table that could reach every item", () => {
      const flagged = (statement: object) => findUnscopedTableReads(withTable(statement)).map((f) => f.message);
      assert.match(flagged(read())[0], /^aws_iam_role_policy\.p allows dynamodb:GetItem on the registry's table without a /);
      assert.match(flagged(read())[0], /it could read every item/);
      // Scan carries no leading key: ForAllValues over no key is true.
      assert.match(flagged(read({ Action: ['dynamodb:Scan'], ...own }))[0], /may carry no leading key/);
      assert.equal(flagged(read({ Action: ['dynamodb:BatchGetItem', 'dynamodb:Query'] })).length, 1);
      assert.equal(flagged(read({ Resource: '*' })).length, 1);
    });
  });

  describe('findLogGroupsWithoutRetention', () => {
    it('passes a log group with retention', () => {
      assert.deepEqual(findLogGroupsWithoutRetention({ resource: { aws_cloudwatch_log_group: { g: { retention_in_days: 30 } } } }), []);
    });
    it('flags a log group without retention', () => {
      const findings = findLogGroupsWithoutRetention({
        resource: { aws_cloudwatch_log_group: { g: { name: 'x' }, h: { retention_in_days: 0 } } },
      });
      assert.deepEqual(
        findings.map((f) => f.address),
        ['aws_cloudwatch_log_group.g', 'aws_cloudwatch_log_group.h'],
      );
    });
  });

  describe('findSecretValues', () => {
    it('passes a secret without value and a public JWK', () => {
      const config = {
        resource: {
          aws_secretsmanager_secret: { s: { name: 'x/signing-key' } },
          aws_lambda_function: {
            f: { environment: { variables: { JWKS: JSON.stringify({ keys: [{ kty: 'RSA', n: 'abc', e: 'AQAB' }] }) } } },
          },
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
          aws_lambda_function: {
            f: { environment: { variables: { KEY: JSON.stringify({ kty: 'RSA', n: 'n', e: 'AQAB', d: 'private' }) } } },
          },
        },
      };
      assert.deepEqual(
        findSecretValues(config).map((f) => f.address),
        ['aws_secretsmanager_secret_version.v', 'aws_ssm_parameter.p', 'aws_lambda_function.f'],
      );
    });

    it("flags a secret in an output: a secret's value referenced, or a private JWK written out", () => {
      const config = {
        output: {
          leaked: { value: '${data.aws_secretsmanager_secret_version.s.secret_string}', sensitive: true },
          password: { value: '${random_password.p.result}' },
          jwk: { value: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y', d: 'private' }) },
          arn: { value: '${aws_secretsmanager_secret.s.arn}' },
        },
      };
      assert.deepEqual(
        findSecretValues(config).map((f) => f.message.replace(/ at .*/, '')),
        [
          "output uses a secret's value (secret_string)",
          "output uses a secret's value (random_password result)",
          'output holds a private JWK',
        ],
      );
    });
  });

  describe('RegistryRulesAspect', () => {
    it('reports findings inside the registry as synth errors', () => {
      const { stack, registry } = fixture();
      new CloudwatchLogGroup(registry, 'Forever', { name: 'forever' });
      new SecretsmanagerSecretVersion(registry, 'Leak', { secretId: 'x', secretString: 'hunter2' });
      assert.throws(
        () => Testing.fullSynth(stack),
        (error: Error) => {
          assert.match(
            error.message,
            /\[log-group-without-retention\] aws_cloudwatch_log_group\.Registry_Forever_\w+ has no retention_in_days/,
          );
          assert.match(error.message, /\[secret-value\] aws_secretsmanager_secret_version\.Registry_Leak_\w+ sets secret_string/);
          return true;
        },
      );
    });

    it('fails synth on a secret in an output and on a data action allowed with NotResource', () => {
      const { stack, registry } = fixture();
      const version = new DataAwsSecretsmanagerSecretVersion(registry, 'Read', { secretId: 'x/clients/Acme' });
      new TerraformOutput(registry, 'LeakedSecret', { value: version.secretString, sensitive: true });
      new IamRolePolicy(registry, 'AllBut', {
        role: registry.authorizationServer.role.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'secretsmanager:GetSecretValue', NotResource: 'arn:aws:secretsmanager:*:*:secret:x' }],
        }),
      });
      assert.throws(
        () => Testing.fullSynth(stack),
        (error: Error) => {
          assert.match(error.message, /\[secret-value\] output uses a secret's value \(secret_string\)/);
          assert.match(
            error.message,
            /\[wildcard-data-action\] aws_iam_role_policy\.Registry_AllBut_\w+ allows "secretsmanager:GetSecretValue"/,
          );
          return true;
        },
      );
    });

    it('fails synth when a policy in the registry lets a function write registrations', () => {
      const { stack, registry } = fixture();
      new IamRolePolicy(registry, 'HandAdded', {
        role: registry.authorizationServer.role.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem'], Resource: registry.table.arn }],
        }),
      });
      registry.rotationFunction.addToPolicy({ sid: 'Sloppy', actions: ['dynamodb:UpdateItem'], resources: [registry.table.arn] });
      assert.throws(
        () => Testing.fullSynth(stack),
        (error: Error) => {
          const handAdded =
            /\[registration-write\] aws_iam_role_policy\.Registry_HandAdded_\w+ allows dynamodb:PutItem, dynamodb:DeleteItem/;
          assert.match(error.message, handAdded);
          assert.match(error.message, /HandAdded_\w+ allows [^\n]* on the registry's table without a ForAllValues:StringLike condition/);
          assert.match(error.message, /it could write the registrations \(client#, connection#\), which only Terraform may/);
          const sloppy = /\[registration-write\] aws_iam_role_policy\.Registry_RotationFunction_Policy_\w+ \(statement "Sloppy"\)/;
          assert.match(error.message, sloppy);
          return true;
        },
      );
    });

    it('fails synth when a policy in the registry reads the table without leading keys', () => {
      const { stack, registry } = fixture();
      registry.rotationFunction.addToPolicy({ sid: 'ReadsAll', actions: ['dynamodb:GetItem'], resources: [registry.table.arn] });
      assert.throws(
        () => Testing.fullSynth(stack),
        /\[unscoped-table-read\] aws_iam_role_policy\.Registry_RotationFunction_Policy_\w+ \(statement "ReadsAll"\) allows dynamodb:GetItem/,
      );
    });

    it('finds nothing in a registry as built', () => {
      const { stack, registry } = fixture();
      registry.addExternalClient('Acme', { scopes: ['a'] });
      assert.doesNotThrow(() => Testing.fullSynth(stack));
    });
  });
});
