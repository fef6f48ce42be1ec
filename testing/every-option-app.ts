/**
 * An app that uses every construct and every option at least once: every client kind (secret basic and post,
 * private_key_jwt by inline keys and by URL, public, JWT bearer, authorization code with refresh), user sign-in, a
 * custom domain with `hostedZoneId` and one without, shared and per-user connections of every grant, write-only
 * credentials, grants to a route, a registry function, an outside `IamRole` and a role by ARN, CORS, a data route of
 * every target (with and without a queue or bus of its own, with audiences), an MCP server, client metadata documents,
 * dynamic registration, alarms on (with thresholds) and off, a rate-limited client, and every registry prop. It is an app,
 * not a module: run it (`synthesizeForDeploy` of `testing/terraform-check.ts`, or `CDKTF_OUTDIR=out node --import tsx
 * testing/every-option-app.ts`); its stack is `every-option`.
 */
import path from 'node:path';
import { CloudwatchEventBus } from '@cdktf/provider-aws/lib/cloudwatch-event-bus';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { KinesisStream } from '@cdktf/provider-aws/lib/kinesis-stream';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack, TerraformVariable } from 'cdktf';
import {
  ClientAuth,
  ConnectionClientAuth,
  ConnectionCredentials,
  ConnectionGrant,
  ConnectionMode,
  DataTarget,
  GrantType,
  OAuthRegistry,
  OAuthScope,
  Provider,
  UserAuthentication,
} from '../lib';

const HELLO = path.join(__dirname, '..', 'lambdas', 'examples', 'hello.ts');
const ACCOUNTS = path.join(__dirname, '..', 'lambdas', 'examples', 'accounts.ts');
const RSA_PUBLIC = {
  kty: 'RSA',
  kid: 'partner-2025',
  alg: 'RS256',
  use: 'sig',
  n: [
    'sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU',
    '1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3',
    'UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC',
    '2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw',
  ].join(''),
  e: 'AQAB',
};

const app = new App();
const stack = new TerraformStack(app, 'every-option');
new AwsProvider(stack, 'aws', { region: 'eu-west-1' });

// Every registry prop, a custom domain whose records the registry creates, user sign-in and CORS.
const registry = new OAuthRegistry(stack, 'Registry', {
  namePrefix: 'every-option',
  accessTokenTtlSecs: 600,
  signingKeyRotationDays: 14,
  clientSecretOverlapHours: 12,
  audience: 'https://api.example.com',
  customDomain: {
    domainName: 'auth.example.com',
    certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
    hostedZoneId: 'Z0123456789ABCDEFGHIJ',
  },
  logRetentionDays: 14,
  throttlingBurstLimit: 200,
  throttlingRateLimit: 100,
  tags: { team: 'platform', 'cost-center': '42' },
  userAuthentication: UserAuthentication.oidc({ issuer: 'https://login.example.com', clientId: 'registry', scopes: ['email'] }),
  recoveryWindowInDays: 7,
  deletionProtection: false,
  pointInTimeRecovery: false,
  corsAllowedOrigins: ['https://app.example.com', 'http://127.0.0.1:3000'],
  clientIdMetadataDocuments: { allowedHosts: ['agents.example.com'], allowPrivateNetwork: false, scopes: ['incidents.read'] },
  dynamicClientRegistration: { registrationsPerHour: 10, unusedExpiryDays: 14, scopes: ['incidents.read'] },
  alarms: {
    email: 'oncall@example.com',
    thresholds: { functionErrors: 2, functionThrottles: 2, serverErrorRatePercent: 5, latencyP99Ms: 2_000, rotationMarginDays: 2 },
  },
  dashboard: true,
});

