import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { TerraformStack, Testing } from 'cdktf';
import { sealRefreshToken, tokenSetKey } from '../../lambdas/connections/token-set-item';
import type { ConnectionRegistration } from '../../lambdas/shared/manifest';
import { KEY_PREFIX, REGISTRATION_KEY_KINDS, type KeyKind } from '../../lambdas/shared/table-keys';
import { ConnectionGrant, OAuthRegistry, Provider, UserAuthentication } from '../../lib';
import { TABLE_READS, TABLE_WRITES, TOKEN_SET_CONTEXT_KEYS } from '../../lib/private/registry-policies';
import { findRegistrationWrites, findUnscopedTableReads, findWildcardDataActions } from '../../lib/private/rules';
import { fixture, policyOf, resource, resources, synthJson } from './helpers';

const DATA_SERVICES = /^(secretsmanager|dynamodb|kms):/;
const DYNAMODB_WRITE = /^dynamodb:(PutItem|UpdateItem|DeleteItem|BatchWriteItem|PartiQL(Insert|Update|Delete)|\*)$/;
const PARTITION = '\\$\\{data\\.aws_partition\\.\\w+\\.partition\\}';
const REGION = '\\$\\{data\\.aws_region\\.\\w+\\.id\\}';
const DNS_SUFFIX = '\\$\\{data\\.aws_partition\\.\\w+\\.dns_suffix\\}';
const ACCOUNT = '\\$\\{data\\.aws_caller_identity\\.\\w+\\.account_id\\}';
const KEY_ARN = /^\$\{aws_kms_key\.Registry_Key_\w+\.arn\}$/;
const viaService = (service: string) => new RegExp(`^${service}\\.${REGION}\\.${DNS_SUFFIX}$`);

function synthesized() {
  const f = fixture({ namePrefix: 'acme-auth' });
  f.registry.addExternalClient('Partner', { scopes: ['incidents.read'] });
  f.registry.addRoute('GET /v1/hello', { handler: { entry: 'lambdas/examples/hello.ts' }, scopes: ['incidents.read'] });
  return synthJson(f.stack);
}

/** A registry with every function: authorization server (with sign-in), rotation, connections, a route handler. */
function everyFunction() {
  const f = fixture({
    namePrefix: 'acme-auth',
    userAuthentication: UserAuthentication.oidc({ issuer: 'https://login.example.com', clientId: 'registry' }),
  });
  f.registry.addExternalClient('Partner', { scopes: ['incidents.read'] });
  f.registry.addConnection('Billing', {
    provider: Provider.endpoints({ tokenEndpoint: 'https://billing.example/oauth/token' }),
    grant: ConnectionGrant.clientCredentials(),
  });
  f.registry.addRoute('GET /v1/hello', { handler: { entry: 'lambdas/examples/hello.ts' }, scopes: ['incidents.read'] });
  return synthJson(f.stack);
}

const patterns = (kinds: readonly KeyKind[]) => kinds.map((kind) => `${KEY_PREFIX[kind]}*`);

