/**
 * What each function runs with, projected once from the manifest: the authorization server's config, the rotation
 * function's key schedule, the connections function's settings. Each projection has one environment encoding: the
 * constructs write it (`…Environment`), the Lambda entry points read it back (`…FromEnv`), and local mode skips the
 * environment and runs the projection itself, then its few overrides (short caches, loopback allowed).
 *
 * A new runtime setting is a manifest field, one line in its projection and one in its table of variables; the
 * tables are typed over every field, so a setting left out of the environment does not compile.
 */
import type { ClientIdMetadataDocumentsSettings, DynamicClientRegistrationSettings } from './client-registration-settings';
import { CACHE_TTL_SECS, CLIENT_SECRET_OVERLAP_SECS } from './defaults';
import { NOT_IN_ENV, json, readEnv, requiredEnv, seconds, text, words, writeEnv, type EnvField, type EnvTable } from './env-fields';
import { DEFAULT_KEY_SCHEDULE, GATEWAY_JWKS_CACHE_SECS, longestAccessTokenTtlSecs, type KeySchedule } from './key-schedule';
import type { McpServerRegistration, RegistryManifest, UserAuthenticationRegistration } from './manifest';
import { authMethodsUsed, grantTypesUsed, scopesUsed } from './manifest-queries';
import { ENV, secretNames } from './names';

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
   * key sets run on 127.0.0.1); deployed functions never do (the environment has no variable for it): there only a URL
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

/** What the authorization server's manifest projection reads. */
type ServerManifest = Pick<
  RegistryManifest,
  | 'namePrefix'
  | 'audience'
  | 'secretOverlapSecs'
  | 'clients'
  | 'routes'
  | 'mcpServers'
  | 'userAuthentication'
  | 'dynamicClientRegistration'
  | 'clientIdMetadataDocuments'
>;

/** The authorization server's config for `manifest`, served at `issuer`: what AWS and local mode both run with. */
export function authorizationServerConfig(manifest: ServerManifest, issuer: string): AuthorizationServerConfig {
  return {
    issuer,
    signingKeySecretId: secretNames.signingKey(manifest.namePrefix),
    ...(manifest.audience !== undefined ? { audience: manifest.audience } : {}),
    secretOverlapSecs: manifest.secretOverlapSecs,
    scopesSupported: scopesUsed(manifest.clients),
    authMethodsSupported: authMethodsUsed(manifest.clients),
    cacheTtlSecs: CACHE_TTL_SECS,
    grantTypesSupported: grantTypesUsed(manifest.clients),
    // Resources (RFC 8707) a token may be requested for: the audiences routes declare (and the MCP servers').
    resources: [...new Set(manifest.routes.flatMap((r) => r.audiences ?? []))],
    mcpServers: manifest.mcpServers ?? [],
    ...(manifest.dynamicClientRegistration ? { dynamicClientRegistration: manifest.dynamicClientRegistration } : {}),
    ...(manifest.clientIdMetadataDocuments ? { clientIdMetadataDocuments: manifest.clientIdMetadataDocuments } : {}),
    ...(manifest.userAuthentication ? { userAuthentication: manifest.userAuthentication } : {}),
  };
}

/** The rotation function's key schedule for `manifest`; local mode's emulated authorizer may cache the JWKS longer. */
export function keySchedule(
  manifest: Pick<RegistryManifest, 'signingKeyRotationDays' | 'accessTokenTtlSecs' | 'clients'>,
  jwksCacheSecs = GATEWAY_JWKS_CACHE_SECS,
): KeySchedule {
  return {
    rotationPeriodSecs: manifest.signingKeyRotationDays * 86_400,
    prePublishSecs: Math.max(GATEWAY_JWKS_CACHE_SECS, jwksCacheSecs),
    longestTokenTtlSecs: longestAccessTokenTtlSecs(manifest),
  };
}

