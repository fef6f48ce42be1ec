/**
 * Environment variables the constructs set on each function, read once at cold start.
 * Both sides import these names, so a rename cannot drift.
 */
export const ENV = {
  /** Issuer URL (the HTTP API's base URL or the custom domain), no trailing slash. */
  ISSUER: 'OAUTH_ISSUER',
  /** DynamoDB table holding registrations and (later) codes, refresh tokens and connection token sets. */
  TABLE_NAME: 'OAUTH_TABLE_NAME',
  SIGNING_KEY_SECRET_ID: 'OAUTH_SIGNING_KEY_SECRET_ID',
  /** Default `aud` of access tokens; unset means the issuer. */
  AUDIENCE: 'OAUTH_AUDIENCE',
  SECRET_OVERLAP_SECS: 'OAUTH_SECRET_OVERLAP_SECS',
  /** Space-separated union of all clients' scopes, for discovery's `scopes_supported`. */
  SCOPES_SUPPORTED: 'OAUTH_SCOPES_SUPPORTED',
  /** Seconds registrations, client secrets and signing keys stay cached in a warm function. */
  CACHE_TTL_SECS: 'OAUTH_CACHE_TTL_SECS',
} as const;

/** Registry-wide settings the authorization server runs with (AWS: from ENV; local: from the manifest). */
export interface AuthorizationServerConfig {
  readonly issuer: string;
  readonly audience?: string;
  readonly signingKeySecretId: string;
  readonly secretOverlapSecs: number;
  readonly scopesSupported: readonly string[];
  readonly cacheTtlSecs: number;
}

/** Reads the authorization server's configuration from the process environment; throws naming a missing variable. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): AuthorizationServerConfig {
  const required = (name: string): string => {
    const value = env[name];
    if (!value) throw new Error(`environment variable ${name} is not set`);
    return value;
  };
  return {
    issuer: required(ENV.ISSUER).replace(/\/+$/, ''),
    audience: env[ENV.AUDIENCE] || undefined,
    signingKeySecretId: required(ENV.SIGNING_KEY_SECRET_ID),
    secretOverlapSecs: Number(env[ENV.SECRET_OVERLAP_SECS] ?? 86_400),
    scopesSupported: (env[ENV.SCOPES_SUPPORTED] ?? '').split(' ').filter(Boolean),
    cacheTtlSecs: Number(env[ENV.CACHE_TTL_SECS] ?? 60),
  };
}
