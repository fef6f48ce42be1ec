/**
 * Where the upstream identity provider returns the user: the `state` names our pending request, which must be bound
 * to this browser; the code is redeemed and the ID token validated (oauth4webapi); the user is `${issuer}|${sub}`.
 * Then the consent page, or straight back to the client when the user's consent is remembered.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RouteHandler } from '../../shared/http';
import { errorPage, redirect } from '../../shared/pages';
import { routePath, SERVER_ROUTES } from '../../shared/routes';
import { UpstreamLoginError } from '../upstream';
import {
  browserBound,
  completeAuthorization,
  errorRedirect,
  hasRememberedConsent,
  isPendingId,
  pendingKey,
  type AuthorizationFlowDeps,
  type PendingItem,
} from './authorization-flow';

export function createCallbackEndpoint(deps: AuthorizationFlowDeps): RouteHandler {
  return async (event) => {
    const query = new URLSearchParams(event.rawQueryString ?? '');
    const id = query.get('state');
    if (!deps.upstream) return errorPage(404, 'unsupported', 'user sign-in is not configured on this registry');
    if (!id) return errorPage(400, 'invalid_request', 'state is required');
    const pending = isPendingId(id) ? await deps.state.get<PendingItem>(pendingKey(id)) : undefined;
    if (!pending || !browserBound(event, id, pending)) {
      return errorPage(400, 'invalid_request', 'this sign-in is unknown, expired, or was started in another browser');
    }
    // One callback per request: a replayed or concurrent one finds the stage already moved.
    const claimed = await deps.state.update(
      pendingKey(id),
      { stage: 'exchanging' },
      { kind: 'equals', attribute: 'stage', value: 'upstream' },
    );
    if (!claimed) return errorPage(400, 'invalid_request', 'this sign-in was already completed');

    let sub: string;
    try {
      ({ sub } = await deps.upstream.finish(query, { state: id, nonce: pending.nonce, codeVerifier: pending.codeVerifier }));
    } catch (err) {
      if (!(err instanceof UpstreamLoginError)) return upstreamUnavailable(deps, id, pending, err);
      await deps.state.delete(pendingKey(id));
      deps.log.warn('upstream_login_failed', { client_id: pending.clientId, error: err.error });
      return errorRedirect(deps, pending, 'access_denied', 'the user could not be signed in');
    }
    return afterSignIn(deps, id, { ...pending, sub });
  };
}

/**
 * The provider could not be reached, or its upstream client secret is not set: the sign-in goes back to the stage
 * before the exchange, so reloading this page retries it (the provider has not spent its code).
 */
async function upstreamUnavailable(
  deps: AuthorizationFlowDeps,
  id: string,
  pending: PendingItem,
  err: unknown,
): Promise<APIGatewayProxyStructuredResultV2> {
  await deps.state.update(pendingKey(id), { stage: 'upstream' }, { kind: 'equals', attribute: 'stage', value: 'exchanging' });
  deps.log.error('upstream_unavailable', { client_id: pending.clientId, error: err instanceof Error ? err.message : String(err) });
  return errorPage(502, 'temporarily_unavailable', 'the sign-in provider could not be reached; reload this page to try again');
}

async function afterSignIn(
  deps: AuthorizationFlowDeps,
  id: string,
  pending: PendingItem & { readonly sub: string },
): Promise<APIGatewayProxyStructuredResultV2> {
  const client = await deps.registrations.getClient(pending.clientId);
  if (!client || !client.active) return errorPage(400, 'invalid_client', 'unknown client');
  if (await hasRememberedConsent(deps, client, pending.sub, pending.scope)) {
    const taken = await deps.state.delete<PendingItem>(pendingKey(id), { kind: 'equals', attribute: 'stage', value: 'exchanging' });
    if (!taken) return errorPage(400, 'invalid_request', 'this sign-in was already completed');
    return completeAuthorization(deps, id, { ...taken, sub: pending.sub });
  }
  await deps.state.update(
    pendingKey(id),
    { stage: 'consent', sub: pending.sub },
    { kind: 'equals', attribute: 'stage', value: 'exchanging' },
  );
  const consent = new URL(`${deps.issuer}${routePath(SERVER_ROUTES.consent)}`);
  consent.searchParams.set('request', id);
  return redirect(consent.href, undefined, 303);
}
