/** Synth of user-delegated access: upstream secret, routes, IAM, client options and their validation. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { GrantType, OAuthScope, UserAuthentication } from '../../lib';
import { fixture, policyOf, resource, resources, synthJson } from './helpers';

const userAuthentication = UserAuthentication.oidc({ issuer: 'https://login.example.com', clientId: 'registry' });
const webOptions = {
  grantTypes: [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN],
  scopes: [OAuthScope.custom('incidents.read')],
  redirectUris: ['https://app.example.com/cb', 'http://127.0.0.1:4000/cb'],
};

describe('user-delegated access (synth)', () => {
  it('creates a valueless upstream secret the authorization server alone may read, and its env', () => {
    const { stack, registry } = fixture({ userAuthentication });
    registry.addExternalClient('Web', webOptions);
    const tf = synthJson(stack);
    const secret = resource(tf, 'aws_secretsmanager_secret', 'UserAuthenticationSecret');
    assert.equal(secret.name, 'registry/user-authentication');
    assert.deepEqual(resources(tf, 'aws_secretsmanager_secret_version'), {});
    const statements = policyOf(tf, 'AuthorizationServer').Statement;
    assert.ok(statements.find((s) => s.Sid === 'ReadOwnSecrets')!.Resource.some((r) => String(r).includes('UserAuthenticationSecret')));
    assert.deepEqual(statements.find((s) => s.Sid === 'ReadOwnTableItems')!.Action, ['dynamodb:GetItem']);
    const writes = statements.find((s) => s.Sid === 'WriteOwnTableItems')!;
    assert.deepEqual(writes.Action, ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem']);
    const decrypt = statements.find((s) => s.Sid === 'DecryptOwnSecrets')!.Condition.StringLike['kms:EncryptionContext:SecretARN'];
    assert.ok(
      decrypt.some((r: string) => r.includes('UserAuthenticationSecret')),
      'Secrets Manager decrypts the upstream secret',
    );
    assert.ok(
      !policyOf(tf, 'RotationFunction').Statement.some((s) => s.Resource.some((r) => String(r).includes('UserAuthenticationSecret'))),
    );
    const env = resource(tf, 'aws_lambda_function', 'AuthorizationServer').environment.variables;
    assert.equal(env.OAUTH_USER_AUTH_ISSUER, 'https://login.example.com');
    assert.equal(env.OAUTH_USER_AUTH_SECRET_ID, 'registry/user-authentication');
    assert.equal(env.OAUTH_GRANT_TYPES_SUPPORTED, 'authorization_code refresh_token');
  });

  it('routes the new endpoints, the internal introspection one with AWS_IAM', () => {
    const { stack } = fixture({ userAuthentication });
    const tf = synthJson(stack);
    const routes = Object.values(resources(tf, 'aws_apigatewayv2_route')) as Array<{ route_key: string; authorization_type?: string }>;
    for (const key of [
      'GET /oauth2/authorize',
      'GET /oauth2/callback',
      'GET /oauth2/consent',
      'POST /oauth2/consent',
      'POST /oauth2/revoke',
      'POST /oauth2/introspect',
    ]) {
      assert.equal(routes.find((r) => r.route_key === key)?.authorization_type, undefined, key);
    }
    assert.equal(routes.find((r) => r.route_key === 'POST /internal/introspect')?.authorization_type, 'AWS_IAM');
  });

  it('grantIntrospection: one execute-api:Invoke statement on the internal route ARN', () => {
    const { stack, registry } = fixture();
    const role = new IamRole(stack, 'Service', { assumeRolePolicy: '{}' });
    registry.grantIntrospection(role);
    const policy = JSON.parse(resource(synthJson(stack), 'aws_iam_role_policy', 'IntrospectionGrant').policy);
    assert.equal(policy.Statement.length, 1);
    assert.deepEqual(policy.Statement[0].Action, ['execute-api:Invoke']);
    assert.equal(policy.Statement[0].Resource.length, 1);
    assert.match(policy.Statement[0].Resource[0], /\/\*\/POST\/internal\/introspect$/);
  });

  it('a public client gets no secret and authenticates with none', () => {
    const { stack, registry } = fixture({ userAuthentication });
    const app = registry.addExternalClient('App', { ...webOptions, publicClient: true });
    assert.equal(app.secret, undefined);
    assert.equal(app.registration.authMethod, 'none');
    assert.equal(app.registration.secretId, undefined);
    const tf = synthJson(stack);
    assert.deepEqual(
      Object.keys(resources(tf, 'aws_secretsmanager_secret_rotation')).filter((id) => id.includes('App')),
      [],
    );
  });

  it('fails at synth on authorization_code without redirectUris, without userAuthentication, and bad redirect URIs', () => {
    assert.throws(
      () => fixture({ userAuthentication }).registry.addExternalClient('A', { ...webOptions, redirectUris: [] }),
      /needs redirectUris, got \[\]/,
    );
    assert.throws(() => fixture().registry.addExternalClient('A', webOptions), /needs userAuthentication on the registry/);
    for (const uri of ['http://app.example.com/cb', 'https://app.example.com/cb#x', 'app://cb']) {
      assert.throws(
        () => fixture({ userAuthentication }).registry.addExternalClient('A', { ...webOptions, redirectUris: [uri] }),
        new RegExp(`got "${uri.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"`),
      );
    }
    assert.throws(
      () =>
        fixture({ userAuthentication }).registry.addExternalClient('A', {
          ...webOptions,
          grantTypes: [GrantType.CLIENT_CREDENTIALS],
          publicClient: true,
          redirectUris: undefined,
        }),
      /cannot use client_credentials/,
    );
  });

  it('refuses an idle refresh lifetime over the absolute one, the default standing in for the one left unset', () => {
    const client = (lifetimes: object) => () =>
      fixture({ userAuthentication }).registry.addExternalClient('A', { ...webOptions, ...lifetimes });
    // 100 days idle against the default absolute lifetime (90 days).
    assert.throws(
      client({ refreshTokenIdleTtlSecs: 100 * 86_400 }),
      /refreshTokenIdleTtlSecs \(8640000\) must not exceed refreshTokenAbsoluteTtlSecs \(7776000, the default\)/,
    );
    // The default idle lifetime (14 days) against a 1-day absolute lifetime.
    assert.throws(
      client({ refreshTokenAbsoluteTtlSecs: 86_400 }),
      /refreshTokenIdleTtlSecs \(1209600, the default\) must not exceed refreshTokenAbsoluteTtlSecs \(86400\)/,
    );
    assert.throws(client({ refreshTokenIdleTtlSecs: 7200, refreshTokenAbsoluteTtlSecs: 3600 }), /\(7200\) must not exceed .*\(3600\)/);
    assert.doesNotThrow(client({ refreshTokenIdleTtlSecs: 90 * 86_400 }));
    assert.doesNotThrow(client({ refreshTokenAbsoluteTtlSecs: 14 * 86_400 }));
    assert.doesNotThrow(client({}));
  });
});
