/**
 * Enum-like values for OAuth registrations: grant types, client authentication methods, scopes.
 */
import {
  SUPPORTED_AUTH_METHODS,
  SUPPORTED_GRANT_TYPES,
  type ClientAuthMethod,
  type SupportedGrantType,
} from '../lambdas/shared/manifest';

/** Grant types defined by OAuth specs that the token endpoint does not implement yet. */
const NOT_YET_IMPLEMENTED_GRANT_TYPES: readonly string[] = [
  'authorization_code',
  'refresh_token',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:token-exchange',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
];

/** Grant types the OAuth 2.0 Security BCP (RFC 9700) forbids; never accepted. */
const FORBIDDEN_GRANT_TYPES: readonly string[] = ['password', 'implicit', 'token'];

/** How an external client obtains tokens (RFC 6749 §1.3). */
export class GrantType {
  /** Machine-to-machine: the client authenticates with its own credentials (RFC 6749 §4.4). */
  public static readonly CLIENT_CREDENTIALS = new GrantType('client_credentials');

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

  private constructor(
    /** The `token_endpoint_auth_method` value. */
    public readonly method: ClientAuthMethod,
  ) {
    if (!(SUPPORTED_AUTH_METHODS as readonly string[]).includes(method)) {
      throw new Error(`unsupported client authentication method "${method}"`);
    }
  }

  public toString(): string {
    return this.method;
  }
}

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