registry.addExternalClient('Basic', {
  clientId: 'basic-client',
  grantTypes: [GrantType.CLIENT_CREDENTIALS],
  authMethod: ClientAuth.CLIENT_SECRET_BASIC,
  scopes: [OAuthScope.custom('incidents.read'), 'incidents.write'],
  accessTokenTtlSecs: 300,
  secretRotationDays: 30,
  description: 'Costs ${x} and %{y}, literally',
  tokensPerMinute: 600,
});
registry.addExternalClient('Post', { authMethod: ClientAuth.CLIENT_SECRET_POST, scopes: ['reports.read'], active: false });
registry.addExternalClient('OtherAudience', { scopes: ['reports.read', 'incidents.write'], audience: 'https://reports.example.com' });
registry.addExternalClient('InlineKeys', {
  authMethod: ClientAuth.privateKeyJwt({ jwks: { keys: [RSA_PUBLIC] } }),
  scopes: ['incidents.read'],
});
registry.addExternalClient('RemoteKeys', {
  authMethod: ClientAuth.privateKeyJwt({ jwksUri: 'https://partner.example/.well-known/jwks.json' }),
  grantTypes: [GrantType.CLIENT_CREDENTIALS, GrantType.JWT_BEARER],
  jwtBearer: { issuer: 'https://login.partner.example', jwksUri: 'https://login.partner.example/jwks.json' },
  scopes: ['incidents.read'],
});
registry.addExternalClient('WebApp', {
  grantTypes: [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN],
  redirectUris: ['https://app.example.com/callback'],
  scopes: ['incidents.read'],
  refreshTokenIdleTtlSecs: 86_400,
  refreshTokenAbsoluteTtlSecs: 604_800,
  refreshTokenReuseGraceSecs: 10,
  rememberConsent: true,
});
registry.addExternalClient('NativeApp', {
  publicClient: true,
  authMethod: ClientAuth.NONE,
  grantTypes: [GrantType.AUTHORIZATION_CODE, GrantType.REFRESH_TOKEN],
  redirectUris: ['http://127.0.0.1/callback'],
  scopes: ['incidents.read'],
});

const hello = registry.addRoute('GET /v1/hello', { handler: { entry: HELLO }, scopes: ['incidents.read'] });
const reports = registry.addRoute('POST /v1/reports/{id}', {
  handler: { entry: ACCOUNTS, exportName: 'handler', memorySizeMb: 512, timeoutSecs: 29, environment: { STAGE: 'check' } },
  scopes: ['reports.read'],
  audiences: ['https://reports.example.com'],
});

const credentials = new TerraformVariable(stack, 'crm_credentials', { type: 'string', sensitive: true });
const crm = registry.addConnection('Crm', {
  provider: Provider.discover('https://login.crm.example'),
  grant: ConnectionGrant.authorizationCode({ pkce: true }),
  scopes: ['api', OAuthScope.custom('refresh_token')],
  authorizationParams: { prompt: 'consent' },
  tokenParams: { resource: 'https://api.crm.example' },
  clientAuth: ConnectionClientAuth.CLIENT_SECRET_POST,
  mode: ConnectionMode.PER_USER,
  apiBaseUrl: 'https://api.crm.example/v1',
  credentials: ConnectionCredentials.writeOnly({ value: credentials.stringValue, version: 2 }),
});
const github = registry.addConnection('GitHub', {
  provider: Provider.endpoints({
    authorizationEndpoint: 'https://github.com/login/oauth/authorize',
    tokenEndpoint: 'https://github.com/login/oauth/access_token',
    revocationEndpoint: 'https://api.github.com/applications/revoke',
    issuer: 'https://github.com/login/oauth',
  }),
  grant: ConnectionGrant.authorizationCode({ pkce: false }),
  clientAuth: ConnectionClientAuth.CLIENT_SECRET_BASIC,
  mode: ConnectionMode.SHARED,
});
const erp = registry.addConnection('Erp', {
  provider: Provider.endpoints({ tokenEndpoint: 'https://10.0.0.5/oauth/token', allowPrivateNetwork: true }),
  grant: ConnectionGrant.clientCredentials(),
  apiBaseUrl: 'https://10.0.0.5/api',
});
registry.addConnection('Ledger', {
  provider: Provider.discover('https://idp.ledger.example', { allowPrivateNetwork: false }),
  grant: ConnectionGrant.jwtBearer({
    issuer: 'our-client',
    subject: 'integration-user',
    audience: 'https://idp.ledger.example',
    assertionLifetimeSecs: 120,
  }),
  clientAuth: ConnectionClientAuth.PRIVATE_KEY_JWT,
});

