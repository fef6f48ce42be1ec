/**
 * The OAuth 2.0 authorization server of a team's AWS account: an HTTP API with a token endpoint, discovery and
 * JWKS, a JWT authorizer for protected routes, and the registrations of external clients.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import { Apigatewayv2ApiMapping } from '@cdktf/provider-aws/lib/apigatewayv2-api-mapping';
import { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import { Apigatewayv2DomainName } from '@cdktf/provider-aws/lib/apigatewayv2-domain-name';
import { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Apigatewayv2Stage } from '@cdktf/provider-aws/lib/apigatewayv2-stage';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity';
import { DataAwsPartition } from '@cdktf/provider-aws/lib/data-aws-partition';
import { DataAwsRegion } from '@cdktf/provider-aws/lib/data-aws-region';
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import { Aspects, Lazy, TerraformOutput, TerraformStack, Token } from 'cdktf';
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/shared/config';
import {
  ACCESS_TOKEN_TTL_SECS,
  CACHE_TTL_SECS,
  CLIENT_SECRET_OVERLAP_HOURS,
  SIGNING_KEY_ROTATION_DAYS,
} from '../lambdas/shared/defaults';
import { IAM_SERVER_ROUTES, SERVER_ROUTES, routePath, type ServerRoute } from '../lambdas/shared/routes';
import {
  SECRET_KIND_TAG,
  authMethodsUsed,
  authorizerAudiences,
  grantTypesUsed,
  manifestFileName,
  scopesUsed,
  stateTableName,
  type ClientRegistration,
  type RegistryManifest,
  type RouteRegistration,
} from '../lambdas/shared/manifest';
import { ExternalClient, type ExternalClientOptions } from './external-client';
import { ConnectionsInfra } from './private/connections-infra';
import { ThirdPartyConnection, type ThirdPartyConnectionOptions } from './third-party-connection';
import type { UserAuthentication } from './user-authentication';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import type { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { PACKAGE_ROOT } from './private/bundle';
import { RegistryFunction } from './private/registry-function';
import { resolveTokens } from './private/resolve';
import { RegistryRulesAspect } from './private/rules';
import { ProtectedRoute, type ProtectedRouteOptions } from './protected-route';
import {
  parseRouteKey,
  toKebab,
  validateIntRange,
  validateLogRetentionDays,
  validateNamePrefix,
} from './private/validate';

/** A custom domain for the issuer, instead of the API's generated `execute-api` host. */
export interface CustomDomainProps {
  /** The host name, e.g. `auth.example.com` (the issuer becomes `https://auth.example.com`). */
  readonly domainName: string;
  /** ACM certificate for `domainName`, in the registry's region. */
  readonly certificateArn: string;
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
  /** Default `aud` of access tokens and the JWT authorizer's first audience. @default the issuer */
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
}

/** Lambda's limit on the total size of a function's environment variables, in bytes. */
const LAMBDA_ENV_LIMIT_BYTES = 4096;
/** Size assumed for a value only known at deploy time (e.g. the issuer), when checking the env limit. */
const UNRESOLVED_VALUE_BYTES = 128;