/** What the connections function runs with (`ConnectionsConfig` adds what only local mode and tests set). */
export interface ConnectionsSettings {
  /** Base URL of the registry's API (the issuer), no trailing slash: callbacks and consent links live under it. */
  readonly baseUrl: string;
  /** Secret holding the HS256 key of consent links. */
  readonly linkKeySecretId: string;
  /** Seconds credentials and link keys stay cached (provider metadata: at least an hour). */
  readonly cacheTtlSecs: number;
}

/** The connections function's settings for `manifest`, served at `issuer`. */
export const connectionsSettings = (manifest: Pick<RegistryManifest, 'namePrefix'>, issuer: string): ConnectionsSettings => ({
  baseUrl: issuer,
  linkKeySecretId: secretNames.linkKey(manifest.namePrefix),
  cacheTtlSecs: CACHE_TTL_SECS,
});

/** What the authorization server's function runs with: its config, and the table its adapters use. */
export interface AuthorizationServerEnvironment extends AuthorizationServerConfig {
  readonly tableName: string;
}

/** The upstream provider's registration, as five variables (no JSON: operators read them in the console). */
const userAuthenticationField: EnvField<UserAuthenticationRegistration> = {
  write: (u) => ({
    [ENV.USER_AUTH_ISSUER]: u.issuer,
    [ENV.USER_AUTH_CLIENT_ID]: u.clientId,
    [ENV.USER_AUTH_SCOPES]: u.scopes.join(' '),
    [ENV.USER_AUTH_SECRET_ID]: u.secretId,
    ...(u.allowPrivateNetwork ? { [ENV.USER_AUTH_ALLOW_PRIVATE_NETWORK]: 'true' } : {}),
  }),
  read: (env) =>
    env[ENV.USER_AUTH_ISSUER]
      ? {
          issuer: env[ENV.USER_AUTH_ISSUER]!,
          clientId: requiredEnv(ENV.USER_AUTH_CLIENT_ID, env),
          scopes: (env[ENV.USER_AUTH_SCOPES] ?? 'openid').split(' ').filter(Boolean),
          secretId: requiredEnv(ENV.USER_AUTH_SECRET_ID, env),
          ...(env[ENV.USER_AUTH_ALLOW_PRIVATE_NETWORK] === 'true' ? { allowPrivateNetwork: true } : {}),
        }
      : undefined,
};

/** The authorization server's variables, in the order the constructs write them. */
const AUTHORIZATION_SERVER_ENV: EnvTable<AuthorizationServerEnvironment> = {
  issuer: text(ENV.ISSUER),
  tableName: text(ENV.TABLE_NAME),
  signingKeySecretId: text(ENV.SIGNING_KEY_SECRET_ID),
  audience: text(ENV.AUDIENCE),
  secretOverlapSecs: seconds(ENV.SECRET_OVERLAP_SECS),
  scopesSupported: words(ENV.SCOPES_SUPPORTED),
  authMethodsSupported: words(ENV.AUTH_METHODS_SUPPORTED),
  cacheTtlSecs: seconds(ENV.CACHE_TTL_SECS),
  grantTypesSupported: words(ENV.GRANT_TYPES_SUPPORTED),
  resources: words(ENV.RESOURCES),
  mcpServers: json(ENV.MCP_SERVERS),
  dynamicClientRegistration: json(ENV.DYNAMIC_CLIENT_REGISTRATION),
  clientIdMetadataDocuments: json(ENV.CLIENT_ID_METADATA_DOCUMENTS),
  userAuthentication: userAuthenticationField,
  allowPrivateNetwork: NOT_IN_ENV,
};

/** The authorization server function's environment variables. */
export const authorizationServerEnvironment = (settings: AuthorizationServerEnvironment): Record<string, string> =>
  writeEnv(AUTHORIZATION_SERVER_ENV, settings);

