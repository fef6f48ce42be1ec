/**
 * User-delegated access end to end: our local registry federates sign-in to oidc-provider (started here as the
 * upstream OpenID provider, its dev interactions driven over HTTP), shows its consent page, and redirects back with a
 * code. openid-client and oauth4webapi (strict) then redeem it with PKCE, refresh, revoke and introspect.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { decodeJwt, exportJWK, generateKeyPair } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { localStatePaths, type LocalRegistry } from '../../bin/local/local-registry';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import { exampleManifest, startExample } from './fixture';

const UPSTREAM_CLIENT_ID = 'oauth-registry';
const UPSTREAM_SECRET = 'upstream-secret-0123456789abcdef0123456789abcdef';
const REDIRECT_URI = 'http://127.0.0.1:53682/callback';
const USER = 'alice';

const WEB: ClientRegistration = {
  name: 'WebApp',
  clientId: 'web-app',
  description: 'Reads incidents on behalf of the signed-in user',
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'client_secret_basic',
  scopes: ['incidents.read', 'incidents.write'],
  accessTokenTtlSecs: 600,
  active: true,
  secretId: 'incident-api/clients/WebApp',
  secretRotationDays: 90,
  redirectUris: [REDIRECT_URI],
};
const NATIVE: ClientRegistration = {
  name: 'NativeApp',
  clientId: 'native-app',
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'none',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 300,
  active: true,
  redirectUris: [REDIRECT_URI],
};

// --- a browser: one cookie jar per host, redirects followed by hand ------------------------------------------------

type Jar = Map<string, Map<string, string>>;

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

async function browserFetch(jar: Jar, url: URL, init: RequestInit = {}): Promise<Response> {
  const cookie = [...(jar.get(url.host) ?? [])].map(([k, v]) => `${k}=${v}`).join('; ');
  const headers = { ...(init.headers as Record<string, string> | undefined), ...(cookie ? { cookie } : {}) };
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  storeCookies(jar, url, response);
  return response;
}

const unescapeHtml = (value: string): string =>
  value
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

const hidden = (html: string, name: string): string | undefined =>
  new RegExp(`<input type="hidden" name="${name}" value="([^"]*)"`).exec(html)?.[1];

interface Landing {
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
async function signIn(
  start: URL | string,
  options: { decision?: 'approve' | 'deny'; abortUpstream?: boolean; jar?: Jar; stopAtCallback?: boolean } = {},
): Promise<Landing> {
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
      if (url.href.startsWith(`${REDIRECT_URI}?`))
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
    if (prompt === 'login') form = new URLSearchParams({ prompt, login: USER, password: 'any' });
    else if (prompt === 'consent') form = new URLSearchParams({ prompt });
    else {
      // Our consent page: the pending request's id and the CSRF token bound to this browser.
      consentPage = html;
      form = new URLSearchParams({
        request: hidden(html, 'request')!,
        csrf: hidden(html, 'csrf')!,
        decision: options.decision ?? 'approve',
      });
    }
    url = target;
    init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error(`sign-in did not reach ${REDIRECT_URI}`);
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A valid authorization request of `c`, with the given overrides (`undefined` drops a parameter). */
function authorizeUrl(registry: LocalRegistry, overrides: Record<string, string | undefined> = {}, c: ClientRegistration = WEB): URL {
  const url = new URL(`${registry.issuer}/oauth2/authorize`);
  const params: Record<string, string | undefined> = {
    client_id: c.clientId,
    redirect_uri: REDIRECT_URI,
    response_type: 'code',
    scope: 'incidents.read',
    state: 'st-123',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    ...overrides,
  };
  for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, value);
  return url;
}

