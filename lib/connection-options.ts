/**
 * The options of a third-party connection (`registry.addConnection`): enum-like values that describe the provider
 * and how we use it: where its endpoints are, which grant we use, how we authenticate to it, whether its tokens are
 * shared or per user, and where the credentials it issued us come from.
 */
import { Token } from 'cdktf';
import type { IConstruct } from 'constructs';
import type {
  ConnectionAssertionRegistration,
  ConnectionAuthMethod,
  ConnectionGrantType,
  ProviderRegistration,
} from '../lambdas/shared/manifest';
import { SUBJECT_PATTERN, urlProblem, type UrlRules } from '../lambdas/shared/oauth-syntax';
import { refuseDiscoveryDocumentUrl, validatePublicHost } from './private/validate';

/**
 * Throws unless `url` is an https URL (or http on the loopback interface, for local providers) without fragment or
 * credentials, and follows `rules` (e.g. `{ allowQuery: false }` for an API base URL).
 */
export function validateProviderUrl(what: string, url: string, rules: UrlRules = {}): string {
  if (Token.isUnresolved(url)) return url;
  const problem = urlProblem(url, { ...rules, allowLoopbackHttp: true });
  if (problem === undefined) return url;
  // Our messages have always named the loopback host by its commonest form.
  throw new Error(`${what} ${problem.replace(/^it /, '').replace('a loopback host', '127.0.0.1')}, got ${JSON.stringify(url)}`);
}

/**
 * Refuses, at synth, provider URLs on a loopback, private or link-local host unless the provider was declared with
 * `allowPrivateNetwork: true` (or local mode synthesizes); the connection construct calls it with itself as scope.
 */
export function validateProviderHosts(scope: IConstruct, where: string, provider: ProviderRegistration): void {
  const urls: Record<string, string | undefined> =
    'tokenEndpoint' in provider
      ? {
          tokenEndpoint: provider.tokenEndpoint,
          authorizationEndpoint: provider.authorizationEndpoint,
          revocationEndpoint: provider.revocationEndpoint,
        }
      : { issuer: provider.issuer };
  for (const [name, url] of Object.entries(urls))
    validatePublicHost(scope, `${where}: provider ${name}`, url, provider.allowPrivateNetwork);
}

/** Options of `Provider.discover`. */
export interface DiscoverOptions {
  /**
   * The provider is on a loopback, private or link-local address and is meant to be reached from the registry's
   * functions. Without it, a deployed registry refuses such a host at synth and at fetch time. @default false
   */
  readonly allowPrivateNetwork?: boolean;
}

/** Where a third-party provider's endpoints come from. */
export class Provider {
  /**
   * Read the provider's metadata (RFC 8414, else OpenID Connect Discovery) from its issuer URL when the connection
   * is first used; the connections function caches it. E.g. `Provider.discover('https://login.salesforce.com')`.
   */
  public static discover(issuerUrl: string, options: DiscoverOptions = {}): Provider {
    refuseDiscoveryDocumentUrl('Provider.discover: issuerUrl', issuerUrl);
    return new Provider({
      issuer: validateProviderUrl('Provider.discover: issuerUrl', issuerUrl).replace(/\/+$/, ''),
      ...(options.allowPrivateNetwork === true ? { allowPrivateNetwork: true } : {}),
    });
  }

  /**
   * Declare the endpoints yourself, for providers without metadata (GitHub, many SaaS APIs). Name the provider's
   * `issuer` when it has one: the RFC 9207 `iss` of authorization responses and the `iss` of ID tokens are checked
   * against it. Without it, the token endpoint's origin stands in as the issuer: a provider that sends `iss` (RFC
   * 9207) or ID tokens with another value is then refused at the callback, and one that sends neither is not checked.
   */
  public static endpoints(endpoints: ProviderEndpoints): Provider {
    const check = (name: 'authorizationEndpoint' | 'revocationEndpoint') => {
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
      ...(endpoints.issuer !== undefined ? { issuer: validateProviderUrl('Provider.endpoints: issuer', endpoints.issuer) } : {}),
      ...(endpoints.allowPrivateNetwork === true ? { allowPrivateNetwork: true } : {}),
    });
  }

  private constructor(
    /** The provider as the manifest records it. */
    public readonly registration: ProviderRegistration,
  ) {}

  /** Whether the provider has (or may have, when discovered) an authorization endpoint. */
  public get mayAuthorize(): boolean {
    return !('tokenEndpoint' in this.registration) || this.registration.authorizationEndpoint !== undefined;
  }
}

/** A provider's endpoints, for `Provider.endpoints`. */
export interface ProviderEndpoints {
  /** Where a person consents (needed by `ConnectionGrant.authorizationCode()`). @default none */
  readonly authorizationEndpoint?: string;
  readonly tokenEndpoint: string;
  /** @default none */
  readonly revocationEndpoint?: string;
  /** The provider's issuer identifier (RFC 8414 `issuer`), exact as it sends it in `iss`. @default the token endpoint's origin */
  readonly issuer?: string;
  /** These endpoints are on a loopback, private or link-local address and are meant to be reached. @default false */
  readonly allowPrivateNetwork?: boolean;
}

