/**
 * Deploy-readiness, proven on the synthesized Terraform JSON: the first `apply` converges (secrets get their first
 * value inside Terraform, authorizers come after their issuer answers), audiences are a boundary, a registry can be
 * redeployed in another region and destroyed, and outputs have stable names.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AnnotationMetadataEntryType, TerraformVariable, Testing } from 'cdktf';
import { synthSummary } from '../../bin/commands/synth';
import { DOCUMENT_LIMITS } from '../../lambdas/shared/bounded-fetch';
import { AWS_CALL_ALLOWANCE_MS, SIGN_IN_CALLBACK_BUDGET_MS } from '../../lambdas/shared/defaults';
import {
  ClientAuth,
  ConnectionCredentials,
  ConnectionGrant,
  ExternalClient,
  GrantType,
  Provider,
  ThirdPartyConnection,
  UserAuthentication,
} from '../../lib';
import {
  API_GATEWAY_TIMEOUT_SECS,
  BROKER_RENEWAL_BUDGET_SECS,
  TOKEN_ACCESS_HANDLER_TIMEOUT_SECS,
} from '../../lib/private/connections-infra';
import { addressOf, ancestorsOf, fixture, resource, resources, synthJson } from './helpers';

const hello = { entry: 'lambdas/examples/hello.ts' };
const customDomain = { domainName: 'auth.example.com', certificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x' };

/** The bootstrap invocation's input, its `${…name}` references mapped to the secrets' names. */
function bootstrapInput(tf: any): { action: string; secretIds: string[] } {
  const invocations = Object.values<any>(resources(tf, 'aws_lambda_invocation')).filter((i) => i.input.includes('"bootstrap"'));
  assert.equal(invocations.length, 1, 'one bootstrap invocation');
  const input = JSON.parse(invocations[0].input);
  const secrets = resources(tf, 'aws_secretsmanager_secret');
  return {
    ...input,
    secretIds: input.secretIds.map((id: string) => {
      const ref = /^\$\{aws_secretsmanager_secret\.([A-Za-z0-9_]+)\.name\}$/.exec(id);
      return ref ? secrets[ref[1]].name : id;
    }),
  };
}