describe('least privilege', () => {
  const tf = synthesized();
  const signingKeyArn = /^\$\{aws_secretsmanager_secret\.Registry_SigningKey_\w+\.arn\}$/;
  const clientsPattern =
    /^arn:\$\{data\.aws_partition\.\w+\.partition\}:secretsmanager:\$\{data\.aws_region\.\w+\.id\}:\$\{data\.aws_caller_identity\.\w+\.account_id\}:secret:acme-auth\/clients\/\*$/;

  it('gives the authorization server read access to its own secrets, table and key only', () => {
    const { Statement } = policyOf(tf, 'Registry_AuthorizationServer');
    const byAction = (action: string) => Statement.filter((s) => s.Action.includes(action)).flatMap((s) => s.Resource);
    const secrets = byAction('secretsmanager:GetSecretValue');
    assert.equal(secrets.length, 2);
    assert.match(secrets[0], signingKeyArn);
    assert.match(secrets[1], clientsPattern);
    assert.deepEqual(byAction('secretsmanager:DescribeSecret'), secrets);
    const table = byAction('dynamodb:GetItem');
    assert.equal(table.length, 1);
    assert.match(table[0], /^\$\{aws_dynamodb_table\.Registry_Table_\w+\.arn\}$/);
    assert.deepEqual(byAction('dynamodb:PutItem'), table);
    assert.deepEqual(byAction('dynamodb:UpdateItem'), table);
    assert.deepEqual(byAction('dynamodb:DeleteItem'), table);
    for (const s of Statement.filter((s) => s.Action.some((a) => a.startsWith('kms:')))) assert.match(s.Resource[0], KEY_ARN);
    const actions = Statement.flatMap((s) => s.Action).sort();
    assert.deepEqual(actions, [
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    const logs = Statement.find((s) => s.Action.includes('logs:PutLogEvents'))!;
    assert.deepEqual(logs.Resource.length, 1);
    assert.match(logs.Resource[0], /^\$\{aws_cloudwatch_log_group\.Registry_AuthorizationServer_LogGroup_\w+\.arn\}:\*$/);
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
    assert.match(secrets.Resource[0], signingKeyArn);
    assert.match(secrets.Resource[1], clientsPattern);
    const kms = Statement.filter((s) => s.Action.some((a) => a.startsWith('kms:')) && s.Condition.StringLike);
    assert.equal(kms.length, 1);
    assert.deepEqual([...kms[0].Action].sort(), ['kms:Decrypt', 'kms:GenerateDataKey']);
    assert.match(kms[0].Resource[0], KEY_ARN);
    assert.match(kms[0].Condition.StringEquals['kms:ViaService'], viaService('secretsmanager'));
    assert.deepEqual(kms[0].Condition.StringLike['kms:EncryptionContext:SecretARN'], secrets.Resource);
    // Of the table, it reads and writes the public key ring only.
    const dynamodb = Statement.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    assert.deepEqual(
      dynamodb.map((s) => [s.Action, s.Condition]),
      [
        [['dynamodb:GetItem'], { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['jwks#*'] } }],
        [
          ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['jwks#*'] } },
        ],
      ],
    );
  });

  it('gives a route handler nothing but its own logs', () => {
    const { Statement } = policyOf(tf, 'GetV1Hello_Handler');
    assert.deepEqual(Statement.flatMap((s) => s.Action).sort(), ['logs:CreateLogStream', 'logs:PutLogEvents']);
  });

  it('never grants a Secrets Manager, DynamoDB or KMS action on "*"', () => {
    for (const [id, policy] of Object.entries<any>(resources(tf, 'aws_iam_role_policy'))) {
      for (const statement of JSON.parse(policy.policy).Statement) {
        // ListSecrets (the health check's rotation dates) has no resource-level permission and returns no value.
        if (!statement.Action.some((a: string) => DATA_SERVICES.test(a) && a !== 'secretsmanager:ListSecrets')) continue;
        for (const r of statement.Resource) assert.ok(r !== '*' && !/:\*$/.test(r.replace(/\/\*$/, '')), `${id}: ${r}`);
      }
    }
    assert.deepEqual(findWildcardDataActions(tf), []);
  });

  it('lets only Lambda assume each role', () => {
    const roles = Object.values<any>(resources(tf, 'aws_iam_role'));
    // The authorization server, the rotation function, the route's handler.
    assert.equal(roles.length, 3);
    for (const role of roles) {
      const doc = JSON.parse(role.assume_role_policy);
      assert.deepEqual(
        doc.Statement.map((s: any) => s.Principal),
        [{ Service: 'lambda.amazonaws.com' }],
      );
    }
  });
});