/** Reads the authorization server's settings from the process environment; throws naming a missing variable. */
export function authorizationServerFromEnv(env: NodeJS.ProcessEnv = process.env): AuthorizationServerEnvironment {
  const read = readEnv(AUTHORIZATION_SERVER_ENV, env);
  return {
    ...read,
    issuer: requiredEnv(ENV.ISSUER, env).replace(/\/+$/, ''),
    tableName: requiredEnv(ENV.TABLE_NAME, env),
    signingKeySecretId: requiredEnv(ENV.SIGNING_KEY_SECRET_ID, env),
    secretOverlapSecs: read.secretOverlapSecs ?? CLIENT_SECRET_OVERLAP_SECS,
    scopesSupported: read.scopesSupported ?? [],
    cacheTtlSecs: read.cacheTtlSecs ?? CACHE_TTL_SECS,
  };
}

/** What the rotation function runs with: the key schedule, and the table the public ring is published to. */
export interface RotationEnvironment extends KeySchedule {
  readonly tableName: string;
}

const ROTATION_ENV: EnvTable<RotationEnvironment> = {
  tableName: text(ENV.TABLE_NAME),
  rotationPeriodSecs: seconds(ENV.SIGNING_KEY_ROTATION_SECS),
  prePublishSecs: seconds(ENV.SIGNING_KEY_PRE_PUBLISH_SECS),
  longestTokenTtlSecs: seconds(ENV.LONGEST_ACCESS_TOKEN_TTL_SECS),
};

/** The rotation function's environment variables. */
export const rotationEnvironment = (settings: RotationEnvironment): Record<string, string> => writeEnv(ROTATION_ENV, settings);

/**
 * The signing-key schedule the rotation function runs with. Unset variables take safe defaults (30-day rotation, the
 * gateway's 2-hour JWKS cache, the longest token lifetime a registry allows); a set one that is not a number throws.
 */
export function keyScheduleFromEnv(env: NodeJS.ProcessEnv = process.env): KeySchedule {
  const read = readEnv(ROTATION_ENV, env);
  return {
    rotationPeriodSecs: read.rotationPeriodSecs ?? DEFAULT_KEY_SCHEDULE.rotationPeriodSecs,
    prePublishSecs: read.prePublishSecs ?? DEFAULT_KEY_SCHEDULE.prePublishSecs,
    longestTokenTtlSecs: read.longestTokenTtlSecs ?? DEFAULT_KEY_SCHEDULE.longestTokenTtlSecs,
  };
}

/** What the connections function runs with: its settings, the table and the KMS key refresh tokens are sealed with. */
export interface ConnectionsEnvironment extends ConnectionsSettings {
  readonly tableName: string;
  readonly kmsKeyId: string;
}

const CONNECTIONS_ENV: EnvTable<ConnectionsEnvironment> = {
  baseUrl: text(ENV.ISSUER),
  tableName: text(ENV.TABLE_NAME),
  kmsKeyId: text(ENV.KMS_KEY_ID),
  linkKeySecretId: text(ENV.LINK_KEY_SECRET_ID),
  cacheTtlSecs: seconds(ENV.CACHE_TTL_SECS),
};

/** The connections function's environment variables. */
export const connectionsEnvironment = (settings: ConnectionsEnvironment): Record<string, string> => writeEnv(CONNECTIONS_ENV, settings);

/** Reads the connections function's settings from the process environment; throws naming a missing variable. */
export function connectionsFromEnv(env: NodeJS.ProcessEnv = process.env): ConnectionsEnvironment {
  const read = readEnv(CONNECTIONS_ENV, env);
  return {
    baseUrl: requiredEnv(ENV.ISSUER, env),
    tableName: requiredEnv(ENV.TABLE_NAME, env),
    kmsKeyId: requiredEnv(ENV.KMS_KEY_ID, env),
    linkKeySecretId: requiredEnv(ENV.LINK_KEY_SECRET_ID, env),
    cacheTtlSecs: read.cacheTtlSecs ?? CACHE_TTL_SECS,
  };
}

/**
 * How an operator runs the CLI, in the hints handlers' errors give: `npx` runs the package's bin in any project that
 * installed it (and this repository's own), so the hint runs as printed wherever it is read.
 */
export const OPERATOR_CLI = 'npx oauth-registry';
