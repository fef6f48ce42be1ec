/**
 * `registry.addMcpServer` at synth: three routes behind an authorizer whose only audience is the server's URL, the RFC
 * 9728 route on the server's integration, the server function's environment, the manifest, and the mistakes refused.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Testing } from 'cdktf';
import { UserAuthentication } from '../../lib';
import { fixture, resource, resources, synthJson } from './helpers';

const handler = { entry: 'lambdas/examples/mcp.ts' };
const CUSTOM_DOMAIN = { domainName: 'auth.example.com', certificateArn: 'arn:aws:acm:eu-west-1:1:certificate/x' };

const withClient = (props = {}) => {
  const f = fixture(props);
  f.registry.addExternalClient('Acme', { scopes: ['incidents.read'] });
  return f;
};

describe('addMcpServer', () => {
  it('creates POST, GET and DELETE on its path behind an authorizer whose only audience is its URL', () => {
    const f = withClient();
    const server = f.registry.addMcpServer('Incidents', { handler, scopes: ['incidents.read'] });
    const tf = synthJson(f.stack);
    const routes = Object.values(resources(tf, 'aws_apigatewayv2_route')).filter((r: any) => r.route_key.endsWith(' /mcp'));
    assert.deepEqual(routes.map((r: any) => r.route_key).sort(), ['DELETE /mcp', 'GET /mcp', 'POST /mcp']);
    const authorizerRefs = new Set(routes.map((r: any) => r.authorizer_id));
    assert.equal(authorizerRefs.size, 1);
    const authorizerId = /aws_apigatewayv2_authorizer\.([^.]+)\.id/.exec([...authorizerRefs][0] as string)![1];
    const authorizer = resources(tf, 'aws_apigatewayv2_authorizer')[authorizerId];
    assert.deepEqual(authorizer.jwt_configuration.audience, ['${aws_apigatewayv2_api.Registry_Api_695BC08A.api_endpoint}/mcp']);
    for (const r of routes) assert.deepEqual(r.authorization_scopes, ['incidents.read']);
    const metadata = resource(tf, 'aws_apigatewayv2_route', 'Incidents_MetadataRoute');
    assert.equal(metadata.route_key, 'GET /.well-known/oauth-protected-resource/mcp');
    assert.match(metadata.target, /Registry_ServerIntegration/);
    assert.equal(metadata.authorization_type, undefined);
    assert.match(server.url, /\/mcp$/);
  });

  it("tells the server its MCP servers and the routes' audiences (resources it may issue tokens for)", () => {
    const f = withClient();
    f.registry.addMcpServer('Incidents', { handler, scopes: ['incidents.read'], path: '/tools/mcp', resourceName: 'Incident tools' });
    f.registry.addExternalClient('XJob', { scopes: ['incidents.read'], audience: 'https://x.example' });
    f.registry.addRoute('GET /v1/x', {
      handler: { entry: 'lambdas/examples/hello.ts' },
      scopes: ['incidents.read'],
      audiences: ['https://x.example'],
    });
    const env = resource(synthJson(f.stack), 'aws_lambda_function', 'AuthorizationServer').environment.variables;
    assert.deepEqual(JSON.parse(env.OAUTH_MCP_SERVERS), [
      { name: 'Incidents', path: '/tools/mcp', scopes: ['incidents.read'], resourceName: 'Incident tools' },
    ]);
    assert.equal(env.OAUTH_RESOURCES, 'https://x.example');
    const manifest = f.registry.manifest();
    assert.deepEqual(
      manifest.routes.filter((r) => r.resourcePath).map((r) => r.routeKey),
      ['POST /tools/mcp', 'GET /tools/mcp', 'DELETE /tools/mcp'],
    );
    assert.equal(manifest.mcpServers?.length, 1);
  });

  it('its URL and audience are on the custom domain when there is one', () => {
    const f = withClient({ customDomain: CUSTOM_DOMAIN });
    const server = f.registry.addMcpServer('Incidents', { handler, scopes: ['incidents.read'] });
    assert.equal(server.url, 'https://auth.example.com/mcp');
    const tf = synthJson(f.stack);
    const audiences = Object.values(resources(tf, 'aws_apigatewayv2_authorizer')).map((a: any) => a.jwt_configuration.audience);
    assert.ok(
      audiences.some((a) => JSON.stringify(a) === JSON.stringify(['https://auth.example.com/mcp'])),
      JSON.stringify(audiences),
    );
  });

  it('refuses a bad path, a reserved path, a path taken twice, a clash with a route, and no scopes', () => {
    const f = withClient();
    for (const path of ['mcp', '/mcp/', '/{id}', '/a/../b', '/.well-known/x', '/oauth2/mcp']) {
      assert.throws(
        () => f.registry.addMcpServer(`S${path.length}${path.charCodeAt(1)}`, { handler, scopes: ['incidents.read'], path }),
        /path/,
      );
    }
    assert.throws(() => f.registry.addMcpServer('Empty', { handler, scopes: [] }), /at least one scope/);
    f.registry.addMcpServer('One', { handler, scopes: ['incidents.read'] });
    assert.throws(() => f.registry.addMcpServer('Two', { handler, scopes: ['incidents.read'] }), /already MCP server "One"/);
    f.registry.addRoute('POST /mcp', { handler: { entry: 'lambdas/examples/hello.ts' }, scopes: ['incidents.read'] });
    assert.throws(() => Testing.synth(f.stack, true), /duplicate route "POST \/mcp"/);
  });

  it('dynamic client registration: the route only when opened, its bounds in the environment, user sign-in required', () => {
    const userAuthentication = UserAuthentication.oidc({ issuer: 'https://login.example.com', clientId: 'x' });
    const open = withClient({ userAuthentication, dynamicClientRegistration: { registrationsPerHour: 5 } });
    open.registry.addMcpServer('Incidents', { handler, scopes: ['incidents.read'] });
    const tf = synthJson(open.stack);
    assert.equal(resource(tf, 'aws_apigatewayv2_route', 'RegistrationRoute').route_key, 'POST /oauth2/register');
    const env = resource(tf, 'aws_lambda_function', 'AuthorizationServer').environment.variables;
    assert.deepEqual(JSON.parse(env.OAUTH_DYNAMIC_CLIENT_REGISTRATION), {
      registrationsPerHour: 5,
      unusedExpirySecs: 30 * 86_400,
      scopes: ['incidents.read'],
      accessTokenTtlSecs: 900,
    });
    const closed = synthJson(withClient({ userAuthentication }).stack);
    assert.equal(
      Object.values(resources(closed, 'aws_apigatewayv2_route')).filter((r: any) => r.route_key === 'POST /oauth2/register').length,
      0,
    );
    assert.throws(() => fixture({ dynamicClientRegistration: true }), /needs userAuthentication/);
    assert.throws(() => fixture({ clientIdMetadataDocuments: true }), /needs userAuthentication/);
    assert.throws(
      () => fixture({ userAuthentication, dynamicClientRegistration: { registrationsPerHour: 0 } }),
      /registrationsPerHour must be an integer between 1 and 500/,
    );
  });
});
