/**
 * The manifest of a registry: every registration declared in code, with no secret in it.
 *
 * It is the one thing both halves of the project read. `lib/` (the constructs) writes it at synth time, as
 * `cdktf.out/stacks/<stack>/oauth-registry.<registryId>.json` and as one DynamoDB item per client; `lambdas/`
 * (the handlers) read registrations from the table in AWS and from the manifest file in local mode.
 */

/** Grant types the token endpoint implements today. */
export const SUPPORTED_GRANT_TYPES = ['client_credentials'] as const;
export type SupportedGrantType = (typeof SUPPORTED_GRANT_TYPES)[number];

/** Client authentication methods at the token endpoint (RFC 8414 `token_endpoint_auth_methods_supported`). */
export const SUPPORTED_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;
export type ClientAuthMethod = (typeof SUPPORTED_AUTH_METHODS)[number];

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
   * The `aud` claim of this client's access tokens. Unset: the registry's audience (`OAUTH_AUDIENCE`), else the
   * issuer. (At synth time the issuer is still a Terraform reference, so the default is resolved at runtime.)
   */
  readonly audience?: string;
  readonly accessTokenTtlSecs: number;
  /** An inactive client keeps its registration and secret but cannot get tokens. */
  readonly active: boolean;
  /** Name of the Secrets Manager secret holding `{"client_id","client_secret"}`; rotated by the rotation Lambda. */
  readonly secretId: string;
  readonly secretRotationDays: number;
}

/** A route of the registry's HTTP API that requires one of `scopes` in a token we issued. */
export interface RouteRegistration {
  /** API Gateway route key, e.g. `GET /v1/hello`. */
  readonly routeKey: string;
  /** Any-of scopes, as the JWT authorizer's `authorization_scopes`. */
  readonly scopes: readonly string[];
  /** The user's Lambda handler: source file (relative to the app's directory) and exported function name. */
  readonly handler: { readonly entry: string; readonly exportName: string };
}

/** Everything a registry declares. Written at synth time; read by local mode and by tests. */
export interface RegistryManifest {
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
}

/** DynamoDB partition key of a client's registration item; the item's `data` attribute holds the JSON. */
export const clientItemKey = (clientId: string): string => `client#${clientId}`;

/** File name of a registry's manifest inside its stack's synth directory. */
export const manifestFileName = (registryId: string): string => `oauth-registry.${registryId}.json`;

/** Tags the constructs put on secrets so that one rotation Lambda knows what each secret holds. */
export const SECRET_KIND_TAG = 'oauth-registry:kind';
export const CLIENT_ID_TAG = 'oauth-registry:client-id';
export type SecretKind = 'client-secret' | 'signing-key';
