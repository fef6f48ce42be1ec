/**
 * Where the upstream identity provider returns the user: the `state` names our pending request, which must be bound
 * to this browser; the code is redeemed and the ID token validated (oauth4webapi); the user is `${issuer}|${sub}`.
 * Then the consent page, or straight back to the client when the user's consent is remembered.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { RouteHandler } from '../../shared/http';
import { errorPage, redirect } from '../../shared/pages';
import { serverUrl } from '../../shared/routes';
import { UpstreamLoginError, UpstreamSecretMissingError } from '../upstream';
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
      return upstreamRefused(deps, pending, err);
    }
    return afterSignIn(deps, id, { ...pending, sub });
  };
}

/**
 * The provider refused: at its authorization endpoint (the user said no, or could not sign in) the client hears
 * `access_denied`; in the code exchange (our upstream client secret is wrong, its token response is invalid) it hears
 * `server_error`, and the provider's error and description go to our log, where an operator can act on them.
 */
function upstreamRefused(deps: AuthorizationFlowDeps, pending: PendingItem, err: UpstreamLoginError): APIGatewayProxyStructuredResultV2 {
  const logged = { client_id: pending.clientId, upstream_error: err.error, upstream_error_description: err.upstreamDescription };
  if (err.clientError === 'access_denied') {
    deps.log.warn('upstream_login_failed', logged);
    return errorRedirect(deps, pending, 'access_denied', 'the user could not be signed in');
  }
  deps.log.error('upstream_exchange_failed', { ...logged, error: err.message });
  return errorRedirect(deps, pending, 'server_error', 'the sign-in could not be completed with the identity provider');
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
  const error = err instanceof Error ? err.message : String(err);
  if (err instanceof UpstreamSecretMissingError) {
    deps.log.error('upstream_secret_missing', { client_id: pending.clientId, error });
    const description = "sign-in is not set up yet: this registry's upstream client secret has not been set; reload once it is";
    return errorPage(503, 'temporarily_unavailable', description);
  }
  deps.log.error('upstream_unavailable', { client_id: pending.clientId, error });
  return errorPage(502, 'temporarily_unavailable', 'the sign-in provider could not be reached; reload this page to try again');
}

async function afterSignIn(
  deps: AuthorizationFlowDeps,
  id: string,
  pending: PendingItem & { readonly sub: string },
): Promise<APIGatewayProxyStructuredResultV2> {
  const client = await deps.registrations.getClient(pending.clientId);
  if (!client || !client.active) return errorPage(400, 'invalid_client', 'unknown client');
  if (await hasRememberedConsent(deps, client, pending.sub, pending)) {
    const taken = await deps.state.delete<PendingItem>(pendingKey(id), { kind: 'equals', attribute: 'stage', value: 'exchanging' });
    if (!taken) return errorPage(400, 'invalid_request', 'this sign-in was already completed');
    return completeAuthorization(deps, id, { ...taken, sub: pending.sub });
  }
  await deps.state.update(
    pendingKey(id),
    { stage: 'consent', sub: pending.sub },
    { kind: 'equals', attribute: 'stage', value: 'exchanging' },
  );
  const consent = new URL(serverUrl(deps.issuer, 'consent'));
  consent.searchParams.set('request', id);
  return redirect(consent.href, undefined, 303);
}
