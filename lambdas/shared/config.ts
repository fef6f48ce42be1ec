import type { ClientIdMetadataDocumentsSettings, DynamicClientRegistrationSettings } from './client-registration-settings';
import { CACHE_TTL_SECS, CLIENT_SECRET_OVERLAP_SECS } from './defaults';
import { DEFAULT_KEY_SCHEDULE, type KeySchedule } from './key-schedule';
import type { McpServerRegistration, UserAuthenticationRegistration } from './manifest';
import { ENV } from './names';

// `ENV` lives in `names.ts` (no imports, so a user's handler bundling the runtime pulls in nothing else).
export { ENV } from './names';

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

/**
 * How an operator runs the CLI, in the hints handlers' errors give: `npx` runs the package's bin in any project that
 * installed it (and this repository's own), so the hint runs as printed wherever it is read.
 */
export const OPERATOR_CLI = 'npx oauth-registry';
