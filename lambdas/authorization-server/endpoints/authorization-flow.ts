/**
 * The authorization request while the user signs in and consents: one `authreq#<id>` item (10 minutes), bound to the
 * browser by a cookie whose hash it stores, moved through its stages by conditional writes so each step runs once.
 */
import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '../../shared/log';
import type { ClientRegistration } from '../../shared/manifest';
import { errorDescription } from '../../shared/oauth-syntax';
import { redirect } from '../../shared/pages';
import type { Clock, RegistrationStore, StateItem, StateStore } from '../../shared/ports';
import { tableKey } from '../../shared/table-keys';
import type { ClientMetadataResolver } from '../client-metadata-documents';
import type { ResourceIndicators } from '../resource-indicators';
import type { UpstreamLogin } from '../upstream';
import { issueCode, nowSecs, sha256url } from '../user-grants';

export const PENDING_TTL_SECS = 600;
/** How long a remembered consent lasts. */
export const CONSENT_TTL_SECS = 180 * 86_400;

/** `upstream`: at the identity provider; `exchanging`: its callback is being processed; `consent`: on our page. */
export type PendingStage = 'upstream' | 'exchanging' | 'consent';

export type PendingItem = StateItem & {
  readonly stage: PendingStage;
  readonly clientId: string;
  readonly redirectUri: string;
  /** The client's `state`; absent when it sent none (PKCE protects the request). */
  readonly state?: string;
  readonly codeChallenge: string;
  readonly scope: string;
  /** The resource (RFC 8707) the client asked for; absent: its default audience. */
  readonly resource?: string;
  /** SHA-256 of the browser cookie's value. */
  readonly binding: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly sub?: string;
};

/** What the browser-facing endpoints share. */
export interface AuthorizationFlowDeps {
  readonly issuer: string;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly registrations: RegistrationStore;
  /** Absent when the registry has no `userAuthentication`. */
  readonly upstream?: UpstreamLogin;
  readonly resources: ResourceIndicators;
  /** Clients known by a metadata document URL, when the registry accepts them. */
  readonly clientMetadata?: ClientMetadataResolver;
  readonly log: Logger;
}

export const pendingKey = (id: string): string => tableKey('authRequest', id);
/** Whether `id` has the shape of the ids we give pending requests (`randomToken()`: 32 bytes, base64url). */
export const isPendingId = (id: string): boolean => /^[A-Za-z0-9_-]{43}$/.test(id);
/** A remembered consent is to these scopes at this resource (RFC 8707; absent: the default audience), nothing wider. */
export const consentKey = (sub: string, clientId: string, scope: string, resource: string | undefined): string =>
  tableKey('consent', sha256url(JSON.stringify([sub, clientId, scope.split(' ').sort().join(' '), resource ?? ''])));

/** The cookie binding pending request `id` to the browser that started it. */
export const bindingCookieName = (id: string): string => `authz_${id.slice(0, 16)}`;

/** `Set-Cookie` for the binding: HttpOnly, SameSite=Lax (the provider's redirect back is a top-level GET), Secure on https. */
export function bindingCookie(issuer: string, id: string, value: string, maxAgeSecs = PENDING_TTL_SECS): string {
  const secure = issuer.startsWith('https:') ? '; Secure' : '';
  return `${bindingCookieName(id)}=${value}; Path=/oauth2; Max-Age=${maxAgeSecs}; HttpOnly; SameSite=Lax${secure}`;
}

export function readCookie(event: APIGatewayProxyEventV2, name: string): string | undefined {
  const cookies = event.cookies ?? (event.headers?.cookie ?? '').split(/;\s*/);
  for (const cookie of cookies) {
    const eq = cookie.indexOf('=');
    if (eq > 0 && cookie.slice(0, eq).trim() === name) return cookie.slice(eq + 1).trim();
  }
  return undefined;
}

function equalDigests(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Whether this browser holds the cookie of pending request `id`. */
export function browserBound(event: APIGatewayProxyEventV2, id: string, pending: PendingItem): boolean {
  const value = readCookie(event, bindingCookieName(id));
  return value !== undefined && equalDigests(sha256url(value), pending.binding);
}

/** The consent form's CSRF token: derived from the browser's cookie and the request, so only that browser has it. */
export function csrfToken(cookieValue: string, id: string): string {
  return sha256url(`csrf:${cookieValue}:${id}`);
}

export function csrfValid(event: APIGatewayProxyEventV2, id: string, presented: string | undefined): boolean {
  const cookie = readCookie(event, bindingCookieName(id));
  return cookie !== undefined && presented !== undefined && equalDigests(csrfToken(cookie, id), presented);
}

/** The redirect URI with the authorization response parameters and `iss` (RFC 9207) added to its query. */
export function clientRedirect(
  redirectUri: string,
  issuer: string,
  params: Readonly<Record<string, string | undefined>>,
  cookies?: string[],
): APIGatewayProxyStructuredResultV2 {
  const url = new URL(redirectUri);
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  url.searchParams.set('iss', issuer);
  return redirect(url.href, cookies, 303);
}

/** Error response at the client's (already validated) redirect URI (RFC 6749 §4.1.2.1). */
export function errorRedirect(
  deps: Pick<AuthorizationFlowDeps, 'issuer'>,
  pending: { readonly redirectUri: string; readonly state?: string },
  error: string,
  description: string,
  cookies?: string[],
): APIGatewayProxyStructuredResultV2 {
  const query = { error, error_description: errorDescription(description), state: pending.state };
  return clientRedirect(pending.redirectUri, deps.issuer, query, cookies);
}

/** Issues the code for a consented request and sends the browser back to the client; clears the binding cookie. */
export async function completeAuthorization(
  deps: AuthorizationFlowDeps,
  id: string,
  pending: PendingItem & { readonly sub: string },
): Promise<APIGatewayProxyStructuredResultV2> {
  const code = await issueCode(deps.state, deps.clock, {
    clientId: pending.clientId,
    redirectUri: pending.redirectUri,
    codeChallenge: pending.codeChallenge,
    scope: pending.scope,
    sub: pending.sub,
    ...(pending.resource !== undefined ? { resource: pending.resource } : {}),
  });
  deps.log.info('authorization_code_issued', { client_id: pending.clientId });
  return clientRedirect(pending.redirectUri, deps.issuer, { code, state: pending.state }, [bindingCookie(deps.issuer, id, '', 0)]);
}

/** What a consent is to: these scopes of this resource. */
type ConsentedRequest = Pick<PendingItem, 'scope' | 'resource'>;

/** Remembers the user's consent to `client` for these scopes at this resource, when the client allows it. */
export async function rememberConsent(
  deps: AuthorizationFlowDeps,
  client: ClientRegistration,
  sub: string,
  request: ConsentedRequest,
): Promise<void> {
  if (!client.rememberConsent) return;
  const pk = consentKey(sub, client.clientId, request.scope, request.resource);
  await deps.state.put({ pk, expiresAt: nowSecs(deps.clock) + CONSENT_TTL_SECS });
}

export async function hasRememberedConsent(
  deps: AuthorizationFlowDeps,
  client: ClientRegistration,
  sub: string,
  request: ConsentedRequest,
): Promise<boolean> {
  if (client.rememberConsent !== true) return false;
  return (await deps.state.get(consentKey(sub, client.clientId, request.scope, request.resource))) !== undefined;
}
