/**
 * The consent page: `GET` shows the client's name, description, the requested scopes and the resource they are for
 * (an MCP server by its name and URL) with approve and deny;
 * `POST` takes the decision with a CSRF token bound to the pending request and this browser. The pending request is
 * deleted atomically, so a decision counts once.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { OAuthError } from '../../shared/errors';
import { decodeBody, mediaType, type RouteHandler } from '../../shared/http';
import { errorPage, escapeHtml, htmlPage } from '../../shared/pages';
import { serverUrl } from '../../shared/routes';
import { isClientIdUrl } from '../client-metadata-documents';
import {
  bindingCookieName,
  browserBound,
  completeAuthorization,
  csrfToken,
  csrfValid,
  errorRedirect,
  isPendingId,
  pendingKey,
  readCookie,
  rememberConsent,
  type AuthorizationFlowDeps,
  type PendingItem,
} from './authorization-flow';

const UNKNOWN = 'this sign-in is unknown, expired, already decided, or was started in another browser';

async function consentPending(deps: AuthorizationFlowDeps, event: APIGatewayProxyEventV2, id: string | null | undefined) {
  if (!id || !isPendingId(id)) return undefined;
  const pending = await deps.state.get<PendingItem>(pendingKey(id));
  if (!pending || pending.stage !== 'consent' || !pending.sub || !browserBound(event, id, pending)) return undefined;
  return pending as PendingItem & { readonly sub: string };
}

export function createConsentPage(deps: AuthorizationFlowDeps): RouteHandler {
  return async (event) => {
    const id = new URLSearchParams(event.rawQueryString ?? '').get('request');
    const pending = await consentPending(deps, event, id);
    if (!id || !pending) return errorPage(400, 'invalid_request', UNKNOWN);
    const client = await deps.registrations.getClient(pending.clientId);
    if (!client || !client.active) return errorPage(400, 'invalid_client', 'unknown client');
    const csrf = csrfToken(readCookie(event, bindingCookieName(id))!, id);
    const scopes = pending.scope ? pending.scope.split(' ') : [];
    const scopeItems = scopes.map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('') || '<li>no specific scope</li>';
    let audience: string;
    try {
      audience = deps.resources.audienceFor(client, pending.resource);
    } catch (err) {
      if (err instanceof OAuthError) return errorPage(400, err.error, err.description);
      throw err;
    }
    const serverName = deps.resources.mcpServerName(audience);
    const resource = (serverName ? `<strong>${escapeHtml(serverName)}</strong> at ` : '') + `<code>${escapeHtml(audience)}</code>`;
    const body =
      `<h1>Allow ${escapeHtml(client.name)} to access your account?</h1>` +
      (client.description ? `<p>${escapeHtml(client.description)}</p>` : '') +
      `<p>It asks for:</p><ul>${scopeItems}</ul><p>on ${resource}.</p>` +
      // The name is the client's own claim (a metadata document says what it likes): where the code goes is not.
      `<p>After you decide, you are sent to <strong>${escapeHtml(new URL(pending.redirectUri).host)}</strong>.</p>` +
      (isClientIdUrl(client.clientId) ? `<p>The app describes itself at <code>${escapeHtml(client.clientId)}</code>.</p>` : '') +
      `<form method="post" action="${escapeHtml(serverUrl(deps.issuer, 'consentDecision'))}">` +
      `<input type="hidden" name="request" value="${escapeHtml(id)}">` +
      `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">` +
      `<button type="submit" name="decision" value="approve">Allow</button>` +
      `<button type="submit" name="decision" value="deny">Deny</button></form>`;
    return htmlPage(200, `Allow ${client.name}?`, body);
  };
}

export function createConsentDecision(deps: AuthorizationFlowDeps): RouteHandler {
  return async (event) => {
    if (mediaType(event) !== 'application/x-www-form-urlencoded') return errorPage(400, 'invalid_request', 'expected a form');
    const form = new URLSearchParams(decodeBody(event).slice(0, 4096));
    const id = form.get('request');
    const pending = await consentPending(deps, event, id);
    if (!id || !pending) return errorPage(400, 'invalid_request', UNKNOWN);
    if (!csrfValid(event, id, form.get('csrf') ?? undefined)) {
      return errorPage(403, 'invalid_request', 'the form is stale or was not sent from the consent page');
    }
    const decision = form.get('decision');
    if (decision !== 'approve' && decision !== 'deny') return errorPage(400, 'invalid_request', 'decision must be approve or deny');

    const taken = await deps.state.delete<PendingItem>(pendingKey(id), { kind: 'equals', attribute: 'stage', value: 'consent' });
    if (!taken) return errorPage(400, 'invalid_request', UNKNOWN);
    if (decision === 'deny') {
      deps.log.info('consent_denied', { client_id: taken.clientId });
      return errorRedirect(deps, taken, 'access_denied', 'the user denied the request');
    }
    const client = await deps.registrations.getClient(taken.clientId);
    if (!client || !client.active) return errorPage(400, 'invalid_client', 'unknown client');
    await rememberConsent(deps, client, pending.sub, taken);
    return completeAuthorization(deps, id, { ...taken, sub: pending.sub });
  };
}
