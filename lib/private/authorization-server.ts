/**
 * The registry's authorization server: the upstream client secret (with `userAuthentication`), the server function
 * (token endpoint, discovery, JWKS, sign-in, revocation, introspection) with its environment, and its routes.
 */
import * as path from 'node:path';
import type { Apigatewayv2Integration } from '@cdktf/provider-aws/lib/apigatewayv2-integration';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { Token, type ITerraformDependable } from 'cdktf';
import type { Construct } from 'constructs';
import { authorizationServerConfig, authorizationServerEnvironment } from '../../lambdas/shared/config';
import { SIGN_IN_CALLBACK_BUDGET_MS } from '../../lambdas/shared/defaults';
import { ENV, secretNames } from '../../lambdas/shared/names';
import { IAM_SERVER_ROUTES, SERVER_ROUTES, type ServerRoute } from '../../lambdas/shared/routes';
import type { IOAuthRegistry } from '../registry-interface';
import { PACKAGE_ROOT } from './bundle';
import { routeToFunction } from './function-routes';
import { RegistryFunction } from './registry-function';
import { secretsKeyStatement, tableStatements } from './registry-policies';
import { synthEnvironment } from './synth-environment';

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
/** The routes API Gateway reads when it creates a JWT authorizer: the discovery documents and the JWKS. */
const ISSUER_ROUTES: readonly ServerRoute[] = ['openidConfiguration', 'authorizationServerMetadata', 'jwks'];
/**
 * The server's timeout: its longest request's budget (the sign-in callback, `SIGN_IN_CALLBACK_BUDGET_MS`) plus a second
 * for building the SDK clients on a cold start; a test holds it under API Gateway's 30 s. Shorter, a slow
 * provider would time the function out mid-exchange, before the sign-in is rolled back for a retry.
 */
export const AUTHORIZATION_SERVER_TIMEOUT_SECS = Math.ceil(SIGN_IN_CALLBACK_BUDGET_MS / 1000) + 1;
/** Lambda's limit on the total size of a function's environment variables, in bytes. */
const LAMBDA_ENV_LIMIT_BYTES = 4096;
/** Size assumed for a value only known at deploy time (e.g. the issuer), when checking the env limit. */
const UNRESOLVED_VALUE_BYTES = 128;

export interface AuthorizationServerProps {
  /** The registry, its API, table, key and signing key already created. */
  readonly registry: IOAuthRegistry;
  /** The signing key and client secrets the server reads (the rotation function rotates the same ones). */
  readonly secretResources: readonly string[];
  readonly tags?: Readonly<Record<string, string>>;
  /** The registry's `recoveryWindowInDays`. */
  readonly recoveryWindowInDays: number;
}

/** The server's secret, function and routes, created in `scope` (the registry). */
export class AuthorizationServerParts {
  public readonly function: RegistryFunction;
  /** The secret an operator sets to the upstream provider's client secret (with `userAuthentication`). */
  public readonly userAuthenticationSecret?: SecretsmanagerSecret;
  /**
   * What serves the issuer's discovery and JWKS: the integration, the permission letting API Gateway invoke the
   * server, and the discovery and JWKS routes.
   */
  public readonly issuerReadiness: readonly ITerraformDependable[];
  /** The server's Lambda integration (MCP servers' RFC 9728 documents are served through it too). */
  public readonly integration: Apigatewayv2Integration;
  private readonly registry: IOAuthRegistry;

