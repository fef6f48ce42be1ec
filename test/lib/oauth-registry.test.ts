import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { Testing } from 'cdktf';
import { getToHaveResourceWithProperties } from 'cdktf/lib/testing/matchers';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, clientItemKey } from '../../lambdas/shared/manifest';
import { ENV } from '../../lambdas/shared/names';
import { ClientAuth, OAuthScope } from '../../lib';
import { fixture, resource, resources, synthJson } from './helpers';

const toHave = getToHaveResourceWithProperties();
function assertHas(synth: string, type: { tfResourceType: string }, props: Record<string, unknown>): void {
  const result = toHave(synth, type, props);
  assert.ok(result.pass, result.message);
}

function exampleStack() {
  const f = fixture({ namePrefix: 'acme-auth', logRetentionDays: 90 });
  f.registry.addExternalClient('Partner', {
    scopes: [OAuthScope.custom('incidents.read'), 'incidents.write'],
    authMethod: ClientAuth.CLIENT_SECRET_POST,
    audience: 'https://api.example.com',
    description: 'Partner app',
  });
  f.registry.addExternalClient('Reporter', { scopes: ['incidents.read'], clientId: 'reporter-1', secretRotationDays: 30 });
  f.registry.addRoute('GET /v1/incidents', {
    handler: { entry: 'lambdas/examples/hello.ts', memorySizeMb: 512, timeoutSecs: 5 },
    scopes: ['incidents.read'],
  });
  return { ...f, synth: Testing.synth(f.stack, true) };
}

