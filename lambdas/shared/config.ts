import { CACHE_TTL_SECS, CLIENT_SECRET_OVERLAP_SECS } from './defaults';
import { DEFAULT_KEY_SCHEDULE, type KeySchedule } from './key-schedule';
import type { McpServerRegistration, UserAuthenticationRegistration } from './manifest';

/**
 * Environment variables the constructs set on each function, read once at cold start.
 * Both sides import these names, so a rename cannot drift.
 */
export const ENV = {
  /** Issuer URL (the HTTP API's base URL or the custom domain), no trailing slash. */
  ISSUER: 'OAUTH_ISSUER',
  /** DynamoDB table holding registrations, codes, refresh-token families, revocations and connection token sets. */
  TABLE_NAME: 'OAUTH_TABLE_NAME',
  SIGNING_KEY_SECRET_ID: 'OAUTH_SIGNING_KEY_SECRET_ID',
  /** Default `aud` of access tokens; unset means the issuer. */
  AUDIENCE: 'OAUTH_AUDIENCE',
  SECRET_OVERLAP_SECS: 'OAUTH_SECRET_OVERLAP_SECS',
  /** Space-separated union of all clients' scopes, for discovery's `scopes_supported`. */
  SCOPES_SUPPORTED: 'OAUTH_SCOPES_SUPPORTED',
  /** Seconds registrations, client secrets and signing keys stay cached in a warm function. */
  CACHE_TTL_SECS: 'OAUTH_CACHE_TTL_SECS',
  /** Space-separated grant types some client is registered for, for discovery's `grant_types_supported`. */
  GRANT_TYPES_SUPPORTED: 'OAUTH_GRANT_TYPES_SUPPORTED',
  /** Space-separated client authentication methods some client uses, for `token_endpoint_auth_methods_supported`. */
  AUTH_METHODS_SUPPORTED: 'OAUTH_AUTH_METHODS_SUPPORTED',
  /** User sign-in (authorization_code): the upstream OpenID provider's issuer; unset means no user-delegated access. */
  USER_AUTH_ISSUER: 'OAUTH_USER_AUTH_ISSUER',
  USER_AUTH_CLIENT_ID: 'OAUTH_USER_AUTH_CLIENT_ID',
  /** Space-separated scopes asked of the upstream provider. */
  USER_AUTH_SCOPES: 'OAUTH_USER_AUTH_SCOPES',
  /** The secret holding the upstream client secret. */
  USER_AUTH_SECRET_ID: 'OAUTH_USER_AUTH_SECRET_ID',
  /** `true`: the upstream provider may be on a loopback, private or link-local address (the operator opted in). */
  USER_AUTH_ALLOW_PRIVATE_NETWORK: 'OAUTH_USER_AUTH_ALLOW_PRIVATE_NETWORK',
  /** Connections function: the registry's KMS key (ARN) encrypting third-party refresh tokens. */
  KMS_KEY_ID: 'OAUTH_KMS_KEY_ID',
  /** Connections function: the secret holding the HS256 key consent links are signed with. */
  LINK_KEY_SECRET_ID: 'OAUTH_LINK_KEY_SECRET_ID',
  /** Set on functions granted a connection's tokens: the connections function `getConnectionToken` invokes. */
  CONNECTIONS_FUNCTION: 'OAUTH_CONNECTIONS_FUNCTION',
  /** Rotation function: the signing key's rotation period (`signingKeyRotationDays` × 86400), seconds. @default 30 days */
  SIGNING_KEY_ROTATION_SECS: 'OAUTH_SIGNING_KEY_ROTATION_SECS',
  /** Rotation function: how long a new signing key is published before it signs, seconds. @default 7200 */
  SIGNING_KEY_PRE_PUBLISH_SECS: 'OAUTH_SIGNING_KEY_PRE_PUBLISH_SECS',
  /** Rotation function: the longest access-token lifetime of any client, seconds. @default 86400 (the most allowed) */
  LONGEST_ACCESS_TOKEN_TTL_SECS: 'OAUTH_LONGEST_ACCESS_TOKEN_TTL_SECS',
  /** Space-separated audiences routes declare: resources (RFC 8707) a token may be requested for. */
  RESOURCES: 'OAUTH_RESOURCES',
  /** JSON list of the MCP servers (`McpServerRegistration`): their RFC 9728 documents and resources. */
  MCP_SERVERS: 'OAUTH_MCP_SERVERS',
  /** JSON `ClientIdMetadataDocumentsSettings`: clients may be metadata document URLs. Unset: they may not. */
  CLIENT_ID_METADATA_DOCUMENTS: 'OAUTH_CLIENT_ID_METADATA_DOCUMENTS',
  /** JSON `DynamicClientRegistrationSettings`: `POST /oauth2/register` is open. Unset: it is not. */
  DYNAMIC_CLIENT_REGISTRATION: 'OAUTH_DYNAMIC_CLIENT_REGISTRATION',
  /** Local mode only: base URL of the local registry, where `getConnectionToken` asks for tokens instead. */
  CONNECTIONS_LOCAL_URL: 'OAUTH_CONNECTIONS_LOCAL_URL',
} as const;