describe('table least privilege', () => {
  const tf = everyFunction();

  it('assigns every state item kind to exactly one writer, and the registrations to none', () => {
    const written = Object.values(TABLE_WRITES).flat();
    assert.equal(new Set(written).size, written.length, 'no kind has two writers');
    for (const kind of REGISTRATION_KEY_KINDS) assert.ok(!written.includes(kind), `${kind} is Terraform's`);
    const state = (Object.keys(KEY_PREFIX) as KeyKind[]).filter((kind) => !REGISTRATION_KEY_KINDS.includes(kind));
    assert.deepEqual([...written].sort(), [...state].sort());
  });

  it("lets the authorization server read clients' registrations and its own state, and write only its own state", () => {
    const { Statement } = policyOf(tf, 'Registry_AuthorizationServer');
    const dynamodb = Statement.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    const serverState: KeyKind[] = [
      'code',
      'family',
      'refreshToken',
      'revokedJti',
      'authRequest',
      'consent',
      'assertionJti',
      'bearerJti',
      'rateLimit',
      'registeredClient',
      'registrationWindow',
    ];
    assert.deepEqual(
      dynamodb.map((s) => [s.Action, s.Condition]),
      [
        [
          ['dynamodb:GetItem'],
          { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns(['client', 'publicKeys', ...serverState]) } },
        ],
        [
          ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          {
            'ForAllValues:StringLike': {
              'dynamodb:LeadingKeys': patterns([
                'code',
                'family',
                'refreshToken',
                'revokedJti',
                'authRequest',
                'consent',
                'assertionJti',
                'bearerJti',
                'rateLimit',
                'registeredClient',
                'registrationWindow',
              ]),
            },
          },
        ],
      ],
    );
    assert.deepEqual(dynamodb[1].Condition['ForAllValues:StringLike']['dynamodb:LeadingKeys'], [
      'code#*',
      'family#*',
      'rt#*',
      'revoked#*',
      'authreq#*',
      'consent#*',
      'jti#*',
      'bearer-jti#*',
      'ratelimit#*',
      'dcr#*',
      'dcr-window#*',
    ]);
  });

  it("lets the connections function read connections' registrations and its own state, and write only its own state", () => {
    const { Statement } = policyOf(tf, 'Registry_Connections_Function');
    const dynamodb = Statement.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    assert.deepEqual(
      dynamodb.map((s) => [s.Action, s.Condition]),
      [
        [
          ['dynamodb:GetItem'],
          { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns(['connection', 'tokenSet', 'consentState', 'consentLink']) } },
        ],
        [
          ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': patterns(['tokenSet', 'consentState', 'consentLink']) } },
        ],
      ],
    );
  });

  it("keeps every function off the other's items and registrations: refresh tokens, token sets, clients, connections", () => {
    const readable = (fragment: string) =>
      policyOf(tf, fragment)
        .Statement.filter((s) => s.Action.includes('dynamodb:GetItem'))
        .flatMap((s) => s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys'] ?? ['*']);
    const server = readable('Registry_AuthorizationServer');
    const connections = readable('Registry_Connections_Function');
    for (const prefix of ['tokenset#', 'consentstate#', 'consentlink#', 'connection#']) {
      assert.ok(!server.some((p) => prefix.startsWith(p.replace(/\*$/, ''))), `server reads ${prefix}`);
    }
    for (const prefix of ['rt#', 'family#', 'code#', 'client#', 'authreq#']) {
      assert.ok(!connections.some((p) => prefix.startsWith(p.replace(/\*$/, ''))), `connections reads ${prefix}`);
    }
    // Every function reads back what it writes; the rotation function reads and writes only the public ring.
    for (const user of ['authorizationServer', 'connections', 'rotation'] as const) {
      for (const kind of TABLE_WRITES[user]) assert.ok(TABLE_READS[user].includes(kind), `${user} reads its ${kind}`);
    }
    assert.deepEqual(TABLE_READS.rotation, ['publicKeys']);
    assert.deepEqual(readable('Registry_RotationFunction'), ['jwks#*']);
    assert.deepEqual(findUnscopedTableReads(tf), []);
  });

  it('grants no DynamoDB write without a leading-key condition, and no Scan, Query, batch or PartiQL action', () => {
    for (const [id, policy] of Object.entries<any>(resources(tf, 'aws_iam_role_policy'))) {
      for (const s of JSON.parse(policy.policy).Statement) {
        const actions: string[] = s.Action;
        assert.ok(!actions.some((a) => /^dynamodb:(Scan|Query|Batch|PartiQL|Transact)/.test(a)), `${id}: ${actions}`);
        if (!actions.some((a) => DYNAMODB_WRITE.test(a))) continue;
        assert.ok(s.Condition?.['ForAllValues:StringLike']?.['dynamodb:LeadingKeys']?.length > 0, `${id} ${s.Sid}`);
      }
    }
    assert.deepEqual(findRegistrationWrites(tf), []);
  });
});