describe('bootstrap of generated secrets', () => {
  it('invokes the rotation function once with every generated secret, and none an operator sets', () => {
    const f = fixture({ namePrefix: 'reg', userAuthentication: UserAuthentication.oidc({ issuer: 'https://idp.example', clientId: 'r' }) });
    f.registry.addExternalClient('Partner', { scopes: ['a'] });
    f.registry.addExternalClient('Keyed', { scopes: ['a'], authMethod: ClientAuth.privateKeyJwt({ jwksUri: 'https://k.example/jwks' }) });
    const web = { grantTypes: [GrantType.AUTHORIZATION_CODE], scopes: ['a'], redirectUris: ['https://app.example/cb'] };
    f.registry.addExternalClient('Public', { ...web, publicClient: true });
    f.registry.addConnection('Crm', { provider: Provider.discover('https://idp.example') });
    const tf = synthJson(f.stack);
    const invocation = resource(tf, 'aws_lambda_invocation', 'SecretBootstrap');
    assert.match(invocation.function_name, /^\$\{aws_lambda_function\.Registry_RotationFunction_\w+\.function_name\}$/);
    assert.equal(invocation.lifecycle_scope, 'CREATE_ONLY');
    assert.deepEqual(bootstrapInput(tf), {
      action: 'bootstrap',
      secretIds: ['reg/signing-key', 'reg/clients/Partner', 'reg/connections/link-key'],
      // Names where the public key ring goes: new in the input, so a registry deployed before it bootstraps once more
      // on upgrade and publishes its existing ring.
      publicKeyRing: 'jwks#signing-key',
    });
    // The rotation function finds the table it publishes to.
    const rotation = resource(tf, 'aws_lambda_function', 'Registry_RotationFunction');
    assert.match(rotation.environment.variables.OAUTH_TABLE_NAME, /^\$\{aws_dynamodb_table\.Registry_Table_\w+\.name\}$/);
    // The server's code (whose JWKS reads that ring) is deployed only after the bootstrap published it.
    const server = resource(tf, 'aws_lambda_function', 'Registry_AuthorizationServer');
    assert.ok(
      server.depends_on.some((d: string) => /^aws_lambda_invocation\.Registry_SecretBootstrap_\w+$/.test(d)),
      server.depends_on.join(', '),
    );
  });

  it('changes its input when a client is added, so the next apply bootstraps the new secret', () => {
    const before = fixture();
    before.registry.addExternalClient('A', { scopes: ['a'] });
    const after = fixture();
    after.registry.addExternalClient('A', { scopes: ['a'] });
    after.registry.addExternalClient('B', { scopes: ['a'] });
    const inputOf = (tf: any) => resource(tf, 'aws_lambda_invocation', 'SecretBootstrap').input;
    const [one, two] = [synthJson(before.stack), synthJson(after.stack)];
    assert.notEqual(inputOf(one), inputOf(two));
    assert.deepEqual(bootstrapInput(two).secretIds, ['registry/signing-key', 'registry/clients/A', 'registry/clients/B']);
  });

  it('rotates nothing at apply: every rotation has rotate_immediately = false and comes after the bootstrap', () => {
    const f = fixture();
    f.registry.addExternalClient('A', { scopes: ['a'] });
    f.registry.addConnection('Crm', { provider: Provider.discover('https://idp.example') });
    const tf = synthJson(f.stack);
    const bootstrap = addressOf(tf, 'aws_lambda_invocation', 'SecretBootstrap');
    const rotations = Object.entries<any>(resources(tf, 'aws_secretsmanager_secret_rotation'));
    assert.equal(rotations.length, 3);
    for (const [id, rotation] of rotations) {
      assert.equal(rotation.rotate_immediately, false, id);
      assert.ok(rotation.depends_on.includes(bootstrap), id);
      assert.ok(ancestorsOf(tf, `aws_secretsmanager_secret_rotation.${id}`).has(bootstrap), id);
    }
    // The bootstrap comes after the secrets and the function it invokes.
    const before = ancestorsOf(tf, bootstrap);
    for (const id of Object.keys(resources(tf, 'aws_secretsmanager_secret')).filter((s) => !s.includes('Crm_Credentials'))) {
      assert.ok(before.has(`aws_secretsmanager_secret.${id}`), id);
    }
    assert.ok(before.has(addressOf(tf, 'aws_iam_role_policy', 'RotationFunction_Policy')));
  });
});

describe('authorizers wait for their issuer', () => {
  const prerequisites = (tf: any, withDomain: boolean): string[] => [
    addressOf(tf, 'aws_lambda_invocation', 'SecretBootstrap'),
    addressOf(tf, 'aws_apigatewayv2_stage', 'DefaultStage'),
    addressOf(tf, 'aws_apigatewayv2_route', 'OpenIdConfigurationRoute'),
    addressOf(tf, 'aws_apigatewayv2_route', 'AuthorizationServerMetadataRoute'),
    addressOf(tf, 'aws_apigatewayv2_route', 'JwksRoute'),
    addressOf(tf, 'aws_apigatewayv2_integration', 'ServerIntegration'),
    addressOf(tf, 'aws_lambda_permission', 'ServerInvokePermission'),
    addressOf(tf, 'aws_lambda_function', 'Registry_AuthorizationServer_'),
    addressOf(tf, 'aws_secretsmanager_secret', 'SigningKey'),
    ...(withDomain
      ? [
          addressOf(tf, 'aws_apigatewayv2_api_mapping', 'ApiMapping'),
          addressOf(tf, 'aws_route53_record', 'DomainRecordA_'),
          addressOf(tf, 'aws_route53_record', 'DomainRecordAAAA'),
        ]
      : []),
  ];

  for (const withDomain of [false, true]) {
    it(`every authorizer descends from the bootstrap, stage, discovery and JWKS routes, server${withDomain ? ', domain' : ''}`, () => {
      const f = fixture(withDomain ? { customDomain: { ...customDomain, hostedZoneId: 'Z123' } } : {});
      f.registry.addExternalClient('Caller', { scopes: ['a'] }); // a route needs a client that can call it
      f.registry.addExternalClient('CallerB', { scopes: ['a'], audience: 'https://b.example.com' });
      f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] });
      f.registry.addRoute('GET /v1/b', { handler: hello, scopes: ['a'], audiences: ['https://b.example.com'] });
      const tf = synthJson(f.stack);
      const authorizers = Object.keys(resources(tf, 'aws_apigatewayv2_authorizer'));
      assert.equal(authorizers.length, 2);
      for (const id of authorizers) {
        const ancestors = ancestorsOf(tf, `aws_apigatewayv2_authorizer.${id}`);
        for (const prerequisite of prerequisites(tf, withDomain)) assert.ok(ancestors.has(prerequisite), `${id} before ${prerequisite}`);
      }
      // Created is not answering: the issuer check waits until the issuer serves discovery and a key, after all of it.
      const check = addressOf(tf, 'aws_lambda_invocation', 'IssuerCheck');
      assert.deepEqual(JSON.parse(resource(tf, 'aws_lambda_invocation', 'IssuerCheck').input).action, 'await-issuer');
      const checkAncestors = ancestorsOf(tf, check);
      for (const prerequisite of prerequisites(tf, withDomain)) assert.ok(checkAncestors.has(prerequisite), `check after ${prerequisite}`);
      for (const id of authorizers) assert.ok(ancestorsOf(tf, `aws_apigatewayv2_authorizer.${id}`).has(check), `${id} after the check`);
    });
  }
});