describe('authorization code flow, federated to an upstream OpenID provider', () => {
  let upstreamServer: Server;
  let upstreamIssuer: string;
  let registry: LocalRegistry;
  let manifest: RegistryManifest;

  before(async () => {
    // The upstream's address first: our manifest names it, and its client needs our callback URL.
    upstreamServer = createServer();
    upstreamIssuer = await listen(upstreamServer);

    const example = exampleManifest();
    const secretId = `${example.namePrefix}/user-authentication`;
    manifest = {
      ...example,
      clients: [...example.clients, WEB, NATIVE],
      userAuthentication: { issuer: upstreamIssuer, clientId: UPSTREAM_CLIENT_ID, scopes: ['openid'], secretId },
    };
    // What `credentials set-upstream-secret --local` does, before the registry starts.
    const stateDir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-state-'));
    const store = new LocalSecretStore(localStatePaths(stateDir).secrets);
    store.createSecret(secretId, {}, { rotationEnabled: false });
    await store.putSecretValue(secretId, randomUUID(), UPSTREAM_SECRET, ['AWSCURRENT']);
    registry = await startExample({ manifest, stateDir });

    const { default: Provider } = (await import('oidc-provider')) as { default: any };
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const provider = new Provider(upstreamIssuer, {
      clients: [
        {
          client_id: UPSTREAM_CLIENT_ID,
          client_secret: UPSTREAM_SECRET,
          redirect_uris: [`${registry.issuer}/oauth2/callback`],
          grant_types: ['authorization_code'],
          response_types: ['code'],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
      jwks: { keys: [{ ...(await exportJWK(privateKey)), alg: 'RS256', use: 'sig', kid: 'upstream-key' }] },
      features: { devInteractions: { enabled: true } },
      pkce: { required: () => true },
      findAccount: (_ctx: unknown, id: string) => ({ accountId: id, claims: () => ({ sub: id }) }),
    });
    upstreamServer.on('request', provider.callback());
  });

  after(async () => {
    await registry?.close();
    upstreamServer.closeAllConnections();
    await new Promise<void>((resolve) => upstreamServer.close(() => resolve()));
  });

  const webSecret = () => registry.credentials.WebApp.client_secret;
  const expectedSub = () => `${upstreamIssuer}|${USER}`;

  describe('openid-client 6', () => {
    const discover = () =>
      client.discovery(new URL(registry.issuer), WEB.clientId, webSecret(), client.ClientSecretBasic(), {
        execute: [client.allowInsecureRequests],
      });

    async function authorize(config: client.Configuration, jar?: Jar) {
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        scope: 'incidents.read',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      const landing = await signIn(url, { jar });
      const checks = { pkceCodeVerifier: verifier, expectedState: state };
      return { ...landing, checks, tokens: await client.authorizationCodeGrant(config, landing.location, checks) };
    }

    it('completes authorization code + PKCE; the browser only ever visits our host and the upstream', async () => {
      const config = await discover();
      const { location, hosts, consentPage, tokens } = await authorize(config);
      assert.equal(location.searchParams.get('iss'), registry.issuer);
      assert.deepEqual(
        [...new Set(hosts)].sort(),
        [new URL(registry.issuer).host, new URL(upstreamIssuer).host, new URL(REDIRECT_URI).host].sort(),
      );
      assert.match(consentPage!, /Allow WebApp to access your account\?/);
      assert.match(consentPage!, /<code>incidents\.read<\/code>/);

      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.scope, 'incidents.read');
      assert.equal(tokens.expires_in, 600);
      assert.ok(tokens.refresh_token);
      const claims = decodeJwt(tokens.access_token);
      assert.equal(claims.sub, expectedSub());
      assert.equal(claims.client_id, WEB.clientId);
      assert.equal(claims.iss, registry.issuer);
    });

    it('refreshes with rotation; reusing the old refresh token fails and revokes the family', async () => {
      const config = await discover();
      const { tokens } = await authorize(config);
      const first = tokens.refresh_token!;
      const refreshed = await client.refreshTokenGrant(config, first);
      assert.ok(refreshed.refresh_token);
      assert.notEqual(refreshed.refresh_token, first);
      assert.equal(refreshed.scope, 'incidents.read');
      assert.equal(decodeJwt(refreshed.access_token).sub, expectedSub());

      await assert.rejects(client.refreshTokenGrant(config, first), (err: client.ResponseBodyError) => {
        assert.equal(err.error, 'invalid_grant');
        assert.equal(err.status, 400);
        return true;
      });
      // The successor, never used, went down with its family.
      await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token), { error: 'invalid_grant' });
      assert.deepEqual(await client.tokenIntrospection(config, refreshed.refresh_token), { active: false });
    });

    it('introspects access and refresh tokens, then revokes them', async () => {
      const config = await discover();
      const { tokens } = await authorize(config);
      const access = await client.tokenIntrospection(config, tokens.access_token);
      const claims = decodeJwt(tokens.access_token);
      assert.deepEqual(access, {
        active: true,
        token_type: 'Bearer',
        scope: 'incidents.read',
        client_id: WEB.clientId,
        sub: expectedSub(),
        aud: claims.aud,
        iss: registry.issuer,
        exp: claims.exp,
        iat: claims.iat,
        jti: claims.jti,
      });
      const refresh = await client.tokenIntrospection(config, tokens.refresh_token!);
      assert.equal(refresh.active, true);
      assert.equal(refresh.token_type, 'refresh_token');
      assert.equal(refresh.sub, expectedSub());

      await client.tokenRevocation(config, tokens.access_token);
      assert.deepEqual(await client.tokenIntrospection(config, tokens.access_token), { active: false });
      await client.tokenRevocation(config, tokens.refresh_token!);
      assert.deepEqual(await client.tokenIntrospection(config, tokens.refresh_token!), { active: false });
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token!), { error: 'invalid_grant' });
    });

    it('a code is single use: the second redemption fails with invalid_grant', async () => {
      const config = await discover();
      const { location, checks, tokens } = await authorize(config);
      await assert.rejects(client.authorizationCodeGrant(config, location, checks), { error: 'invalid_grant' });
      // ...and revokes what the first redemption issued.
      assert.deepEqual(await client.tokenIntrospection(config, tokens.access_token), { active: false });
    });

    it('a public client completes the flow with PKCE and `none` authentication', async () => {
      const config = await client.discovery(new URL(registry.issuer), NATIVE.clientId, undefined, client.None(), {
        execute: [client.allowInsecureRequests],
      });
      const verifier = client.randomPKCECodeVerifier();
      const state = client.randomState();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: REDIRECT_URI,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      });
      const { location, consentPage } = await signIn(url);
      assert.match(consentPage!, /Allow NativeApp/);
      const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier, expectedState: state });
      assert.equal(tokens.scope, 'incidents.read');
      assert.equal(decodeJwt(tokens.access_token).client_id, NATIVE.clientId);
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token!);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
      await client.tokenRevocation(config, refreshed.refresh_token!);
      await assert.rejects(client.refreshTokenGrant(config, refreshed.refresh_token!), { error: 'invalid_grant' });
    });
  });

  describe('oauth4webapi 3 (strict)', () => {
    const insecure = { [oauth.allowInsecureRequests]: true } as const;

    it('accepts every response of the flow: authorization, code, refresh, introspection, revocation', async () => {
      const issuer = new URL(registry.issuer);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
      assert.equal(as.authorization_response_iss_parameter_supported, true);
      assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
      const c: oauth.Client = { client_id: WEB.clientId };
      const auth = oauth.ClientSecretBasic(webSecret());

      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: c.client_id,
        redirect_uri: REDIRECT_URI,
        response_type: 'code',
        scope: 'incidents.read incidents.write',
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      const { location } = await signIn(url);

      // RFC 9207: validateAuthResponse checks `iss` against the discovered issuer.
      const params = oauth.validateAuthResponse(as, c, location, state);
      const codeResponse = await oauth.authorizationCodeGrantRequest(as, c, auth, params, REDIRECT_URI, verifier, insecure);
      assert.equal(codeResponse.headers.get('cache-control'), 'no-store');
      const tokens = await oauth.processAuthorizationCodeResponse(as, c, codeResponse);
      assert.equal(tokens.scope, 'incidents.read incidents.write');
      assert.equal(tokens.token_type, 'bearer');

      const refreshResponse = await oauth.refreshTokenGrantRequest(as, c, auth, tokens.refresh_token!, insecure);
      const refreshed = await oauth.processRefreshTokenResponse(as, c, refreshResponse);
      assert.notEqual(refreshed.refresh_token, tokens.refresh_token);

      const introspected = await oauth.processIntrospectionResponse(
        as,
        c,
        await oauth.introspectionRequest(as, c, auth, refreshed.access_token, insecure),
      );
      assert.equal(introspected.active, true);
      assert.equal(introspected.sub, expectedSub());
      assert.equal(introspected.client_id, WEB.clientId);

      await oauth.processRevocationResponse(await oauth.revocationRequest(as, c, auth, refreshed.refresh_token!, insecure));
      const after = await oauth.processIntrospectionResponse(
        as,
        c,
        await oauth.introspectionRequest(as, c, auth, refreshed.refresh_token!, insecure),
      );
      assert.deepEqual(after, { active: false });
    });

    it('validateAuthResponse refuses a response whose iss is not ours', async () => {
      const issuer = new URL(registry.issuer);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
      const forged = new URL(`${REDIRECT_URI}?code=x&state=s&iss=${encodeURIComponent(upstreamIssuer)}`);
      assert.throws(() => oauth.validateAuthResponse(as, { client_id: WEB.clientId }, forged, 's'), { code: oauth.INVALID_RESPONSE });
    });
  });

  describe('bad input at /oauth2/authorize', () => {
    /** One request, no redirect followed. */
    async function get(url: URL) {
      const response = await fetch(url, { redirect: 'manual' });
      return { status: response.status, headers: response.headers, body: await response.text() };
    }

    function assertErrorRedirect(result: { status: number; headers: Headers }, error: string) {
      assert.equal(result.status, 303);
      const location = new URL(result.headers.get('location')!);
      assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
      assert.equal(location.searchParams.get('error'), error);
      assert.equal(location.searchParams.get('state'), 'st-123');
      assert.equal(location.searchParams.get('iss'), registry.issuer);
      assert.equal(location.searchParams.get('code'), null);
    }

    function assertErrorPage(result: { status: number; headers: Headers; body: string }, error: string) {
      assert.equal(result.status, 400);
      assert.equal(result.headers.get('location'), null);
      assert.match(result.headers.get('content-type')!, /^text\/html/);
      assert.equal(result.headers.get('cache-control'), 'no-store');
      assert.match(result.body, new RegExp(`<strong>${error}</strong>`));
    }

    it('code_challenge_method=plain: invalid_request at the (trusted) redirect URI', async () => {
      assertErrorRedirect(
        await get(authorizeUrl(registry, { code_challenge_method: 'plain', code_challenge: 'p'.repeat(43) })),
        'invalid_request',
      );
    });

    it('no PKCE at all: invalid_request at the redirect URI', async () => {
      assertErrorRedirect(
        await get(authorizeUrl(registry, { code_challenge: undefined, code_challenge_method: undefined })),
        'invalid_request',
      );
    });

    it('response_type=token: unsupported_response_type, and nothing in a fragment', async () => {
      const result = await get(authorizeUrl(registry, { response_type: 'token' }));
      assertErrorRedirect(result, 'unsupported_response_type');
      assert.equal(new URL(result.headers.get('location')!).hash, '');
    });

    it('a redirect URI that differs by one character (other than a loopback port): an error page, no Location', async () => {
      for (const redirect of [
        'http://127.0.0.1:53682/callbacK',
        'http://127.0.0.2:53682/callback',
        'http://localhost:53682/callback',
        'http://127.0.0.1:53682/callback?x=1',
        'http://127.0.0.1:0/callback',
        `${REDIRECT_URI}/`,
        'https://evil.example/callback',
      ]) {
        assertErrorPage(await get(authorizeUrl(registry, { redirect_uri: redirect })), 'invalid_request');
      }
    });

    it('an unknown client: an error page, even with a bad PKCE method', async () => {
      assertErrorPage(await get(authorizeUrl(registry, { client_id: 'nobody', code_challenge_method: 'plain' })), 'invalid_client');
    });

    it('a client_credentials client has no redirect URI to trust: an error page', async () => {
      const acme = registry.credentials.AcmeMonitoring;
      assertErrorPage(await get(authorizeUrl(registry, { client_id: acme.client_id })), 'invalid_request');
    });

    it('deny at our consent page: access_denied at the redirect URI, with state and iss', async () => {
      const { location } = await signIn(authorizeUrl(registry), { decision: 'deny' });
      assert.equal(location.searchParams.get('error'), 'access_denied');
      assert.equal(location.searchParams.get('state'), 'st-123');
      assert.equal(location.searchParams.get('iss'), registry.issuer);
      assert.equal(location.searchParams.get('code'), null);
    });

    it('the user aborts at the upstream provider: access_denied at the redirect URI', async () => {
      const { location, consentPage } = await signIn(authorizeUrl(registry), { abortUpstream: true });
      assert.equal(consentPage, undefined);
      assert.equal(location.searchParams.get('error'), 'access_denied');
      assert.equal(location.searchParams.get('state'), 'st-123');
      assert.equal(location.searchParams.get('iss'), registry.issuer);
      assert.equal(location.searchParams.get('code'), null);
    });

    it('our callback with an unknown state, or replayed after completion: an error page, no Location', async () => {
      assertErrorPage(await get(new URL(`${registry.issuer}/oauth2/callback?code=x&state=unknown`)), 'invalid_request');
      const { callback } = await signIn(authorizeUrl(registry));
      assertErrorPage(await get(callback!), 'invalid_request');
    });

    it('a consent form from another browser (no binding cookie) is refused and the request stays pending', async () => {
      const jar: Jar = new Map();
      // Walk the flow up to our consent page, then post its form without our host's cookies.
      let url = authorizeUrl(registry);
      let init: RequestInit = {};
      let consent: string | undefined;
      for (let step = 0; step < 25 && !consent; step++) {
        const response = await browserFetch(jar, url, init);
        init = {};
        const location = response.headers.get('location');
        if (location) {
          await response.arrayBuffer();
          url = new URL(location, url);
          continue;
        }
        const html = await response.text();
        const prompt = /name="prompt" value="(\w+)"/.exec(html)?.[1];
        if (!prompt) {
          consent = html;
          break;
        }
        url = new URL(unescapeHtml(/<form[^>]*action="([^"]+)"/.exec(html)![1]), url);
        const form = new URLSearchParams(prompt === 'login' ? { prompt, login: USER, password: 'any' } : { prompt });
        init = { method: 'POST', body: form.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } };
      }
      const form = new URLSearchParams({ request: hidden(consent!, 'request')!, csrf: hidden(consent!, 'csrf')!, decision: 'approve' });
      const stranger = await fetch(`${registry.issuer}/oauth2/consent`, {
        method: 'POST',
        redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      assert.equal(stranger.status, 400);
      assert.equal(stranger.headers.get('location'), null);
      // The real browser can still decide.
      const approved = await browserFetch(jar, new URL(`${registry.issuer}/oauth2/consent`), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.toString(),
      });
      assert.equal(approved.status, 303);
      assert.ok(new URL(approved.headers.get('location')!).searchParams.get('code'));
    });
  });

  describe('the upstream provider is down', () => {
    it('at /oauth2/authorize: temporarily_unavailable at the (trusted) redirect URI, nothing pending', async () => {
      const closed = createServer();
      const deadIssuer = await listen(closed);
      await new Promise<void>((resolve) => closed.close(() => resolve()));
      const stateDir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-state-'));
      const down = await startExample({
        manifest: { ...manifest, userAuthentication: { ...manifest.userAuthentication!, issuer: deadIssuer } },
        stateDir,
      });
      try {
        const response = await fetch(authorizeUrl(down), { redirect: 'manual' });
        assert.equal(response.status, 303);
        const location = new URL(response.headers.get('location')!);
        assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI);
        assert.equal(location.searchParams.get('error'), 'temporarily_unavailable');
        assert.equal(location.searchParams.get('state'), 'st-123');
        assert.equal(location.searchParams.get('iss'), down.issuer);
        assert.equal(response.headers.get('set-cookie'), null);
      } finally {
        await down.close();
      }
    });

    it('when the user comes back: a 502 page, and reloading the same callback works once it is up again', async () => {
      const jar: Jar = new Map();
      const { callback } = await signIn(authorizeUrl(registry), { jar, stopAtCallback: true });
      const { port } = upstreamServer.address() as AddressInfo;
      upstreamServer.closeAllConnections();
      await new Promise<void>((resolve) => upstreamServer.close(() => resolve()));
      try {
        const response = await browserFetch(jar, callback!);
        assert.equal(response.status, 502);
        assert.equal(response.headers.get('location'), null);
        assert.match(response.headers.get('content-type')!, /^text\/html/);
        assert.match(await response.text(), /<strong>temporarily_unavailable<\/strong>/);
      } finally {
        await new Promise<void>((resolve) => upstreamServer.listen(port, '127.0.0.1', resolve));
      }
      const { location } = await signIn(callback!, { jar });
      assert.ok(location.searchParams.get('code'));
      assert.equal(location.searchParams.get('state'), 'st-123');
    });
  });
});