describe('KMS least privilege', () => {
  const tf = everyFunction();
  const kmsStatements = (fragment: string) => policyOf(tf, fragment).Statement.filter((s) => s.Action.some((a) => a.startsWith('kms:')));

  it('conditions every KMS statement of every function', () => {
    let count = 0;
    for (const [id, policy] of Object.entries<any>(resources(tf, 'aws_iam_role_policy'))) {
      for (const s of JSON.parse(policy.policy).Statement) {
        if (!s.Action.some((a: string) => a.startsWith('kms:'))) continue;
        count++;
        assert.ok(s.Condition && Object.keys(s.Condition).length > 0, `${id} ${s.Sid} has no condition`);
        assert.deepEqual(s.Resource.length, 1);
        assert.match(s.Resource[0], KEY_ARN);
      }
    }
    // Server: secrets, table. Rotation: own secrets, link key, table. Connections: secrets, table, refresh tokens.
    assert.equal(count, 8);
  });

  it("lets Secrets Manager use the key for each function's own secrets only", () => {
    const secretArns = (fragment: string) => {
      const [s, ...others] = kmsStatements(fragment).filter((s) => s.Condition.StringLike?.['kms:EncryptionContext:SecretARN']);
      assert.equal(others.length, 0);
      assert.match(s.Condition.StringEquals['kms:ViaService'], viaService('secretsmanager'));
      assert.deepEqual(Object.keys(s.Condition).sort(), ['StringEquals', 'StringLike']);
      return { actions: s.Action, arns: s.Condition.StringLike['kms:EncryptionContext:SecretARN'] as string[] };
    };
    const server = secretArns('Registry_AuthorizationServer');
    assert.deepEqual(server.actions, ['kms:Decrypt']);
    const readable = policyOf(tf, 'Registry_AuthorizationServer').Statement.find((s) => s.Sid === 'ReadOwnSecrets')!.Resource;
    assert.deepEqual(server.arns, readable);
    assert.equal(server.arns.length, 3); // signing key, client secrets, upstream client secret
    const connections = secretArns('Registry_Connections_Function');
    assert.deepEqual(connections.actions, ['kms:Decrypt']);
    assert.deepEqual(
      connections.arns.map((a) => a.replace(new RegExp(`${PARTITION}|${REGION}|${ACCOUNT}`, 'g'), 'X')),
      ['arn:X:secretsmanager:X:X:secret:acme-auth/connections/*'],
    );
    const rotation = kmsStatements('Registry_RotationFunction').filter((s) => s.Condition.StringLike);
    assert.equal(rotation.length, 2);
    for (const s of rotation) {
      assert.deepEqual(s.Action, ['kms:Decrypt', 'kms:GenerateDataKey']);
      assert.match(s.Condition.StringEquals['kms:ViaService'], viaService('secretsmanager'));
    }
    const rotated = rotation.flatMap((s) => s.Condition.StringLike['kms:EncryptionContext:SecretARN'] as string[]);
    const rotatable = policyOf(tf, 'Registry_RotationFunction').Statement.filter((s) => s.Action.includes('secretsmanager:PutSecretValue'));
    assert.deepEqual(
      rotated,
      rotatable.flatMap((s) => s.Resource),
    );
  });

  it("lets DynamoDB use the table key for the registry's table only, as item writes need it", () => {
    for (const fragment of ['Registry_AuthorizationServer', 'Registry_Connections_Function', 'Registry_RotationFunction']) {
      const table = kmsStatements(fragment).filter((s) => s.Condition.StringEquals?.['kms:ViaService']?.startsWith('dynamodb.'));
      assert.equal(table.length, 1, fragment);
      // Each function writes items: DynamoDB decrypts the table key, and generates and encrypts with it on a write
      // (aws-cdk's grantWriteData grants these; ReEncrypt and DescribeKey are for managing the table, not its items).
      assert.deepEqual([...table[0].Action].sort(), ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey']);
      const equals = table[0].Condition.StringEquals;
      assert.match(equals['kms:ViaService'], viaService('dynamodb'));
      assert.match(equals['kms:EncryptionContext:aws:dynamodb:tableName'], /^\$\{aws_dynamodb_table\.Registry_Table_\w+\.name\}$/);
      assert.match(equals['kms:EncryptionContext:aws:dynamodb:subscriberId'], new RegExp(`^${ACCOUNT}$`));
    }
  });

  it("binds the connections function's own Encrypt/Decrypt to a token set's encryption context", () => {
    // Direct use (no kms:ViaService): the refresh tokens it seals itself.
    const cipher = kmsStatements('Registry_Connections_Function').filter((s) => !s.Condition.StringEquals?.['kms:ViaService']);
    assert.equal(cipher.length, 1);
    assert.deepEqual(cipher[0].Action, ['kms:Encrypt', 'kms:Decrypt']);
    assert.deepEqual(cipher[0].Condition, {
      StringLike: {
        'kms:EncryptionContext:oauth-registry:token-set': 'tokenset#*',
        'kms:EncryptionContext:oauth-registry:connection': '*',
      },
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['oauth-registry:connection', 'oauth-registry:token-set'] },
    });
  });

  it('names the encryption context keys the connections function sends', async () => {
    const contexts: Array<Readonly<Record<string, string>>> = [];
    const cipher = {
      encrypt: async (_: string, context: Readonly<Record<string, string>>) => (contexts.push(context), 'sealed'),
      decrypt: async () => 'plain',
    };
    const pk = tokenSetKey('Billing', undefined);
    await sealRefreshToken(cipher, pk, { name: 'Billing' } as ConnectionRegistration, { refresh_token: 'r' } as never, undefined);
    assert.equal(contexts.length, 1);
    assert.deepEqual(contexts[0], { [TOKEN_SET_CONTEXT_KEYS.connection]: 'Billing', [TOKEN_SET_CONTEXT_KEYS.tokenSet]: pk });
    assert.ok(pk.startsWith(KEY_PREFIX.tokenSet));
  });

  it('gives the key an explicit policy: the account administers it, nobody else', () => {
    const policy = JSON.parse(resource(tf, 'aws_kms_key', 'Registry_Key').policy);
    assert.equal(policy.Statement.length, 1);
    const [statement] = policy.Statement;
    assert.equal(statement.Effect, 'Allow');
    assert.deepEqual(Object.keys(statement.Principal), ['AWS']);
    assert.match(statement.Principal.AWS, new RegExp(`^arn:${PARTITION}:iam::${ACCOUNT}:root$`));
    assert.equal(statement.Condition, undefined);
    assert.ok(!JSON.stringify(policy.Statement.map((s: any) => s.Principal)).includes('"*"'));
  });
});

