/**
 * How users of an `OAuthRegistry` sign in when a client asks for their authorization (authorization code flow):
 * through an upstream OpenID Connect provider (Cognito, Entra ID, Okta, Google… are all just issuers).
 */
import { Token } from 'cdktf';
import { SCOPE_TOKEN_PATTERN } from '../lambdas/shared/oauth-syntax';
import { validateUrl } from './private/validate';

/** An issuer identifier is https (http on loopback for local providers) with no query or fragment (RFC 8414 §2). */
const ISSUER_RULES = { allowLoopbackHttp: true, allowQuery: false } as const;

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
    if (!Token.isUnresolved(issuer)) validateUrl('userAuthentication issuer', issuer, ISSUER_RULES);
    if (!Token.isUnresolved(clientId) && !clientId.trim()) {
      throw new Error(`userAuthentication clientId must not be empty, got "${clientId}"`);
    }
    const scopes = [...new Set(['openid', ...(props.scopes ?? [])])];
    for (const scope of scopes) {
      if (!SCOPE_TOKEN_PATTERN.test(scope)) throw new Error(`userAuthentication scopes must be scope tokens, got "${scope}"`);
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
