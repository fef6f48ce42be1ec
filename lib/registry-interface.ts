/**
 * The registry as the constructs declared on it see it: `IOAuthRegistry` sits between `OAuthRegistry` and its parts
 * (external clients, protected routes, MCP servers, data routes, connections, and the private builders), as aws-cdk's
 * `IUserPool` sits between `UserPool` and `UserPoolClient`. The parts import this interface, never the registry's
 * class, so the registry can import them without an import circle.
 */
import type { Apigatewayv2Api } from '@cdktf/provider-aws/lib/apigatewayv2-api';
import type { Apigatewayv2Authorizer } from '@cdktf/provider-aws/lib/apigatewayv2-authorizer';
import type { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import type { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import type { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import type { TerraformOutput } from 'cdktf';
import type { Construct, IConstruct } from 'constructs';
import type { ClientIdMetadataDocumentsSettings, DynamicClientRegistrationSettings } from '../lambdas/shared/client-registration-settings';
import type { DataRouteRegistration } from '../lambdas/shared/data-routes';
import type {
  ClientRegistration,
  ConnectionRegistration,
  McpServerRegistration,
  RegistryManifest,
  RouteRegistration,
} from '../lambdas/shared/manifest';
import type { RegistryFunction } from './private/registry-function';
import type { SecretRotator } from './private/rotated-secret';
import type { UserAuthentication } from './user-authentication';

/** An external client as the registry reads it (`ExternalClient`). */
export interface IDeclaredClient extends IConstruct {
  readonly clientId: string;
  readonly registration: ClientRegistration;
}

/** A protected route as the registry reads it (`ProtectedRoute`). */
export interface IDeclaredRoute extends IConstruct {
  readonly routeKey: string;
  /** The audiences the route accepts; undefined: the registry's own audience. */
  readonly audiences?: readonly string[];
  readonly registration: RouteRegistration;
}

/** An MCP server as the registry reads it (`McpServer`). */
export interface IDeclaredMcpServer extends IConstruct {
  readonly path: string;
  readonly registration: McpServerRegistration;
  readonly routeRegistrations: readonly RouteRegistration[];
}

/** A data route as the registry reads it (`DataRoute`). */
export interface IDeclaredDataRoute extends IConstruct {
  readonly routeKey: string;
  readonly registration: DataRouteRegistration;
}

/** A third-party connection as the registry reads it (`ThirdPartyConnection`). */
export interface IDeclaredConnection extends IConstruct {
  readonly connectionName: string;
  readonly registration: ConnectionRegistration;
}

/** An OAuth registry, as its clients, routes, MCP servers, data routes and connections use it (`OAuthRegistry`). */
export interface IOAuthRegistry extends IConstruct {
  /** Prefix of every named resource. */
  readonly namePrefix: string;
  readonly accessTokenTtlSecs: number;
  readonly signingKeyRotationDays: number;
  /** How long the previous client secret keeps working after a rotation, in seconds. */
  readonly secretOverlapSecs: number;
  readonly logRetentionDays: number;
  /** Days Secrets Manager keeps a destroyed secret of the registry (0: deleted at once). */
  readonly recoveryWindowInDays: number;
  /** Tags of the registry's resources. */
  readonly tags: Readonly<Record<string, string>>;
  /** Where users sign in (authorization_code clients), when declared. */
  readonly userAuthentication?: UserAuthentication;
  /** Origins browser scripts may call the API from (CORS, API-wide); empty: none. */
  readonly corsAllowedOrigins: readonly string[];

  /** The HTTP API serving the token endpoint, discovery and protected routes. */
  readonly api: Apigatewayv2Api;
  /** The DynamoDB table holding registrations and the registry's state. */
  readonly table: DynamodbTable;
  /** The KMS key encrypting the registry's secrets and table. */
  readonly kmsKey: KmsKey;
  /** The Secrets Manager secret holding the RSA signing keys. */
  readonly signingKeySecret: SecretsmanagerSecret;
  /** The function that generates and rotates signing keys and client secrets. */
  readonly rotationFunction: RegistryFunction;
  /** The issuer identifier: `https://<api-id>.execute-api.<region>.amazonaws.com` or `https://<customDomain>`. */
  readonly issuer: string;
  /** Default `aud` of access tokens: the `audience` prop, else the issuer. */
  readonly audience: string;
  /** Where clients get tokens. */
  readonly tokenEndpoint: string;
  /** Where resource servers find the public signing keys. */
  readonly jwksUri: string;
  /** ARN pattern covering every client secret of this registry (`<namePrefix>/clients/*`). */
  readonly clientSecretArnPattern: string;
  /** ARN pattern covering every connection secret of this registry (`<namePrefix>/connections/*`). */
  readonly connectionSecretArnPattern: string;
  /** The JWT authorizer accepting tokens of this issuer for one of exactly `audiences` (default: the registry's own). */
  authorizerFor(audiences?: readonly string[]): Apigatewayv2Authorizer;

  /** Every external client declared on this registry, in declaration order. */
  readonly externalClients: readonly IDeclaredClient[];
  /** Every protected route declared on this registry. */
  readonly protectedRoutes: readonly IDeclaredRoute[];
  /** Every MCP server declared on this registry. */
  readonly mcpServers: readonly IDeclaredMcpServer[];
  /** Every data route declared on this registry. */
  readonly dataRoutes: readonly IDeclaredDataRoute[];
  /** Every third-party connection declared on this registry. */
  readonly connections: readonly IDeclaredConnection[];
  /** Everything this registry declares, without secrets: what the functions' settings are projected from. */
  manifest(): RegistryManifest;
  /** Client authentication methods some client uses, as discovery's `token_endpoint_auth_methods_supported`. */
  authMethodsSupported(): string[];
  /** Sorted union of every client's scopes, as discovery's `scopes_supported`. */
  scopesSupported(): string[];
  /** What clients known by a metadata document URL may do, when the registry accepts them. */
  clientIdMetadataDocumentsSettings(): ClientIdMetadataDocumentsSettings | undefined;
  /** The bounds of dynamic client registration, when the registry opens it. */
  dynamicClientRegistrationSettings(): DynamicClientRegistrationSettings | undefined;

  // What the parts build with: called by their constructors, not by users.

  /** The registry's region (known at plan time). */
  readonly regionName: string;
  /** The registry's account id. */
  readonly accountId: string;
  /** `arn:<partition>:<service>:<region>:<account>:<resource>` in the registry's account and region. */
  regionalArn(service: string, resource: string): string;
  /** `<service>.<region>.<dns suffix>`: the `kms:ViaService` of a call `service` makes in the registry's region. */
  viaService(service: string): string;
  /** The name of the inline policy a grant puts on a role we do not deploy: `<namePrefix>-<region>-<purpose>`. */
  outsideRolePolicyName(purpose: string): string;
  /** What generated secrets (client secrets, the link key) are rotated by. */
  readonly secretRotator: SecretRotator;
  /** The authorization server's integration (MCP servers' RFC 9728 documents are its routes). */
  readonly serverIntegration: Apigatewayv2Integration;
  /** A Terraform output named `<namePrefix>-<suffix>` whatever the construct path of `scope`. */
  addOutput(scope: Construct, id: string, suffix: string, value: string, description: string): TerraformOutput;
  /** Records an external client (its constructor calls this). */
  registerClient(client: IDeclaredClient): void;
  /** Records a protected route (its constructor calls this). */
  registerRoute(route: IDeclaredRoute): void;
  /** Records an MCP server (its constructor calls this). */
  registerMcpServer(server: IDeclaredMcpServer): void;
  /** Records a data route (its constructor calls this). */
  registerDataRoute(route: IDeclaredDataRoute): void;
  /** Records a connection (its constructor calls this); returns the connections function, created with the first. */
  registerConnection(connection: IDeclaredConnection): RegistryFunction;
}