registry.addConnection('Directory', {
  provider: Provider.endpoints({ tokenEndpoint: 'https://directory.example/oauth/token' }),
  grant: ConnectionGrant.jwtBearer(),
  clientAuth: ConnectionClientAuth.NONE,
  mode: ConnectionMode.PER_USER,
});

// Grants: to a route, to a registry function (a route's handler), to an IamRole of this stack, to a role by ARN.
crm.grantTokenAccess(hello);
crm.grantProxyAccess(hello);
github.grantTokenAccess(reports.handler);
const worker = new IamRole(stack, 'Worker', {
  name: 'every-option-worker',
  assumeRolePolicy: JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
  }),
});
erp.grantTokenAccess(worker);
erp.grantProxyAccess('arn:aws:iam::123456789012:role/ecs/reporting-task');
registry.grantIntrospection(worker);
registry.grantIntrospection('reporting-task');

// Data routes, one of each target: a queue the route creates, a bus of this stack and the default bus, a state machine, a stream.
const partnerEvents = new CloudwatchEventBus(stack, 'PartnerEvents', { name: 'every-option-partners' });
const telemetry = new KinesisStream(stack, 'Telemetry', {
  name: 'every-option-telemetry',
  streamModeDetails: { streamMode: 'ON_DEMAND' },
  encryptionType: 'KMS',
  kmsKeyId: 'alias/aws/kinesis',
});
registry.addDataRoute('POST /v1/incidents', { target: DataTarget.queue(), scopes: ['incidents.write'] });
registry.addDataRoute('POST /v1/incident-events', {
  target: DataTarget.eventBus(partnerEvents, { source: 'partner.acme', detailType: 'Incident reported' }),
  scopes: ['incidents.write'],
  audiences: ['https://reports.example.com'],
});
registry.addDataRoute('POST /v1/default-bus-events', {
  target: DataTarget.eventBus(undefined, { source: 'partner.acme', detailType: 'Heartbeat' }),
  scopes: ['incidents.write'],
});
// A state machine by ARN (one outside this stack; the real provider validates a definition by calling AWS at plan).
const triage = { arn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:every-option-triage' };
registry.addDataRoute('POST /v1/triage', { target: DataTarget.stateMachine(triage), scopes: ['incidents.write'] });
registry.addDataRoute('POST /v1/telemetry', { target: DataTarget.stream(telemetry), scopes: ['incidents.write'] });

// An MCP server (its own audience-bound authorizer and RFC 9728 document), on x86_64 to cover the architecture option.
const tools = registry.addMcpServer('Tools', {
  path: '/mcp',
  handler: { entry: HELLO, architecture: 'x86_64' },
  scopes: ['incidents.read'],
  resourceName: 'Incident tools',
});
crm.grantTokenAccess(tools);

// A second registry: a custom domain without `hostedZoneId` (the records are the operator's), defaults elsewhere.
const second = new OAuthRegistry(stack, 'SecondRegistry', {
  customDomain: {
    domainName: 'auth.second.example.com',
    certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/66666666-7777-8888-9999-000000000000',
  },
  alarms: { disabled: true },
  dashboard: false,
});
second.addExternalClient('Partner', { scopes: ['orders.read'] });
second.addRoute('GET /v1/orders', { handler: { entry: HELLO }, scopes: ['orders.read'] });

app.synth();