describe('OAuthRegistry', () => {
  const { synth, registry } = exampleStack();
  const tf = JSON.parse(synth);

  it('creates a KMS key with rotation', () => {
    assertHas(synth, KmsKey, { enable_key_rotation: true });
  });

  it('creates a DynamoDB table with TTL, PITR and SSE with the key', () => {
    assertHas(synth, DynamodbTable, {
      name: 'acme-auth-registry',
      billing_mode: 'PAY_PER_REQUEST',
      hash_key: 'pk',
      attribute: [{ name: 'pk', type: 'S' }],
      ttl: { attribute_name: 'expiresAt', enabled: true },
      point_in_time_recovery: { enabled: true },
    });
    const table = resource(tf, 'aws_dynamodb_table', 'Registry_Table');
    assert.equal(table.server_side_encryption.enabled, true);
    assert.match(table.server_side_encryption.kms_key_arn, /^\$\{aws_kms_key\.Registry_Key_\w+\.arn\}$/);
  });

  it('creates an HTTP API with a $default stage, JSON access logs and throttling', () => {
    assert.equal(resource(tf, 'aws_apigatewayv2_api', 'Registry_Api').protocol_type, 'HTTP');
    assertHas(synth, Apigatewayv2Stage, {
      name: '$default',
      auto_deploy: true,
      default_route_settings: { throttling_burst_limit: 100, throttling_rate_limit: 50 },
    });
    const stage = resource(tf, 'aws_apigatewayv2_stage', 'DefaultStage');
    assert.match(stage.access_log_settings.destination_arn, /aws_cloudwatch_log_group\.Registry_AccessLogs_\w+\.arn/);
    const format = JSON.parse(stage.access_log_settings.format);
    for (const key of ['requestId', 'ip', 'routeKey', 'status']) assert.ok(format[key], `access log lacks ${key}`);
    assert.doesNotMatch(stage.access_log_settings.format, /authorization/i);
    assert.equal(resource(tf, 'aws_cloudwatch_log_group', 'AccessLogs').retention_in_days, 90);
  });

  it('creates the signing-key secret, tagged, with a scheduled rotation (the bootstrap sets its value) and no value', () => {
    assertHas(synth, SecretsmanagerSecret, { name: 'acme-auth/signing-key', tags: { [SECRET_KIND_TAG]: 'signing-key' } });
    const rotation = resource(tf, 'aws_secretsmanager_secret_rotation', 'SigningKeyRotation');
    assert.equal(rotation.rotate_immediately, false);
    assert.equal(rotation.rotation_rules.automatically_after_days, 30);
    assert.match(rotation.rotation_lambda_arn, /aws_lambda_function\.Registry_RotationFunction_\w+\.arn/);
    assert.deepEqual(resources(tf, 'aws_secretsmanager_secret_version'), {});
    assert.equal(resource(tf, 'aws_secretsmanager_secret', 'SigningKey').secret_string, undefined);
  });

  it('lets Secrets Manager invoke the rotation function, in this account only', () => {
    const permission = resource(tf, 'aws_lambda_permission', 'RotationPermission');
    assert.equal(permission.principal, 'secretsmanager.amazonaws.com');
    assert.match(permission.source_account, /data\.aws_caller_identity/);
  });

  it('runs every function on nodejs22.x arm64 with memory, timeout, hash and a log group with retention', () => {
    const functions = resources(tf, 'aws_lambda_function');
    assert.equal(Object.keys(functions).length, 3);
    for (const [id, fn] of Object.entries<any>(functions)) {
      assert.equal(fn.runtime, 'nodejs22.x', id);
      assert.deepEqual(fn.architectures, ['arm64'], id);
      assert.ok(Number.isInteger(fn.memory_size) && Number.isInteger(fn.timeout), id);
      assert.match(fn.source_code_hash, /^[A-Za-z0-9+/]{43}=$/, id);
      assert.match(fn.filename, /\.zip$/, id);
      const logGroup = resource(tf, 'aws_cloudwatch_log_group', id.replace(/_[0-9A-F]{8}$/, '_LogGroup'));
      assert.equal(logGroup.name, `/aws/lambda/${fn.function_name}`);
      assert.equal(logGroup.retention_in_days, 90);
      assert.ok(
        fn.depends_on.some((d: string) => d.startsWith('aws_cloudwatch_log_group.')),
        id,
      );
    }
    const handler = resource(tf, 'aws_lambda_function', 'GetV1Incidents_Handler');
    assert.equal(handler.memory_size, 512);
    assert.equal(handler.timeout, 5);
  });

  it("runs a route's handler on x86_64 only when it says so (a native module), and refuses another architecture", () => {
    const g = fixture();
    g.registry.addExternalClient('Acme', { scopes: ['a'] });
    const entry = 'lambdas/examples/hello.ts';
    g.registry.addRoute('GET /v1/native', { handler: { entry, architecture: 'x86_64' }, scopes: ['a'] });
    g.registry.addRoute('GET /v1/plain', { handler: { entry }, scopes: ['a'] });
    const out = synthJson(g.stack);
    assert.deepEqual(resource(out, 'aws_lambda_function', 'GetV1Native_Handler').architectures, ['x86_64']);
    assert.deepEqual(resource(out, 'aws_lambda_function', 'GetV1Plain_Handler').architectures, ['arm64']);
    assert.deepEqual(resource(out, 'aws_lambda_function', 'Registry_AuthorizationServer_').architectures, ['arm64']);
    assert.throws(
      () => fixture().registry.addRoute('GET /v1/odd', { handler: { entry, architecture: 'ppc64' as never }, scopes: ['a'] }),
      /architecture must be one of arm64, x86_64, got "ppc64"/,
    );
  });

  it('configures the authorization server from ENV, with the scopes of every client', () => {
    const env = resource(tf, 'aws_lambda_function', 'Registry_AuthorizationServer_').environment.variables;
    assert.match(env[ENV.ISSUER], /aws_apigatewayv2_api\.Registry_Api_\w+\.api_endpoint/);
    assert.match(env[ENV.TABLE_NAME], /aws_dynamodb_table\.Registry_Table_\w+\.name/);
    assert.match(env[ENV.SIGNING_KEY_SECRET_ID], /aws_secretsmanager_secret\.Registry_SigningKey_\w+\.name/);
    assert.equal(env[ENV.SECRET_OVERLAP_SECS], '86400');
    assert.equal(env[ENV.SCOPES_SUPPORTED], 'incidents.read incidents.write');
    assert.equal(env[ENV.CACHE_TTL_SECS], '60');
    assert.equal(env[ENV.AUDIENCE], undefined);
  });

  it('routes the token endpoint, discovery and JWKS to the authorization server', () => {
    const integration = resource(tf, 'aws_apigatewayv2_integration', 'ServerIntegration');
    assert.equal(integration.integration_type, 'AWS_PROXY');
    assert.equal(integration.payload_format_version, '2.0');
    const routeKeys = Object.values<any>(resources(tf, 'aws_apigatewayv2_route'))
      .filter((r) => r.authorization_type === undefined)
      .map((r) => r.route_key)
      .sort();
    assert.deepEqual(routeKeys, [
      'GET /.well-known/jwks.json',
      'GET /.well-known/oauth-authorization-server',
      'GET /.well-known/openid-configuration',
      'GET /oauth2/authorize',
      'GET /oauth2/callback',
      'GET /oauth2/consent',
      'POST /oauth2/consent',
      'POST /oauth2/introspect',
      'POST /oauth2/revoke',
      'POST /oauth2/token',
    ]);
    const permission = resource(tf, 'aws_lambda_permission', 'ServerInvokePermission');
    assert.equal(permission.principal, 'apigateway.amazonaws.com');
    assert.match(permission.source_arn, /^\$\{aws_apigatewayv2_api\.Registry_Api_\w+\.execution_arn\}\/\*\/\*$/);
  });

  it("creates a JWT authorizer for our issuer with the registry audience only, not the clients' own", () => {
    assertHas(synth, Apigatewayv2Authorizer, {
      authorizer_type: 'JWT',
      identity_sources: ['$request.header.Authorization'],
    });
    const jwt = resource(tf, 'aws_apigatewayv2_authorizer', 'Authorizer').jwt_configuration;
    assert.match(jwt.issuer, /api_endpoint/);
    assert.deepEqual(jwt.audience, [jwt.issuer]);
  });

  it('protects routes with the JWT authorizer and their scopes', () => {
    assertHas(synth, Apigatewayv2Route, {
      route_key: 'GET /v1/incidents',
      authorization_type: 'JWT',
      authorization_scopes: ['incidents.read'],
    });
    const route = resource(tf, 'aws_apigatewayv2_route', 'GetV1Incidents_');
    assert.match(route.authorizer_id, /aws_apigatewayv2_authorizer\.Registry_Authorizer_\w+\.id/);
    const permission = resource(tf, 'aws_lambda_permission', 'GetV1Incidents_InvokePermission');
    assert.match(permission.source_arn, /execution_arn\}\/\*\/GET\/v1\/incidents$/);
  });

  it('creates a secret, a scheduled rotation and a registration item per client', () => {
    const secret = resource(tf, 'aws_secretsmanager_secret', 'Partner_Secret');
    assert.equal(secret.name, 'acme-auth/clients/Partner');
    assert.equal(secret.tags[SECRET_KIND_TAG], 'client-secret');
    assert.equal(secret.tags[CLIENT_ID_TAG], registry.externalClients[0].clientId);
    assert.match(secret.kms_key_id, /aws_kms_key/);
    assert.equal(secret.secret_string, undefined);
    const rotation = resource(tf, 'aws_secretsmanager_secret_rotation', 'Reporter_SecretRotation');
    assert.equal(rotation.rotate_immediately, false);
    assert.equal(rotation.rotation_rules.automatically_after_days, 30);
    assert.ok(rotation.depends_on.some((d: string) => d.includes('RotationPermission')));

    const item = JSON.parse(resource(tf, 'aws_dynamodb_table_item', 'Reporter').item);
    assert.deepEqual(item.pk, { S: clientItemKey('reporter-1') });
    assert.deepEqual(JSON.parse(item.data.S), {
      name: 'Reporter',
      clientId: 'reporter-1',
      grantTypes: ['client_credentials'],
      authMethod: 'client_secret_basic',
      scopes: ['incidents.read'],
      accessTokenTtlSecs: 900,
      active: true,
      secretId: 'acme-auth/clients/Reporter',
      secretRotationDays: 30,
    });
    const partner = JSON.parse(JSON.parse(resource(tf, 'aws_dynamodb_table_item', 'Partner').item).data.S);
    assert.equal(partner.authMethod, 'client_secret_post');
    assert.equal(partner.audience, 'https://api.example.com');
  });

  it('generates a stable, URL-safe client id from the construct path', () => {
    const again = exampleStack().registry.externalClients[0];
    assert.equal(again.clientId, registry.externalClients[0].clientId);
    assert.match(again.clientId, /^[0-9a-f]{24}$/);
    assert.notEqual(registry.externalClients[0].clientId, fixture().registry.addExternalClient('Other', { scopes: ['a'] }).clientId);
  });

  it('outputs the issuer, token endpoint and JWKS URI', () => {
    const outputs = Object.values<any>(tf.output).map((o) => o.value);
    assert.ok(outputs.some((v) => /api_endpoint\}$/.test(v)));
    assert.ok(outputs.some((v) => /api_endpoint\}\/oauth2\/token$/.test(v)));
    assert.ok(outputs.some((v) => /api_endpoint\}\/\.well-known\/jwks\.json$/.test(v)));
  });

  it('uses the custom domain as issuer, with a domain name and an API mapping', () => {
    const f = fixture({ customDomain: { domainName: 'auth.example.com', certificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x' } });
    const custom = synthJson(f.stack);
    assert.equal(f.registry.issuer, 'https://auth.example.com');
    const domain = resource(custom, 'aws_apigatewayv2_domain_name', 'DomainName');
    assert.equal(domain.domain_name, 'auth.example.com');
    assert.equal(domain.domain_name_configuration.certificate_arn, 'arn:aws:acm:eu-west-1:1:certificate/x');
    assert.ok(resource(custom, 'aws_apigatewayv2_api_mapping', 'ApiMapping'));
    assert.equal(resource(custom, 'aws_apigatewayv2_authorizer', 'Authorizer').jwt_configuration.issuer, 'https://auth.example.com');
    assert.equal(f.registry.tokenEndpoint, 'https://auth.example.com/oauth2/token');
  });

  it('derives the name prefix from the id and applies defaults', () => {
    const f = fixture();
    assert.equal(f.registry.namePrefix, 'registry');
    assert.equal(f.registry.accessTokenTtlSecs, 900);
    assert.equal(f.registry.secretOverlapSecs, 86_400);
    const defaults = synthJson(f.stack);
    assert.equal(resource(defaults, 'aws_cloudwatch_log_group', 'AccessLogs').retention_in_days, 30);
  });

  it('sets the default audience in ENV and first in the authorizer when given', () => {
    const f = fixture({ audience: 'https://api.example.com', tags: { team: 'platform' } });
    const out = synthJson(f.stack);
    const env = resource(out, 'aws_lambda_function', 'Registry_AuthorizationServer_').environment.variables;
    assert.equal(env[ENV.AUDIENCE], 'https://api.example.com');
    assert.deepEqual(resource(out, 'aws_apigatewayv2_authorizer', 'Authorizer').jwt_configuration.audience, ['https://api.example.com']);
    assert.equal(resource(out, 'aws_dynamodb_table', 'Table').tags.team, 'platform');
    assert.equal(resource(out, 'aws_secretsmanager_secret', 'SigningKey').tags.team, 'platform');
  });
});
