/** Synth of third-party connections: valueless secrets, least-privilege IAM, routes and authorizers, manifest. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Testing, TerraformVariable } from 'cdktf';
import { ConnectionClientAuth, ConnectionCredentials, ConnectionGrant, ConnectionMode, Provider } from '../../lib';
import { findSecretValues, findWildcardDataActions } from '../../lib/private/rules';
import { fixture, policyOf, resource, resources, synthJson } from './helpers';

function withConnections() {
  const f = fixture({ namePrefix: 'reg' });
  const salesforce = f.registry.addConnection('Salesforce', {
    provider: Provider.discover('https://login.salesforce.com'),
    scopes: ['api', 'refresh_token'],
    authorizationParams: { prompt: 'consent' },
    mode: ConnectionMode.PER_USER,
    apiBaseUrl: 'https://acme.my.salesforce.com/services/data/v60.0',
  });
  f.registry.addConnection('Billing', {
    provider: Provider.endpoints({ tokenEndpoint: 'https://billing.example/oauth/token' }),
    grant: ConnectionGrant.clientCredentials(),
    clientAuth: ConnectionClientAuth.PRIVATE_KEY_JWT,
  });
  f.registry.addExternalClient('Caller', { scopes: ['accounts.read'] });
  const route = f.registry.addRoute('GET /v1/accounts', { handler: { entry: 'lambdas/examples/hello.ts' }, scopes: ['accounts.read'] });
  salesforce.grantTokenAccess(route);
  salesforce.grantProxyAccess(route);
  return { ...f, tf: synthJson(f.stack), salesforce };
}

describe('ThirdPartyConnection synth', () => {
  const { tf, registry, stack } = withConnections();

  it('creates one valueless credentials secret per connection, and nothing secret anywhere', () => {
    const secrets = Object.values(resources(tf, 'aws_secretsmanager_secret')).map((s: any) => s.name);
    assert.ok(secrets.includes('reg/connections/Salesforce'));
    assert.ok(secrets.includes('reg/connections/Billing'));
    assert.ok(secrets.includes('reg/connections/link-key'));
    assert.deepEqual(resources(tf, 'aws_secretsmanager_secret_version'), {});
    assert.deepEqual(findSecretValues(tf), []);
    assert.deepEqual(findWildcardDataActions(tf), []);
  });

  it("rotates the link key with the registry's rotation function", () => {
    const rotation = resource(tf, 'aws_secretsmanager_secret_rotation', 'LinkKeyRotation');
    assert.match(rotation.secret_id, /Connections_LinkKey_[A-Z0-9]+\.id/);
    assert.match(rotation.rotation_lambda_arn, /RotationFunction/);
    const linkKey = resource(tf, 'aws_secretsmanager_secret', 'Connections_LinkKey');
    assert.equal(linkKey.tags['oauth-registry:kind'], 'link-key');
  });

  it('gives the connections function least privilege: its secrets by pattern, the table, the key, the default bus', () => {
    const statements = policyOf(tf, 'Connections_Function').Statement;
    const bySid = Object.fromEntries(statements.map((s) => [s.Sid, s]));
    assert.deepEqual(bySid.ReadConnectionSecrets!.Action, ['secretsmanager:GetSecretValue']);
    assert.deepEqual(
      bySid.ReadConnectionSecrets!.Resource.map((r: string) => r.replace(/\$\{[^}]+\}/g, 'X')),
      ['arn:X:secretsmanager:X:X:secret:reg/connections/*'],
    );
    assert.deepEqual(bySid.ReadOwnTableItems!.Action, ['dynamodb:GetItem']);
    assert.match(bySid.ReadOwnTableItems!.Resource[0], /aws_dynamodb_table\.Registry_Table_[A-Z0-9]+\.arn/);
    assert.deepEqual(bySid.WriteOwnTableItems!.Action, ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
    assert.deepEqual(bySid.WriteOwnTableItems!.Condition, {
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['tokenset#*', 'consentstate#*', 'consentlink#*'] },
    });
    assert.deepEqual(bySid.EncryptRefreshTokens!.Action, ['kms:Encrypt', 'kms:Decrypt']);
    assert.match(bySid.EncryptRefreshTokens!.Resource[0], /aws_kms_key\.Registry_Key_[A-Z0-9]+\.arn/);
    assert.ok(bySid.EncryptRefreshTokens!.Condition, 'the refresh-token cipher is bound to its encryption context');
    assert.deepEqual(bySid.PublishHealthEvents!.Action, ['events:PutEvents']);
    assert.match(bySid.PublishHealthEvents!.Resource[0], /:events:.*:event-bus\/default$/);
    for (const s of statements) assert.ok(!s.Resource.includes('*'), `${s.Sid} has a bare * resource`);
  });

  it("grantTokenAccess adds one InvokeFunction statement on the connection's alias only, and the env var", () => {
    const statements = policyOf(tf, 'GetV1Accounts_Handler').Statement;
    const invoke = statements.filter((s) => s.Action.includes('lambda:InvokeFunction'));
    assert.equal(invoke.length, 1);
    assert.deepEqual(invoke[0].Action, ['lambda:InvokeFunction']);
    assert.equal(invoke[0].Resource.length, 1);
    assert.match(invoke[0].Resource[0], /^\$\{aws_lambda_alias\.Registry_Salesforce_BrokerAlias_[A-Z0-9]+\.arn\}$/);
    const proxy = statements.filter((s) => s.Action.includes('execute-api:Invoke'));
    assert.equal(proxy.length, 1);
    assert.match(
      proxy[0].Resource[0],
      /^\$\{aws_apigatewayv2_api\.Registry_Api_[A-Z0-9]+\.execution_arn\}\/\*\/\*\/connections\/Salesforce\/proxy\/\*$/,
    );
    const alias = resource(tf, 'aws_lambda_alias', 'Salesforce_BrokerAlias');
    assert.equal(alias.name, 'connection-Salesforce');
    assert.equal(alias.function_version, '$LATEST');
    const handler = resource(tf, 'aws_lambda_function', 'GetV1Accounts_Handler');
    assert.match(handler.environment.variables.OAUTH_CONNECTIONS_FUNCTION, /Connections_Function_[A-Z0-9]+\.function_name/);
  });

  it('routes connect and callback without authorization and the proxy behind AWS_IAM', () => {
    const routes = Object.values(resources(tf, 'aws_apigatewayv2_route')).map((r: any) => [r.route_key, r.authorization_type ?? 'NONE']);
    for (const expected of [
      ['GET /connections/{name}/connect', 'NONE'],
      ['GET /connections/{name}/callback', 'NONE'],
      ['ANY /connections/{name}/proxy/{proxy+}', 'AWS_IAM'],
    ]) {
      assert.ok(
        routes.some((r) => r[0] === expected[0] && r[1] === expected[1]),
        `${expected.join(' ')} in ${JSON.stringify(routes)}`,
      );
    }
  });

  it('writes one registration item per connection and the consent URL output, without secrets', () => {
    const item = JSON.parse(resource(tf, 'aws_dynamodb_table_item', 'Salesforce').item);
    assert.equal(item.pk.S, 'connection#Salesforce');
    assert.deepEqual(JSON.parse(item.data.S), registry.manifest().connections![1 - 1]);
    const manifest = registry.manifest();
    assert.deepEqual(
      manifest.connections!.map((c) => [c.name, c.grant, c.mode, c.clientAuth]),
      [
        ['Salesforce', 'authorization_code', 'perUser', 'client_secret_basic'],
        ['Billing', 'client_credentials', 'shared', 'private_key_jwt'],
      ],
    );
    assert.equal(manifest.connections![0].pkce, true);
    assert.deepEqual(manifest.connections![0].provider, { issuer: 'https://login.salesforce.com' });
    const outputs = Object.entries(tf.output ?? {}).filter(([id]) => id.endsWith('-consent-url'));
    assert.equal(outputs.length, 1, 'only authorization_code connections have a consent URL');
    assert.match(
      (outputs[0][1] as { value: string }).value,
      /\/connections\/Salesforce\/connect\?link=<signed link: oauth-registry connect Salesforce>$/,
    );
    assert.ok(Testing.synth(stack).length > 0);
  });

  it('a registry without connections creates no connections function and no manifest entry', () => {
    const { stack: plain, registry: r } = fixture();
    const json = synthJson(plain);
    assert.equal(Object.keys(resources(json, 'aws_lambda_alias')).length, 0);
    assert.ok(!Object.keys(resources(json, 'aws_lambda_function')).some((id) => id.includes('Connections')));
    assert.equal(r.manifest().connections, undefined);
  });
});

describe('ThirdPartyConnection write-only credentials', () => {
  it('writes the secret from a variable with secret_string_wo: only the ${var.…} reference is in cdk.tf.json', () => {
    const f = fixture({ namePrefix: 'reg' });
    const variable = new TerraformVariable(f.stack, 'crm_credentials', { type: 'string', sensitive: true });
    const crm = f.registry.addConnection('Crm', {
      provider: Provider.discover('https://idp.example'),
      credentials: ConnectionCredentials.writeOnly({ value: variable.stringValue, version: 3 }),
    });
    const tf = synthJson(f.stack);
    const [version, ...others] = Object.values<any>(resources(tf, 'aws_secretsmanager_secret_version'));
    assert.equal(others.length, 0);
    assert.deepEqual(version, {
      secret_id: `\${aws_secretsmanager_secret.${crm.credentialsSecret.friendlyUniqueId}.id}`,
      secret_string_wo: '${var.crm_credentials}',
      secret_string_wo_version: 3,
    });
    assert.equal(tf.variable.crm_credentials.sensitive, true);
    assert.deepEqual(findSecretValues(tf), []);
  });

  it('refuses a literal value at synth, without showing it', () => {
    assert.throws(
      () => ConnectionCredentials.writeOnly({ value: '{"client_id":"a","client_secret":"s3cr3t"}', version: 1 }),
      (err: Error) =>
        /value must be a reference such as a sensitive TerraformVariable's stringValue, got a literal string \(42 characters, not shown\): it would be written to cdktf\.out/.test(
          err.message,
        ) && !err.message.includes('s3cr3t'),
    );
    assert.throws(
      () => ConnectionCredentials.writeOnly({ value: new TerraformVariable(fixture().stack, 'v', {}).stringValue, version: 0 }),
      /version must be a positive integer, got 0/,
    );
  });
});

describe('ThirdPartyConnection validation', () => {
  const discover = Provider.discover('https://idp.example');
  const cases: [string, () => unknown, RegExp][] = [
    [
      'an id that is not a path segment',
      () => fixture().registry.addConnection('My Conn', { provider: discover }),
      /must match .* got "My Conn"/,
    ],
    ['the reserved id link-key', () => fixture().registry.addConnection('link-key', { provider: discover }), /not be "link-key"/],
    [
      'a plain-http provider',
      () => Provider.discover('http://idp.example'),
      /must be https \(or http on 127\.0\.0\.1\), got "http:\/\/idp\.example"/,
    ],
    ['a provider URL with a fragment', () => Provider.endpoints({ tokenEndpoint: 'https://x.example/token#a' }), /no fragment/],
    [
      'a declared issuer that is not https',
      () => Provider.endpoints({ tokenEndpoint: 'https://x.example/token', issuer: 'http://x.example' }),
      /Provider\.endpoints: issuer must be https/,
    ],
    [
      'client_credentials per user',
      () =>
        fixture().registry.addConnection('C', {
          provider: discover,
          grant: ConnectionGrant.clientCredentials(),
          mode: ConnectionMode.PER_USER,
        }),
      /mode must be ConnectionMode\.SHARED, got PER_USER/,
    ],
    [
      'authorization_code without an authorization endpoint',
      () => fixture().registry.addConnection('C', { provider: Provider.endpoints({ tokenEndpoint: 'https://x.example/token' }) }),
      /needs the provider's authorizationEndpoint/,
    ],
    [
      'a reserved authorization parameter',
      () => fixture().registry.addConnection('C', { provider: discover, authorizationParams: { state: 'x' } }),
      /must not set "state"/,
    ],
    [
      'a reserved token parameter',
      () => fixture().registry.addConnection('C', { provider: discover, tokenParams: { grant_type: 'x' } }),
      /must not set "grant_type"/,
    ],
    [
      'an invalid scope',
      () => fixture().registry.addConnection('C', { provider: discover, scopes: ['a b'] }),
      /not a valid RFC 6749 scope-token/,
    ],
    [
      'grantProxyAccess without apiBaseUrl',
      () => {
        const f = fixture();
        f.registry.addExternalClient('Caller', { scopes: ['x'] });
        const route = f.registry.addRoute('GET /v1/x', { handler: { entry: 'lambdas/examples/hello.ts' }, scopes: ['x'] });
        f.registry.addConnection('C', { provider: discover }).grantProxyAccess(route);
      },
      /connection "C": grantProxyAccess needs apiBaseUrl/,
    ],
    [
      'an apiBaseUrl with a query',
      () => fixture().registry.addConnection('C', { provider: discover, apiBaseUrl: 'https://api.example/v1?x=1' }),
      /must have no query/,
    ],
  ];
  for (const [name, run, message] of cases) {
    it(`fails on ${name}`, () => assert.throws(run, message));
  }
});
