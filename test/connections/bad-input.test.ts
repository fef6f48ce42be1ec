/**
 * Each bad input to a connection gets a clear error, leaves the stored token set as it was, and leaks nothing.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { consentStateKey, type PendingConsent } from '../../lambdas/connections/connect';
import { resolveProxyTarget } from '../../lambdas/connections/proxy';
import { tokenSetKey, type TokenSetItem } from '../../lambdas/connections/token-set-item';
import { CONNECTION_ROUTES } from '../../lambdas/shared/routes';
import { connection, startHarness, type Harness } from '../../testing/connections/harness';
import { browse, cookieFetch, SECRET_BASIC, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';
import { apiEvent, header, jsonBody } from '../../testing/events';

const TTL = 120;

describe('connection bad input', () => {
  let ours: Harness;
  let provider: ThirdParty;
  const crm = () => connection('Crm', { provider: { issuer: provider.issuer }, apiBaseUrl: provider.apiBaseUrl });
  const perUser = () => connection('Mail', { provider: { issuer: provider.issuer }, mode: 'perUser', apiBaseUrl: provider.apiBaseUrl });

  before(async () => {
    // The harness's generous deadline (3 s): a provider slowed down by a busy machine still answers in time; the
    // tests of a provider that never answers wait for it.
    ours = await startHarness();
    provider = await startThirdParty({
      redirectUris: [ours.callbackUrl('Crm'), ours.callbackUrl('Mail'), ours.callbackUrl('Declared'), ours.callbackUrl('MixUp')],
      accessTokenTtlSecs: TTL,
    });
    await ours.add(crm(), { client_id: 'basic-client', client_secret: SECRET_BASIC });
    await ours.add(perUser(), { client_id: 'basic-client', client_secret: SECRET_BASIC });
    const consent = await browse(await ours.link('Crm'));
    assert.equal(consent.response.status, 200, consent.body);
  });
  after(async () => {
    await ours.close();
    await provider.close();
  });
  beforeEach(() => {
    provider.tokenEndpointMode = 'normal';
  });

  const stored = () => ours.state.get<TokenSetItem>(tokenSetKey('Crm', undefined));
  /** The provider's redirect for a fresh consent of `name`: its `state` is pending on our side. */
  async function pendingState(name = 'Crm', subject?: string): Promise<{ state: string; location: URL; cookie: string }> {
    const response = await fetch(await ours.link(name, subject), { redirect: 'manual' });
    assert.equal(response.status, 302);
    const location = new URL(response.headers.get('location')!);
    return { state: location.searchParams.get('state')!, location, cookie: consentCookieOf(response) };
  }
  /** The callback as the consenting browser sends it: with the consent cookie `cookie` (`name=value`), if any. */
  const callback = (query: Record<string, string>, cookie?: string, name = 'Crm') =>
    fetch(`${ours.callbackUrl(name)}?${new URLSearchParams(query)}`, { headers: cookie ? { cookie } : {} }).then(async (r) => ({
      status: r.status,
      body: await r.text(),
      headers: r.headers,
    }));

  describe('consent links', () => {
    it('redirects a valid link to the provider with state, PKCE S256 and the declared parameters', async () => {
      const { location } = await pendingState();
      assert.equal(location.origin, provider.issuer);
      const params = Object.fromEntries(location.searchParams);
      assert.equal(params.client_id, 'basic-client');
      assert.equal(params.response_type, 'code');
      assert.equal(params.redirect_uri, ours.callbackUrl('Crm'));
      assert.equal(params.code_challenge_method, 'S256');
      assert.match(params.code_challenge, /^[A-Za-z0-9_-]{43}$/);
      assert.equal(params.scope, 'openid offline_access api:read');
      assert.equal(params.prompt, 'consent');
    });

    it('binds the consent to the browser with an HttpOnly, SameSite=Lax cookie scoped to the connection', async () => {
      const response = await fetch(await ours.link('Crm'), { redirect: 'manual' });
      const [set, ...others] = response.headers.getSetCookie();
      assert.equal(others.length, 0);
      const state = new URL(response.headers.get('location')!).searchParams.get('state')!;
      const name = `oauth_registry_consent_${createHash('sha256').update(state).digest('base64url').slice(0, 16)}`;
      assert.match(set, new RegExp(`^${name}=[A-Za-z0-9_-]{43}; Path=/connections/Crm/; Max-Age=600; HttpOnly; SameSite=Lax$`));
      const pending = await ours.state.get<PendingConsent>(consentStateKey(state));
      const value = set.split(';')[0].split('=')[1];
      assert.equal(pending?.browserBinding, createHash('sha256').update(value).digest('base64url'), 'only the hash is stored');
    });

    it('refuses a link used twice', async () => {
      const link = await ours.link('Crm');
      assert.equal((await fetch(link, { redirect: 'manual' })).status, 302);
      const second = await fetch(link, { redirect: 'manual' });
      assert.equal(second.status, 400);
      assert.match(await second.text(), /this consent link was already used; ask for a new one/);
    });

    it('refuses an expired link (10 minutes)', async () => {
      const link = await ours.link('Crm');
      ours.clock.advance(601);
      const response = await fetch(link, { redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.match(await response.text(), /this consent link has expired/);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
    });

    it('refuses a link of another connection, a tampered link, and no link', async () => {
      const other = (await ours.link('Mail', 'bob')).replace('/connections/Mail/', '/connections/Crm/');
      const forged = `${(await ours.link('Crm')).slice(0, -4)}AAAA`;
      for (const [url, message] of [
        [other, /is not for this connection/],
        [forged, /this consent link is not valid/],
        [`${ours.url}/connections/Crm/connect`, /needs a consent link/],
      ] as const) {
        const response = await fetch(url, { redirect: 'manual' });
        assert.equal(response.status, 400, url);
        assert.match(await response.text(), message);
      }
    });

    it('refuses a per-user link without a subject, and an unknown connection', async () => {
      const response = await fetch(await ours.link('Mail'), { redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.match(await response.text(), /is per user: give a subject/);
      const unknown = await fetch(`${ours.url}/connections/Nope/connect?link=x`, { redirect: 'manual' });
      assert.equal(unknown.status, 404);
      assert.match(await unknown.text(), /no connection named &#39;Nope&#39;/);
    });

    it("error pages carry the same headers as the authorization server's pages", async () => {
      const response = await fetch(`${ours.url}/connections/Crm/connect`, { redirect: 'manual' });
      assert.equal(response.status, 400);
      assert.equal(response.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(response.headers.get('cache-control'), 'no-store');
      assert.equal(
        response.headers.get('content-security-policy'),
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
      );
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(response.headers.get('referrer-policy'), 'no-referrer');
    });
  });

  describe('callback', () => {
    it('refuses an unknown state and a missing state', async () => {
      const unknown = await callback({ code: 'x', state: 'never-issued' });
      assert.equal(unknown.status, 400);
      assert.match(unknown.body, /this consent is unknown, has expired or was already completed/);
      assert.equal(unknown.headers.get('cache-control'), 'no-store');
      const missing = await callback({ code: 'x' });
      assert.equal(missing.status, 400);
      assert.match(missing.body, /the provider sent no state/);
    });

    it('refuses an expired state', async () => {
      const { state } = await pendingState();
      ours.clock.advance(601);
      const response = await callback({ code: 'x', state, iss: provider.issuer });
      assert.equal(response.status, 400);
      assert.match(response.body, /unknown, has expired or was already completed/);
    });

    it('refuses a reused state (a replayed callback) and keeps the stored token set', async () => {
      const link = await ours.link('Crm');
      const { response } = await browse(link);
      assert.equal(response.status, 200);
      // Run a second consent but stop at the callback, to replay it.
      const first = await fetch(await ours.link('Crm'), { redirect: 'manual' });
      const authUrl = first.headers.get('location')!;
      const walk = await browseUntil(authUrl, ours.callbackUrl('Crm'));
      const callbackUrl = walk;
      const cookie = consentCookieOf(first);
      assert.equal((await fetch(callbackUrl, { headers: { cookie } })).status, 200);
      const kept = await stored();
      const replay = await fetch(callbackUrl, { headers: { cookie } });
      assert.equal(replay.status, 400);
      assert.match(await replay.text(), /unknown, has expired or was already completed/);
      assert.deepEqual(await stored(), kept);
    });

    for (const [what, cookieFor] of [
      ['no cookie', () => undefined],
      ["another browser's cookie", (own: string) => `${own.slice(0, -4)}AAAA`],
      ['an empty cookie', (own: string) => `${own.split('=')[0]}=`],
    ] as const) {
      it(`refuses a real callback that arrives with ${what} (login CSRF), token set unchanged`, async () => {
        const before = await stored();
        const exchanges = provider.tokenRequests.authorization_code;
        const first = await fetch(await ours.link('Crm'), { redirect: 'manual' });
        const callbackUrl = await browseUntil(first.headers.get('location')!, ours.callbackUrl('Crm'));
        const cookie = cookieFor(consentCookieOf(first));
        const response = await fetch(callbackUrl, { headers: cookie ? { cookie } : {} });
        assert.equal(response.status, 400);
        assert.equal(response.headers.get('x-frame-options'), 'DENY');
        assert.match(
          await response.text(),
          /this consent was started in another browser \(or its cookie was blocked\): open the consent link again/,
        );
        assert.equal(provider.tokenRequests.authorization_code, exchanges, 'the code was not exchanged');
        assert.deepEqual(await stored(), before);
      });
    }

    it("shows the provider's error response and stores nothing", async () => {
      const before = await stored();
      const { state, cookie } = await pendingState();
      const response = await callback(
        { error: 'access_denied', error_description: 'the user said <no>', state, iss: provider.issuer },
        cookie,
      );
      assert.equal(response.status, 400);
      assert.match(response.body, /<h1>The provider did not grant access<\/h1>/);
      assert.match(response.body, /The provider answered: access_denied \(the user said &lt;no&gt;\)\./);
      assert.deepEqual(await stored(), before);
    });

    it('refuses a callback whose iss is another issuer (RFC 9207 mix-up)', async () => {
      const { state, cookie } = await pendingState();
      const logged = ours.logs.length;
      const response = await callback({ code: 'x', state, iss: 'https://evil.example' }, cookie);
      assert.equal(response.status, 400);
      // The page says the response is not valid; which check failed (oauth4webapi's words) goes to the log only.
      assert.match(response.body, /the provider&#39;s response is not valid<\/p>/);
      const failed = ours.logs.slice(logged).map((line) => JSON.parse(line) as Record<string, unknown>);
      const line = failed.find((l) => l.msg === 'consent_failed');
      assert.equal(line?.error, 'invalid_request');
      assert.match(String(line?.detail), /"iss"/);
    });

    it('checks the RFC 9207 iss against the issuer a declared provider names (Provider.endpoints({ issuer }))', async () => {
      const declared = (name: string, issuer: string) =>
        connection(name, {
          provider: { authorizationEndpoint: `${provider.issuer}/auth`, tokenEndpoint: `${provider.issuer}/token`, issuer },
        });
      // The provider's real issuer is its origin, which is also what an undeclared issuer defaults to.
      await ours.add(declared('MixUp', 'https://idp.example/tenant'), { client_id: 'basic-client', client_secret: SECRET_BASIC });
      const exchanges = provider.tokenRequests.authorization_code;
      const refused = await browse(await ours.link('MixUp'));
      assert.equal(refused.response.status, 400);
      assert.match(refused.body, /the provider&#39;s response is not valid/);
      assert.equal(provider.tokenRequests.authorization_code, exchanges, 'the code was not exchanged');
      assert.equal(await ours.state.get(tokenSetKey('MixUp', undefined)), undefined);

      await ours.add(declared('Declared', provider.issuer), { client_id: 'basic-client', client_secret: SECRET_BASIC });
      const connected = await browse(await ours.link('Declared'));
      assert.equal(connected.response.status, 200, connected.body);
    });

    it("reports a failed code exchange (invalid code) as the provider's error, storing nothing", async () => {
      const before = await stored();
      const { state, cookie } = await pendingState();
      const response = await callback({ code: 'not-a-code', state, iss: provider.issuer }, cookie);
      assert.equal(response.status, 502);
      assert.match(response.body, /The code could not be exchanged for tokens: the provider answered 400 invalid_grant/);
      assert.match(response.body, /Nothing was stored/);
      assert.deepEqual(await stored(), before);
    });

    it('reports a provider that does not answer the code exchange in time (503)', async () => {
      const { state, cookie } = await pendingState();
      provider.tokenEndpointMode = 'hang';
      const response = await callback({ code: 'whatever', state, iss: provider.issuer }, cookie);
      assert.equal(response.status, 503);
      assert.match(response.body, /the provider did not answer in time/);
    });
  });

  describe('refresh failures', () => {
    it('a provider that is down or slow: retried, health error, the last good token kept while valid', async () => {
      const before = (await stored())!;
      provider.tokenEndpointMode = 'hang';
      ours.clock.advance(TTL - 30); // within the skew: renewal due, the token still valid
      const attemptsBefore = provider.tokenRequests.refresh_token ?? 0;
      const result = await ours.server.invoke({ action: 'token', connection: 'Crm' });
      assert.ok('access_token' in result, JSON.stringify(result));
      assert.equal(result.access_token, before.accessToken);
      const after = (await stored())!;
      assert.equal(after.health, 'error');
      assert.equal(after.lastError, 'the provider did not answer in time');
      assert.equal(after.refreshToken, before.refreshToken);
      assert.equal(after.accessToken, before.accessToken);
      assert.equal(after.leaseUntil, undefined);
      assert.equal(ours.events.events.at(-1)?.detail.to, 'error');
      assert.equal(provider.tokenRequests.refresh_token ?? 0, attemptsBefore, "no request reached the provider's token logic");

      // Once the token has really expired, callers get a clear 503 error; the record stays.
      ours.clock.advance(60);
      provider.tokenEndpointMode = 'unavailable';
      const expired = await ours.server.invoke({ action: 'token', connection: 'Crm' });
      assert.deepEqual(expired, {
        error: 'provider_unavailable',
        error_description: 'connection Crm: the provider answered 503; try again later',
      });
      assert.equal((await stored())!.refreshToken, before.refreshToken);

      // The provider is back: once the backoff (5 s, then 10 s) is over, the next call renews and the health returns to connected.
      provider.tokenEndpointMode = 'normal';
      ours.clock.advance(10);
      const back = await ours.server.invoke({ action: 'token', connection: 'Crm' });
      assert.ok('access_token' in back);
      assert.equal((await stored())!.health, 'connected');
      assert.deepEqual(
        ours.events.events.slice(-1).map((e) => [e.detail.from, e.detail.to]),
        [['error', 'connected']],
      );
    });

    it('invalid_grant (a garbage refresh token) marks needs_consent and keeps the record', async () => {
      const item = (await stored())!;
      const garbage = await ours.cipher.encrypt('not-a-refresh-token', {
        'oauth-registry:connection': 'Crm',
        'oauth-registry:token-set': item.pk,
      });
      await ours.state.put({ ...item, refreshToken: garbage, accessTokenExpiresAt: ours.clock.now() - 1000 });
      const fresh = ours.newInstance();
      const result = await fresh.invoke({ action: 'token', connection: 'Crm' });
      assert.ok('error' in result);
      assert.equal(result.error, 'needs_consent');
      assert.match(result.error_description, /\(the provider answered 400 invalid_grant/);
      const kept = (await stored())!;
      assert.equal(kept.health, 'needs_consent');
      assert.equal(kept.refreshToken, garbage);
      // Repair for the next tests.
      assert.equal((await browse(await ours.link('Crm'))).response.status, 200);
    });
  });

  describe('broker', () => {
    it('answers invalid_request to an invocation whose payload is null or not an object', async () => {
      for (const payload of [null, 'token', 42]) {
        const result = await ours.server.invoke(payload as never);
        assert.deepEqual(result, { error: 'invalid_request', error_description: 'connection is required' }, String(payload));
      }
    });

    it('answers an unknown connection, a missing subject, an unknown subject and a stray subject with clear errors', async () => {
      assert.deepEqual(await ours.server.invoke({ action: 'token', connection: 'Nope' }), {
        error: 'unknown_connection',
        error_description: "no connection named 'Nope'",
      });
      assert.deepEqual(await ours.server.invoke({ action: 'token', connection: 'Mail' }), {
        error: 'invalid_request',
        error_description: 'connection Mail is per user: give a subject (1 to 256 printable characters, no spaces)',
      });
      const unknownSubject = await ours.server.invoke({ action: 'token', connection: 'Mail', subject: 'carol' });
      assert.ok('error' in unknownSubject);
      assert.equal(unknownSubject.error, 'not_connected');
      assert.match(
        unknownSubject.error_description,
        /no token set for subject carol: consent first \(npx oauth-registry connect Mail --subject carol\)/,
      );
      assert.equal(unknownSubject.consent_url, undefined, 'no link unless the caller asks for one');
      const asked = await ours.server.invoke({ action: 'token', connection: 'Mail', subject: 'carol', consentLink: true });
      assert.ok('error' in asked && asked.error === 'not_connected');
      const link = new URL(asked.consent_url!);
      assert.equal(link.pathname, '/connections/Mail/connect');
      assert.equal(decodeJwt(link.searchParams.get('link')!).sub, 'carol', 'the link binds the consent to the subject asked for');
      assert.deepEqual(await ours.server.invoke({ action: 'token', connection: 'Crm', subject: 'bob' }), {
        error: 'invalid_request',
        error_description: 'connection Crm is shared: it takes no subject',
      });
    });

    it("refuses a caller that invoked another connection's alias", async () => {
      const arn = 'arn:aws:lambda:eu-west-1:123456789012:function:reg-connections:connection-Mail';
      const result = await ours.server.invoke({ action: 'token', connection: 'Crm' }, arn);
      assert.deepEqual(result, {
        error: 'invalid_request',
        error_description: 'invoke the broker through the alias connection-Crm to get tokens of Crm',
      });
      const ok = await ours.server.invoke({ action: 'token', connection: 'Crm' }, arn.replace('connection-Mail', 'connection-Crm'));
      assert.ok('access_token' in ok);
    });

    it('refuses a caller that invoked the function itself (unqualified ARN, $LATEST or a version): no alias, no token', async () => {
      const unqualified = 'arn:aws:lambda:eu-west-1:123456789012:function:reg-connections';
      for (const arn of [unqualified, `${unqualified}:$LATEST`, `${unqualified}:7`]) {
        assert.deepEqual(
          await ours.server.invoke({ action: 'token', connection: 'Crm' }, arn),
          {
            error: 'invalid_request',
            error_description: 'invoke the broker through the alias connection-Crm to get tokens of Crm',
          },
          arn,
        );
      }
    });

    it('a connection without credentials says how to set them', async () => {
      await ours.add(connection('Bare', { provider: { issuer: provider.issuer }, grant: 'client_credentials' }));
      assert.deepEqual(await ours.server.invoke({ action: 'token', connection: 'Bare' }), {
        error: 'not_configured',
        error_description: 'connection Bare has no credentials yet: run `npx oauth-registry connections set-credentials Bare`',
      });
    });

    it('a provider that is not there: provider_unavailable, nothing stored', async () => {
      const dead: Server = createServer();
      await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve));
      const port = (dead.address() as AddressInfo).port;
      await new Promise<void>((resolve) => dead.close(() => resolve()));
      await ours.add(connection('Down', { provider: { issuer: `http://127.0.0.1:${port}` }, grant: 'client_credentials' }), {
        client_id: 'x',
        client_secret: 'y',
      });
      const result = await ours.server.invoke({ action: 'token', connection: 'Down' });
      assert.ok('error' in result);
      assert.equal(result.error, 'provider_unavailable');
      assert.match(result.error_description, /could not be read: the provider could not be reached/);
      const item = await ours.state.get<TokenSetItem>(tokenSetKey('Down', undefined));
      assert.equal(item?.accessToken, undefined);
      assert.equal(item?.health, 'error');
    });
  });

  describe('proxy', () => {
    const proxyEvent = (rawPath: string, headers: Record<string, string> = {}) =>
      apiEvent({ method: 'GET', path: rawPath, routeKey: CONNECTION_ROUTES.proxy, headers });

    for (const rest of [
      '..',
      '../admin',
      'a/../../admin',
      '%2e%2e/admin',
      '%2E%2e%2fadmin',
      'a/%252e%252e/x',
      '..%5cadmin',
      'http:%2F%2Fevil.example/x',
      '%2F%2Fevil.example/x',
      'https://evil.example/',
      '..;/admin',
      'a/..;/..;/admin',
      '%2e%2e;/admin',
      '.;x/..;jsessionid=1/admin',
    ]) {
      it(`refuses a path escaping the base: ${rest}`, async () => {
        const result = await ours.server.handle(proxyEvent(`/connections/Crm/proxy/${rest}`));
        assert.equal(result.statusCode, 400);
        assert.deepEqual(jsonBody(result), {
          error: 'invalid_request',
          error_description: 'the path leaves the API base URL of this connection',
        });
        assert.equal(header(result, 'cache-control'), 'no-store');
      });
    }

    it('resolves ordinary paths under the base, query kept', () => {
      assert.equal(resolveProxyTarget('https://api.example/v2', 'a/b%20c', 'x=1').href, 'https://api.example/v2/a/b%20c?x=1');
      assert.equal(resolveProxyTarget('https://api.example/v2/', 'a', '').href, 'https://api.example/v2/a');
      assert.throws(() => resolveProxyTarget('https://api.example/v2', '%zz', ''), /not valid percent-encoding/);
    });

    it('refuses a per-user proxy call without the subject header, and a connection without apiBaseUrl', async () => {
      const result = await ours.server.handle(proxyEvent('/connections/Mail/proxy/x'));
      assert.equal(result.statusCode, 400);
      assert.equal(jsonBody(result).error, 'invalid_request');
      await ours.add(connection('NoApi', { provider: { issuer: provider.issuer } }));
      const noApi = await ours.server.handle(proxyEvent('/connections/NoApi/proxy/x'));
      assert.equal(noApi.statusCode, 404);
      assert.deepEqual(jsonBody(noApi), {
        error: 'no_api_base_url',
        error_description: 'connection NoApi declares no apiBaseUrl to proxy to',
      });
    });
  });

  it('no secret or token appears in any log line', async () => {
    const item = (await stored())!;
    const text = ours.logs.join('\n');
    for (const secret of [item.accessToken!, item.refreshToken!, SECRET_BASIC]) assert.ok(!text.includes(secret));
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}/);
  });
});

/** `name=value` of the consent cookie a connect response set. */
function consentCookieOf(response: Response): string {
  const set = response.headers.getSetCookie().find((c) => c.startsWith('oauth_registry_consent_'));
  assert.ok(set, 'the connect response sets the consent cookie');
  return set.split(';')[0];
}

/** Follows the provider's flow like `browse`, but stops at (and returns) the first URL under `stopAt`. */
async function browseUntil(start: string, stopAt: string): Promise<string> {
  const cookies = new Map<string, string>();
  let url = start;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    if (url.startsWith(stopAt)) return url;
    const response = await cookieFetch(cookies, url, init);
    init = {};
    const location = response.headers.get('location');
    if (location) {
      url = new URL(location, url).href;
      continue;
    }
    const body = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(body)![1];
    const prompt = /name="prompt" value="(\w+)"/.exec(body)![1];
    url = new URL(action, url).href;
    init = {
      method: 'POST',
      body: new URLSearchParams({ prompt, login: 'alice', password: 'x' }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    };
  }
  throw new Error('browseUntil: too many steps');
}
