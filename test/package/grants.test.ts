/** Grants in one shape: a route, a registry function, an IamRole, a role's name or ARN; each returns what it created. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { ConnectionMode, OAuthRegistry, Provider, type ThirdPartyConnection } from 'oauth-registry';
import { roleNameOf } from '../../lib/grant';
import { TOKEN_ACCESS_HANDLER_TIMEOUT_SECS } from '../../lib/private/connections-infra';
import { resolveTokens } from '../../lib/private/resolve';
import { fixture, policyOf, resource, resources, synthJson } from '../lib/helpers';

const hello = { entry: 'lambdas/examples/hello.ts' };

function withConnection(): ReturnType<typeof fixture> & { crm: ThirdPartyConnection } {
  const f = fixture({ namePrefix: 'reg' });
  f.registry.addExternalClient('Partner', { scopes: ['accounts.read'] }); // so a route on accounts.read can be called
  const crm = f.registry.addConnection('Crm', {
    provider: Provider.discover('https://login.example.com'),
    mode: ConnectionMode.PER_USER,
    apiBaseUrl: 'https://api.example.com/v1',
  });
  f.registry.addConnection('Other', { provider: Provider.discover('https://other.example.com'), apiBaseUrl: 'https://other.example.com' });
  return { ...f, crm };
}

const ALIAS_ARN = /^\$\{aws_lambda_alias\.Registry_Crm_BrokerAlias_[A-F0-9]+\.arn\}$/;
const CRM_PROXY = /^\$\{aws_apigatewayv2_api\.Registry_Api_[A-F0-9]+\.execution_arn\}\/\*\/\*\/connections\/Crm\/proxy\/\*$/;

describe('grants for any principal', () => {
  it("grantTokenAccess(someIamRole) and grantProxyAccess(someIamRole): a policy on that role, this connection's alias and route only", () => {
    const { stack, crm } = withConnection();
    const role = new IamRole(stack, 'Service', { name: 'my-service', assumeRolePolicy: '{}' });
    const tokens = crm.grantTokenAccess(role);
    const proxy = crm.grantProxyAccess(role);
    const tf = synthJson(stack);
    const tokenPolicy = resource(tf, 'aws_iam_role_policy', 'Crm_TokenAccess');
    assert.match(tokenPolicy.role, /aws_iam_role\.Service\.name/);
    assert.match(tokenPolicy.name, /^reg-\$\{data\.aws_region\.\w+\.\w+\}-Crm-tokens$/);
    const [invoke, ...noMore] = JSON.parse(tokenPolicy.policy).Statement;
    assert.deepEqual(noMore, []);
    assert.deepEqual(invoke.Action, ['lambda:InvokeFunction']);
    assert.equal(invoke.Resource.length, 1);
    assert.match(invoke.Resource[0], ALIAS_ARN);
    const proxyPolicy = resource(tf, 'aws_iam_role_policy', 'Crm_ProxyAccess');
    const [call, ...none] = JSON.parse(proxyPolicy.policy).Statement;
    assert.deepEqual(none, []);
    assert.deepEqual(call.Action, ['execute-api:Invoke']);
    assert.deepEqual(call.Resource.length, 1);
    assert.match(call.Resource[0], CRM_PROXY);
    // What the grants return: the statement, the policy created, and the environment the role's code must set.
    assert.deepEqual(tokens.statement.actions, ['lambda:InvokeFunction']);
    assert.deepEqual(Object.keys(tokens.environment), ['OAUTH_CONNECTIONS_FUNCTION']);
    assert.match(
      String(resolveTokens(stack, tokens.environment.OAUTH_CONNECTIONS_FUNCTION)),
      /Connections_Function_[A-Z0-9]+\.function_name/,
    );
    assert.deepEqual(Object.keys(proxy.environment), ['OAUTH_ISSUER']);
    assert.match(proxy.policy.node.path, /Crm\/ProxyAccess[A-F0-9]{8}$/);
  });

  it('a role by ARN or by name gets its own policy; a role name is read from the ARN', () => {
    const { stack, crm, registry } = withConnection();
    crm.grantTokenAccess('arn:aws:iam::123456789012:role/service-role/ecs-task');
    crm.grantProxyAccess('plain-role');
    const introspection = registry.grantIntrospection('arn:aws:iam::123456789012:role/introspector');
    assert.equal(introspection.roleName, 'introspector');
    const tf = synthJson(stack);
    assert.equal(resource(tf, 'aws_iam_role_policy', 'Crm_TokenAccess').role, 'ecs-task');
    assert.equal(resource(tf, 'aws_iam_role_policy', 'Crm_ProxyAccess').role, 'plain-role');
    assert.equal(resource(tf, 'aws_iam_role_policy', 'IntrospectionGrant').role, 'introspector');
    assert.equal(roleNameOf('arn:aws-cn:iam::123456789012:role/a/b/c'), 'c');
    assert.throws(() => roleNameOf('arn:aws:iam::123456789012:user/alice'), /must be a role's name or ARN/);
    assert.throws(() => roleNameOf('not a role'), /must be a role's name or ARN/);
    assert.throws(() => crm.grantTokenAccess('plain-role') && crm.grantTokenAccess('plain-role'), /already granted to "plain-role"/);
  });

  it('the old shapes still work: a route and a registry function get the statement in their own inline policy', () => {
    const { stack, crm, registry } = withConnection();
    const route = registry.addRoute('GET /v1/accounts', { handler: hello, scopes: ['accounts.read'] });
    const grant = crm.grantTokenAccess(route);
    crm.grantProxyAccess(route);
    crm.grantTokenAccess(registry.rotationFunction);
    assert.equal(grant.policy, route.handler.policy);
    const tf = synthJson(stack);
    for (const fn of ['GetV1Accounts_Handler', 'RotationFunction']) {
      const invoke = policyOf(tf, fn).Statement.filter((s) => s.Action.includes('lambda:InvokeFunction'));
      assert.equal(invoke.length, 1, fn);
      assert.match(invoke[0].Resource[0], ALIAS_ARN);
    }
    const proxy = policyOf(tf, 'GetV1Accounts_Handler').Statement.filter((s) => s.Action.includes('execute-api:Invoke'));
    assert.equal(proxy.length, 1);
    assert.match(proxy[0].Resource[0], CRM_PROXY);
    const handler = resource(tf, 'aws_lambda_function', 'GetV1Accounts_Handler');
    assert.match(handler.environment.variables.OAUTH_CONNECTIONS_FUNCTION, /Connections_Function_[A-Z0-9]+\.function_name/);
    assert.match(handler.environment.variables.OAUTH_ISSUER, /aws_apigatewayv2_api\.Registry_Api_[A-Z0-9]+\.api_endpoint/);
    assert.equal(handler.timeout, TOKEN_ACCESS_HANDLER_TIMEOUT_SECS, 'raised for a token renewal');
    // No extra policy resource for grantees we deploy.
    assert.deepEqual(
      Object.keys(resources(tf, 'aws_iam_role_policy')).filter((id) => /TokenAccess|ProxyAccess/.test(id)),
      [],
    );
  });

  it('grantIntrospection(IamRole) keeps the resource id it always had (no replacement on upgrade), scoped to the route', () => {
    const { stack, registry } = fixture();
    const role = new IamRole(stack, 'Service', { assumeRolePolicy: '{}' });
    const grant = registry.grantIntrospection(role);
    const policy = resource(synthJson(stack), 'aws_iam_role_policy', 'IntrospectionGrant');
    assert.match(policy.role, /aws_iam_role\.Service\.name/);
    const [statement, ...others] = JSON.parse(policy.policy).Statement;
    assert.equal(others.length, 0);
    assert.deepEqual([statement.Sid, statement.Action, statement.Resource.length], ['IntrospectTokens', ['execute-api:Invoke'], 1]);
    assert.match(statement.Resource[0], /execution_arn\}\/\*\/POST\/internal\/introspect$/);
    assert.deepEqual(grant.statement.actions, ['execute-api:Invoke']);
    assert.ok(registry instanceof OAuthRegistry);
  });
});
