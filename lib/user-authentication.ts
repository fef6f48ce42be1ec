/**
 * How users of an `OAuthRegistry` sign in when a client asks for their authorization (authorization code flow):
 * through an upstream OpenID Connect provider (Cognito, Entra ID, Okta, Google… are all just issuers).
 */
import { Token } from 'cdktf';
import { SCOPE_TOKEN_PATTERN } from '../lambdas/shared/oauth-syntax';
import { refuseDiscoveryDocumentUrl, validateUrl } from './private/validate';

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
  /**
   * The issuer is on a loopback, private or link-local address and is meant to be reached from the registry's
   * functions (a provider inside your network). Without it, a deployed registry refuses such a host at synth and at
   * fetch time (local mode always allows it). @default false
   */
  readonly allowPrivateNetwork?: boolean;
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
    refuseDiscoveryDocumentUrl('userAuthentication issuer', issuer);
    if (!Token.isUnresolved(clientId) && !clientId.trim()) {
      throw new Error(`userAuthentication clientId must not be empty, got "${clientId}"`);
    }
    const scopes = [...new Set(['openid', ...(props.scopes ?? [])])];
    for (const scope of scopes) {
      if (!SCOPE_TOKEN_PATTERN.test(scope)) throw new Error(`userAuthentication scopes must be scope tokens, got "${scope}"`);
    }
    return new UserAuthentication(issuer.replace(/\/+$/, ''), clientId, scopes, props.allowPrivateNetwork === true);
  }

  private constructor(
    /** The upstream issuer, without trailing slash. */
    public readonly issuer: string,
    public readonly clientId: string,
    public readonly scopes: readonly string[],
    /** The issuer may be on a loopback, private or link-local address (the operator opted in). */
    public readonly allowPrivateNetwork: boolean = false,
  ) {}
}
