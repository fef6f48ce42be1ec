/**
 * The manifest of a registry: every registration declared in code, with no secret in it. It is the one thing both
 * halves of the project read. `lib/` (the constructs) writes it at synth time, as `oauth-registry.<registryId>.json`
 * in the stack's synth folder and as one DynamoDB item per client; `lambdas/` (the handlers) read registrations from
 * the table in AWS and from the manifest file in local mode.
 */
import type { ClientIdMetadataDocumentsSettings, DynamicClientRegistrationSettings } from './client-registration-settings';
import type { ManifestDataRoutes } from './data-routes';
import { JWT_BEARER_GRANT_TYPE } from './oauth-syntax';
import type { McpServerRegistration, RouteRegistration } from './route-registrations';
import { tableKey } from './table-keys';

export type { McpServerRegistration, RouteRegistration } from './route-registrations';

/** The JWT bearer grant (RFC 7523 §2.1): a client exchanges a user assertion signed by an issuer it is trusted for. */
export { JWT_BEARER_GRANT_TYPE };

/** Grant types the token endpoint implements today. */
export const SUPPORTED_GRANT_TYPES = ['client_credentials', JWT_BEARER_GRANT_TYPE, 'authorization_code', 'refresh_token'] as const;
export type SupportedGrantType = (typeof SUPPORTED_GRANT_TYPES)[number];

/** Client authentication methods at the token endpoint (RFC 8414 `token_endpoint_auth_methods_supported`). */
export const SUPPORTED_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type ClientAuthMethod = (typeof SUPPORTED_AUTH_METHODS)[number];

/** Methods that authenticate with a shared secret; only their clients get a Secrets Manager secret and rotation. */
export const SHARED_SECRET_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

/** Grant types a public client (`none`) may use: those that bind the token to a user and PKCE, never a client's own. */
export const PUBLIC_CLIENT_GRANT_TYPES: readonly string[] = ['authorization_code', 'refresh_token'];

/**
 * Signature algorithms accepted on JWT assertions (`private_key_jwt`, the JWT bearer grant): asymmetric only, so a
 * public key can never be used as an HMAC secret (`none` and `HS*` are refused).
 */
export const ASSERTION_SIGNING_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'EdDSA'] as const;

/** A public JSON Web Key (RFC 7517) registered for a client; synth refuses private members and symmetric keys. */
export interface PublicJwk {
  readonly kty: string;
  readonly kid?: string;
  readonly alg?: string;
  readonly use?: string;
  readonly [member: string]: unknown;
}

/** A JWK Set (RFC 7517 §5) of public keys. */
export interface PublicJwkSet {
  readonly keys: readonly PublicJwk[];
}

/**
 * Where the keys that verify an assertion come from: inline, or a JWK Set URL fetched and cached at runtime. A URL whose
 * host is loopback, private or link-local is fetched only with `allowPrivateNetwork` (the operator's opt-in).
 */
export type AssertionKeys =
  | { readonly jwks: PublicJwkSet; readonly jwksUri?: never; readonly allowPrivateNetwork?: never }
  | { readonly jwksUri: string; readonly jwks?: never; readonly allowPrivateNetwork?: boolean };

/** Who may sign user assertions for a client's JWT bearer grant: the `iss` we expect and its keys. */
export type JwtBearerTrust = { readonly issuer: string } & AssertionKeys;