describe('audiences are a boundary', () => {
  it('a route accepts the registry audience only, whatever audiences clients have', () => {
    const f = fixture({ audience: 'https://incidents.example.com' });
    f.registry.addExternalClient('Other', { scopes: ['a'], audience: 'https://other-api.example.com' });
    f.registry.addExternalClient('Own', { scopes: ['a'] }); // a route needs a client that can call it
    const route = f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] });
    const tf = synthJson(f.stack);
    assert.deepEqual(
      Object.values<any>(resources(tf, 'aws_apigatewayv2_authorizer')).map((a) => a.jwt_configuration.audience),
      [['https://incidents.example.com']],
    );
    assert.match(
      resource(tf, 'aws_apigatewayv2_route', 'GetV1A_').authorizer_id,
      /aws_apigatewayv2_authorizer\.Registry_Authorizer_\w+\.id/,
    );
    assert.equal(route.registration.audiences, undefined);
    assert.equal(f.registry.manifest().routes[0]?.audiences, undefined);
  });

  it('without an audience prop, the default authorizer accepts the issuer only', () => {
    const f = fixture();
    f.registry.addExternalClient('Other', { scopes: ['a'], audience: 'https://other-api.example.com' });
    const jwt = resource(synthJson(f.stack), 'aws_apigatewayv2_authorizer', 'Authorizer').jwt_configuration;
    assert.deepEqual(jwt.audience, [jwt.issuer]);
  });

  it('a route naming audiences gets an authorizer for exactly them, shared by routes naming the same set', () => {
    const f = fixture({ namePrefix: 'reg' });
    f.registry.addExternalClient('Caller', { scopes: ['a'] }); // a route needs a client that can call it
    f.registry.addExternalClient('CallerB', { scopes: ['a'], audience: 'https://b.example.com' });
    f.registry.addExternalClient('CallerD', { scopes: ['a'], audience: 'https://d.example.com' });
    f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] });
    f.registry.addRoute('GET /v1/b', { handler: hello, scopes: ['a'], audiences: ['https://b.example.com', 'https://c.example.com'] });
    f.registry.addRoute('GET /v1/c', { handler: hello, scopes: ['a'], audiences: ['https://c.example.com', 'https://b.example.com'] });
    f.registry.addRoute('GET /v1/d', { handler: hello, scopes: ['a'], audiences: ['https://d.example.com'] });
    const tf = synthJson(f.stack);
    const authorizers = resources(tf, 'aws_apigatewayv2_authorizer');
    assert.equal(Object.keys(authorizers).length, 3);
    const idOf = (route: string) => /authorizer\.(\w+)\.id/.exec(resource(tf, 'aws_apigatewayv2_route', `${route}_`).authorizer_id)![1];
    assert.match(idOf('GetV1A'), /^Registry_Authorizer_[0-9A-F]+$/);
    assert.equal(idOf('GetV1B'), idOf('GetV1C'));
    assert.notEqual(idOf('GetV1B'), idOf('GetV1D'));
    assert.deepEqual(authorizers[idOf('GetV1B')].jwt_configuration.audience, ['https://b.example.com', 'https://c.example.com']);
    assert.deepEqual(authorizers[idOf('GetV1D')].jwt_configuration.audience, ['https://d.example.com']);
    assert.equal(new Set(Object.values<any>(authorizers).map((a) => a.name)).size, 3, 'names are unique in the API');
    assert.deepEqual(
      f.registry.manifest().routes.map((r) => r.audiences),
      [
        undefined,
        ['https://b.example.com', 'https://c.example.com'],
        ['https://c.example.com', 'https://b.example.com'],
        ['https://d.example.com'],
      ],
    );
  });

  it('derives the id of an audience set from the set: stable whatever else is declared', () => {
    const idFor = (extra: boolean) => {
      const f = fixture();
      if (extra) f.registry.addRoute('GET /v1/x', { handler: hello, scopes: ['a'], audiences: ['https://x.example.com'] });
      f.registry.addExternalClient('Caller', { scopes: ['a'], audience: 'https://y.example.com' }); // a route needs a client that can call it
      if (extra) f.registry.addExternalClient('CallerX', { scopes: ['a'], audience: 'https://x.example.com' });
      f.registry.addRoute('GET /v1/y', { handler: hello, scopes: ['a'], audiences: ['https://y.example.com'] });
      return resource(synthJson(f.stack), 'aws_apigatewayv2_route', 'GetV1Y_').authorizer_id;
    };
    assert.equal(idFor(false), idFor(true));
  });

  it('refuses an empty audience list or an empty audience', () => {
    const { registry } = fixture();
    assert.throws(
      () => registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'], audiences: [] }),
      /route "GET \/v1\/a": audiences must name at least one/,
    );
    assert.throws(
      () => registry.addRoute('GET /v1/b', { handler: hello, scopes: ['a'], audiences: [''] }),
      /audiences must be non-empty strings, got \[""\]/,
    );
  });
});

