/**
 * Binds a consent's `state` to the browser that started it (RFC 6749 §10.12, RFC 9700 §4.7): `connect` sets a
 * random value in an HttpOnly, SameSite=Lax cookie scoped to the connection's path and stores only its SHA-256 in
 * the pending consent; the callback is accepted only from a browser that sends the matching cookie. A callback
 * carrying someone else's `state` and code (login CSRF: the victim's connection bound to the attacker's account)
 * is refused.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export const CONSENT_COOKIE = 'oauth_registry_consent';

const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

export interface ConsentBinding {
  /** The `Set-Cookie` value for the response that sends the browser to the provider. */
  readonly cookie: string;
  /** What the pending consent stores: the SHA-256 of the cookie's value. */
  readonly hash: string;
}

/** A fresh binding for a consent whose callback is `callbackUrl`; Secure when the registry is served over https. */
export function newConsentBinding(callbackUrl: string, maxAgeSecs: number): ConsentBinding {
  const value = randomBytes(32).toString('base64url');
  return { cookie: consentCookie(callbackUrl, value, maxAgeSecs), hash: sha256(value) };
}

/** Clears the cookie once the callback has used it. */
export const clearConsentCookie = (callbackUrl: string): string => consentCookie(callbackUrl, '', 0);

function consentCookie(callbackUrl: string, value: string, maxAgeSecs: number): string {
  const url = new URL(callbackUrl);
  const path = url.pathname.replace(/[^/]*$/, ''); // `/connections/<name>/`: connect and callback, nothing else
  const secure = url.protocol === 'https:' ? '; Secure' : '';
  return `${CONSENT_COOKIE}=${value}; Path=${path}; Max-Age=${maxAgeSecs}; HttpOnly; SameSite=Lax${secure}`;
}

/** Whether the request carries the cookie whose SHA-256 the pending consent stored. */
export function sentByConsentingBrowser(event: APIGatewayProxyEventV2, hash: string | undefined): boolean {
  if (!hash) return false;
  const expected = Buffer.from(hash);
  return cookieValues(event).some((value) => {
    const actual = Buffer.from(sha256(value));
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  });
}

/** Every value of our cookie in the request (API Gateway v2 puts cookies in `event.cookies`). */
function cookieValues(event: APIGatewayProxyEventV2): string[] {
  const pairs = event.cookies ?? (event.headers?.cookie ?? '').split(/;\s*/);
  const prefix = `${CONSENT_COOKIE}=`;
  return pairs
    .filter((pair) => pair.startsWith(prefix))
    .map((pair) => pair.slice(prefix.length))
    .filter(Boolean);
}