/** One external client, as the token endpoint needs to know it. */
export interface ClientRegistration {
  /** The construct name the client was declared with (`registry.addExternalClient('Acme', …)` → `Acme`). */
  readonly name: string;
  /** The public client identifier (RFC 6749 §2.2). */
  readonly clientId: string;
  readonly description?: string;
  readonly grantTypes: readonly SupportedGrantType[];
  readonly authMethod: ClientAuthMethod;
  /** Scopes this client may be granted; a token request gets these when it asks for none. */
  readonly scopes: readonly string[];
  /**
   * The `aud` of this client's access tokens. Unset: the registry's audience (`OAUTH_AUDIENCE`), else the issuer (resolved at runtime).
   */
  readonly audience?: string;
  readonly accessTokenTtlSecs: number;
  readonly tokensPerMinute?: number;
  /** An inactive client keeps its registration and secret but cannot get tokens. */
  readonly active: boolean;
  /**
   * Name of the Secrets Manager secret holding `{"client_id","client_secret"}`; rotated by the rotation Lambda.
   * Absent for clients without a shared secret (`private_key_jwt`, `none`).
   */
  readonly secretId?: string;
  readonly secretRotationDays?: number;
  /** `private_key_jwt`: the client's public keys, inline. */
  readonly jwks?: PublicJwkSet;
  /** `private_key_jwt`: where the client publishes its public keys (fetched and cached by the server). */
  readonly jwksUri?: string;
  /** `private_key_jwt`: `jwksUri` may be on a loopback, private or link-local address (the operator opted in). */
  readonly jwksUriAllowPrivateNetwork?: boolean;
  /** JWT bearer grant: the issuer whose user assertions this client may exchange, and its keys. */
  readonly jwtBearer?: JwtBearerTrust;
  /** authorization_code: the exact redirect URIs the client may use (https, or http on loopback). */
  readonly redirectUris?: readonly string[];
  /** refresh_token: seconds an unused refresh token stays valid (sliding; each rotation starts it again). */
  readonly refreshTokenIdleTtlSecs?: number;
  /** refresh_token: seconds a refresh-token family lives from the user's sign-in, however often it is used. */
  readonly refreshTokenAbsoluteTtlSecs?: number;
  /** refresh_token: seconds after a rotation in which the old token still yields the same new pair (0: none). */
  readonly refreshTokenReuseGraceSecs?: number;
  /** authorization_code: remember a user's consent per client and scopes, and skip the consent page next time. */
  readonly rememberConsent?: boolean;
}

/** The upstream OpenID Connect provider users sign in with (`UserAuthentication.oidc`); its client secret is not here. */
export interface UserAuthenticationRegistration {
  readonly issuer: string;
  readonly clientId: string;
  /** Scopes asked of the upstream provider; always includes `openid`. */
  readonly scopes: readonly string[];
  /** Secret holding the upstream client secret (plain string), set by an operator (`credentials set-upstream-secret`). */
  readonly secretId: string;
  /** The issuer may be on a loopback, private or link-local address (the operator opted in). */
  readonly allowPrivateNetwork?: boolean;
}

/** Everything a registry declares. Written at synth time; read by local mode and by tests. */
export interface RegistryManifest extends ManifestDataRoutes {
  readonly version: 1;
  /** Construct path of the registry. */
  readonly registryPath: string;
  readonly namePrefix: string;
  /** Default `aud` of access tokens and the JWT authorizer's first audience. Unset: the issuer. */
  readonly audience?: string;
  readonly accessTokenTtlSecs: number;
  /** How long the previous client secret keeps working after a rotation. */
  readonly secretOverlapSecs: number;
  /** Name of the Secrets Manager secret holding the RSA signing key (a private JWK per version). */
  readonly signingKeySecretId: string;
  readonly signingKeyRotationDays: number;
  readonly clients: readonly ClientRegistration[];
  readonly routes: readonly RouteRegistration[];
  /** MCP servers (their routes are in `routes` too), and whether clients may be metadata document URLs. */
  readonly mcpServers?: readonly McpServerRegistration[];
  readonly clientIdMetadataDocuments?: ClientIdMetadataDocumentsSettings;
  readonly dynamicClientRegistration?: DynamicClientRegistrationSettings;
  /** Third-party connections (we are the OAuth client). Absent in manifests written before connections existed. */
  readonly connections?: readonly ConnectionRegistration[];
  /** Where users sign in for authorization_code clients. Absent: no user-delegated access. */
  readonly userAuthentication?: UserAuthenticationRegistration;
  /** Origins (`scheme://host[:port]`) browser apps may call the API from (CORS, API-wide). Absent: none. */
  readonly corsAllowedOrigins?: readonly string[];
  /** Where developers read how to use the registry (RFC 8414 `service_documentation`). Absent: not published. */
  readonly serviceDocumentation?: string;
}

/** Grants we use at a third-party provider's token endpoint (`jwt_bearer`: RFC 7523 §2.1, our key signs the assertion). */
export const CONNECTION_GRANTS = ['authorization_code', 'client_credentials', 'jwt_bearer'] as const;
export type ConnectionGrantType = (typeof CONNECTION_GRANTS)[number];