describe('redeploy and destroy', () => {
  const names = (tf: any) => Object.values<any>(resources(tf, 'aws_secretsmanager_secret')).map((s) => [s.name, s.recovery_window_in_days]);

  it('gives every secret the recovery window: 30 days by default, 0 or 7 to 30 when set', () => {
    const build = (recoveryWindowInDays?: number) => {
      const f = fixture({
        namePrefix: 'reg',
        recoveryWindowInDays,
        userAuthentication: UserAuthentication.oidc({ issuer: 'https://idp.example', clientId: 'r' }),
      });
      f.registry.addExternalClient('Partner', { scopes: ['a'] });
      f.registry.addConnection('Crm', { provider: Provider.discover('https://idp.example') });
      return synthJson(f.stack);
    };
    const expected = (days: number) =>
      ['reg/signing-key', 'reg/user-authentication', 'reg/clients/Partner', 'reg/connections/Crm', 'reg/connections/link-key'].map((n) => [
        n,
        days,
      ]);
    assert.deepEqual(names(build()).sort(), expected(30).sort());
    assert.deepEqual(names(build(0)).sort(), expected(0).sort());
    assert.deepEqual(names(build(7)).sort(), expected(7).sort());
    for (const bad of [1, 6, 31, 7.5, -1]) {
      assert.throws(
        () => fixture({ recoveryWindowInDays: bad }),
        new RegExp(`recoveryWindowInDays must be 0 .* or an integer between 7 and 30, got ${bad}`),
      );
    }
  });

  it('protects the table from deletion and keeps point-in-time recovery by default; both can be turned off', () => {
    const table = (props = {}) => resource(synthJson(fixture(props).stack), 'aws_dynamodb_table', 'Table');
    assert.equal(table().deletion_protection_enabled, true);
    assert.deepEqual(table().point_in_time_recovery, { enabled: true });
    const off = table({ deletionProtection: false, pointInTimeRecovery: false });
    assert.equal(off.deletion_protection_enabled, false);
    assert.deepEqual(off.point_in_time_recovery, { enabled: false });
  });

  it('with deletion protection, a destroy stops at the guard, before anything of the registry is deleted', () => {
    const f = fixture();
    f.registry.addExternalClient('Caller', { scopes: ['a'] });
    f.registry.addConnection('Crm', { provider: Provider.discover('https://idp.example') }); // declared after the guard
    // Parts created in another scope than the registry's are guarded too (their items, secrets, rotation, alias).
    new ExternalClient(f.stack, 'OutsideClient', { registry: f.registry, scopes: ['a'] });
    new ThirdPartyConnection(f.stack, 'OutsideCrm', { registry: f.registry, provider: Provider.discover('https://idp2.example') });
    const tf = synthJson(f.stack);
    const guard = resource(tf, 'aws_lambda_invocation', 'DestroyGuard');
    // Pinned: a refactor that changes the guard's address replaces it, which the guard refuses while protection is on.
    assert.equal(addressOf(tf, 'aws_lambda_invocation', 'DestroyGuard'), 'aws_lambda_invocation.Registry_DestroyGuard_861E9159');
    assert.equal(guard.lifecycle_scope, 'CRUD', 'invoked on destroy too');
    const table = addressOf(tf, 'aws_dynamodb_table', 'Table');
    assert.deepEqual(JSON.parse(guard.input), { action: 'guard-destroy', table: `\${${table}.name}`, deletionProtection: true });
    // Terraform destroys a resource only after everything that depends on it: the guard goes first.
    const guarded = ancestorsOf(tf, addressOf(tf, 'aws_lambda_invocation', 'DestroyGuard'));
    const mustWait = Object.entries<Record<string, unknown>>(tf.resource).flatMap(([type, byId]) =>
      Object.keys(byId).map((id) => `${type}.${id}`),
    );
    assert.ok(mustWait.length > 40, mustWait.join(', '));
    for (const address of mustWait) {
      if (!address.includes('DestroyGuard')) assert.ok(guarded.has(address), `${address} is destroyed after the guard`);
    }
    // No prevent_destroy: removing one client still works, and so do in-memory applies and destroys (terraform test).
    assert.equal(resource(tf, 'aws_dynamodb_table', 'Table').lifecycle, undefined);
    const off = resource(synthJson(fixture({ deletionProtection: false }).stack), 'aws_lambda_invocation', 'DestroyGuard');
    assert.equal(JSON.parse(off.input).deletionProtection, false);
  });

  it('names no account-global resource with a fixed name: IAM roles get a prefix AWS completes', () => {
    const f = fixture({ namePrefix: 'a-rather-long-registry-prefix-x' });
    f.registry.addExternalClient('Caller', { scopes: ['a'] }); // a route needs a client that can call it
    f.registry.addRoute('GET /v1/some/rather/long/path/{id}', { handler: hello, scopes: ['a'] });
    f.registry.addConnection('Crm', { provider: Provider.discover('https://idp.example') });
    const tf = synthJson(f.stack);
    const roles = Object.entries<any>(resources(tf, 'aws_iam_role'));
    assert.equal(roles.length, 4);
    for (const [id, role] of roles) {
      assert.equal(role.name, undefined, id);
      assert.ok(role.name_prefix.length <= 38 && role.name_prefix.endsWith('-'), `${id}: ${role.name_prefix}`);
      assert.ok(role.name_prefix.startsWith('a-rather-long'), id);
    }
    assert.equal(new Set(roles.map(([, r]) => r.name_prefix)).size, roles.length);
    // Account-global types this library could create: none may carry a literal name.
    for (const type of ['aws_iam_role', 'aws_iam_policy', 'aws_iam_user', 'aws_iam_instance_profile', 'aws_s3_bucket']) {
      for (const [id, r] of Object.entries<any>(resources(tf, type))) assert.equal(r.name ?? r.bucket, undefined, `${type}.${id}`);
    }
  });

  it('requires Terraform 1.11 when a connection writes write-only credentials, and only then', () => {
    const plain = fixture();
    plain.registry.addConnection('Crm', { provider: Provider.discover('https://idp.example') });
    assert.equal(synthJson(plain.stack).terraform.required_version, undefined);
    const f = fixture();
    const variable = new TerraformVariable(f.stack, 'crm', { type: 'string', sensitive: true });
    f.registry.addConnection('Crm', {
      provider: Provider.discover('https://idp.example'),
      credentials: ConnectionCredentials.writeOnly({ value: variable.stringValue, version: 1 }),
    });
    const tf = synthJson(f.stack);
    assert.equal(tf.terraform.required_version, '>= 1.11');
    assert.ok(tf.terraform.required_providers.aws, 'the provider requirement is kept');
  });
});