/** Registry-wide settings the authorization server runs with (AWS: from ENV; local: from the manifest). */
export interface AuthorizationServerConfig {
  readonly issuer: string;
  readonly audience?: string;
  readonly signingKeySecretId: string;
  readonly secretOverlapSecs: number;
  readonly scopesSupported: readonly string[];
  readonly cacheTtlSecs: number;
  /** Grant types some client is registered for (discovery lists these). @default every supported grant type */
  readonly grantTypesSupported?: readonly string[];
  /** Client authentication methods some client uses (discovery lists these). @default every supported method */
  readonly authMethodsSupported?: readonly string[];
  /** The upstream OpenID provider users sign in with; absent: no authorization endpoint. */
  readonly userAuthentication?: UserAuthenticationRegistration;
  /**
   * Every outbound fetch may reach loopback, private and link-local addresses. Local mode sets it (its providers and
   * key sets run on 127.0.0.1); deployed functions never do (`configFromEnv` has no variable for it): there only a URL
   * the operator opted in (`allowPrivateNetwork` next to it) may. @default false
   */
  readonly allowPrivateNetwork?: boolean;
  /** Audiences routes declare, each a resource (RFC 8707) a token may be requested for. @default none */
  readonly resources?: readonly string[];
  /** MCP servers on the registry's API: their URLs are resources too, and their RFC 9728 documents are served. */
  readonly mcpServers?: readonly McpServerRegistration[];
  /** Client ID Metadata Documents are accepted (opt-in). @default not */
  readonly clientIdMetadataDocuments?: ClientIdMetadataDocumentsSettings;
  /** Dynamic client registration (RFC 7591) is open (opt-in). @default not */
  readonly dynamicClientRegistration?: DynamicClientRegistrationSettings;
}

/** Bounds of dynamic client registration, and what its clients may be granted. */
export interface DynamicClientRegistrationSettings {
  /** Registrations accepted per clock hour, registry-wide. */
  readonly registrationsPerHour: number;
  /** Seconds a registered client lives without being used at the authorization endpoint. */
  readonly unusedExpirySecs: number;
  readonly scopes: readonly string[];
  readonly accessTokenTtlSecs: number;
}

/** What clients known by a metadata document URL may do, and where their documents may come from. */
export interface ClientIdMetadataDocumentsSettings {
  /** Hosts documents may be fetched from (exact host names). @default any public host */
  readonly allowedHosts?: readonly string[];
  /** Documents (and their `jwks_uri`) may be on loopback, private or link-local addresses. @default false */
  readonly allowPrivateNetwork?: boolean;
  /** Scopes such a client may be granted: the MCP servers' by default. */
  readonly scopes: readonly string[];
  readonly accessTokenTtlSecs: number;
}

