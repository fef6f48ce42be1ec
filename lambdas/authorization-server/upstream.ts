/**
 * The upstream OpenID Connect provider users sign in with (we are its client): oauth4webapi discovers it (cached),
 * sends the user there with PKCE, `state` and `nonce`, and on return exchanges the code and validates the ID token.
 */
import * as oauth from 'oauth4webapi';
import { boundedFetch, DOCUMENT_LIMITS } from '../shared/bounded-fetch';
import { TtlCache } from '../shared/cache';
import { OPERATOR_CLI } from '../shared/config';
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

/**
 * Thrown when the sign-in cannot finish because of what the upstream provider answered. `clientError` is what our
 * client hears: `access_denied` when the provider refused the sign-in at its authorization endpoint (the user said
 * no, or could not sign in); `server_error` when the exchange behind the scenes failed (the provider refused our
 * client credentials, or its token response does not validate): nothing the user did, and our operator must look.
 */
export class UpstreamLoginError extends Error {
  constructor(
    readonly error: string,
    message: string,
    readonly clientError: 'access_denied' | 'server_error' = 'access_denied',
    /** The provider's own `error_description`, for our log. */
    readonly upstreamDescription?: string,
  ) {
    super(message);
    this.name = 'UpstreamLoginError';
  }
}

/** The upstream client secret has no value yet: an operator must set it (`credentials set-upstream-secret`). */
export class UpstreamSecretMissingError extends Error {
  override readonly name = 'UpstreamSecretMissingError';
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
  /** Reach the provider even on a loopback, private or link-local address (local mode). @default false */
  readonly allowPrivateNetwork?: boolean;
}): UpstreamLogin {
  const { registration, redirectUri } = options;
  const issuerUrl = new URL(registration.issuer);
  const insecure = isLoopbackHttp(issuerUrl);
  // Discovery and token responses are read through the bounded fetch: size cap, deadline, no redirects, and no
  // private address unless this registry runs locally or the operator opted the issuer in.
  const allowPrivateNetwork = options.allowPrivateNetwork === true || registration.allowPrivateNetwork === true;
  const http = { [oauth.allowInsecureRequests]: insecure, [oauth.customFetch]: boundedFetch({ ...DOCUMENT_LIMITS, allowPrivateNetwork }) };
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
        throw new UpstreamSecretMissingError(`secret ${secretId} has no value: run \`${OPERATOR_CLI} credentials set-upstream-secret\``);
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
        throw await tokenExchangeError(err);
      }
      if (!claims?.sub) throw new UpstreamLoginError('invalid_response', 'the ID token names no subject');
      return { sub: namespacedSubject(claims.iss, claims.sub) };
    },
  };
}

/**
 * Why the code exchange failed, as `server_error`: the provider's own error (`invalid_client` for a wrong upstream
 * secret) and description are kept for our log, never shown to the client.
 */
async function tokenExchangeError(err: unknown): Promise<UpstreamLoginError> {
  let reported: { error?: unknown; error_description?: unknown } | undefined;
  let status: number | undefined;
  if (err instanceof oauth.ResponseBodyError) {
    reported = err;
    status = err.status;
  } else if (err instanceof oauth.WWWAuthenticateChallengeError) {
    // A 401 with `WWW-Authenticate` (a wrong client secret, usually): the error is in the body, else in the challenge.
    status = err.status;
    const body: unknown = await err.response.json().catch(() => undefined);
    reported = typeof body === 'object' && body !== null ? body : err.cause[0]?.parameters;
  }
  if (status !== undefined) {
    const error = typeof reported?.error === 'string' ? reported.error : 'unknown_error';
    const description = typeof reported?.error_description === 'string' ? reported.error_description : undefined;
    const message = `the identity provider refused the code exchange (HTTP ${status}): ${error}`;
    return new UpstreamLoginError(error, message, 'server_error', description);
  }
  const message = `the identity provider's token response is invalid: ${(err as Error).message}`;
  return new UpstreamLoginError('invalid_response', message, 'server_error');
}