describe('custom domain', () => {
  it('outputs the target domain and zone, and creates A and AAAA alias records with a hosted zone', () => {
    const f = fixture({ namePrefix: 'reg', customDomain: { ...customDomain, hostedZoneId: 'Z123' } });
    const tf = synthJson(f.stack);
    const domain = addressOf(tf, 'aws_apigatewayv2_domain_name', 'DomainName');
    assert.equal(resource(tf, 'aws_apigatewayv2_domain_name', 'DomainName').domain_name_configuration.ip_address_type, 'dualstack');
    assert.equal(tf.output['reg-custom-domain-target'].value, `\${${domain}.domain_name_configuration[0].target_domain_name}`);
    assert.equal(tf.output['reg-custom-domain-hosted-zone-id'].value, `\${${domain}.domain_name_configuration[0].hosted_zone_id}`);
    const records = Object.values<any>(resources(tf, 'aws_route53_record'));
    assert.deepEqual(records.map((r) => r.type).sort(), ['A', 'AAAA']);
    for (const record of records) {
      assert.equal(record.zone_id, 'Z123');
      assert.equal(record.name, 'auth.example.com');
      assert.deepEqual(record.alias, {
        name: `\${${domain}.domain_name_configuration[0].target_domain_name}`,
        zone_id: `\${${domain}.domain_name_configuration[0].hosted_zone_id}`,
        evaluate_target_health: false,
      });
    }
  });

  it('creates no record without a hosted zone, and no domain output without a custom domain', () => {
    const withDomain = synthJson(fixture({ customDomain }).stack);
    assert.deepEqual(resources(withDomain, 'aws_route53_record'), {});
    assert.ok(withDomain.output['registry-custom-domain-target']);
    const plain = synthJson(fixture().stack);
    assert.ok(!Object.keys(plain.output).some((name) => name.includes('custom-domain')));
  });
});