/** The value of environment variable `name`; throws naming it when it is unset or empty. */
export function requiredEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

/** Reads the authorization server's configuration from the process environment; throws naming a missing variable. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AuthorizationServerConfig {
  const required = (name: string): string => requiredEnv(name, env);
  return {
    issuer: required(ENV.ISSUER).replace(/\/+$/, ''),
    audience: env[ENV.AUDIENCE] || undefined,
    signingKeySecretId: required(ENV.SIGNING_KEY_SECRET_ID),
    secretOverlapSecs: Number(env[ENV.SECRET_OVERLAP_SECS] ?? CLIENT_SECRET_OVERLAP_SECS),
    scopesSupported: (env[ENV.SCOPES_SUPPORTED] ?? '').split(' ').filter(Boolean),
    cacheTtlSecs: Number(env[ENV.CACHE_TTL_SECS] ?? CACHE_TTL_SECS),
    ...(env[ENV.GRANT_TYPES_SUPPORTED] ? { grantTypesSupported: env[ENV.GRANT_TYPES_SUPPORTED]!.split(' ').filter(Boolean) } : {}),
    ...(env[ENV.AUTH_METHODS_SUPPORTED] ? { authMethodsSupported: env[ENV.AUTH_METHODS_SUPPORTED]!.split(' ').filter(Boolean) } : {}),
    ...(env[ENV.USER_AUTH_ISSUER]
      ? {
          userAuthentication: {
            issuer: env[ENV.USER_AUTH_ISSUER]!,
            clientId: required(ENV.USER_AUTH_CLIENT_ID),
            scopes: (env[ENV.USER_AUTH_SCOPES] ?? 'openid').split(' ').filter(Boolean),
            secretId: required(ENV.USER_AUTH_SECRET_ID),
            ...(env[ENV.USER_AUTH_ALLOW_PRIVATE_NETWORK] === 'true' ? { allowPrivateNetwork: true } : {}),
          },
        }
      : {}),
    ...(env[ENV.RESOURCES] ? { resources: env[ENV.RESOURCES]!.split(' ').filter(Boolean) } : {}),
    ...(env[ENV.MCP_SERVERS] ? { mcpServers: JSON.parse(env[ENV.MCP_SERVERS]!) as McpServerRegistration[] } : {}),
    ...(env[ENV.DYNAMIC_CLIENT_REGISTRATION]
      ? { dynamicClientRegistration: JSON.parse(env[ENV.DYNAMIC_CLIENT_REGISTRATION]!) as DynamicClientRegistrationSettings }
      : {}),
    ...(env[ENV.CLIENT_ID_METADATA_DOCUMENTS]
      ? { clientIdMetadataDocuments: JSON.parse(env[ENV.CLIENT_ID_METADATA_DOCUMENTS]!) as ClientIdMetadataDocumentsSettings }
      : {}),
  };
}

/**
 * The signing-key schedule the rotation function runs with. Unset variables take safe defaults (30-day rotation, the
 * gateway's 2-hour JWKS cache, the longest token lifetime a registry allows); a set one that is not a number throws.
 */
export function keyScheduleFromEnv(env: NodeJS.ProcessEnv = process.env): KeySchedule {
  const seconds = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`environment variable ${name} must be a number of seconds, got ${raw}`);
    return value;
  };
  return {
    rotationPeriodSecs: seconds(ENV.SIGNING_KEY_ROTATION_SECS, DEFAULT_KEY_SCHEDULE.rotationPeriodSecs),
    prePublishSecs: seconds(ENV.SIGNING_KEY_PRE_PUBLISH_SECS, DEFAULT_KEY_SCHEDULE.prePublishSecs),
    longestTokenTtlSecs: seconds(ENV.LONGEST_ACCESS_TOKEN_TTL_SECS, DEFAULT_KEY_SCHEDULE.longestTokenTtlSecs),
  };
}