/** How we authenticate to a third-party provider's token endpoint (`none`: JWT bearer only, the assertion is the proof). */
export const CONNECTION_AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type ConnectionAuthMethod = (typeof CONNECTION_AUTH_METHODS)[number];

/** Where a provider's endpoints come from: its RFC 8414 / OIDC metadata, or declared URLs. */
export type ProviderRegistration = (
  | { readonly issuer: string }
  | {
      readonly authorizationEndpoint?: string;
      readonly tokenEndpoint: string;
      readonly revocationEndpoint?: string;
      /** Declared issuer: RFC 9207 `iss` and ID tokens are checked against it; absent: the token endpoint's origin. */
      readonly issuer?: string;
    }
) & {
  /** The provider's URLs may be on a loopback, private or link-local address (the operator opted in). */
  readonly allowPrivateNetwork?: boolean;
};

/** A connection to a third-party OAuth provider (`registry.addConnection('Salesforce', …)`); no secret in it. */
export interface ConnectionRegistration {
  /** The construct id; part of URLs (`/connections/<name>/…`), the secret name and the broker's alias. */
  readonly name: string;
  readonly provider: ProviderRegistration;
  readonly grant: ConnectionGrantType;
  /** PKCE S256 on the authorization request (authorization_code only). */
  readonly pkce: boolean;
  readonly scopes: readonly string[];
  /** Extra parameters of the authorization request (audience, prompt, access_type=offline…). */
  readonly authorizationParams: Readonly<Record<string, string>>;
  /** Extra parameters of every token request (audience, resource…). */
  readonly tokenParams: Readonly<Record<string, string>>;
  readonly clientAuth: ConnectionAuthMethod;
  /** `shared`: one token set for everyone; `perUser`: one per subject. */
  readonly mode: 'shared' | 'perUser';
  /** Base URL the proxy forwards under; no proxy without it. */
  readonly apiBaseUrl?: string;
  /** Secret holding what the provider issued us: `{"client_id","client_secret"}` or `{"client_id","private_jwk"}`. */
  readonly credentialsSecretId: string;
  /** The assertion we sign for the JWT bearer grant (`jwt_bearer` only). */
  readonly assertion?: ConnectionAssertionRegistration;
}

/** What a connection's credentials secret must hold besides `client_id`: a secret, our private JWK, or both. */
export const connectionCredentialsNeeded = (c: Pick<ConnectionRegistration, 'clientAuth' | 'grant'>) => ({
  clientSecret: c.clientAuth === 'client_secret_basic' || c.clientAuth === 'client_secret_post',
  privateJwk: c.clientAuth === 'private_key_jwt' || c.grant === 'jwt_bearer',
});

/** Claims of a JWT bearer connection's assertion (RFC 7523 §3) beyond `exp`, `iat` and `jti`. */
export interface ConnectionAssertionRegistration {
  /** `iss`; absent: our client id. */
  readonly issuer?: string;
  /** `sub` of a shared connection; absent (perUser): the subject the broker is asked for. */
  readonly subject?: string;
  /** `aud`; absent: the provider's token endpoint. */
  readonly audience?: string;
  /** Seconds from `iat` to `exp`. */
  readonly lifetimeSecs: number;
}

/** DynamoDB partition key of a connection's registration item; the item's `data` attribute holds the JSON. */
export const connectionItemKey = (name: string): string => tableKey('connection', name);

/** DynamoDB partition key of a client's registration item; the item's `data` attribute holds the JSON. */
export const clientItemKey = (clientId: string): string => tableKey('client', clientId);

/** What a client id may be (URL-safe, 1 to 128 characters): synth refuses others, and the server treats them as unknown. */
export const CLIENT_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

/**
 * Construct context key local mode sets (`true`) when it synthesizes the app: its providers and key sets may run on
 * this machine, so synth does not refuse loopback or private hosts. A deployed stack's synth never has it.
 */
export const LOCAL_MODE_CONTEXT = 'oauth-registry:localMode';

/** File name of a registry's manifest inside its stack's synth directory. */
export const manifestFileName = (registryId: string): string => `oauth-registry.${registryId}.json`;

/** Tags the constructs put on secrets so that one rotation Lambda knows what each secret holds. */
export const SECRET_KIND_TAG = 'oauth-registry:kind';
export const CLIENT_ID_TAG = 'oauth-registry:client-id';
export type SecretKind = 'client-secret' | 'signing-key' | 'link-key';