describe('custom domain without a hosted zone: the first deploy is spelled out before apply', () => {
  const warningsOf = (f: ReturnType<typeof fixture>) =>
    f.registry.node.metadata.filter((m) => m.type === AnnotationMetadataEntryType.WARN).map((m) => String(m.data));

  it('synth warns with the exact steps: a targeted apply of the custom domain, the record to create, then the deploy', () => {
    const f = fixture({ namePrefix: 'reg', customDomain });
    const tf = synthJson(f.stack);
    const domain = addressOf(tf, 'aws_apigatewayv2_domain_name', 'DomainName');
    const [warning, ...others] = warningsOf(f).filter((w) => w.includes('hostedZoneId'));
    assert.equal(others.length, 0);
    assert.ok(warning?.includes(`terraform -chdir=cdktf.out/stacks/Test apply -target=${domain}\``), warning);
    assert.ok(warning.includes('create a CNAME record auth.example.com'), warning);
    assert.ok(warning.includes("aws apigatewayv2 get-domain-name --domain-name auth.example.com --query 'DomainNameConfigurations[0]"));
    assert.ok(warning.includes('`cdktf deploy Test`'), warning);
    // If the steps are skipped, the issuer check names the record to create, target included.
    const input = JSON.parse(resource(tf, 'aws_lambda_invocation', 'IssuerCheck').input);
    assert.deepEqual(input.dnsRecord, {
      name: 'auth.example.com',
      target: `\${${domain}.domain_name_configuration[0].target_domain_name}`,
    });
  });

  it("`npm run synth` prints the warning under its stack (cdktf's manifest keeps it)", () => {
    const app = Testing.app();
    fixture({ customDomain }, app);
    app.synth();
    const summary = synthSummary({ app: 'main.ts', outdir: app.outdir }, 0);
    assert.match(summary, /stack Test .*\n {4}! customDomain auth\.example\.com has no hostedZoneId/);
  });

  it('with a hosted zone, nothing to do by hand: no warning, and the check names no record', () => {
    const f = fixture({ customDomain: { ...customDomain, hostedZoneId: 'Z123' } });
    const tf = synthJson(f.stack);
    assert.deepEqual(warningsOf(f), []);
    assert.equal(JSON.parse(resource(tf, 'aws_lambda_invocation', 'IssuerCheck').input).dnsRecord, undefined);
  });
});