/** Construct id of each authorization-server route (part of the ID tree: renaming one replaces the route). */
const SERVER_ROUTE_IDS: Readonly<Record<ServerRoute, string>> = {
  token: 'TokenRoute',
  openidConfiguration: 'OpenIdConfigurationRoute',
  authorizationServerMetadata: 'AuthorizationServerMetadataRoute',
  jwks: 'JwksRoute',
  authorize: 'AuthorizeRoute',
  callback: 'CallbackRoute',
  consent: 'ConsentRoute',
  consentDecision: 'ConsentDecisionRoute',
  revoke: 'RevokeRoute',
  introspect: 'IntrospectRoute',
  internalIntrospect: 'InternalIntrospectRoute',
};

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
  /** The JWT authorizer protected routes use. */
  public readonly authorizer: Apigatewayv2Authorizer;
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
  private readonly rotationPermission: LambdaPermission;
  private readonly clients: ExternalClient[] = [];
  private readonly routes: ProtectedRoute[] = [];
  private readonly connectionList: ThirdPartyConnection[] = [];
  private connectionsInfra?: ConnectionsInfra;
  private introspectionGrants = 0;

  constructor(scope: Construct, id: string, props: OAuthRegistryProps = {}) {
    super(scope, id);
    this.props = props;
    this.namePrefix = validateNamePrefix(props.namePrefix ?? defaultNamePrefix(id));
    this.accessTokenTtlSecs = validateIntRange('accessTokenTtlSecs', props.accessTokenTtlSecs ?? ACCESS_TOKEN_TTL_SECS, 60, 86_400);
    this.signingKeyRotationDays = validateIntRange('signingKeyRotationDays', props.signingKeyRotationDays ?? SIGNING_KEY_ROTATION_DAYS, 1, 365);
    const overlapHours = validateIntRange('clientSecretOverlapHours', props.clientSecretOverlapHours ?? CLIENT_SECRET_OVERLAP_HOURS, 0, 720);
    this.secretOverlapSecs = Token.isUnresolved(overlapHours) ? overlapHours : overlapHours * 3600;
    this.logRetentionDays = validateLogRetentionDays(props.logRetentionDays ?? 30);
    const burst = validateIntRange('throttlingBurstLimit', props.throttlingBurstLimit ?? 100, 0, 5_000);
    const rate = props.throttlingRateLimit ?? 50;
    if (!Token.isUnresolved(rate) && !(rate >= 0 && rate <= 10_000)) {
      throw new Error(`throttlingRateLimit must be between 0 and 10000 requests per second, got ${rate}`);
    }
    if (props.customDomain && !Token.isUnresolved(props.customDomain.domainName)) {
      const domain = props.customDomain.domainName;
      if (!/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(domain)) {
        throw new Error(`customDomain.domainName must be a host name like "auth.example.com", got "${domain}"`);
      }
    }
    if (props.audience !== undefined && !Token.isUnresolved(props.audience) && props.audience.length === 0) {
      throw new Error('audience must not be empty, got ""');
    }
    this.tags = { ...(props.tags ?? {}) };
    const tags = props.tags ? { ...props.tags } : undefined;

    this.partition = new DataAwsPartition(this, 'Partition');
    this.region = new DataAwsRegion(this, 'Region');
    this.callerIdentity = new DataAwsCallerIdentity(this, 'CallerIdentity');

    this.key = new KmsKey(this, 'Key', {
      description: `OAuth registry ${this.namePrefix}: client secrets, signing keys, registrations`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      tags,
    });

    this.registrations = new DynamodbTable(this, 'Table', {
      name: stateTableName(this.namePrefix),
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      attribute: [{ name: 'pk', type: 'S' }],
      ttl: { attributeName: 'expiresAt', enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: this.key.arn },
      tags,
    });

    // --- HTTP API ---------------------------------------------------------------------------------------------
    this.api = new Apigatewayv2Api(this, 'Api', {
      name: `${this.namePrefix}-api`,
      protocolType: 'HTTP',
      description: `OAuth 2.0 authorization server ${this.namePrefix}`,
      tags,
    });
    const accessLogs = new CloudwatchLogGroup(this, 'AccessLogs', {
      name: `/aws/apigateway/${this.namePrefix}-access`,
      retentionInDays: this.logRetentionDays,
      tags,
    });
    this.stage = new Apigatewayv2Stage(this, 'DefaultStage', {
      apiId: this.api.id,
      name: '$default',
      autoDeploy: true,
      accessLogSettings: { destinationArn: accessLogs.arn, format: ACCESS_LOG_FORMAT },
      defaultRouteSettings: { throttlingBurstLimit: burst, throttlingRateLimit: rate },
      tags,
    });

    if (props.customDomain) {
      const domain = new Apigatewayv2DomainName(this, 'DomainName', {
        domainName: props.customDomain.domainName,
        domainNameConfiguration: {
          certificateArn: props.customDomain.certificateArn,
          endpointType: 'REGIONAL',
          securityPolicy: 'TLS_1_2',
        },
        tags,
      });
      new Apigatewayv2ApiMapping(this, 'ApiMapping', { apiId: this.api.id, domainName: domain.id, stage: this.stage.id });
      this.issuerUrl = `https://${props.customDomain.domainName}`;
    } else {
      // An HTTP API's `$default` stage serves at the root of its endpoint, which has no trailing slash.
      this.issuerUrl = this.api.apiEndpoint;
    }

    // --- Signing key and rotation -------------------------------------------------------------------------------
    this.signingKeySecret = new SecretsmanagerSecret(this, 'SigningKey', {
      name: `${this.namePrefix}/signing-key`,
      description: `RSA signing keys (private JWKs) of OAuth registry ${this.namePrefix}; generated by rotation`,
      kmsKeyId: this.key.arn,
      tags: { ...this.tags, [SECRET_KIND_TAG]: 'signing-key' },
    });

    const secretsStatementResources = [this.signingKeySecret.arn, this.clientSecretArnPattern];
    this.userAuthentication = props.userAuthentication;
    if (props.userAuthentication) {
      this.userAuthenticationSecret = new SecretsmanagerSecret(this, 'UserAuthenticationSecret', {
        name: `${this.namePrefix}/user-authentication`,
        description: `Client secret the upstream OpenID provider issued to OAuth registry ${this.namePrefix}; set with \`oauth-registry credentials set-upstream-secret\``,
        kmsKeyId: this.key.arn,
        tags,
      });
    }
    this.rotationFunction = new RegistryFunction(this, 'RotationFunction', {
      functionName: `${this.namePrefix}-rotation`,
      description: `Rotates signing keys and client secrets of OAuth registry ${this.namePrefix}`,
      entry: path.join(PACKAGE_ROOT, 'lambdas', 'rotation', 'index.ts'),
      memorySizeMb: 256,
      timeoutSecs: 30,
      logRetentionDays: this.logRetentionDays,
      tags,
      statements: [
        {
          sid: 'RotateOwnSecrets',
          actions: [
            'secretsmanager:GetSecretValue',
            'secretsmanager:DescribeSecret',
            'secretsmanager:PutSecretValue',
            'secretsmanager:UpdateSecretVersionStage',
          ],
          resources: secretsStatementResources,
        },
        { sid: 'UseRegistryKey', actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resources: [this.key.arn] },
      ],
    });
    this.rotationPermission = new LambdaPermission(this, 'RotationPermission', {
      functionName: this.rotationFunction.function.functionName,
      action: 'lambda:InvokeFunction',
      principal: 'secretsmanager.amazonaws.com',
      sourceAccount: this.callerIdentity.accountId,
    });
    new SecretsmanagerSecretRotation(this, 'SigningKeyRotation', {
      secretId: this.signingKeySecret.id,
      rotationLambdaArn: this.rotationFunction.functionArn,
      rotateImmediately: true,
      rotationRules: { automaticallyAfterDays: this.signingKeyRotationDays },
      dependsOn: [this.rotationPermission],
    });

    // --- Authorization server --------------------------------------------------------------------------------------
    this.authorizationServer = new RegistryFunction(this, 'AuthorizationServer', {
      functionName: `${this.namePrefix}-authorization-server`,
      description: `Token endpoint, discovery and JWKS of OAuth registry ${this.namePrefix}`,
      entry: path.join(PACKAGE_ROOT, 'lambdas', 'authorization-server', 'index.ts'),
      memorySizeMb: 512,
      timeoutSecs: 10,
      logRetentionDays: this.logRetentionDays,
      tags,
      environment: this.authorizationServerEnvironment(),
      statements: [
        {
          sid: 'ReadOwnSecrets',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: [...secretsStatementResources, ...(this.userAuthenticationSecret ? [this.userAuthenticationSecret.arn] : [])],
        },
        // Registrations, and state (conditional writes): codes, refresh-token families, revocations, assertion `jti`s.
        {
          sid: 'UseRegistryTable',
          actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'],
          resources: [this.registrations.arn],
        },
        { sid: 'UseRegistryKey', actions: ['kms:Decrypt'], resources: [this.key.arn] },
      ],
    });
    const integration = new Apigatewayv2Integration(this, 'ServerIntegration', {
      apiId: this.api.id,
      integrationType: 'AWS_PROXY',
      integrationUri: this.authorizationServer.function.invokeArn,
      integrationMethod: 'POST',
      payloadFormatVersion: '2.0',
    });
    for (const [name, routeKey] of Object.entries(SERVER_ROUTES) as [ServerRoute, string][]) {
      const routeId = SERVER_ROUTE_IDS[name];
      new Apigatewayv2Route(this, routeId, {
        apiId: this.api.id,
        routeKey,
        target: `integrations/${integration.id}`,
        ...(IAM_SERVER_ROUTES.has(routeKey) ? { authorizationType: 'AWS_IAM' } : {}),
      });
    }
    new LambdaPermission(this, 'ServerInvokePermission', {
      functionName: this.authorizationServer.function.functionName,
      action: 'lambda:InvokeFunction',
      principal: 'apigateway.amazonaws.com',
      sourceArn: `${this.api.executionArn}/*/*`,
    });

    this.authorizer = new Apigatewayv2Authorizer(this, 'Authorizer', {
      apiId: this.api.id,
      name: `${this.namePrefix}-jwt`,
      authorizerType: 'JWT',
      identitySources: ['$request.header.Authorization'],
      jwtConfiguration: {
        issuer: this.issuerUrl,
        audience: Lazy.listValue({ produce: () => this.audiences() }),
      },
    });

    new TerraformOutput(this, 'Issuer', { value: this.issuer, description: 'OAuth 2.0 issuer identifier' });
    new TerraformOutput(this, 'TokenEndpoint', { value: this.tokenEndpoint, description: 'OAuth 2.0 token endpoint' });
    new TerraformOutput(this, 'JwksUri', { value: this.jwksUri, description: 'JSON Web Key Set of the issuer' });
    if (props.userAuthentication) {
      new TerraformOutput(this, 'UserAuthenticationRedirectUri', {
        value: `${this.issuerUrl}${routePath(SERVER_ROUTES.callback)}`,
        description: 'Redirect URI to register at the upstream OpenID provider',
      });
    }

    this.node.addValidation({ validate: () => this.validateTree() });
    Aspects.of(this).add(new RegistryRulesAspect());
    addCustomSynthesis(this, {
      onSynthesize: (session) => {
        const stack = TerraformStack.of(this);
        const dir = path.join(session.outdir, session.manifest.forStack(stack).workingDirectory);
        mkdirSync(dir, { recursive: true });
        writeFileSync(path.join(dir, manifestFileName(this.node.id)), `${JSON.stringify(this.manifest(), null, 2)}\n`);
      },
    });
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
          { Sid: 'IntrospectTokens', Effect: 'Allow', Action: 'execute-api:Invoke', Resource: `${this.api.executionArn}/*/${method}${routePathPart}` },
        ],
      }),
    });
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
    return (
      `arn:${this.partition.partition}:secretsmanager:${this.region.region}:${this.callerIdentity.accountId}` +
      `:secret:${this.namePrefix}/clients/*`
    );
  }

  /** ARN pattern covering every connection secret of this registry (`<namePrefix>/connections/*`). */
  public get connectionSecretArnPattern(): string {
    return this._regionalArn('secretsmanager', `secret:${this.namePrefix}/connections/*`);
  }

  /** @internal `arn:<partition>:<service>:<region>:<account>:<resource>` in the registry's account and region. */
  public _regionalArn(service: string, resource: string): string {
    return `arn:${this.partition.partition}:${service}:${this.region.region}:${this.callerIdentity.accountId}:${resource}`;
  }

  /** Everything this registry declares, without secrets (also written next to the synthesized stack). */
  public manifest(): RegistryManifest {
    const literal = (value: string): string => (Token.isUnresolved(value) ? String(resolveTokens(this, value)) : value);
    return {
      version: 1,
      registryPath: this.node.path,
      namePrefix: this.namePrefix,
      ...(this.props.audience !== undefined ? { audience: literal(this.props.audience) } : {}),
      accessTokenTtlSecs: this.accessTokenTtlSecs,
      secretOverlapSecs: this.secretOverlapSecs,
      signingKeySecretId: `${this.namePrefix}/signing-key`,
      signingKeyRotationDays: this.signingKeyRotationDays,
      clients: this.clients.map(
        (c): ClientRegistration =>
          c.registration.audience === undefined ? c.registration : { ...c.registration, audience: literal(c.registration.audience) },
      ),
      routes: this.routes.map((r): RouteRegistration => r.registration),
      ...(this.connectionList.length > 0 ? { connections: this.connectionList.map((c) => c.registration) } : {}),
      ...(this.userAuthentication
        ? {
            userAuthentication: {
              issuer: literal(this.userAuthentication.issuer),
              clientId: literal(this.userAuthentication.clientId),
              scopes: [...this.userAuthentication.scopes],
              secretId: `${this.namePrefix}/user-authentication`,
            },
          }
        : {}),
    };
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

  /** @internal The permission client secret rotations must wait for. */
  public get _rotationPermission(): LambdaPermission {
    return this.rotationPermission;
  }

  // --- Internals ---------------------------------------------------------------------------------------------------

  /** The JWT authorizer's audiences: the default first, then each client's own, deduplicated. */
  private audiences(): string[] {
    return authorizerAudiences(this.audience, this.clients.map((c) => c.registration));
  }

  private authorizationServerEnvironment(): Record<string, string> {
    return {
      [ENV.ISSUER]: this.issuerUrl,
      [ENV.TABLE_NAME]: this.registrations.name,
      [ENV.SIGNING_KEY_SECRET_ID]: this.signingKeySecret.name,
      ...(this.props.audience !== undefined ? { [ENV.AUDIENCE]: this.props.audience } : {}),
      [ENV.SECRET_OVERLAP_SECS]: String(this.secretOverlapSecs),
      [ENV.SCOPES_SUPPORTED]: Lazy.stringValue({ produce: () => this.scopesSupported().join(' ') }),
      [ENV.AUTH_METHODS_SUPPORTED]: Lazy.stringValue({ produce: () => this.authMethodsSupported().join(' ') }),
      [ENV.CACHE_TTL_SECS]: String(CACHE_TTL_SECS),
      [ENV.GRANT_TYPES_SUPPORTED]: Lazy.stringValue({ produce: () => grantTypesUsed(this.clients.map((c) => c.registration)).join(' ') }),
      ...(this.userAuthentication
        ? {
            [ENV.USER_AUTH_ISSUER]: this.userAuthentication.issuer,
            [ENV.USER_AUTH_CLIENT_ID]: this.userAuthentication.clientId,
            [ENV.USER_AUTH_SCOPES]: this.userAuthentication.scopes.join(' '),
            [ENV.USER_AUTH_SECRET_ID]: `${this.namePrefix}/user-authentication`,
          }
        : {}),
    };
  }

  /** Size Lambda counts for the authorization server's environment (keys + values, UTF-8). */
  private environmentBytes(): number {
    const env = {
      ...this.authorizationServerEnvironment(),
      [ENV.SCOPES_SUPPORTED]: this.scopesSupported().join(' '),
      [ENV.AUTH_METHODS_SUPPORTED]: this.authMethodsSupported().join(' '),
    };
    return Object.entries(env).reduce((total, [key, value]) => {
      const valueBytes = Token.isUnresolved(value) ? UNRESOLVED_VALUE_BYTES : Buffer.byteLength(value);
      return total + Buffer.byteLength(key) + valueBytes;
    }, 0);
  }

  /**
   * The JWKS keeps a key for one rotation after it stops signing (as AWSPREVIOUS). A token signed just before a
   * rotation must expire before the next one removes its key, with room for Secrets Manager's schedule window:
   * hence twice the longest access token lifetime.
   */
  private validateKeyOverlap(): string[] {
    const ttls = [this.accessTokenTtlSecs, ...this.clients.map((c) => c.registration.accessTokenTtlSecs)];
    if ([this.signingKeyRotationDays, ...ttls].some((v) => Token.isUnresolved(v))) return [];
    const longest = Math.max(...ttls);
    const rotationSecs = this.signingKeyRotationDays * 86_400;
    if (2 * longest <= rotationSecs) return [];
    return [
      `signingKeyRotationDays (${this.signingKeyRotationDays}) must be at least twice the longest access token lifetime ` +
        `(${longest} s): a token could outlive its signing key in the JWKS`,
    ];
  }

  private validateTree(): string[] {
    const errors: string[] = [];
    const byName = new Map<string, ExternalClient>();
    const byClientId = new Map<string, ExternalClient>();
    for (const client of this.clients) {
      const { name, clientId } = client.registration;
      const sameName = byName.get(name);
      if (sameName) {
        errors.push(
          `duplicate external client name "${name}" (${sameName.node.path} and ${client.node.path}): ` +
            `both would use secret "${this.namePrefix}/clients/${name}"`,
        );
      } else byName.set(name, client);
      const sameId = byClientId.get(clientId);
      if (sameId) {
        errors.push(`duplicate clientId "${clientId}" (${sameId.node.path} and ${client.node.path})`);
      } else byClientId.set(clientId, client);
    }
    const routeKeys = new Map<string, ProtectedRoute>();
    for (const route of this.routes) {
      const same = routeKeys.get(route.routeKey);
      if (same) errors.push(`duplicate route "${route.routeKey}" (${same.node.path} and ${route.node.path})`);
      else routeKeys.set(route.routeKey, route);
    }
    errors.push(...this.validateKeyOverlap());
    const bytes = this.environmentBytes();
    if (bytes > LAMBDA_ENV_LIMIT_BYTES) {
      const scopes = this.scopesSupported();
      errors.push(
        `the authorization server's environment would be ${bytes} bytes, over Lambda's ${LAMBDA_ENV_LIMIT_BYTES}: ` +
          `${ENV.SCOPES_SUPPORTED} holds ${scopes.length} scopes (${scopes.join(' ').length} bytes); use fewer, shorter scopes`,
      );
    }
    return errors;
  }
}

/** JSON access log line of the `$default` stage. No Authorization header, no query string, no body. */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  ip: '$context.identity.sourceIp',
  requestTime: '$context.requestTime',
  httpMethod: '$context.httpMethod',
  path: '$context.path',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  clientId: '$context.authorizer.claims.client_id',
  userAgent: '$context.identity.userAgent',
});

function defaultNamePrefix(id: string): string {
  const kebab = toKebab(id).slice(0, 32).replace(/-+$/, '');
  return kebab;
}

/** `GET /v1/incidents/{id}` → `GetV1IncidentsId` (construct ids are PascalCase). */
export function routeIdOf(routeKey: string): string {
  const words = routeKey.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const id = words.map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('');
  return id || 'Route';
}
