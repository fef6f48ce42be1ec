/**
 * The example app: one registry, two external clients, one protected route, one third-party connection.
 * `npm start` serves it locally; `cdktf deploy` puts it in your AWS account.
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { type Construct } from 'constructs';
import { ClientAuth, ConnectionMode, GrantType, OAuthRegistry, Provider } from 'oauth-registry';

class IncidentApiStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: process.env.AWS_REGION ?? 'eu-west-1' });

    const registry = new OAuthRegistry(this, 'Registry', { namePrefix: 'incident-api' });

    // A partner's backend: reads and writes incidents, authenticates with HTTP Basic.
    registry.addExternalClient('AcmeMonitoring', {
      description: 'Acme Monitoring pushes alerts as incidents',
      grantTypes: [GrantType.CLIENT_CREDENTIALS],
      authMethod: ClientAuth.CLIENT_SECRET_BASIC,
      scopes: ['incidents.read', 'incidents.write'],
    });

    // A reporting job that only reads, and sends its credentials in the form body.
    registry.addExternalClient('ReportingJob', {
      authMethod: ClientAuth.CLIENT_SECRET_POST,
      scopes: ['reports.read'],
      accessTokenTtlSecs: 300,
    });

    // Our API: callers need a token carrying incidents.read.
    const hello = registry.addRoute('GET /v1/hello', {
      handler: { entry: 'lambdas/examples/hello.ts' },
      scopes: ['incidents.read'],
    });

    // A third-party provider we read from (we are its client): each engineer consents once
    // (`oauth-registry connect Salesforce --subject <id>`); our handler gets their fresh token from the broker.
    const salesforce = registry.addConnection('Salesforce', {
      provider: Provider.discover('https://login.salesforce.com'),
      scopes: ['api', 'refresh_token'],
      mode: ConnectionMode.PER_USER,
      apiBaseUrl: 'https://example.my.salesforce.com/services/data/v60.0',
    });
    salesforce.grantTokenAccess(hello);
  }
}

const app = new App();
new IncidentApiStack(app, 'incident-api');
app.synth();