/** Options of `ConnectionGrant.authorizationCode()`. */
export interface AuthorizationCodeOptions {
  /** Send a PKCE S256 challenge (RFC 7636). Turn off only for a provider that rejects it. @default true */
  readonly pkce?: boolean;
}

/** Longest lifetime of a JWT bearer assertion we sign (RFC 7523 §3 asks for a short one; many providers cap it at 300 s). */
const MAX_ASSERTION_LIFETIME_SECS = 300;

/** Options of `ConnectionGrant.jwtBearer()`: the claims of the assertion we sign with our private key. */
export interface JwtBearerConnectionOptions {
  /** `iss` of the assertion (the issuer the provider trusts our key for). @default our client id (from the credentials) */
  readonly issuer?: string;
  /**
   * `sub` of the assertion for a `ConnectionMode.SHARED` connection (required there: the user or service account the
   * tokens act for). A `PER_USER` connection takes none: each broker call names its subject.
   * @default none
   */
  readonly subject?: string;
  /** `aud` of the assertion. @default the provider's token endpoint */
  readonly audience?: string;
  /** Seconds from `iat` to `exp` (1 to 300). @default 60 */
  readonly assertionLifetimeSecs?: number;
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

  /**
   * JWT bearer (RFC 7523 §2.1): we sign an assertion about a subject with our private key (the `private_jwk` of the
   * connection's credentials) and exchange it for tokens; no consent. The provider must trust our public key.
   * E.g. `ConnectionGrant.jwtBearer({ subject: 'integration-user' })` for a shared connection.
   */
  public static jwtBearer(options: JwtBearerConnectionOptions = {}): ConnectionGrant {
    const where = 'ConnectionGrant.jwtBearer';
    const text = (name: 'issuer' | 'subject' | 'audience') => {
      const value = options[name];
      if (value !== undefined && (typeof value !== 'string' || !SUBJECT_PATTERN.test(value))) {
        throw new Error(`${where}: ${name} must be 1 to 256 printable ASCII characters without spaces, got ${JSON.stringify(value)}`);
      }
      return value === undefined ? {} : { [name]: value };
    };
    const lifetimeSecs = options.assertionLifetimeSecs ?? 60;
    if (!Number.isInteger(lifetimeSecs) || lifetimeSecs < 1 || lifetimeSecs > MAX_ASSERTION_LIFETIME_SECS) {
      throw new Error(
        `${where}: assertionLifetimeSecs must be an integer from 1 to ${MAX_ASSERTION_LIFETIME_SECS}, ` +
          `got ${JSON.stringify(options.assertionLifetimeSecs)}`,
      );
    }
    return new ConnectionGrant('jwt_bearer', false, { ...text('issuer'), ...text('subject'), ...text('audience'), lifetimeSecs });
  }

  private constructor(
    /** The grant type. */
    public readonly type: ConnectionGrantType,
    /** Whether the authorization request carries a PKCE S256 challenge. */
    public readonly pkce: boolean,
    /** The assertion's claims (`jwtBearer` only). */
    public readonly assertion?: ConnectionAssertionRegistration,
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
  /** Only `client_id` (RFC 6749 §2.1 public client): for `ConnectionGrant.jwtBearer()` at a provider that accepts it. */
  public static readonly NONE = new ConnectionClientAuth('none');

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

/** Options of `ConnectionCredentials.writeOnly()`. */
export interface WriteOnlyCredentialsOptions {
  /**
   * The credentials JSON (`{"client_id","client_secret"}` or `{"client_id","private_jwk"}`) as a reference, typically
   * a sensitive `TerraformVariable`'s `stringValue`: a literal string is refused (it would be written to cdktf.out).
   */
  readonly value: string;
  /** Bump it to make Terraform write a new value (write-only values are not in state, so changes are not seen). */
  readonly version: number;
}

/** Where the credentials the provider issued us come from. */
export class ConnectionCredentials {
  /**
   * Terraform writes them into the connection's secret as a write-only attribute (`secret_string_wo`, Terraform ≥ 1.11,
   * never stored in state or plan). E.g. `ConnectionCredentials.writeOnly({ value: crmCredentials.stringValue, version: 1 })`
   * with `new TerraformVariable(stack, 'crm_credentials', { type: 'string', sensitive: true })`.
   */
  public static writeOnly(options: WriteOnlyCredentialsOptions): ConnectionCredentials {
    if (typeof options?.value !== 'string' || !Token.isUnresolved(options.value)) {
      const got = typeof options?.value === 'string' ? `${options.value.length} characters, not shown` : JSON.stringify(options?.value);
      throw new Error(
        "ConnectionCredentials.writeOnly: value must be a reference such as a sensitive TerraformVariable's stringValue, " +
          `got a literal string (${got}): it would be written to cdktf.out`,
      );
    }
    if (!Number.isInteger(options.version) || options.version < 1) {
      throw new Error(`ConnectionCredentials.writeOnly: version must be a positive integer, got ${JSON.stringify(options.version)}`);
    }
    return new ConnectionCredentials(options.value, options.version);
  }

  private constructor(
    /** The value reference (an unresolved token). */
    public readonly value: string,
    /** `secret_string_wo_version`. */
    public readonly version: number,
  ) {}
}