describe('grants to outside roles', () => {
  /** A stack in `region` whose registry `namePrefix` grants a connection's tokens and proxy, and introspection, to `role`. */
  function grantingStack(app: ReturnType<typeof Testing.app>, stackId: string, region: string, namePrefixes: readonly string[]) {
    const stack = new TerraformStack(app, stackId);
    new AwsProvider(stack, 'aws', { region });
    for (const namePrefix of namePrefixes) {
      const registry = new OAuthRegistry(stack, `Registry${namePrefixes.indexOf(namePrefix)}`, { namePrefix });
      const crm = registry.addConnection('Crm', {
        provider: Provider.discover('https://login.example.com'),
        apiBaseUrl: 'https://api.example.com',
      });
      crm.grantTokenAccess('shared-worker');
      crm.grantProxyAccess('shared-worker');
      registry.grantIntrospection('shared-worker');
    }
    return synthJson(stack);
  }

  /** Each outside-role policy as Terraform would name it: the aws_region data source evaluated to the provider's region. */
  function evaluatedPolicyNames(tf: any): string[] {
    const region: string = tf.provider.aws[0].region;
    return Object.entries<any>(resources(tf, 'aws_iam_role_policy'))
      .filter(([id]) => !id.endsWith('_Policy') && !/_Policy_[A-F0-9]+$/.test(id))
      .map(([, policy]) => {
        assert.deepEqual(policy.lifecycle, { create_before_destroy: true });
        return `${policy.role}/${String(policy.name).replace(/\$\{data\.aws_region\.\w+\.\w+\}/g, region)}`;
      });
  }

  it('names them per registry and region, so no grant overwrites another on one role', () => {
    const app = Testing.app();
    const ireland = evaluatedPolicyNames(grantingStack(app, 'Ireland', 'eu-west-1', ['acme-auth', 'billing-auth']));
    const virginia = evaluatedPolicyNames(grantingStack(app, 'Virginia', 'us-east-1', ['acme-auth']));
    assert.equal(ireland.length, 6);
    assert.equal(virginia.length, 3);
    const all = [...ireland, ...virginia];
    assert.equal(new Set(all).size, all.length, `a policy name repeats on role shared-worker: ${all.join(', ')}`);
    assert.ok(virginia.includes('shared-worker/acme-auth-us-east-1-Crm-tokens'), virginia.join(', '));
    assert.ok(ireland.includes('shared-worker/acme-auth-eu-west-1-introspection'), ireland.join(', '));
    for (const name of all) assert.ok(name.split('/')[1].length <= 128);
  });

  it('a role of the stack gets a policy named the same way', () => {
    const f = fixture({ namePrefix: 'acme-auth' });
    const role = new IamRole(f.stack, 'Worker', { name: 'worker', assumeRolePolicy: '{}' });
    f.registry.addConnection('Crm', { provider: Provider.discover('https://login.example.com') }).grantTokenAccess(role);
    const [name] = evaluatedPolicyNames(synthJson(f.stack));
    assert.match(name, /^\$\{aws_iam_role\.Worker\.name\}\/acme-auth-eu-west-1-Crm-tokens$/);
  });
});
