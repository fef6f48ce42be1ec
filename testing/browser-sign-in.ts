/**
 * A browser for sign-in tests: one cookie jar per host, redirects followed by hand, oidc-provider's dev interactions
 * (login, consent) filled in, and our consent page approved or denied, until a redirect reaches the client's redirect
 * URI; and the upstream provider it signs in at. Real HTTP throughout; nothing is stubbed.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { exportJWK, generateKeyPair } from 'jose';

export type Jar = Map<string, Map<string, string>>;

function storeCookies(jar: Jar, url: URL, response: Response): void {
  const cookies = jar.get(url.host) ?? new Map<string, string>();
  jar.set(url.host, cookies);
  for (const set of response.headers.getSetCookie()) {
    const [pair, ...attributes] = set.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === '';
    if (expired) cookies.delete(name);
    else cookies.set(name, value);
  }
}

export async function browserFetch(jar: Jar, url: URL, init: RequestInit = {}): Promise<Response> {
  const cookie = [...(jar.get(url.host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
  const headers = { ...(init.headers as Record<string, string> | undefined), ...(cookie ? { cookie } : {}) };
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  storeCookies(jar, url, response);
  return response;
}

export const unescapeHtml = (value: string): string =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

export const hidden = (html: string, name: string): string | undefined =>
  new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html)?.[1];

export interface Landing {
  /** Where the browser was sent at the client's redirect URI (never fetched: nothing listens there). */
  readonly location: URL;
  /** Every host a Location header pointed at, in order. */
  readonly hosts: readonly string[];
  /** HTML of our consent page, when it was shown. */
  readonly consentPage?: string;
  /** The upstream provider's redirect to our `/oauth2/callback`. */
  readonly callback?: URL;
}

/**
 * Follows `start` through our authorize endpoint, the upstream login and consent (dev interactions), our callback
 * and our consent page, until a redirect reaches the client's redirect URI.
 */
export async function signIn(
  start: URL | string,
  options: {
    decision?: 'approve' | 'deny';
    abortUpstream?: boolean;
    jar?: Jar;
    stopAtCallback?: boolean;
    stopAtConsent?: boolean;
    /** Where the client's redirect URI is (the landing). */
    redirectUri: string;
    /** Who signs in at the upstream's dev interactions. @default 'alice' */
    user?: string;
  },
): Promise<Landing> {
  const landing = options.redirectUri;
  const jar = options.jar ?? new Map();
  const hosts: string[] = [];
  let url = new URL(start);
  let init: RequestInit = {};
  let consentPage: string | undefined;
  let callback: URL | undefined;
  for (let step = 0; step < 25; step++) {
    const response = await browserFetch(jar, url, init);
    init = {};
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      await response.arrayBuffer();
      url = new URL(location, url);
      hosts.push(url.host);
      if (url.pathname === '/oauth2/callback') {
        callback = url;
        if (options.stopAtCallback) return { location: url, hosts, callback };
      }
      if (url.href.startsWith(`${landing}?`))
        return { location: url, hosts, ...(consentPage ? { consentPage } : {}), ...(callback ? { callback } : {}) };
      continue;
    }
    const html = await response.text();
    assert.equal(response.status, 200, `unexpected ${response.status} at ${url.pathname}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    assert.ok(action, `no form at ${url.href}`);
    const target = new URL(unescapeHtml(action), url);
    const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
    const abort = /<a href="([^"]+\/abort)"/.exec(html)?.[1];
    if (prompt === 'login' && options.abortUpstream && abort) {
      url = new URL(unescapeHtml(abort), url);
      continue;
    }
    let form: URLSearchParams;
    if (prompt === 'login') form = new URLSearchParams({ prompt, login: options.user ?? 'alice', password: 'any' });
    else if (prompt === 'consent') form = new URLSearchParams({ prompt });
    else {
      // Our consent page: the pending request's id and the CSRF token bound to this browser.
      consentPage = html;
      if (options.stopAtConsent) return { location: url, hosts, consentPage };
      form = new URLSearchParams({
        request: hidden(html, 'request')!,
        csrf: hidden(html, 'csrf')!,
        decision: options.decision ?? 'approve',
      });
    }
    url = target;
    init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error(`sign-in did not reach ${landing}`);
}

/**
 * The request listener of an upstream OpenID provider (oidc-provider, dev interactions: any login works) that knows
 * `clients`, each a confidential client of the registry's user sign-in with one callback URL; PKCE required.
 */
export async function upstreamOidcProvider(
  issuer: string,
  clients: readonly { readonly clientId: string; readonly secret: string; readonly callbackUrl: string }[],
): Promise<(req: IncomingMessage, res: ServerResponse) => void> {
  const { default: Provider } = (await import('oidc-provider')) as { default: any };
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const provider = new Provider(issuer, {
    clients: clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.secret,
      redirect_uris: [c.callbackUrl],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'upstream-key' }] },
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
    findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
  });
  return provider.callback();
}
