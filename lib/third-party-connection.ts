/**
 * A connection to a third-party OAuth provider (Salesforce, GitHub, Microsoft Graph, another ServiceNow instance):
 * we are its OAuth client. Consent once with a link, then your code gets fresh tokens from the broker
 * (`connection.grantTokenAccess(fn)` + `getConnectionToken(name)`) or calls the provider's API through the proxy.
 */
import type { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
import { LambdaAlias } from '@cdktf/provider-aws/lib/lambda-alias';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version';
import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { connectionItemKey, type ConnectionRegistration } from '../lambdas/shared/manifest';
import { ENV, LINK_KEY_NAME, connectionAlias, secretNames } from '../lambdas/shared/names';
import { connectionPath } from '../lambdas/shared/routes';
import { scopeName, type ScopeLike } from './client-options';
import {
  ConnectionClientAuth,
  ConnectionCredentials,
  ConnectionGrant,
  ConnectionMode,
  validateProviderHosts,
  validateProviderUrl,
  type Provider,
} from './connection-options';
import { grantTo, type Grant, type Grantee } from './grant';
import { BROKER_RENEWAL_BUDGET_SECS, TOKEN_ACCESS_HANDLER_TIMEOUT_SECS } from './private/connections-infra';
import { registrationItem } from './private/registration-item';
import type { RegistryFunction } from './private/registry-function';
import { validateScope } from './private/validate';
import { ProtectedRoute } from './protected-route';
import type { IOAuthRegistry } from './registry-interface';

/** What you declare about a connection (`registry.addConnection(id, options)`). */
export interface ThirdPartyConnectionOptions {
  /** Where the provider's endpoints are: `Provider.discover(issuerUrl)` or `Provider.endpoints({ … })`. */
  readonly provider: Provider;
  /** The grant we use. @default ConnectionGrant.authorizationCode() (consent by a person, PKCE S256) */
  readonly grant?: ConnectionGrant;
  /** Scopes we ask the provider for. @default none (the provider's default) */
  readonly scopes?: readonly ScopeLike[];
  /** Extra parameters of the authorization request (`prompt`, `access_type: 'offline'`, `audience`…). @default none */
  readonly authorizationParams?: Readonly<Record<string, string>>;
  /** Extra parameters of every token request (`resource`, `audience`…). @default none */
  readonly tokenParams?: Readonly<Record<string, string>>;
  /** How we authenticate to the provider's token endpoint. @default ConnectionClientAuth.CLIENT_SECRET_BASIC */
  readonly clientAuth?: ConnectionClientAuth;
  /** One token set for everyone, or one per user (authorization_code and JWT bearer). @default ConnectionMode.SHARED */
  readonly mode?: ConnectionMode;
  /** Base URL of the provider's API, for the proxy route (which refuses paths outside it). @default none: no proxy */
  readonly apiBaseUrl?: string;
  /**
   * What the provider issued us, written by Terraform as a write-only value (`ConnectionCredentials.writeOnly`).
   * @default none: the secret is created empty; set it with `oauth-registry connections set-credentials <name>`
   */
  readonly credentials?: ConnectionCredentials;
}

export interface ThirdPartyConnectionProps extends ThirdPartyConnectionOptions {
  readonly registry: IOAuthRegistry;
}

/** Who may get a connection's tokens or use its proxy (kept for compatibility: any `Grantee`). */
export type TokenAccessGrantee = Grantee;

/** Connection ids are URL path segments, secret name segments and Lambda alias names. */
const CONNECTION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
/** Parameters we set ourselves; declaring them would break the flow. */
const RESERVED_AUTHORIZATION_PARAMS = [
  'client_id',
  'redirect_uri',
  'response_type',
  'state',
  'scope',
  'code_challenge',
  'code_challenge_method',
];
const RESERVED_TOKEN_PARAMS = [
  'grant_type',
  'code',
  'refresh_token',
  'redirect_uri',
  'code_verifier',
  'client_id',
  'client_secret',
  'client_assertion',
  'client_assertion_type',
  'scope',
  'assertion',
];

export class ThirdPartyConnection extends Construct {
  /** The connection's name in URLs, the CLI and `getConnectionToken` (the construct id). */
  public readonly connectionName: string;
  /** The connection as the connections function reads it (also in the manifest); no secret in it. */
  public readonly registration: ConnectionRegistration;
  /**
   * What the provider issued us (`{"client_id","client_secret"}` or `{"client_id","private_jwk"}`), created without a
   * value: set it with `oauth-registry connections set-credentials <name>` (reads stdin), or pass `credentials`.
   */
  public readonly credentialsSecret: SecretsmanagerSecret;
  /** The secret's value, when `credentials` was given (write-only: never in state). */
  public readonly credentialsVersion?: SecretsmanagerSecretVersion;
  /** The broker's alias for this connection: `grantTokenAccess` names it, so a grant covers this connection only. */
  public readonly brokerAlias: LambdaAlias;
  /** The registration item in the registry's table. */
  public readonly item: DynamodbTableItem;
  /** The function serving this connection (shared by all connections of the registry). */
  public readonly connectionsFunction: RegistryFunction;
  private readonly registry: IOAuthRegistry;

  constructor(scope: Construct, id: string, props: ThirdPartyConnectionProps) {
    super(scope, id);
    const where = `connection "${id}"`;
    if (!CONNECTION_ID_PATTERN.test(id) || id === LINK_KEY_NAME) {
      throw new Error(
        `${where}: the id is part of URLs and secret names and must match ${CONNECTION_ID_PATTERN} ` +
          `(and not be "${LINK_KEY_NAME}"), got "${id}"`,
      );
    }
    const { registry } = props;
    if (!props.provider || typeof props.provider !== 'object' || !('registration' in props.provider)) {
      throw new Error(`${where}: provider must be Provider.discover(…) or Provider.endpoints(…), got ${JSON.stringify(props.provider)}`);
    }
    validateProviderHosts(this, where, props.provider.registration);
    const grant = props.grant ?? ConnectionGrant.authorizationCode();
    const mode = props.mode ?? ConnectionMode.SHARED;
    const clientAuth = props.clientAuth ?? ConnectionClientAuth.CLIENT_SECRET_BASIC;
    if (grant.type === 'authorization_code' && !props.provider.mayAuthorize) {
      throw new Error(`${where}: authorization_code needs the provider's authorizationEndpoint (or Provider.discover)`);
    }
    if (grant.type === 'client_credentials' && mode === ConnectionMode.PER_USER) {
      throw new Error(`${where}: client_credentials has no user, so mode must be ConnectionMode.SHARED, got PER_USER`);
    }
    if (grant.type !== 'authorization_code' && props.authorizationParams && Object.keys(props.authorizationParams).length > 0) {
      throw new Error(`${where}: authorizationParams only apply to authorization_code, got ${JSON.stringify(props.authorizationParams)}`);
    }
    if (clientAuth === ConnectionClientAuth.NONE && grant.type !== 'jwt_bearer') {
      throw new Error(
        `${where}: ConnectionClientAuth.NONE proves nothing to the provider, so only ConnectionGrant.jwtBearer() may use it, ` +
          `got ${grant.type}`,
      );
    }
    checkAssertionSubject(where, grant, mode);
    const scopes = [...new Set((props.scopes ?? []).map((s) => validateScope(where, scopeName(s))))];
    const authorizationParams = checkParams(where, 'authorizationParams', props.authorizationParams, RESERVED_AUTHORIZATION_PARAMS);
    const tokenParams = checkParams(where, 'tokenParams', props.tokenParams, RESERVED_TOKEN_PARAMS);
    const apiBaseUrl =
      props.apiBaseUrl === undefined
        ? undefined
        : validateProviderUrl(`${where}: apiBaseUrl`, props.apiBaseUrl, { allowQuery: false }).replace(/\/+$/, '');

    this.connectionName = id;
    this.registry = registry;
    const secretName = secretNames.connection(registry.namePrefix, id);
    this.registration = {
      name: id,
      provider: props.provider.registration,
      grant: grant.type,
      pkce: grant.pkce,
      scopes,
      authorizationParams,
      tokenParams,
      clientAuth: clientAuth.method,
      mode: mode.value,
      ...(apiBaseUrl !== undefined ? { apiBaseUrl } : {}),
      credentialsSecretId: secretName,
      ...(grant.assertion !== undefined ? { assertion: grant.assertion } : {}),
    };

    this.credentialsSecret = new SecretsmanagerSecret(this, 'Credentials', {
      name: secretName,
      description:
        `What ${id}'s provider issued us (client id and secret, or our private JWK); ` +
        `set with oauth-registry connections set-credentials ${id}`,
      kmsKeyId: registry.kmsKey.arn,
      recoveryWindowInDays: registry.recoveryWindowInDays,
      tags: Object.keys(registry.tags).length > 0 ? { ...registry.tags } : undefined,
    });
    if (props.credentials !== undefined) {
      if (!(props.credentials instanceof ConnectionCredentials)) {
        throw new Error(
          `${where}: credentials must be ConnectionCredentials.writeOnly({ value, version }), got ${typeof props.credentials}`,
        );
      }
      this.credentialsVersion = new SecretsmanagerSecretVersion(this, 'CredentialsValue', {
        secretId: this.credentialsSecret.id,
        secretStringWo: props.credentials.value,
        secretStringWoVersion: props.credentials.version,
      });
      // Write-only attributes exist from Terraform 1.11 on; an older one would fail on `secret_string_wo`.
      TerraformStack.of(this).addOverride('terraform.required_version', WRITE_ONLY_TERRAFORM_VERSION);
    }
    this.connectionsFunction = registry.registerConnection(this);
    this.item = registrationItem(this, registry.table, connectionItemKey(id), this.registration);
    this.brokerAlias = new LambdaAlias(this, 'BrokerAlias', {
      name: connectionAlias(id),
      description: `Token broker of connection ${id}: callers granted this alias get ${id}'s tokens only`,
      functionName: this.connectionsFunction.function.functionName,
      functionVersion: '$LATEST',
    });
    if (grant.type === 'authorization_code') {
      registry.addOutput(
        this,
        'ConsentUrl',
        `connection-${id}-consent-url`,
        `${registry.issuer}${connectionPath(id, 'connect')}?link=<signed link: oauth-registry connect ${id}>`,
        `Consent URL of connection ${id} (the link parameter comes from oauth-registry connect ${id})`,
      );
      registry.addOutput(
        this,
        'RedirectUri',
        `connection-${id}-redirect-uri`,
        this.redirectUri,
        `Redirect URI of connection ${id}: register it at the provider`,
      );
    }
  }

  /** The broker's function name (the registry's connections function), for code outside this stack. */
  public get brokerFunctionName(): string {
    return this.connectionsFunction.function.functionName;
  }

  /** The broker's function ARN. */
  public get brokerFunctionArn(): string {
    return this.connectionsFunction.function.arn;
  }

  /** The ARN of this connection's broker alias: what `lambda:InvokeFunction` must allow to get its tokens. */
  public get brokerAliasArn(): string {
    return this.brokerAlias.arn;
  }

  /** The environment `getConnectionToken` reads (`OAUTH_CONNECTIONS_FUNCTION` = the broker's function name). */
  public get tokenAccessEnvironment(): Readonly<Record<string, string>> {
    return { [ENV.CONNECTIONS_FUNCTION]: this.brokerFunctionName };
  }

  /** The environment `connectionFetch` reads (`OAUTH_ISSUER` = the registry's URL). */
  public get proxyEnvironment(): Readonly<Record<string, string>> {
    return { [ENV.ISSUER]: this.registry.issuer };
  }

  /** The proxy's base URL (`<issuer>/connections/<name>/proxy`); requests under it need SigV4 in AWS. */
  public get proxyUrl(): string {
    return `${this.registry.issuer}${connectionPath(this.connectionName, 'proxy')}`;
  }

  /**
   * Lets `grantee` get this connection's tokens: one `lambda:InvokeFunction` statement on this connection's broker
   * alias only. `grantee` is a protected route, a registry function, an `IamRole` (or anything with a role `name`),
   * or an existing role's name or ARN (an existing Lambda's, an ECS task's). Routes and registry functions also get
   * `OAUTH_CONNECTIONS_FUNCTION` for `getConnectionToken`; for any other role, set `grant.environment` on its code.
   * A protected route's handler must outlive a token renewal: left at its default, its timeout is raised to
   * `TOKEN_ACCESS_HANDLER_TIMEOUT_SECS`; set lower, this throws.
   */
  public grantTokenAccess(grantee: Grantee): Grant {
    if (grantee instanceof ProtectedRoute) this.fitTimeoutForRenewal(grantee);
    return grantTo(
      this,
      grantee,
      {
        sid: `GetTokensOf${this.connectionName.replace(/[^A-Za-z0-9]/g, '')}`,
        actions: ['lambda:InvokeFunction'],
        resources: [this.brokerAlias.arn],
      },
      {
        idPrefix: 'TokenAccess',
        policyName: this.registry.outsideRolePolicyName(`${this.connectionName}-tokens`),
        environment: this.tokenAccessEnvironment,
      },
    );
  }

  /**
   * Lets `grantee` (same shapes as `grantTokenAccess`) call the provider's API through this connection's proxy route
   * (SigV4-signed requests, `connectionFetch`): one `execute-api:Invoke` statement on
   * `ANY /connections/<name>/proxy/*` of the registry's API only.
   */
  public grantProxyAccess(grantee: Grantee): Grant {
    if (this.registration.apiBaseUrl === undefined) {
      throw new Error(`connection "${this.connectionName}": grantProxyAccess needs apiBaseUrl (the proxy forwards under it)`);
    }
    return grantTo(
      this,
      grantee,
      {
        sid: `ProxyTo${this.connectionName.replace(/[^A-Za-z0-9]/g, '')}`,
        actions: ['execute-api:Invoke'],
        resources: [`${this.registry.api.executionArn}/*/*${connectionPath(this.connectionName, 'proxy')}/*`],
      },
      {
        idPrefix: 'ProxyAccess',
        policyName: this.registry.outsideRolePolicyName(`${this.connectionName}-proxy`),
        environment: this.proxyEnvironment,
      },
    );
  }

  /** Raises the default timeout of `route`'s handler to cover a renewal by the broker; refuses an explicit lower one. */
  private fitTimeoutForRenewal(route: ProtectedRoute): void {
    const handler = route.handler;
    const needed = TOKEN_ACCESS_HANDLER_TIMEOUT_SECS;
    if (handler.timeoutSecs >= needed) return;
    if (handler.timeoutExplicit) {
      throw new Error(
        `route "${route.routeKey}": handler.timeoutSecs is ${handler.timeoutSecs}, but a handler granted the tokens of ` +
          `connection ${this.connectionName} needs at least ${needed} (the broker may take ${BROKER_RENEWAL_BUDGET_SECS} s ` +
          'to renew a token, plus a margin to invoke it); raise timeoutSecs or leave it unset',
      );
    }
    handler.setTimeoutSecs(needed);
  }

  /**
   * The redirect URI to register at the provider for this connection (`<issuer>/connections/<name>/callback`): the
   * first thing its app registration asks for. Also the `<namePrefix>-connection-<name>-redirect-uri` output.
   */
  public get redirectUri(): string {
    return `${this.registry.issuer}${connectionPath(this.connectionName, 'callback')}`;
  }

  /** The consent URL without its `link` parameter (the CLI adds a signed one). */
  public get consentUrlBase(): string {
    return `${this.registry.issuer}${connectionPath(this.connectionName, 'connect')}`;
  }
}

/** Terraform versions that know write-only attributes (`secret_string_wo`). */
const WRITE_ONLY_TERRAFORM_VERSION = '>= 1.11';

/** A JWT bearer assertion's `sub`: declared once for a shared connection, named by each broker call for a per-user one. */
function checkAssertionSubject(where: string, grant: ConnectionGrant, mode: ConnectionMode): void {
  if (grant.type !== 'jwt_bearer') return;
  const subject = grant.assertion?.subject;
  if (mode === ConnectionMode.SHARED && subject === undefined) {
    throw new Error(
      `${where}: a shared JWT bearer connection asserts one fixed subject: ` +
        'pass ConnectionGrant.jwtBearer({ subject }) (or use ConnectionMode.PER_USER)',
    );
  }
  if (mode === ConnectionMode.PER_USER && subject !== undefined) {
    throw new Error(
      `${where}: a per-user JWT bearer connection asserts the subject each broker call names, ` +
        `so it takes no fixed subject, got ${JSON.stringify(subject)}`,
    );
  }
}

function checkParams(
  where: string,
  what: string,
  params: Readonly<Record<string, string>> | undefined,
  reserved: readonly string[],
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(params ?? {})) {
    if (reserved.includes(name)) {
      throw new Error(`${where}: ${what} must not set "${name}" (the connection sets it), got ${JSON.stringify(params)}`);
    }
    if (typeof value !== 'string') throw new Error(`${where}: ${what}.${name} must be a string, got ${JSON.stringify(value)}`);
    out[name] = value;
  }
  return out;
}