describe('outputs', () => {
  it('have stable names scripts can read', () => {
    const f = fixture({
      namePrefix: 'acme',
      userAuthentication: UserAuthentication.oidc({ issuer: 'https://idp.example', clientId: 'r' }),
    });
    const partner = f.registry.addExternalClient('Partner', { scopes: ['a'] });
    f.registry.addExternalClient('Job.v2', { scopes: ['a'], clientId: 'job-2' });
    f.registry.addRoute('GET /v1/incidents/{id}', { handler: hello, scopes: ['a'] });
    f.registry.addConnection('Salesforce', { provider: Provider.discover('https://login.salesforce.com') });
    f.registry.addConnection('Billing', {
      provider: Provider.endpoints({ tokenEndpoint: 'https://b.example/token' }),
      grant: ConnectionGrant.clientCredentials(),
    });
    const tf = synthJson(f.stack);
    assert.deepEqual(Object.keys(tf.output).sort(), [
      'acme-authorize-endpoint',
      'acme-client-Job_v2-id',
      'acme-client-Partner-id',
      'acme-connection-Salesforce-consent-url',
      'acme-connection-Salesforce-redirect-uri',
      'acme-issuer',
      'acme-jwks-uri',
      'acme-route-GetV1IncidentsId-url',
      'acme-token-endpoint',
      'acme-user-authentication-redirect-uri',
    ]);
    const value = (name: string) => tf.output[name].value as string;
    const issuer = value('acme-issuer');
    assert.match(issuer, /^\$\{aws_apigatewayv2_api\.Registry_Api_\w+\.api_endpoint\}$/);
    assert.equal(value('acme-token-endpoint'), `${issuer}/oauth2/token`);
    assert.equal(value('acme-jwks-uri'), `${issuer}/.well-known/jwks.json`);
    assert.equal(value('acme-authorize-endpoint'), `${issuer}/oauth2/authorize`);
    assert.equal(value('acme-user-authentication-redirect-uri'), `${issuer}/oauth2/callback`);
    assert.equal(value('acme-client-Partner-id'), partner.clientId);
    assert.equal(value('acme-client-Job_v2-id'), 'job-2');
    assert.equal(value('acme-route-GetV1IncidentsId-url'), `${issuer}/v1/incidents/{id}`);
    assert.match(value('acme-connection-Salesforce-consent-url'), /\/connections\/Salesforce\/connect\?link=/);
    assert.equal(value('acme-connection-Salesforce-redirect-uri'), `${issuer}/connections/Salesforce/callback`);
  });

  it('start with a letter or "_" even when the namePrefix starts with a digit', () => {
    const f = fixture({ namePrefix: '1password' });
    f.registry.addExternalClient('A', { scopes: ['a'] });
    const names = Object.keys(synthJson(f.stack).output);
    assert.ok(names.includes('_1password-issuer'), names.join());
    for (const name of names) assert.match(name, /^[A-Za-z_][A-Za-z0-9_-]*$/);
  });

  it('refuses two clients whose output names would be the same', () => {
    const f = fixture();
    f.registry.addExternalClient('a.b', { scopes: ['a'] });
    f.registry.addExternalClient('a_b', { scopes: ['a'] });
    assert.throws(
      () => Testing.synth(f.stack, true),
      /external clients "a.b" and "a_b" would both have the output "registry-client-a_b-id"/,
    );
  });
});

describe('a policy IAM accepts', () => {
  it('keeps Sids unique when two connections with similar names, or one grant twice, reach one role', () => {
    const f = fixture();
    f.registry.addExternalClient('Caller', { scopes: ['a'] });
    const route = f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] });
    const discover = Provider.discover('https://idp.example');
    f.registry.addConnection('my_conn', { provider: discover }).grantTokenAccess(route);
    f.registry.addConnection('myconn', { provider: discover }).grantTokenAccess(route);
    const tf = synthJson(f.stack);
    const policy = JSON.parse(resource(tf, 'aws_iam_role_policy', 'GetV1A_Handler').policy) as { Statement: { Sid?: string }[] };
    const sids = policy.Statement.map((s) => s.Sid).filter(Boolean);
    assert.equal(new Set(sids).size, sids.length, sids.join(', '));
    assert.equal(sids.filter((sid) => sid!.startsWith('GetTokensOf')).length, 2);
  });

  it('registers a client with a secret only after the bootstrap gave the secret its first value', () => {
    const f = fixture();
    f.registry.addExternalClient('Partner', { scopes: ['a'] });
    const tf = synthJson(f.stack);
    const item = addressOf(tf, 'aws_dynamodb_table_item', 'Partner');
    assert.ok(ancestorsOf(tf, item).has(addressOf(tf, 'aws_lambda_invocation', 'SecretBootstrap')));
  });
});

