/**
 * The OAuth 2.0 authorization server of a team's AWS account: an HTTP API with a token endpoint, discovery and
 * JWKS, a JWT authorizer for protected routes, and the registrations of external clients.
 */
import type { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import type { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import type { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import type { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import type { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaInvocation } from '@cdktf/provider-aws/lib/lambda-invocation';
import type { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { Aspects, TerraformStack, type ITerraformDependable, type TerraformOutput } from 'cdktf';
import { Construct, type IConstruct } from 'constructs';
import type { ClientIdMetadataDocumentsSettings, DynamicClientRegistrationSettings } from '../lambdas/shared/client-registration-settings';
import { keySchedule } from '../lambdas/shared/config';
import { type RegistryManifest } from '../lambdas/shared/manifest';
import { authMethodsUsed, scopesUsed } from '../lambdas/shared/manifest-queries';
import { ENV, secretNames } from '../lambdas/shared/names';
import { REGISTRATION_ROUTE, SERVER_ROUTES, serverUrl } from '../lambdas/shared/routes';
import { DataRoute, type DataRouteOptions } from './data-route';
import { ExternalClient, type ExternalClientOptions } from './external-client';
import { OUTSIDE_ROLE_POLICY_LIFECYCLE, grantTo, isGrantable, roleNameOf, type Grant, type Grantee } from './grant';
import { McpServer, type McpServerOptions } from './mcp-server';
import { RegistryAlarms } from './private/alarms';
import { AuthorizationServerParts } from './private/authorization-server';
import { ConnectionsInfra } from './private/connections-infra';
import { registryDashboard } from './private/dashboard';
import { destroyGuard } from './private/destroy-guard';
import { addRegistryOutputs, outputName, registryOutput } from './private/outputs';
import { policyDocument } from './private/policy-document';
import { RegistryApiParts, registryAuthorizer } from './private/registry-api';
import { customDomainDnsSteps, registryProblems, registryWarningsAspect } from './private/registry-checks';
import type { RegistryFunction } from './private/registry-function';
import { registryManifest, writeManifestOnSynth } from './private/registry-manifest';
import { registrySettings, type RegistrySettings } from './private/registry-settings';
import { RegistryStorage } from './private/registry-storage';
import { resolveTokens } from './private/resolve';
import type { SecretRotator } from './private/rotated-secret';
import { RegistryRulesAspect } from './private/rules';
import { SigningKeyParts } from './private/signing-key';
import { parseRouteKey, shortHash, validatePublicHost } from './private/validate';
import { ProtectedRoute, type ProtectedRouteOptions } from './protected-route';
import type {
  IDeclaredClient,
  IDeclaredConnection,
  IDeclaredDataRoute,
  IDeclaredMcpServer,
  IDeclaredRoute,
  IOAuthRegistry,
} from './registry-interface';
import type { OAuthRegistryProps } from './registry-options';
import { ThirdPartyConnection, type ThirdPartyConnectionOptions } from './third-party-connection';
import type { UserAuthentication } from './user-authentication';

/**
 * An OAuth 2.0 authorization server for external clients, in your AWS account: declare clients with
 * `addExternalClient`, protect routes with `addRoute`, deploy, hand each partner its client id and secret.
 */
export class OAuthRegistry extends Construct implements IOAuthRegistry {
  /** Prefix of every named resource. */
  public readonly namePrefix: string;
  public readonly accessTokenTtlSecs: number;
  public readonly signingKeyRotationDays: number;
  /** How long the previous client secret keeps working after a rotation, in seconds. */
  public readonly secretOverlapSecs: number;
  public readonly logRetentionDays: number;
  /** Tags of the registry's resources. */
  public readonly tags: Readonly<Record<string, string>>;
  /** The HTTP API serving the token endpoint, discovery and protected routes. */
  public readonly api: Apigatewayv2Api;
  /** The `$default` stage (auto-deployed, access-logged, throttled). */
  public readonly stage: Apigatewayv2Stage;
  /** The JWT authorizer of routes that name no audiences: tokens for the registry's own audience only. */
  public readonly authorizer: Apigatewayv2Authorizer;
  /** Days Secrets Manager keeps a destroyed secret of the registry (0: deleted at once). */
  public readonly recoveryWindowInDays: number;
  /** The Secrets Manager secret holding the RSA signing keys (private JWKs, generated by the rotation function). */
  public readonly signingKeySecret: SecretsmanagerSecret;
  /** The function that generates and rotates signing keys and client secrets. */
  public readonly rotationFunction: RegistryFunction;
  /** The function serving the token endpoint, discovery and JWKS. */
  public readonly authorizationServer: RegistryFunction;
  /** Where users sign in (authorization_code clients), when declared. */
  public readonly userAuthentication?: UserAuthentication;
  /** The secret an operator sets to the upstream provider's client secret (with `userAuthentication`). */
  public readonly userAuthenticationSecret?: SecretsmanagerSecret;
  /** Origins browser scripts may call the API from (CORS, API-wide); empty: none. */
  public readonly corsAllowedOrigins: readonly string[];
  /** The registry's alarms and their topic; undefined with `alarms: { disabled: true }`. */
  public readonly alarms?: RegistryAlarms;

  private readonly props: OAuthRegistryProps;
  /** The props, validated and with their defaults. */
  private readonly settings: RegistrySettings;
  private readonly key: KmsKey;
  private readonly registrations: DynamodbTable;
  private readonly issuerUrl: string;
  private readonly partition: DataAwsPartition;
  private readonly region: DataAwsRegion;
  private readonly callerIdentity: DataAwsCallerIdentity;
  private readonly rotator: SecretRotator;
  private readonly server: AuthorizationServerParts;
  private readonly clients: ExternalClient[] = [];
  private readonly routes: ProtectedRoute[] = [];
  private readonly mcpServerList: McpServer[] = [];
  private readonly dataRouteList: DataRoute[] = [];
  private readonly connectionList: ThirdPartyConnection[] = [];
  private connectionsInfra?: ConnectionsInfra;
  private introspectionGrants = 0;
  /** JWT authorizers by audience set (`audienceSetKey`); the first, `Authorizer`, is the registry's own audience. */
  private readonly authorizersByAudiences = new Map<string, Apigatewayv2Authorizer>();
  /** What must exist before any authorizer: the issuer must answer discovery and JWKS requests. */
  private readonly issuerReadiness: readonly ITerraformDependable[];

  constructor(scope: Construct, id: string, props: OAuthRegistryProps = {}) {
    super(scope, id);
    this.props = props;
    const settings = registrySettings(id, props);
    this.settings = settings;
    this.namePrefix = settings.namePrefix;
    this.accessTokenTtlSecs = settings.accessTokenTtlSecs;
    this.signingKeyRotationDays = settings.signingKeyRotationDays;
    this.secretOverlapSecs = settings.secretOverlapSecs;
    this.logRetentionDays = settings.logRetentionDays;
    this.recoveryWindowInDays = settings.recoveryWindowInDays;
    this.tags = { ...(props.tags ?? {}) };
    this.userAuthentication = props.userAuthentication;
    const upstream = props.userAuthentication;
    validatePublicHost(this, 'userAuthentication issuer', upstream?.issuer, upstream?.allowPrivateNetwork);
    this.corsAllowedOrigins = settings.corsAllowedOrigins;
    const tags = props.tags ? { ...props.tags } : undefined;

    this.partition = new DataAwsPartition(this, 'Partition');
    // Read as `id`, the region's name in hashicorp/aws 5.x and 6.x alike (6.x renamed `name` to `region`).
    this.region = new DataAwsRegion(this, 'Region');
    this.callerIdentity = new DataAwsCallerIdentity(this, 'CallerIdentity');
    const storage = new RegistryStorage(this, {
      namePrefix: this.namePrefix,
      rootArn: `arn:${this.partition.partition}:iam::${this.callerIdentity.accountId}:root`,
      deletionProtection: settings.deletionProtection,
      pointInTimeRecovery: settings.pointInTimeRecovery,
      tags,
    });
    this.key = storage.key;
    this.registrations = storage.table;

    const api = new RegistryApiParts(this, { ...settings, customDomain: props.customDomain, tags });
    this.api = api.api;
    this.stage = api.stage;
    this.issuerUrl = api.issuerUrl;

    const signingKey = new SigningKeyParts(this, {
      namePrefix: this.namePrefix,
      kmsKeyArn: this.key.arn,
      registryTags: this.tags,
      tags,
      logRetentionDays: this.logRetentionDays,
      rotationDays: this.signingKeyRotationDays,
      clientSecretArnPattern: this.clientSecretArnPattern,
      secretsViaService: this.viaService('secretsmanager'),
      table: this.registrations,
      dynamodbViaService: this.viaService('dynamodb'),
      accountId: this.callerIdentity.accountId,
      recoveryWindowInDays: this.recoveryWindowInDays,
      keySchedule: () => keySchedule(this.manifest()),
    });
    this.signingKeySecret = signingKey.secret;
    this.rotationFunction = signingKey.rotationFunction;
    this.rotator = signingKey.rotator;

    this.server = new AuthorizationServerParts(this, {
      registry: this,
      secretResources: [this.signingKeySecret.arn, this.clientSecretArnPattern],
      tags,
      recoveryWindowInDays: this.recoveryWindowInDays,
    });
    this.authorizationServer = this.server.function;
    this.userAuthenticationSecret = this.server.userAuthenticationSecret;

    // API Gateway reads the issuer's discovery document and JWKS when it creates an authorizer: the signing key must
    // have its first value (the bootstrap), and the stage, routes, integration, permission and domain must serve them.
    // Created is not answering (the stage deploys routes asynchronously; a custom domain needs DNS): the rotation
    // function polls the issuer until it serves both documents, and the authorizers wait for that.
    const served = [this.rotator.bootstrap.invocation, this.stage, ...this.server.issuerReadiness, ...api.domainReadiness];
    // Without a hosted zone, the record is the operator's: the check names it when the issuer does not answer.
    const dnsRecord = api.dnsRecordToCreate;
    const issuerCheck = new LambdaInvocation(this, 'IssuerCheck', {
      functionName: this.rotationFunction.function.functionName,
      input: JSON.stringify({ action: 'await-issuer', issuer: this.issuerUrl, ...(dnsRecord ? { dnsRecord } : {}) }),
      lifecycleScope: 'CREATE_ONLY',
      dependsOn: served,
    });
    this.issuerReadiness = [...served, issuerCheck];
    destroyGuard(this, {
      rotationFunction: this.rotationFunction,
      table: this.registrations,
      deletionProtection: settings.deletionProtection,
      registeredParts: () => [...this.clients, ...this.routes, ...this.dataRouteList, ...this.connectionList],
    });
    this.authorizer = this.authorizerFor();
    const watched = {
      namePrefix: this.namePrefix,
      issuer: this.issuerUrl,
      apiId: this.api.id,
      stageName: this.stage.name,
      alarmArnPattern: this.regionalArn('cloudwatch', `alarm:${this.namePrefix}-*`),
      rotationFunction: this.rotationFunction,
      authorizationServer: this.authorizationServer,
      tags,
    };
    if (!props.alarms?.disabled) this.alarms = new RegistryAlarms(this, 'Alarms', watched, props.alarms);
    if (props.dashboard !== false) {
      registryDashboard(this, 'Dashboard', {
        ...watched,
        region: this.regionName,
        connectionsFunction: () => this.connectionsInfra?.function,
      });
    }
    addRegistryOutputs(this, api.domainName);
    for (const option of ['clientIdMetadataDocuments', 'dynamicClientRegistration'] as const) {
      if (props[option] && !props.userAuthentication) {
        throw new Error(`${option} needs userAuthentication: its clients sign users in (authorization code)`);
      }
    }
    if (this.dynamicClientRegistrationSettings()) {
      // Unauthenticated, like the token endpoint; bounded by the server itself (size, rate, expiry).
      new Apigatewayv2Route(this, 'RegistrationRoute', {
        apiId: this.api.id,
        routeKey: REGISTRATION_ROUTE,
        target: `integrations/${this.server.integration.id}`,
      });
    }
    this.node.addValidation({ validate: () => [...registryProblems(this), ...this.server.validate()] });
    Aspects.of(this).add(new RegistryRulesAspect({ table: this.registrations }));
    const domain = api.domainName;
    const dnsSteps = (): string[] =>
      dnsRecord && domain
        ? [
            customDomainDnsSteps({
              stackName: TerraformStack.of(this).node.id,
              domain,
              record: dnsRecord,
              targetOutput: outputName(this.namePrefix, 'custom-domain-target'),
            }),
          ]
        : [];
    Aspects.of(this).add(registryWarningsAspect(this, dnsSteps));
    writeManifestOnSynth(this, () => this.manifest());
  }

  // --- Factories ---------------------------------------------------------------------------------------------------

  /** Declares an external client (an app of a partner) that gets tokens with its client id and secret. */
  public addExternalClient(id: string, options: ExternalClientOptions): ExternalClient {
    return new ExternalClient(this, id, { ...options, registry: this });
  }

  /**
   * Lets `grantee` (an internal service: a route, a registry function, an `IamRole`, or a role's name or ARN)
   * introspect tokens with IAM (SigV4) at `POST /internal/introspect`, instead of client credentials: one
   * `execute-api:Invoke` statement on that route's ARN. `grant.environment` names the registry's URL.
   */
  public grantIntrospection(grantee: Grantee): Grant {
    const [method, routePathPart] = SERVER_ROUTES.internalIntrospect.split(' ');
    const statement = {
      sid: 'IntrospectTokens',
      actions: ['execute-api:Invoke'],
      resources: [`${this.api.executionArn}/*/${method}${routePathPart}`],
    };
    const environment = { [ENV.ISSUER]: this.issuerUrl };
    const policyName = this.outsideRolePolicyName('introspection');
    if (isGrantable(grantee)) return grantTo(this, grantee, statement, { idPrefix: 'IntrospectionGrant', policyName, environment });
    // A role gets its own policy, with the ids this method always gave them (no replacement on upgrade).
    const id = `IntrospectionGrant${this.introspectionGrants++ || ''}`;
    const roleName = roleNameOf(grantee);
    const policy = new IamRolePolicy(this, id, {
      name: policyName,
      role: roleName,
      policy: policyDocument([statement]),
      lifecycle: OUTSIDE_ROLE_POLICY_LIFECYCLE,
    });
    return { statement, policy, roleName, environment };
  }

  /**
   * The JWT authorizer accepting tokens of this issuer for one of exactly `audiences` (deduplicated; their order does
   * not matter), created on first use; without audiences, the registry's own audience (`authorizer`).
   */
  public authorizerFor(audiences?: readonly string[]): Apigatewayv2Authorizer {
    const set = audiences === undefined ? [this.audience] : [...new Set(audiences)];
    if (set.length === 0) throw new Error('audiences must name at least one audience, got []');
    const key = JSON.stringify(set.map((a) => String(resolveTokens(this, a))).sort());
    const existing = this.authorizersByAudiences.get(key);
    if (existing) return existing;
    // The registry's own audience keeps the id `Authorizer`; another set gets an id derived from the set, stable
    // however many routes or sets are declared, and in whatever order.
    const suffix = audiences === undefined ? '' : shortHash(key, 8);
    const authorizer = registryAuthorizer(this, `Authorizer${suffix}`, {
      api: this.api,
      name: `${this.namePrefix}-jwt${suffix ? `-${suffix}` : ''}`,
      issuer: this.issuerUrl,
      audiences: set,
      dependsOn: this.issuerReadiness,
    });
    this.authorizersByAudiences.set(key, authorizer);
    return authorizer;
  }

  /** Serves `routeKey` (e.g. `GET /v1/incidents`) with your handler, for tokens holding one of `scopes`. */
  public addRoute(routeKey: string, options: ProtectedRouteOptions): ProtectedRoute {
    parseRouteKey(routeKey); // a clear error before the key becomes a construct id
    return new ProtectedRoute(this, routeIdOf(routeKey), { ...options, routeKey, registry: this });
  }

  /**
   * Serves a remote MCP server (Streamable HTTP: POST, GET and DELETE on `path`, default `/mcp`) with your handler,
   * for tokens whose audience is exactly the server's URL (`<issuer><path>`) and that hold one of `scopes`, and
   * publishes its OAuth Protected Resource Metadata (RFC 9728) at `/.well-known/oauth-protected-resource<path>`.
   */
  public addMcpServer(id: string, options: McpServerOptions): McpServer {
    return new McpServer(this, id, { ...options, registry: this });
  }

  /**
   * Delivers the JSON body of each `routeKey` request (`POST /v1/incidents`) to `options.target` (a queue, event bus,
   * state machine or stream), for tokens holding one of `options.scopes`, with the sender's client id: no handler.
   */
  public addDataRoute(routeKey: string, options: DataRouteOptions): DataRoute {
    parseRouteKey(routeKey);
    return new DataRoute(this, routeIdOf(routeKey), { ...options, routeKey, registry: this });
  }

  // --- Getters -----------------------------------------------------------------------------------------------------

  /** The issuer identifier: `https://<api-id>.execute-api.<region>.amazonaws.com` or `https://<customDomain>`. */
  public get issuer(): string {
    return this.issuerUrl;
  }

  /** Where clients get tokens (`POST`, client credentials). */
  public get tokenEndpoint(): string {
    return serverUrl(this.issuerUrl, 'token');
  }

  /** Where resource servers find the public signing keys. */
  public get jwksUri(): string {
    return serverUrl(this.issuerUrl, 'jwks');
  }

  /** Default `aud` of access tokens: the `audience` prop, else the issuer. */
  public get audience(): string {
    return this.props.audience ?? this.issuerUrl;
  }

  /** The DynamoDB table holding registrations (and later codes, refresh tokens, connection token sets). */
  public get table(): DynamodbTable {
    return this.registrations;
  }

  /** The KMS key encrypting the registry's secrets and table. */
  public get kmsKey(): KmsKey {
    return this.key;
  }

  /** ARN pattern covering every client secret of this registry (`<namePrefix>/clients/*`), never a bare `*`. */
  public get clientSecretArnPattern(): string {
    return this.regionalArn('secretsmanager', `secret:${secretNames.clients(this.namePrefix)}*`);
  }

  /** ARN pattern covering every connection secret of this registry (`<namePrefix>/connections/*`). */
  public get connectionSecretArnPattern(): string {
    return this.regionalArn('secretsmanager', `secret:${secretNames.connections(this.namePrefix)}*`);
  }

  /** The registry's region (known at plan time). */
  public get regionName(): string {
    return this.region.id;
  }

  /** `arn:<partition>:<service>:<region>:<account>:<resource>` in the registry's account and region. */
  public regionalArn(service: string, resource: string): string {
    return `arn:${this.partition.partition}:${service}:${this.regionName}:${this.callerIdentity.accountId}:${resource}`;
  }

  /** `<service>.<region>.<dns suffix>`: the `kms:ViaService` of a call `service` makes in the registry's region. */
  public viaService(service: string): string {
    return `${service}.${this.regionName}.${this.partition.dnsSuffix}`;
  }

  /**
   * The name of the inline policy a grant puts on a role we do not deploy: `<namePrefix>-<region>-<purpose>`.
   * Policy names are unique per role, and roles are global to the account: the name says which registry (its prefix,
   * unique in a region) in which region granted it, so two registries, or one stack applied in two regions, granting
   * to one role keep their own policies (at most 32 + 1 + 16 + 1 + 64 + 7 characters: IAM allows 128).
   */
  public outsideRolePolicyName(purpose: string): string {
    return `${this.namePrefix}-${this.regionName}-${purpose}`;
  }

  /** The registry's account id. */
  public get accountId(): string {
    return this.callerIdentity.accountId;
  }

  /** Everything this registry declares, without secrets (also written next to the synthesized stack). */
  public manifest(): RegistryManifest {
    return registryManifest(this, this.settings);
  }

  /** Every external client declared on this registry. */
  public get externalClients(): readonly ExternalClient[] {
    return this.clients;
  }

  /** Every protected route declared on this registry. */
  public get protectedRoutes(): readonly ProtectedRoute[] {
    return this.routes;
  }

  /** What clients known by a metadata document URL may do, when the registry accepts them (synth-time values). */
  public clientIdMetadataDocumentsSettings(): ClientIdMetadataDocumentsSettings | undefined {
    const option = this.props.clientIdMetadataDocuments;
    if (!option) return undefined;
    const options = option === true ? {} : option;
    const scopes = options.scopes ?? [...new Set(this.mcpServerList.flatMap((s) => s.registration.scopes))].sort();
    return {
      ...(options.allowedHosts ? { allowedHosts: [...options.allowedHosts] } : {}),
      ...(options.allowPrivateNetwork ? { allowPrivateNetwork: true } : {}),
      scopes: [...scopes],
      accessTokenTtlSecs: this.accessTokenTtlSecs,
    };
  }

  /** The bounds of dynamic client registration, when the registry opens it (synth-time values). */
  public dynamicClientRegistrationSettings(): DynamicClientRegistrationSettings | undefined {
    const option = this.props.dynamicClientRegistration;
    if (!option) return undefined;
    const options = option === true ? {} : option;
    const perHour = options.registrationsPerHour ?? 20;
    const days = options.unusedExpiryDays ?? 30;
    if (!Number.isInteger(perHour) || perHour < 1 || perHour > 500) {
      throw new Error(`dynamicClientRegistration.registrationsPerHour must be an integer between 1 and 500, got ${perHour}`);
    }
    if (!Number.isInteger(days) || days < 1 || days > 365) {
      throw new Error(`dynamicClientRegistration.unusedExpiryDays must be an integer between 1 and 365, got ${days}`);
    }
    const scopes = options.scopes ?? [...new Set(this.mcpServerList.flatMap((s) => s.registration.scopes))].sort();
    return {
      registrationsPerHour: perHour,
      unusedExpirySecs: days * 86_400,
      scopes: [...scopes],
      accessTokenTtlSecs: this.accessTokenTtlSecs,
    };
  }

  /** Every MCP server declared on this registry. */
  public get mcpServers(): readonly McpServer[] {
    return this.mcpServerList;
  }

  /** Records an MCP server (`McpServer`'s constructor calls this). */
  public registerMcpServer(server: IDeclaredMcpServer): void {
    this.mcpServerList.push(declaredAs(server, McpServer));
  }

  /** The authorization server's integration (MCP servers' RFC 9728 documents are its routes). */
  public get serverIntegration(): Apigatewayv2Integration {
    return this.server.integration;
  }

  /** Client authentication methods some client uses, as discovery's `token_endpoint_auth_methods_supported`. */
  public authMethodsSupported(): string[] {
    return authMethodsUsed(this.clients.map((c) => c.registration));
  }

  /** Sorted union of every client's scopes, as discovery's `scopes_supported`. */
  public scopesSupported(): string[] {
    return scopesUsed(this.clients.map((c) => c.registration));
  }

  /** Records an external client (`ExternalClient`'s constructor calls this). */
  public registerClient(client: IDeclaredClient): void {
    this.clients.push(declaredAs(client, ExternalClient));
  }

  /** Every data route declared on this registry. */
  public get dataRoutes(): readonly DataRoute[] {
    return this.dataRouteList;
  }

  /** Records a data route (`DataRoute`'s constructor calls this). */
  public registerDataRoute(route: IDeclaredDataRoute): void {
    this.dataRouteList.push(declaredAs(route, DataRoute));
  }

  /** Records a protected route (`ProtectedRoute`'s constructor calls this). */
  public registerRoute(route: IDeclaredRoute): void {
    this.routes.push(declaredAs(route, ProtectedRoute));
  }

  /** Declares a connection to a third-party OAuth provider (we are its client): consent, tokens, broker, proxy. */
  public addConnection(id: string, options: ThirdPartyConnectionOptions): ThirdPartyConnection {
    return new ThirdPartyConnection(this, id, { ...options, registry: this });
  }

  /** Every third-party connection declared on this registry. */
  public get connections(): readonly ThirdPartyConnection[] {
    return this.connectionList;
  }

  /** Records a connection (`ThirdPartyConnection`'s constructor calls this); the first creates the connections function. */
  public registerConnection(connection: IDeclaredConnection): RegistryFunction {
    this.connectionList.push(declaredAs(connection, ThirdPartyConnection));
    if (this.connectionsInfra === undefined) {
      this.connectionsInfra = new ConnectionsInfra(this, 'Connections', { registry: this });
      this.alarms?.watchConnections(this.connectionsInfra.function, () => this.connectionList.map((c) => c.connectionName));
    }
    return this.connectionsInfra.function;
  }

  /** What generated secrets (client secrets, the link key) are rotated by. */
  public get secretRotator(): SecretRotator {
    return this.rotator;
  }

  // --- For the parts declared on it (IOAuthRegistry): called by their constructors --------------------------------

  /**
   * A Terraform output named `<namePrefix>-<suffix>` (see `outputName`), whatever the construct path: the stable names
   * scripts read with `terraform output`.
   */
  public addOutput(scope: Construct, id: string, suffix: string, value: string, description: string): TerraformOutput {
    return registryOutput(scope, id, outputName(this.namePrefix, suffix), value, description);
  }
}

/** `GET /v1/incidents/{id}` → `GetV1IncidentsId` (construct ids are PascalCase). */
export function routeIdOf(routeKey: string): string {
  const words = routeKey.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const id = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('');
  return id || 'Route';
}

/**
 * `part`, checked to be a `type`: a part's constructor registers it through `IOAuthRegistry`, and the registry lists
 * each kind by its class (`externalClients` are `ExternalClient`s).
 */
function declaredAs<T>(part: IConstruct, type: abstract new (...args: never[]) => T): T {
  if (!(part instanceof type)) throw new Error(`${part.node.path}: registered as ${type.name} but is not one`);
  return part;
}
