/**
 * How users of an `OAuthRegistry` sign in when a client asks for their authorization (authorization code flow):
 * through an upstream OpenID Connect provider (Cognito, Entra ID, Okta, Google… are all just issuers).
 */
import { Token } from 'cdktf';

/** The upstream provider, as `UserAuthentication.oidc` declares it. */
export interface OidcUserAuthenticationProps {
  /** The provider's issuer URL; its `/.well-known/openid-configuration` is discovered at runtime. */
  readonly issuer: string;
  /** The client id the provider issued to this registry. */
  readonly clientId: string;
  /** Scopes asked of the provider (`openid` is always added). @default ['openid'] */
  readonly scopes?: readonly string[];
}

/**
 * Where users sign in. The client secret the provider issued is not a prop: the registry creates an empty secret
 * `<namePrefix>/user-authentication` which an operator sets with `oauth-registry credentials set-upstream-secret`.
 * Register `<issuer>/oauth2/callback` as the redirect URI at the provider.
 */
export class UserAuthentication {
  /** Sign users in with an OpenID Connect provider. */
  public static oidc(props: OidcUserAuthenticationProps): UserAuthentication {
    const { issuer, clientId } = props;
    if (!Token.isUnresolved(issuer)) {
      let url: URL | undefined;
      try {
        url = new URL(issuer);
      } catch {
        url = undefined;
      }
      const loopback = url?.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
      if (!url || (url.protocol !== 'https:' && !loopback) || url.search || url.hash) {
        throw new Error(`userAuthentication issuer must be an https URL without query or fragment, got "${issuer}"`);
      }
    }
    if (!Token.isUnresolved(clientId) && !clientId.trim()) throw new Error(`userAuthentication clientId must not be empty, got "${clientId}"`);
    const scopes = [...new Set(['openid', ...(props.scopes ?? [])])];
    for (const scope of scopes) {
      if (!/^[\x21\x23-\x5B\x5D-\x7E]+$/.test(scope)) throw new Error(`userAuthentication scopes must be scope tokens, got "${scope}"`);
    }
    return new UserAuthentication(issuer.replace(/\/+$/, ''), clientId, scopes);
  }

  private constructor(
    /** The upstream issuer, without trailing slash. */
    public readonly issuer: string,
    public readonly clientId: string,
    public readonly scopes: readonly string[],
  ) {}
}