describe('function timeouts come from budgets', () => {
  it("the authorization server outlives its slowest request, the sign-in callback, and stays under API Gateway's 30 s", () => {
    // Upstream discovery, then the code exchange, each up to the document fetch's deadline, then the AWS calls.
    const fetches = 2 * DOCUMENT_LIMITS.timeoutMs;
    assert.equal(SIGN_IN_CALLBACK_BUDGET_MS, fetches + 7 * AWS_CALL_ALLOWANCE_MS);
    const f = fixture({ userAuthentication: UserAuthentication.oidc({ issuer: 'https://login.example.com', clientId: 'c' }) });
    const tf = synthJson(f.stack);
    const timeoutSecs: number = resource(tf, 'aws_lambda_function', 'AuthorizationServer').timeout;
    assert.ok(timeoutSecs * 1000 > SIGN_IN_CALLBACK_BUDGET_MS, `${timeoutSecs} s must cover ${SIGN_IN_CALLBACK_BUDGET_MS} ms`);
    assert.ok(timeoutSecs < API_GATEWAY_TIMEOUT_SECS, `${timeoutSecs} s must stay under API Gateway's ${API_GATEWAY_TIMEOUT_SECS} s`);
  });

  it("the connections function, behind the API too, stays a second under API Gateway's 30 s", () => {
    const f = fixture();
    f.registry.addConnection('Crm', { provider: Provider.discover('https://idp.example') });
    const tf = synthJson(f.stack);
    assert.equal(resource(tf, 'aws_lambda_function', 'Connections_Function').timeout, API_GATEWAY_TIMEOUT_SECS - 1);
  });
});

describe('handlers granted token access outlive a renewal', () => {
  const discover = Provider.discover('https://idp.example');

  it("budgets the broker honestly, and leaves a margin within API Gateway's 30 s", () => {
    assert.equal(BROKER_RENEWAL_BUDGET_SECS, 26.25);
    assert.ok(TOKEN_ACCESS_HANDLER_TIMEOUT_SECS > BROKER_RENEWAL_BUDGET_SECS);
    assert.equal(TOKEN_ACCESS_HANDLER_TIMEOUT_SECS, 29, "a second under API Gateway's 30 s, which counts its own time too");
  });

  it("raises a default handler timeout when the route is granted a connection's tokens", () => {
    const f = fixture();
    f.registry.addExternalClient('Caller', { scopes: ['a'] }); // a route needs a client that can call it
    const granted = f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] });
    f.registry.addRoute('GET /v1/b', { handler: hello, scopes: ['a'] });
    f.registry.addConnection('Crm', { provider: discover }).grantTokenAccess(granted);
    const tf = synthJson(f.stack);
    assert.equal(resource(tf, 'aws_lambda_function', 'GetV1A_Handler').timeout, TOKEN_ACCESS_HANDLER_TIMEOUT_SECS);
    assert.equal(resource(tf, 'aws_lambda_function', 'GetV1B_Handler').timeout, 10);
  });

  it('keeps an explicit timeout that covers the budget, and refuses a lower one naming both numbers', () => {
    const f = fixture();
    f.registry.addExternalClient('Caller', { scopes: ['a'] }); // a route needs a client that can call it
    const ok = f.registry.addRoute('GET /v1/a', { handler: { ...hello, timeoutSecs: 29 }, scopes: ['a'] });
    const low = f.registry.addRoute('GET /v1/b', { handler: { ...hello, timeoutSecs: 10 }, scopes: ['a'] });
    const crm = f.registry.addConnection('Crm', { provider: discover });
    crm.grantTokenAccess(ok);
    assert.throws(
      () => crm.grantTokenAccess(low),
      new RegExp(
        `route "GET /v1/b": handler.timeoutSecs is 10, but .* connection Crm needs at least ${TOKEN_ACCESS_HANDLER_TIMEOUT_SECS} .*26.25 s`,
      ),
    );
  });
});