  constructor(scope: Construct, props: AuthorizationServerProps) {
    const { registry, tags } = props;
    this.registry = registry;
    const { namePrefix } = registry;
    if (registry.userAuthentication) {
      this.userAuthenticationSecret = new SecretsmanagerSecret(scope, 'UserAuthenticationSecret', {
        name: secretNames.userAuthentication(namePrefix),
        description:
          `Client secret the upstream OpenID provider issued to OAuth registry ${namePrefix}; ` +
          'set with `oauth-registry credentials set-upstream-secret`',
        kmsKeyId: registry.kmsKey.arn,
        recoveryWindowInDays: props.recoveryWindowInDays,
        tags,
      });
    }
    const readableSecrets = [...props.secretResources, ...(this.userAuthenticationSecret ? [this.userAuthenticationSecret.arn] : [])];
    this.function = new RegistryFunction(scope, 'AuthorizationServer', {
      functionName: `${namePrefix}-authorization-server`,
      description: `Token endpoint, discovery and JWKS of OAuth registry ${namePrefix}`,
      entry: path.join(PACKAGE_ROOT, 'lambdas', 'authorization-server', 'index.ts'),
      memorySizeMb: 512,
      timeoutSecs: AUTHORIZATION_SERVER_TIMEOUT_SECS,
      logRetentionDays: registry.logRetentionDays,
      tags,
      // Its JWKS reads the public ring the bootstrap publishes: new code (an upgrade) deploys once the ring is there.
      dependsOn: [registry.secretRotator.bootstrap.invocation],
      environment: this.environment(),
      statements: [
        {
          sid: 'ReadOwnSecrets',
          actions: ['secretsmanager:GetSecretValue', 'secretsmanager:DescribeSecret'],
          resources: readableSecrets,
        },
        // Reads clients' registrations and its own state; writes its own state only (TABLE_READS, TABLE_WRITES).
        ...tableStatements({
          user: 'authorizationServer',
          tableArn: registry.table.arn,
          tableName: registry.table.name,
          keyArn: registry.kmsKey.arn,
          viaService: registry.viaService('dynamodb'),
          accountId: registry.accountId,
        }),
        secretsKeyStatement({
          sid: 'DecryptOwnSecrets',
          keyArn: registry.kmsKey.arn,
          actions: ['kms:Decrypt'],
          viaService: registry.viaService('secretsmanager'),
          secretArns: readableSecrets,
        }),
      ],
    });
    const serverRoutes = Object.entries(SERVER_ROUTES) as [ServerRoute, string][];
    const { integration, routes, permission } = routeToFunction(scope, {
      api: registry.api,
      handler: this.function,
      integrationId: 'ServerIntegration',
      routes: serverRoutes.map(([name, routeKey]) => ({
        id: SERVER_ROUTE_IDS[name],
        routeKey,
        ...(IAM_SERVER_ROUTES.has(routeKey) ? { authorization: { authorizationType: 'AWS_IAM' } } : {}),
      })),
      permissionId: 'ServerInvokePermission',
      sourceArn: `${registry.api.executionArn}/*/*`,
    });
    const issuerRoutes = routes.filter((_, i) => ISSUER_ROUTES.includes(serverRoutes[i][0]));
    this.issuerReadiness = [integration, permission, ...issuerRoutes];
    this.integration = integration;
  }

  /** Problems found at synth: an environment over Lambda's limit (too many, too long scopes). */
  public validate(): string[] {
    const bytes = this.environmentBytes();
    if (bytes <= LAMBDA_ENV_LIMIT_BYTES) return [];
    const scopes = this.registry.scopesSupported();
    return [
      `the authorization server's environment would be ${bytes} bytes, over Lambda's ${LAMBDA_ENV_LIMIT_BYTES}: ` +
        `${ENV.SCOPES_SUPPORTED} holds ${scopes.length} scopes (${scopes.join(' ').length} bytes); use fewer, shorter scopes`,
    ];
  }

  /** The server's environment; what depends on the clients is produced at synth, when all are declared. */
  private environment(): Record<string, string> {
    return synthEnvironment(() => this.environmentValues());
  }

  /** The variables of the manifest's projection (`authorizationServerConfig`, the handlers' own). */
  private environmentValues(): Record<string, string> {
    const registry = this.registry;
    return authorizationServerEnvironment({
      ...authorizationServerConfig(registry.manifest(), registry.issuer),
      // The secret's reference rather than its name: Terraform creates the secret before the function.
      signingKeySecretId: registry.signingKeySecret.name,
      tableName: registry.table.name,
    });
  }

  /** Size Lambda counts for the environment (keys + values, UTF-8). */
  private environmentBytes(): number {
    return Object.entries(this.environmentValues()).reduce((total, [key, value]) => {
      const valueBytes = Token.isUnresolved(value) ? UNRESOLVED_VALUE_BYTES : Buffer.byteLength(value);
      return total + Buffer.byteLength(key) + valueBytes;
    }, 0);
  }
}
