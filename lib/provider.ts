/**
 * Enum-like values that describe a third-party OAuth provider and how we use it: where its endpoints are, which
 * grant we use, how we authenticate to it, and whether its tokens are shared or per user.
 */
import { Token } from 'cdktf';
import type { ConnectionAuthMethod, ConnectionGrantType, ProviderRegistration } from '../lambdas/shared/manifest';

/** Throws unless `url` is an https URL (or http on the loopback interface, for local providers), without a fragment. */
export function validateProviderUrl(what: string, url: string): string {
  if (Token.isUnresolved(url)) return url;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`${what} must be an absolute URL, got ${JSON.stringify(url)}`);
  }
  const loopback = parsed.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  if (parsed.protocol !== 'https:' && !loopback) throw new Error(`${what} must be https (or http on 127.0.0.1), got "${url}"`);
  if (parsed.hash || parsed.username || parsed.password) throw new Error(`${what} must have no fragment and no credentials, got "${url}"`);
  return url;
}

/** Where a third-party provider's endpoints come from. */
export class Provider {
  /**
   * Read the provider's metadata (RFC 8414, else OpenID Connect Discovery) from its issuer URL when the connection
   * is first used; the connections function caches it. E.g. `Provider.discover('https://login.salesforce.com')`.
   */
  public static discover(issuerUrl: string): Provider {
    return new Provider({ issuer: validateProviderUrl('Provider.discover: issuerUrl', issuerUrl).replace(/\/+$/, '') });
  }

  /** Declare the endpoints yourself, for providers without metadata (GitHub, many SaaS APIs). */
  public static endpoints(endpoints: ProviderEndpoints): Provider {
    const check = (name: keyof ProviderEndpoints) => {
      const value = endpoints[name];
      return value === undefined ? {} : { [name]: validateProviderUrl(`Provider.endpoints: ${name}`, value) };
    };
    if (!endpoints || typeof endpoints.tokenEndpoint !== 'string') {
      throw new Error(`Provider.endpoints needs a tokenEndpoint, got ${JSON.stringify(endpoints)}`);
    }
    return new Provider({
      tokenEndpoint: validateProviderUrl('Provider.endpoints: tokenEndpoint', endpoints.tokenEndpoint),
      ...check('authorizationEndpoint'),
      ...check('revocationEndpoint'),
    });
  }

  private constructor(
    /** The provider as the manifest records it. */
    public readonly registration: ProviderRegistration,
  ) {}

  /** Whether the provider has (or may have, when discovered) an authorization endpoint. */
  public get mayAuthorize(): boolean {
    return 'issuer' in this.registration || this.registration.authorizationEndpoint !== undefined;
  }
}

/** A provider's endpoints, for `Provider.endpoints`. */
export interface ProviderEndpoints {
  /** Where a person consents (needed by `ConnectionGrant.authorizationCode()`). @default none */
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint: string;
  /** @default none */
  readonly revocationEndpoint?: string;
}

/** Options of `ConnectionGrant.authorizationCode()`. */
export interface AuthorizationCodeOptions {
  /** Send a PKCE S256 challenge (RFC 7636). Turn off only for a provider that rejects it. @default true */
  readonly pkce?: boolean;
}

/** The grant we use at the provider's token endpoint. */
export class ConnectionGrant {
  /** A person consents once (consent link); we keep and refresh the tokens (RFC 6749 §4.1, PKCE S256 by default). */
  public static authorizationCode(options: AuthorizationCodeOptions = {}): ConnectionGrant {
    return new ConnectionGrant('authorization_code', options.pkce ?? true);
  }

  /** Machine to machine with what the provider issued us (RFC 6749 §4.4); no consent. */
  public static clientCredentials(): ConnectionGrant {
    return new ConnectionGrant('client_credentials', false);
  }

  private constructor(
    /** The grant type. */
    public readonly type: ConnectionGrantType,
    /** Whether the authorization request carries a PKCE S256 challenge. */
    public readonly pkce: boolean,
  ) {}
}

/** How we authenticate to the provider's token endpoint with what it issued us. */
export class ConnectionClientAuth {
  /** Client id and secret in HTTP Basic (RFC 6749 §2.3.1). */
  public static readonly CLIENT_SECRET_BASIC = new ConnectionClientAuth('client_secret_basic');
  /** Client id and secret as form parameters. */
  public static readonly CLIENT_SECRET_POST = new ConnectionClientAuth('client_secret_post');
  /** A JWT signed with our private key (RFC 7523 §2.2); the provider holds our public key. */
  public static readonly PRIVATE_KEY_JWT = new ConnectionClientAuth('private_key_jwt');

  private constructor(
    /** The `token_endpoint_auth_method` value. */
    public readonly method: ConnectionAuthMethod,
  ) {}
}

/** Whose token set the connection keeps. */
export class ConnectionMode {
  /** One token set for everyone (a service account's consent). */
  public static readonly SHARED = new ConnectionMode('shared');
  /** One token set per subject (each user consents for themself), like ServiceNow's per-user OAuth credentials. */
  public static readonly PER_USER = new ConnectionMode('perUser');

  private constructor(
    /** The mode as the manifest records it. */
    public readonly value: 'shared' | 'perUser',
  ) {}
}
