/**
 * A test app with an MCP server: the example's clients and route, `addMcpServer('Incidents')` at `/mcp` served by
 * `lambdas/examples/mcp.ts`; with `MCP_APP_UPSTREAM_ISSUER`, user sign-in there, Client ID Metadata Documents and
 * dynamic client registration.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { GrantType, OAuthRegistry, UserAuthentication } from 'oauth-registry';

const app = new App();
const stack = new TerraformStack(app, 'mcp-app');
new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
const upstream = process.env.MCP_APP_UPSTREAM_ISSUER;
const registry = new OAuthRegistry(stack, 'Registry', {
  namePrefix: 'mcp-app',
  ...(upstream
    ? {
        userAuthentication: UserAuthentication.oidc({ issuer: upstream, clientId: 'mcp-app' }),
        clientIdMetadataDocuments: true,
        dynamicClientRegistration: true,
      }
    : {}),
});
registry.addExternalClient('AcmeMonitoring', { grantTypes: [GrantType.CLIENT_CREDENTIALS], scopes: ['incidents.read'] });
registry.addRoute('GET /v1/hello', { handler: { entry: '../../lambdas/examples/hello.ts' }, scopes: ['incidents.read'] });
registry.addMcpServer('Incidents', {
  handler: { entry: '../../lambdas/examples/mcp.ts' },
  scopes: ['incidents.read'],
  resourceName: 'Incidents',
});
app.synth();
