/**
 * The upstream OpenID Connect provider users sign in with (we are its client): oauth4webapi discovers it (cached),
 * sends the user there with PKCE, `state` and `nonce`, and on return exchanges the code and validates the ID token.
 */
import * as oauth from 'oauth4webapi';
import { TtlCache } from '../shared/cache';
import type { UserAuthenticationRegistration } from '../shared/manifest';
import { isLoopbackHttp } from '../shared/oauth-syntax';
import type { Clock, SecretStore } from '../shared/ports';

/** What we keep between sending the user upstream and their return. */
export interface UpstreamChallenge {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
}

export interface UpstreamLogin {
  /** Where to send the browser. */
  authorizationUrl(challenge: UpstreamChallenge): Promise<string>;
  /** Validates the callback, redeems its code and the ID token; returns the user namespaced by issuer. */
  finish(callback: URLSearchParams, challenge: UpstreamChallenge): Promise<{ sub: string }>;
}

/** Thrown when the upstream provider reports an error or its response does not validate. */
export class UpstreamLoginError extends Error {
  constructor(
    readonly error: string,
    message: string,
  ) {
    super(message);
    this.name = 'UpstreamLoginError';
  }
}

/** Our user id for an upstream subject: issuer and subject, so two providers' subjects can never collide. */
export const namespacedSubject = (issuer: string, sub: string): string => `${issuer}|${sub}`;

export function createUpstreamLogin(options: {
  readonly registration: UserAuthenticationRegistration;
  /** `${issuer}/oauth2/callback`. */
  readonly redirectUri: string;
  readonly secrets: SecretStore;
  readonly clock: Clock;
  readonly ttlMs: number;
}): UpstreamLogin {
  const { registration, redirectUri } = options;
  const issuerUrl = new URL(registration.issuer);
  const insecure = isLoopbackHttp(issuerUrl);
  const http = { [oauth.allowInsecureRequests]: insecure };
  const client: oauth.Client = { client_id: registration.clientId };
  let metadata: Promise<oauth.AuthorizationServer> | undefined;
  const secretCache = new TtlCache<string, string>({ ttlMs: options.ttlMs, clock: options.clock });

  const discover = (): Promise<oauth.AuthorizationServer> => {
    metadata ??= oauth
      .discoveryRequest(issuerUrl, { algorithm: 'oidc', ...http })
      .then((response) => oauth.processDiscoveryResponse(issuerUrl, response))
      .catch((err: unknown) => {
        metadata = undefined; // try again on the next sign-in rather than caching a failure
        throw err;
      });
    return metadata;
  };
  const clientSecret = (): Promise<string> =>
    secretCache.get(registration.secretId, async (secretId) => {
      const current = await options.secrets.getSecretVersion(secretId, 'AWSCURRENT');
      if (!current?.value.trim()) {
        throw new Error(`secret ${secretId} has no value: run \`oauth-registry credentials set-upstream-secret\``);
      }
      return current.value.trim();
    });

  return {
    async authorizationUrl({ state, nonce, codeVerifier }) {
      const as = await discover();
      if (!as.authorization_endpoint) throw new Error(`${registration.issuer} publishes no authorization_endpoint`);
      const url = new URL(as.authorization_endpoint);
      url.search = new URLSearchParams({
        client_id: registration.clientId,
        redirect_uri: redirectUri,
        response_type: 'code',
        scope: registration.scopes.join(' '),
        state,
        nonce,
        code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
      }).toString();
      return url.href;
    },

    async finish(callback, { state, nonce, codeVerifier }) {
      const as = await discover();
      let params: URLSearchParams;
      try {
        params = oauth.validateAuthResponse(as, client, callback, state);
      } catch (err) {
        if (err instanceof oauth.AuthorizationResponseError) {
          throw new UpstreamLoginError(err.error, 'the identity provider refused the sign-in');
        }
        throw new UpstreamLoginError('invalid_response', `the identity provider's response is invalid: ${(err as Error).message}`);
      }
      const auth = oauth.ClientSecretBasic(await clientSecret());
      const response = await oauth.authorizationCodeGrantRequest(as, client, auth, params, redirectUri, codeVerifier, http);
      let claims: oauth.IDToken | undefined;
      try {
        const result = await oauth.processAuthorizationCodeResponse(as, client, response, { expectedNonce: nonce, requireIdToken: true });
        claims = oauth.getValidatedIdTokenClaims(result);
      } catch (err) {
        throw new UpstreamLoginError('invalid_response', `the identity provider's token response is invalid: ${(err as Error).message}`);
      }
      if (!claims?.sub) throw new UpstreamLoginError('invalid_response', 'the ID token names no subject');
      return { sub: namespacedSubject(claims.iss, claims.sub) };
    },
  };
}
