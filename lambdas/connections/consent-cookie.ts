/**
 * Binds a consent's `state` to the browser that started it (RFC 6749 §10.12, RFC 9700 §4.7): `connect` sets a
 * random value in an HttpOnly, SameSite=Lax cookie scoped to the connection's path and stores only its SHA-256 in
 * the pending consent; the callback is accepted only from a browser that sends the matching cookie. A callback
 * carrying someone else's `state` and code (login CSRF: the victim's connection bound to the attacker's account)
 * is refused.
 *
 * Each consent has a cookie of its own, named after its `state` (`oauth_registry_consent_<16 characters of
 * SHA-256(state)>`), so consents started side by side in one browser (an admin opening links for alice and bob in
 * two tabs) do not overwrite each other's binding; the callback clears only its own.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

/** Prefix of every consent cookie's name (the name of the single cookie earlier versions set). */
export const CONSENT_COOKIE = 'oauth_registry_consent';

const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/** The name of the cookie binding the consent of `state` (base64url: valid in a cookie name). */
export const consentCookieName = (state: string): string => `${CONSENT_COOKIE}_${sha256(state).slice(0, 16)}`;

export interface ConsentBinding {
  /** The `Set-Cookie` value for the response that sends the browser to the provider. */
  readonly cookie: string;
  /** What the pending consent stores: the SHA-256 of the cookie's value. */
  readonly hash: string;
}

/** A fresh binding for the consent of `state`, whose callback is `callbackUrl`; Secure when the registry is served over https. */
export function newConsentBinding(state: string, callbackUrl: string, maxAgeSecs: number): ConsentBinding {
  const value = randomBytes(32).toString('base64url');
  return { cookie: consentCookie(consentCookieName(state), callbackUrl, value, maxAgeSecs), hash: sha256(value) };
}

/** Clears the cookie of the consent of `state` once its callback has used it. */
export const clearConsentCookie = (state: string, callbackUrl: string): string =>
  consentCookie(consentCookieName(state), callbackUrl, '', 0);

function consentCookie(name: string, callbackUrl: string, value: string, maxAgeSecs: number): string {
  const url = new URL(callbackUrl);
  const path = url.pathname.replace(/[^/]*$/, ''); // `/connections/<name>/`: connect and callback, nothing else
  const secure = url.protocol === 'https:' ? '; Secure' : '';
  return `${name}=${value}; Path=${path}; Max-Age=${maxAgeSecs}; HttpOnly; SameSite=Lax${secure}`;
}

/**
 * Whether the request carries the cookie whose SHA-256 the pending consent stored. Every consent cookie is looked at,
 * not only the one named after `state`: the hash is the proof, and a consent started before cookies were named per
 * state (the single `oauth_registry_consent`) still completes.
 */
export function sentByConsentingBrowser(event: APIGatewayProxyEventV2, hash: string | undefined): boolean {
  if (!hash) return false;
  const expected = Buffer.from(hash);
  return cookieValues(event).some((value) => {
    const actual = Buffer.from(sha256(value));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  });
}

/** Every value of our cookies in the request (API Gateway v2 puts cookies in `event.cookies`). */
function cookieValues(event: APIGatewayProxyEventV2): string[] {
  const pairs = event.cookies ?? (event.headers?.cookie ?? '').split(/;\s*/);
  const ours = new RegExp(`^${CONSENT_COOKIE}(_[\\w-]{16})?=`);
  return pairs.map((pair) => ours.exec(pair) && pair.slice(pair.indexOf('=') + 1)).filter((value): value is string => !!value);
}
