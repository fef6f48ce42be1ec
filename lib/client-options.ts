/**
 * The options of an external client (`registry.addExternalClient`): enum-like values for its grant types, its client
 * authentication method and keys, and the scopes clients are granted and protected routes require.
 */
import {
  JWT_BEARER_GRANT_TYPE,
  SHARED_SECRET_AUTH_METHODS,
  SUPPORTED_AUTH_METHODS,
  SUPPORTED_GRANT_TYPES,
  type ClientAuthMethod,
  type PublicJwkSet,
  type SupportedGrantType,
} from '../lambdas/shared/manifest';

/** Grant types defined by OAuth specs that the token endpoint does not implement yet. */
const NOT_YET_IMPLEMENTED_GRANT_TYPES: readonly string[] = [
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
];

/** Grant types the OAuth 2.0 Security BCP (RFC 9700) forbids; never accepted. */
const FORBIDDEN_GRANT_TYPES: readonly string[] = ['password', 'implicit', 'token'];

/** How an external client obtains tokens (RFC 6749 §1.3). */
export class GrantType {
  /** Machine-to-machine: the client authenticates with its own credentials (RFC 6749 §4.4). */
  public static readonly CLIENT_CREDENTIALS = new GrantType('client_credentials');
  /**
   * A user assertion (a JWT signed by an issuer you trust for this client) exchanged for a token acting for that user
   * (RFC 7523 §2.1, ServiceNow's JWT bearer). Declare the trusted issuer with the client's `jwtBearer` option.
   */
  public static readonly JWT_BEARER = new GrantType(JWT_BEARER_GRANT_TYPE);
  /** For a signed-in user: authorization code with PKCE S256 (RFC 6749 §4.1, RFC 7636); needs `redirectUris`. */
  public static readonly AUTHORIZATION_CODE = new GrantType('authorization_code');
  /** Refresh tokens, rotated on every use, for clients that also use `AUTHORIZATION_CODE` (RFC 6749 §6). */
  public static readonly REFRESH_TOKEN = new GrantType('refresh_token');

  /**
   * Any grant type by its registered name. Accepted here so code reads naturally; a grant type the token endpoint
   * does not implement is rejected when the client is declared, with an error naming it.
   */
  public static of(value: string): GrantType {
    return value === GrantType.CLIENT_CREDENTIALS.value ? GrantType.CLIENT_CREDENTIALS : new GrantType(value);
  }

  private constructor(
    /** The `grant_type` parameter value. */
    public readonly value: string,
  ) {}

  /** Returns the value as a supported grant type, or throws explaining why it is not one. */
  public toSupported(): SupportedGrantType {
    const value = this.value;
    if ((SUPPORTED_GRANT_TYPES as readonly string[]).includes(value)) return value as SupportedGrantType;
    const supported = SUPPORTED_GRANT_TYPES.join(', ');
    if (FORBIDDEN_GRANT_TYPES.includes(value)) {
      throw new Error(`grant type "${value}" is not allowed (OAuth 2.0 Security BCP, RFC 9700); supported: ${supported}`);
    }
    if (NOT_YET_IMPLEMENTED_GRANT_TYPES.includes(value)) {
      throw new Error(`grant type "${value}" is not implemented yet; supported: ${supported}`);
    }
    throw new Error(`unknown grant type ${JSON.stringify(value)}; supported: ${supported}`);
  }

  public toString(): string {
    return this.value;
  }
}

/** How an external client authenticates at the token endpoint (RFC 8414 `token_endpoint_auth_methods_supported`). */
export class ClientAuth {
  /** `client_id:client_secret` in an HTTP Basic `Authorization` header (RFC 6749 §2.3.1; the recommended one). */
  public static readonly CLIENT_SECRET_BASIC = new ClientAuth('client_secret_basic');
  /** `client_id` and `client_secret` as form parameters in the request body. */
  public static readonly CLIENT_SECRET_POST = new ClientAuth('client_secret_post');
  /**
   * A public client (a native or browser app that cannot keep a secret): it sends its `client_id` alone, and may only
   * use grants bound to a user and PKCE (authorization_code, refresh_token). No secret is created for it.
   */
  public static readonly NONE = new ClientAuth('none');

  /**
   * The client signs a short-lived JWT with its private key (RFC 7523 §2.2); you register only its public keys,
   * inline (`{ jwks }`) or by URL (`{ jwksUri }`, https, fetched and cached by the server). No secret is created for it.
   */
  public static privateKeyJwt(keys: ClientKeys): ClientAuth {
    if (typeof keys !== 'object' || keys === null || (keys.jwks === undefined) === (keys.jwksUri === undefined)) {
      throw new Error(`ClientAuth.privateKeyJwt takes exactly one of { jwks } or { jwksUri }, got ${JSON.stringify(keys)}`);
    }
    return new ClientAuth('private_key_jwt', keys);
  }

  private constructor(
    /** The `token_endpoint_auth_method` value. */
    public readonly method: ClientAuthMethod,
    /** `private_key_jwt`: the client's public keys. */
    public readonly keys?: ClientKeys,
  ) {
    if (!(SUPPORTED_AUTH_METHODS as readonly string[]).includes(method)) {
      throw new Error(`unsupported client authentication method "${method}"`);
    }
  }

  /** Whether clients using this method have a shared secret (a Secrets Manager secret, rotated). */
  public get usesSharedSecret(): boolean {
    return SHARED_SECRET_AUTH_METHODS.includes(this.method);
  }

  public toString(): string {
    return this.method;
  }
}

/**
 * A client's (or a trusted issuer's) public keys: a JWK Set inline, or the https URL it is published at. A deployed
 * registry refuses a `jwksUri` on a loopback, private or link-local host (at synth, and at fetch time after DNS),
 * unless `allowPrivateNetwork: true` says that host is meant to be reached.
 */
export type ClientKeys =
  | { readonly jwks: PublicJwkSet; readonly jwksUri?: undefined; readonly allowPrivateNetwork?: undefined }
  | { readonly jwksUri: string; readonly jwks?: undefined; readonly allowPrivateNetwork?: boolean };

/** The issuer whose user assertions a client may exchange with `GrantType.JWT_BEARER`, and its keys. */
export type JwtBearerOptions = { readonly issuer: string } & ClientKeys;

/** A permission a client may be granted and a protected route may require (RFC 6749 §3.3). */
export class OAuthScope {
  /** A scope of your own API, e.g. `OAuthScope.custom('incidents.read')`. */
  public static custom(name: string): OAuthScope {
    return new OAuthScope(name);
  }

  private constructor(
    /** The scope-token as it appears in `scope` parameters and the JWT's `scope` claim. */
    public readonly name: string,
  ) {}

  public toString(): string {
    return this.name;
  }
}

/** A scope given as an `OAuthScope` or as its plain string. */
export type ScopeLike = OAuthScope | string;

/** The scope-token of a `ScopeLike`. */
export function scopeName(scope: ScopeLike): string {
  return scope instanceof OAuthScope ? scope.name : scope;
}
