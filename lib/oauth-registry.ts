/**
 * The OAuth 2.0 authorization server of a team's AWS account: an HTTP API with a token endpoint, discovery and
 * JWKS, a JWT authorizer for protected routes, and the registrations of external clients.
 */
import type { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import type { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import type { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { Aspects, TerraformOutput, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { SERVER_ROUTES, routePath } from '../lambdas/shared/routes';
import { authMethodsUsed, scopesUsed, stateTableName, type RegistryManifest } from '../lambdas/shared/manifest';
import { ExternalClient, type ExternalClientOptions } from './external-client';
import { AuthorizationServerParts } from './private/authorization-server';
import { ConnectionsInfra } from './private/connections-infra';
import { outputName } from './private/outputs';
import { RegistryApiParts, registryAuthorizer } from './private/registry-api';
import { registryProblems } from './private/registry-checks';
import { registryManifest, writeManifestOnSynth } from './private/registry-manifest';
import type { RegistryFunction } from './private/registry-function';
import { keyPolicy } from './private/registry-policies';
import { registrySettings } from './private/registry-settings';
import { resolveTokens } from './private/resolve';
import type { SecretRotator } from './private/rotated-secret';
import { RegistryRulesAspect } from './private/rules';
import { SigningKeyParts } from './private/signing-key';
import { parseRouteKey, shortHash } from './private/validate';
import { ProtectedRoute, type ProtectedRouteOptions } from './protected-route';
import { ThirdPartyConnection, type ThirdPartyConnectionOptions } from './third-party-connection';
import type { UserAuthentication } from './user-authentication';

/** A custom domain for the issuer, instead of the API's generated `execute-api` host. */
export interface CustomDomainProps {
  /** The host name, e.g. `auth.example.com` (the issuer becomes `https://auth.example.com`). */
  readonly domainName: string;
  /** ACM certificate for `domainName`, in the registry's region. */
  readonly certificateArn: string;
  /**
   * The Route 53 hosted zone of `domainName`: the registry creates the A and AAAA alias records pointing the name at
   * the API's custom domain, and its authorizers wait for them.
   * @default none: create the records yourself, from the outputs `<namePrefix>-custom-domain-target` and
   * `<namePrefix>-custom-domain-hosted-zone-id` (the authorizer is then created once the API mapping exists, and fails
   * if the name does not resolve to the API yet)
   */
  readonly hostedZoneId?: string;
}

export interface OAuthRegistryProps {
  /**
   * Prefix of every named resource (secrets, functions, table, API). Lower-kebab, 1 to 32 characters.
   * @default the construct id in lower-kebab case (`AuthRegistry` → `auth-registry`)
   */
  readonly namePrefix?: string;
  /** Lifetime of access tokens, in seconds (60 to 86400). Clients may override it. @default 900 (15 minutes) */
  readonly accessTokenTtlSecs?: number;
  /** How often the RSA signing key rotates, in days (1 to 365). @default 30 */
  readonly signingKeyRotationDays?: number;
  /**
   * How long the previous client secret keeps working after a rotation, in hours (0 to 720).
   * @default 24 (partners have a day to pick up the new secret)
   */
  readonly clientSecretOverlapHours?: number;
  /**
   * The registry's own audience: the default `aud` of access tokens, and the only audience a protected route accepts
   * unless it names its own (`addRoute(key, { audiences })`). @default the issuer
   */
  readonly audience?: string;
  /** Serve the issuer on your own domain. @default none: the issuer is the HTTP API's `execute-api` endpoint */
  readonly customDomain?: CustomDomainProps;
  /** Retention of every log group of the registry, in days (a value CloudWatch allows). @default 30 */
  readonly logRetentionDays?: number;
  /** API-wide burst limit (requests) of the `$default` stage. @default 100 */
  readonly throttlingBurstLimit?: number;
  /** API-wide steady rate limit (requests per second) of the `$default` stage. @default 50 */
  readonly throttlingRateLimit?: number;
  /** Tags added to every taggable resource of the registry. @default none */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Where users sign in for clients using `GrantType.AUTHORIZATION_CODE` (`UserAuthentication.oidc({ issuer, clientId })`).
   * The registry creates the empty secret `<namePrefix>/user-authentication` for the provider's client secret.
   * @default none: no authorization endpoint; declaring an authorization_code client is an error
   */
  readonly userAuthentication?: UserAuthentication;
  /**
   * Days Secrets Manager keeps each secret of the registry after it is destroyed (signing key, client secrets,
   * connection secrets, the upstream secret). Meanwhile a secret of the same name cannot be created again, so a
   * destroyed registry cannot be redeployed under the same `namePrefix`. 0 deletes at once (non-production only:
   * nothing can be recovered); otherwise 7 to 30. @default 30 (Secrets Manager's own default)
   */
  readonly recoveryWindowInDays?: number;
  /**
   * Deletion protection of the registry's table (registrations, refresh tokens, connection token sets): with it,
   * `cdktf destroy` fails on the table. Turn it off only for a registry you mean to destroy. @default true
   */
  readonly deletionProtection?: boolean;
  /** Point-in-time recovery (35 days of continuous backups) of the registry's table. @default true */
  readonly pointInTimeRecovery?: boolean;
}

/**
 * An OAuth 2.0 authorization server for external clients, in your AWS account: declare clients with
 * `addExternalClient`, protect routes with `addRoute`, deploy, hand each partner its client id and secret.
 */
export class OAuthRegistry extends Construct {
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

  private readonly props: OAuthRegistryProps;
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
    this.namePrefix = settings.namePrefix;
    this.accessTokenTtlSecs = settings.accessTokenTtlSecs;
    this.signingKeyRotationDays = settings.signingKeyRotationDays;
    this.secretOverlapSecs = settings.secretOverlapSecs;
    this.logRetentionDays = settings.logRetentionDays;
    this.recoveryWindowInDays = settings.recoveryWindowInDays;
    this.tags = { ...(props.tags ?? {}) };
    this.userAuthentication = props.userAuthentication;
    const tags = props.tags ? { ...props.tags } : undefined;

    this.partition = new DataAwsPartition(this, 'Partition');
    this.region = new DataAwsRegion(this, 'Region');
    this.callerIdentity = new DataAwsCallerIdentity(this, 'CallerIdentity');
    this.key = this.createKey(tags);
    this.registrations = this.createTable(tags, settings);

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
      secretsViaService: this._viaService('secretsmanager'),
      accountId: this.callerIdentity.accountId,
      recoveryWindowInDays: this.recoveryWindowInDays,
    });
    this.signingKeySecret = signingKey.secret;
    this.rotationFunction = signingKey.rotationFunction;
    this.rotator = signingKey.rotator;

    this.server = new AuthorizationServerParts(this, {
      registry: this,
      audience: props.audience,
      secretResources: [this.signingKeySecret.arn, this.clientSecretArnPattern],
      tags,
      recoveryWindowInDays: this.recoveryWindowInDays,
    });
    this.authorizationServer = this.server.function;
    this.userAuthenticationSecret = this.server.userAuthenticationSecret;

    // API Gateway reads the issuer's discovery document and JWKS when it creates an authorizer: the signing key must
    // have its first value (the bootstrap), and the stage, routes, integration, permission and domain must serve them.
    this.issuerReadiness = [
      this.rotator.bootstrap.invocation,
      this.stage,
      ...this.server.issuerReadiness,
      ...api.domainReadiness,
    ];
    this.authorizer = this.authorizerFor();
    this.addDomainOutputs(api);

    this.addOutputs();
    this.node.addValidation({ validate: () => [...registryProblems(this), ...this.server.validate()] });
    Aspects.of(this).add(new RegistryRulesAspect({ table: this.registrations }));
    writeManifestOnSynth(this);
  }

  // --- Factories ---------------------------------------------------------------------------------------------------

  /** Declares an external client (an app of a partner) that gets tokens with its client id and secret. */
  public addExternalClient(id: string, options: ExternalClientOptions): ExternalClient {
    return new ExternalClient(this, id, { ...options, registry: this });
  }

  /**
   * Lets `role` (an internal service) introspect tokens with IAM (SigV4) at `POST /internal/introspect`, instead of
   * client credentials: one `execute-api:Invoke` statement on that route's ARN.
   */
  public grantIntrospection(role: IamRole): IamRolePolicy {
    const [method, routePathPart] = SERVER_ROUTES.internalIntrospect.split(' ');
    const id = `IntrospectionGrant${this.introspectionGrants++ || ''}`;
    return new IamRolePolicy(this, id, {
      name: `${this.namePrefix}-introspection`,
      role: role.name,
      policy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'IntrospectTokens',
            Effect: 'Allow',
            Action: 'execute-api:Invoke',
            Resource: `${this.api.executionArn}/*/${method}${routePathPart}`,
          },
        ],
      }),
    });
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

  // --- Getters -----------------------------------------------------------------------------------------------------

  /** The issuer identifier: `https://<api-id>.execute-api.<region>.amazonaws.com` or `https://<customDomain>`. */
  public get issuer(): string {
    return this.issuerUrl;
  }

  /** Where clients get tokens (`POST`, client credentials). */
  public get tokenEndpoint(): string {
    return `${this.issuerUrl}${routePath(SERVER_ROUTES.token)}`;
  }

  /** Where resource servers find the public signing keys. */
  public get jwksUri(): string {
    return `${this.issuerUrl}${routePath(SERVER_ROUTES.jwks)}`;
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
    return this._regionalArn('secretsmanager', `secret:${this.namePrefix}/clients/*`);
  }

  /** ARN pattern covering every connection secret of this registry (`<namePrefix>/connections/*`). */
  public get connectionSecretArnPattern(): string {
    return this._regionalArn('secretsmanager', `secret:${this.namePrefix}/connections/*`);
  }

  /** @internal `arn:<partition>:<service>:<region>:<account>:<resource>` in the registry's account and region. */
  public _regionalArn(service: string, resource: string): string {
    return `arn:${this.partition.partition}:${service}:${this.region.region}:${this.callerIdentity.accountId}:${resource}`;
  }

  /** @internal `<service>.<region>.<dns suffix>`: the `kms:ViaService` of a call `service` makes in the registry's region. */
  public _viaService(service: string): string {
    return `${service}.${this.region.region}.${this.partition.dnsSuffix}`;
  }

  /** @internal The registry's account id. */
  public get _accountId(): string {
    return this.callerIdentity.accountId;
  }

  /** Everything this registry declares, without secrets (also written next to the synthesized stack). */
  public manifest(): RegistryManifest {
    return registryManifest(this, this.props.audience);
  }

  /** Every external client declared on this registry. */
  public get externalClients(): readonly ExternalClient[] {
    return this.clients;
  }

  /** Every protected route declared on this registry. */
  public get protectedRoutes(): readonly ProtectedRoute[] {
    return this.routes;
  }

  /** Client authentication methods some client uses, as discovery's `token_endpoint_auth_methods_supported`. */
  public authMethodsSupported(): string[] {
    return authMethodsUsed(this.clients.map((c) => c.registration));
  }

  /** Sorted union of every client's scopes, as discovery's `scopes_supported`. */
  public scopesSupported(): string[] {
    return scopesUsed(this.clients.map((c) => c.registration));
  }

  /** @internal Called by `ExternalClient`'s constructor. */
  public _registerClient(client: ExternalClient): void {
    this.clients.push(client);
  }

  /** @internal Called by `ProtectedRoute`'s constructor. */
  public _registerRoute(route: ProtectedRoute): void {
    this.routes.push(route);
  }

  /** Declares a connection to a third-party OAuth provider (we are its client): consent, tokens, broker, proxy. */
  public addConnection(id: string, options: ThirdPartyConnectionOptions): ThirdPartyConnection {
    return new ThirdPartyConnection(this, id, { ...options, registry: this });
  }

  /** Every third-party connection declared on this registry. */
  public get connections(): readonly ThirdPartyConnection[] {
    return this.connectionList;
  }

  /** @internal Called by `ThirdPartyConnection`'s constructor; the first one creates the connections function. */
  public _registerConnection(connection: ThirdPartyConnection): ConnectionsInfra {
    this.connectionList.push(connection);
    return (this.connectionsInfra ??= new ConnectionsInfra(this, 'Connections', { registry: this }));
  }

  /** @internal What generated secrets (client secrets, the link key) are rotated by. */
  public get _rotator(): SecretRotator {
    return this.rotator;
  }

  // --- Internals ---------------------------------------------------------------------------------------------------

  /** The KMS key of the registry's secrets and table. */
  private createKey(tags: Record<string, string> | undefined): KmsKey {
    return new KmsKey(this, 'Key', {
      description: `OAuth registry ${this.namePrefix}: client secrets, signing keys, registrations`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify(keyPolicy(`arn:${this.partition.partition}:iam::${this.callerIdentity.accountId}:root`)),
      tags,
    });
  }

  /** The table of registrations and state (single-key items with a TTL attribute). */
  private createTable(
    tags: Record<string, string> | undefined,
    settings: { deletionProtection: boolean; pointInTimeRecovery: boolean },
  ): DynamodbTable {
    return new DynamodbTable(this, 'Table', {
      name: stateTableName(this.namePrefix),
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      attribute: [{ name: 'pk', type: 'S' }],
      ttl: { attributeName: 'expiresAt', enabled: true },
      pointInTimeRecovery: { enabled: settings.pointInTimeRecovery },
      deletionProtectionEnabled: settings.deletionProtection,
      serverSideEncryption: { enabled: true, kmsKeyArn: this.key.arn },
      tags,
    });
  }

  /**
   * @internal A Terraform output named `<namePrefix>-<suffix>` (see `outputName`), whatever the construct path: the
   * stable names scripts read with `terraform output`.
   */
  public _output(scope: Construct, id: string, suffix: string, value: string, description: string): TerraformOutput {
    const output = new TerraformOutput(scope, id, { value, description });
    output.overrideLogicalId(outputName(this.namePrefix, suffix));
    return output;
  }

  private addOutputs(): void {
    this._output(this, 'Issuer', 'issuer', this.issuer, 'OAuth 2.0 issuer identifier');
    this._output(this, 'TokenEndpoint', 'token-endpoint', this.tokenEndpoint, 'OAuth 2.0 token endpoint');
    this._output(this, 'JwksUri', 'jwks-uri', this.jwksUri, 'JSON Web Key Set of the issuer');
    if (this.userAuthentication) {
      this._output(
        this,
        'AuthorizeEndpoint',
        'authorize-endpoint',
        `${this.issuerUrl}${routePath(SERVER_ROUTES.authorize)}`,
        'OAuth 2.0 authorization endpoint (users sign in through the upstream OpenID provider)',
      );
      this._output(
        this,
        'UserAuthenticationRedirectUri',
        'user-authentication-redirect-uri',
        `${this.issuerUrl}${routePath(SERVER_ROUTES.callback)}`,
        'Redirect URI to register at the upstream OpenID provider',
      );
    }
  }

  /** Where to point the custom domain's DNS records (an alias, or a CNAME), when there is a custom domain. */
  private addDomainOutputs(api: RegistryApiParts): void {
    const target = api.domainName?.domainNameConfiguration;
    if (!target) return;
    this._output(
      this,
      'CustomDomainTarget',
      'custom-domain-target',
      target.targetDomainName,
      'API Gateway domain name the custom domain resolves to (alias or CNAME target)',
    );
    this._output(
      this,
      'CustomDomainHostedZoneId',
      'custom-domain-hosted-zone-id',
      target.hostedZoneId,
      'Route 53 hosted zone id of the API Gateway domain name (for an alias record)',
    );
  }
}

/** `GET /v1/incidents/{id}` → `GetV1IncidentsId` (construct ids are PascalCase). */
export function routeIdOf(routeKey: string): string {
  const words = routeKey.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const id = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('');
  return id || 'Route';
}
