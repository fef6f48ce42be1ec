/**
 * Names both halves share and nothing else: the environment variables the constructs set and the handlers read, the
 * table's, functions' and secrets' names, a connection's broker alias. The constructs, the handlers and the CLI each
 * import them from here (paths and route keys are in `routes.ts`). No imports, so the runtime a user's handler bundles
 * stays small.
 */

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
  /** The URL discovery publishes as `service_documentation` (the registry's `serviceDocumentation`). Unset: none. */
  SERVICE_DOCUMENTATION: 'OAUTH_SERVICE_DOCUMENTATION',
  /** Local mode only: base URL of the local registry, where `getConnectionToken` asks for tokens instead. */
  CONNECTIONS_LOCAL_URL: 'OAUTH_CONNECTIONS_LOCAL_URL',
} as const;

/** The registry's DynamoDB table (registrations and state): what `OAuthRegistry` names it and `status` reads. */
export const stateTableName = (namePrefix: string): string => `${namePrefix}-registry`;

/** The Lambda alias the broker answers one connection's token requests under (IAM grants name it, not the function). */
export const connectionAlias = (name: string): string => `connection-${name}`;

/** The rotation function's name (the construct creates it; the CLI invokes it for an emergency key rotation). */
export const rotationFunctionName = (namePrefix: string): string => `${namePrefix}-rotation`;

/** The connections function's name (the construct creates it; the CLI invokes it to disconnect a subject). */
export const connectionsFunctionName = (namePrefix: string): string => `${namePrefix}-connections`;

/**
 * The registry's secrets, each under `<namePrefix>/`: the constructs create them, the handlers read them, the CLI sets
 * them. IAM patterns (`clients/*`, `connections/*`) are built from the same prefixes.
 */
export const secretNames = {
  /** The RSA signing keys' private ring (rotated). */
  signingKey: (namePrefix: string): string => `${namePrefix}/signing-key`,
  /** The upstream OpenID provider's client secret (with `userAuthentication`), set by an operator. */
  userAuthentication: (namePrefix: string): string => `${namePrefix}/user-authentication`,
  /** Everything under which client secrets live (`clients(namePrefix)` + the client's construct id). */
  clients: (namePrefix: string): string => `${namePrefix}/clients/`,
  /** One client's `{"client_id","client_secret"}` (rotated). */
  client: (namePrefix: string, name: string): string => `${namePrefix}/clients/${name}`,
  /** Everything under which connections' credentials live, the link key included. */
  connections: (namePrefix: string): string => `${namePrefix}/connections/`,
  /** What a third-party provider issued us for one connection. */
  connection: (namePrefix: string, name: string): string => `${namePrefix}/connections/${name}`,
  /** The HS256 key consent links are signed with (rotated); no connection may take its name. */
  linkKey: (namePrefix: string): string => `${namePrefix}/connections/${LINK_KEY_NAME}`,
  /** Local mode only: the key refresh tokens are encrypted with at rest (KMS's stand-in). */
  localRefreshTokenKey: (namePrefix: string): string => `${namePrefix}/local/refresh-token-key`,
} as const;

/** The last segment of the link key's secret name: a connection named so would collide with it. */
export const LINK_KEY_NAME = 'link-key';
