/**
 * Authorization endpoint (RFC 6749 §4.1.1 with PKCE, RFC 7636, and OAuth 2.1's rules): validate the client and its
 * exact redirect URI first (errors before that are a page, never a redirect), then the request itself (errors go back
 * to the redirect URI with `state` and `iss`), then send the user to the upstream identity provider.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { OAuthError } from '../../shared/errors';
import type { RouteHandler } from '../../shared/http';
import { errorDetail } from '../../shared/log';
import type { ClientRegistration } from '../../shared/manifest';
import { errorPage, redirect } from '../../shared/pages';
import { StateQuotaExceededError } from '../../shared/ports';
import { ClientMetadataError, isClientIdUrl } from '../client-metadata-documents';
import { isRegisteredRedirectUri } from '../redirect-uri';
import type { ResourceIndicators } from '../resource-indicators';
import { resolveScope } from '../scope';
import { nowSecs, randomToken, sha256url } from '../user-grants';
import {
  PENDING_TTL_SECS,
  bindingCookie,
  errorRedirect,
  pendingKey,
  type AuthorizationFlowDeps,
  type PendingItem,
} from './authorization-flow';

// code_challenge = BASE64URL(SHA256(verifier)): 43 characters (RFC 7636 §4.2)
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/** An error the client learns at its redirect URI. */
class RedirectableError extends Error {
  constructor(
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

/**
 * The query, each parameter once; a repeated one is recorded so it can be refused (RFC 6749 §3.1), also when one of
 * its occurrences is empty (`state=&state=x`), which otherwise counts as omitted.
 */
function readQuery(event: APIGatewayProxyEventV2): { params: Map<string, string>; repeated: Set<string> } {
  const params = new Map<string, string>();
  const seen = new Set<string>();
  const repeated = new Set<string>();
  for (const [name, value] of new URLSearchParams(event.rawQueryString ?? '')) {
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
    if (value !== '') params.set(name, value);
  }
  return { params, repeated };
}

export function createAuthorizeEndpoint(deps: AuthorizationFlowDeps): RouteHandler {
  return async (event) => {
    const { params, repeated } = readQuery(event);
    const trusted = await trustedClient(deps, params, repeated);
    if (!('client' in trusted)) return trusted;
    const { client, redirectUri } = trusted;
    const state = repeated.has('state') ? undefined : params.get('state');
    try {
      const request = validateRequest(client, params, repeated, deps.resources);
      return await sendToUpstream(deps, client, redirectUri, request);
    } catch (err) {
      if (err instanceof RedirectableError) {
        deps.log.warn('authorization_denied', { client_id: client.clientId, error: err.error });
        return errorRedirect(deps, { redirectUri, state }, err.error, err.description);
      }
      throw err;
    }
  };
}

/** The client and redirect URI, or the error page to show: nothing here may redirect. */
async function trustedClient(
  deps: AuthorizationFlowDeps,
  params: ReadonlyMap<string, string>,
  repeated: ReadonlySet<string>,
): Promise<{ client: ClientRegistration; redirectUri: string } | APIGatewayProxyStructuredResultV2> {
  if (!deps.upstream) return errorPage(404, 'unsupported', 'user sign-in is not configured on this registry');
  if (repeated.has('client_id') || repeated.has('redirect_uri')) {
    return errorPage(400, 'invalid_request', 'client_id and redirect_uri may appear only once');
  }
  const clientId = params.get('client_id');
  if (clientId === undefined) return errorPage(400, 'invalid_request', 'client_id is required');
  let client: ClientRegistration | undefined;
  try {
    client =
      deps.clientMetadata && isClientIdUrl(clientId)
        ? await deps.clientMetadata.resolve(clientId)
        : await deps.registrations.getClient(clientId);
  } catch (err) {
    // A metadata document that cannot be had or is refused: said on our page, the client's redirect URI is not trusted.
    if (err instanceof ClientMetadataError) {
      deps.log.warn('client_metadata_refused', { client_id: clientId, reason: err.message, ...errorDetail(err) });
      return errorPage(400, 'invalid_client', err.message);
    }
    throw err;
  }
  if (!client || !client.active) return errorPage(400, 'invalid_client', 'unknown client');
  const redirectUri = params.get('redirect_uri');
  if (redirectUri === undefined) return errorPage(400, 'invalid_request', 'redirect_uri is required');
  // Exact string comparison (RFC 9700 §4.1.3): no prefix, no normalisation, no fallback to a registered one; only a
  // loopback redirect URI's port may differ (RFC 8252 §7.3). The code is bound to the URI as presented.
  if (!isRegisteredRedirectUri(client.redirectUris ?? [], redirectUri)) {
    return errorPage(400, 'invalid_request', 'redirect_uri is not registered for this client');
  }
  return { client, redirectUri };
}

interface ValidRequest {
  /** Optional: PKCE, required here for every request, already protects against CSRF (OAuth 2.1 §7.5.1). */
  readonly state?: string;
  readonly codeChallenge: string;
  readonly scope: string;
  readonly resource?: string;
}

function validateRequest(
  client: ClientRegistration,
  params: ReadonlyMap<string, string>,
  repeated: ReadonlySet<string>,
  resources: ResourceIndicators,
): ValidRequest {
  if (repeated.has('resource')) throw new RedirectableError('invalid_target', 'only one resource may be requested');
  if (repeated.size > 0) throw new RedirectableError('invalid_request', `parameter ${[...repeated][0]} is repeated`);
  if (!client.grantTypes.includes('authorization_code')) {
    throw new RedirectableError('unauthorized_client', 'this client is not registered for authorization_code');
  }
  const responseType = params.get('response_type');
  if (responseType === undefined) throw new RedirectableError('invalid_request', 'response_type is required');
  if (responseType !== 'code') throw new RedirectableError('unsupported_response_type', 'only response_type=code is supported');
  const state = params.get('state');
  if (params.get('code_challenge_method') !== 'S256') {
    throw new RedirectableError('invalid_request', 'code_challenge_method must be S256 (plain is not accepted)');
  }
  const codeChallenge = params.get('code_challenge');
  if (codeChallenge === undefined || !CODE_CHALLENGE.test(codeChallenge)) {
    throw new RedirectableError('invalid_request', 'code_challenge is required: BASE64URL(SHA256(code_verifier))');
  }
  let scope: string;
  const resource = params.get('resource');
  try {
    scope = resolveScope(params.get('scope'), client.scopes);
    resources.audienceFor(client, resource);
  } catch (err) {
    if (err instanceof OAuthError) throw new RedirectableError(err.error, err.description);
    throw err;
  }
  return { ...(state !== undefined ? { state } : {}), codeChallenge, scope, ...(resource !== undefined ? { resource } : {}) };
}

/** Stores the pending request, binds it to this browser and redirects to the identity provider. */
async function sendToUpstream(
  deps: AuthorizationFlowDeps,
  client: ClientRegistration,
  redirectUri: string,
  request: ValidRequest,
): Promise<APIGatewayProxyStructuredResultV2> {
  const id = randomToken();
  const cookieValue = randomToken();
  const pending: PendingItem = {
    pk: pendingKey(id),
    stage: 'upstream',
    clientId: client.clientId,
    redirectUri,
    ...request,
    binding: sha256url(cookieValue),
    nonce: randomToken(),
    codeVerifier: randomToken(48),
    expiresAt: nowSecs(deps.clock) + PENDING_TTL_SECS,
  };
  let location: string;
  try {
    location = await deps.upstream!.authorizationUrl({ state: id, nonce: pending.nonce, codeVerifier: pending.codeVerifier });
  } catch (err) {
    // The provider's metadata could not be read (it is down, or misconfigured). The redirect URI is trusted by now,
    // so the client hears it the RFC 6749 §4.1.2.1 way and can let its user try again.
    deps.log.error('upstream_unavailable', { client_id: client.clientId, error: err instanceof Error ? err.message : String(err) });
    const description = 'the sign-in provider could not be reached';
    return errorRedirect(deps, { redirectUri, state: request.state }, 'temporarily_unavailable', description);
  }
  try {
    await deps.state.put(pending, { kind: 'notExists' });
  } catch (err) {
    if (!(err instanceof StateQuotaExceededError)) throw err;
    // Local mode bounds pending sign-ins per client; the ones in progress keep their place (state-quotas.ts).
    deps.log.warn('authorization_denied', { client_id: client.clientId, error: 'temporarily_unavailable', reason: 'pending_quota' });
    const description = 'too many sign-ins to this client are in progress: try again in a few minutes';
    return errorRedirect(deps, { redirectUri, state: request.state }, 'temporarily_unavailable', description);
  }
  return redirect(location, [bindingCookie(deps.issuer, id, cookieValue)]);
}
