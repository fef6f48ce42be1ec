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
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { localStatePaths } from '../../bin/local/local-state';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { createJsonLogger } from '../../lambdas/shared/log';
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import { browserFetch, hidden, signIn as browserSignIn, unescapeHtml, upstreamOidcProvider, type Jar } from '../../testing/browser-sign-in';
import { WEB_CLIENT, WEB_REDIRECT_URI } from '../../testing/example-app';
import { exampleManifest, startExample } from './fixture';

const UPSTREAM_CLIENT_ID = 'oauth-registry';
const UNSET_CLIENT_ID = 'oauth-registry-unset';
const UPSTREAM_SECRET = 'upstream-secret-0123456789abcdef0123456789abcdef';
const REDIRECT_URI = WEB_REDIRECT_URI;
const USER = 'alice';

const WEB: ClientRegistration = { ...WEB_CLIENT, description: 'Reads incidents on behalf of the signed-in user' };
/** A native app or CLI: loopback redirect URIs without a port (it listens wherever the OS lets it), no secret. */
const LOOPBACK: ClientRegistration = {
  name: 'Cli',
  clientId: 'cli-app',
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'none',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 300,
  active: true,
  redirectUris: ['http://127.0.0.1/callback', 'http://[::1]/callback'],
};
/** A single-page app served from SPA_ORIGIN: a public client that redeems its code from browser script (CORS). */
const SPA_ORIGIN = 'https://spa.example';
const SPA: ClientRegistration = { ...LOOPBACK, name: 'Spa', clientId: 'spa-app', redirectUris: [`${SPA_ORIGIN}/callback`] };
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
/** A public client whose pending sign-ins a test floods (local mode bounds them at 100 per client). */
const FLOODED: ClientRegistration = { ...NATIVE, name: 'Flooded', clientId: 'flooded-app' };

// --- a browser (testing/browser-sign-in.ts), landing at this file's redirect URI by default --------------------------

const signIn = (start: URL | string, options: Omit<Parameters<typeof browserSignIn>[1], 'redirectUri'> & { redirectUri?: string } = {}) =>
  browserSignIn(start, { ...options, redirectUri: options.redirectUri ?? REDIRECT_URI, user: USER });

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
  let spareIssuer: string;
  let registry: LocalRegistry;
  let manifest: RegistryManifest;
  const logs: Record<string, unknown>[] = [];

  before(async () => {
    // The upstream's address first: our manifest names it, and its client needs our callback URL.
    upstreamServer = createServer();
    upstreamIssuer = await listen(upstreamServer);
    // A free port for a second registry (its upstream secret unset): the upstream must know its callback beforehand.
    const spare = createServer();
    spareIssuer = await listen(spare);
    await new Promise<void>((resolve) => spare.close(() => resolve()));

    const example = exampleManifest();
    const secretId = `${example.namePrefix}/user-authentication`;
    manifest = {
      ...example,
      clients: [...example.clients, WEB, NATIVE, LOOPBACK, SPA, FLOODED],
      corsAllowedOrigins: [SPA_ORIGIN],
      userAuthentication: { issuer: upstreamIssuer, clientId: UPSTREAM_CLIENT_ID, scopes: ['openid'], secretId },
    };
    // What `credentials set-upstream-secret --local` does, before the registry starts.
    const stateDir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-state-'));
    const store = new LocalSecretStore(localStatePaths(stateDir).secrets);
    store.createSecret(secretId, {}, { rotationEnabled: false });
    await store.putSecretValue(secretId, randomUUID(), UPSTREAM_SECRET, ['AWSCURRENT']);
    registry = await startExample({ manifest, stateDir, log: createJsonLogger((line) => logs.push(JSON.parse(line))) });

    upstreamServer.on(
      'request',
      await upstreamOidcProvider(upstreamIssuer, [
        { clientId: UPSTREAM_CLIENT_ID, secret: UPSTREAM_SECRET, callbackUrl: `${registry.issuer}/oauth2/callback` },
        { clientId: UNSET_CLIENT_ID, secret: UPSTREAM_SECRET, callbackUrl: `${spareIssuer}/oauth2/callback` },
      ]),
    );
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

    it('refreshes with rotation; a retry after a lost answer keeps the grant, a reuse after the new token revokes it', async () => {
      const config = await discover();
      const { tokens } = await authorize(config);
      const first = tokens.refresh_token!;
      // The answer to this refresh is lost on the way (the app crashed, the socket closed): the app still holds `first`.
      const lost = await client.refreshTokenGrant(config, first);
      const retried = await client.refreshTokenGrant(config, first);
      assert.equal(retried.refresh_token, lost.refresh_token, 'the retry gets the same new refresh token');
      assert.notEqual(retried.refresh_token, first);
      assert.equal(retried.scope, 'incidents.read');
      assert.equal(decodeJwt(retried.access_token).sub, expectedSub());

      const second = await client.refreshTokenGrant(config, retried.refresh_token!);
      // `first` again, now that its successor was used: whoever presents it is not the app. The whole grant goes.
      await assert.rejects(client.refreshTokenGrant(config, first), (err: client.ResponseBodyError) => {
        assert.equal(err.error, 'invalid_grant');
        assert.equal(err.status, 400);
        return true;
      });
      await assert.rejects(client.refreshTokenGrant(config, second.refresh_token!), { error: 'invalid_grant' });
      assert.deepEqual(await client.tokenIntrospection(config, second.refresh_token!), { active: false });
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

    it('only the port may vary: scheme, host, path and query must match', async () => {
      for (const redirect of [
        'http://127.0.0.1:51234/callback/',
        'http://127.0.0.1:51234/other',
        'http://127.0.0.1:51234/callback?x=1',
        'https://127.0.0.1:51234/callback',
        'http://localhost:51234/callback',
        'http://127.0.0.1:99999/callback',
      ]) {
        assertErrorPage(await get(authorizeUrl(registry, { redirect_uri: redirect }, LOOPBACK)), 'invalid_request');
      }
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

    it('a non-loopback redirect URI with another port (even the default one): an error page, no Location', async () => {
      for (const redirect of [`${SPA_ORIGIN}:8443/callback`, `${SPA_ORIGIN}:443/callback`]) {
        assertErrorPage(await get(authorizeUrl(registry, { redirect_uri: redirect }, SPA)), 'invalid_request');
      }
    });

    it('every repeated parameter is invalid_request, also when one occurrence is empty; never a sign-in', async () => {
      const base = authorizeUrl(registry);
      for (const [name, value] of [...base.searchParams]) {
        for (const pair of [
          [value, value],
          ['', value],
          [value, ''],
          ['', ''],
        ]) {
          const url = new URL(base);
          url.searchParams.delete(name);
          for (const v of pair) url.searchParams.append(name, v);
          const result = await get(url);
          const what = `${name}=${JSON.stringify(pair)}`;
          if (name === 'client_id' || name === 'redirect_uri') {
            assertErrorPage(result, 'invalid_request');
            continue;
          }
          assert.equal(result.status, 303, what);
          const location = new URL(result.headers.get('location')!);
          assert.equal(`${location.origin}${location.pathname}`, REDIRECT_URI, what);
          assert.equal(location.searchParams.get('error'), 'invalid_request', what);
          // A repeated state is not echoed: which one would be the client's?
          if (name !== 'state') assert.equal(location.searchParams.get('state'), 'st-123', what);
          else assert.equal(location.searchParams.get('state'), null, what);
        }
      }
    });

    it("the error_description on the client's redirect URI holds only RFC 6749 §5.2 characters, at most 400", async () => {
      const url = authorizeUrl(registry);
      const name = `"\\\n\u00e9<${'n'.repeat(3000)}`;
      url.searchParams.append(name, '1');
      url.searchParams.append(name, '2');
      const result = await get(url);
      assertErrorRedirect(result, 'invalid_request');
      const description = new URL(result.headers.get('location')!).searchParams.get('error_description')!;
      assert.match(description, /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,400}$/);
    });

    it('anonymous requests cannot evict a sign-in already sent to the provider: past 100, they are refused', async () => {
      const jar: Jar = new Map();
      const started = await browserFetch(jar, authorizeUrl(registry, {}, FLOODED));
      assert.equal(started.status, 302);
      const atProvider = new URL(started.headers.get('location')!);
      assert.equal(atProvider.origin, upstreamIssuer);
      const answers: string[] = [];
      for (let i = 0; i < 120; i++) {
        const flood = await get(authorizeUrl(registry, {}, FLOODED));
        const location = new URL(flood.headers.get('location')!);
        answers.push(location.origin === upstreamIssuer ? 'provider' : String(location.searchParams.get('error')));
      }
      assert.deepEqual(
        [answers.slice(0, 99), answers.slice(99)].map((part) => [...new Set(part)]),
        [['provider'], ['temporarily_unavailable']],
        'the 100th pending sign-in is the last one',
      );
      const { location } = await signIn(atProvider, { jar });
      assert.ok(location.searchParams.get('code'), 'the user who started first still signs in');
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

  describe('native apps: a loopback redirect URI on any port, and no state (PKCE is the CSRF protection)', () => {
    const insecure = { [oauth.allowInsecureRequests]: true } as const;

    it("openid-client's documented flow: a random port, PKCE without state, then refresh", async () => {
      const config = await client.discovery(new URL(registry.issuer), LOOPBACK.clientId, undefined, client.None(), {
        execute: [client.allowInsecureRequests],
      });
      const redirectUri = 'http://127.0.0.1:51234/callback';
      const verifier = client.randomPKCECodeVerifier();
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: redirectUri,
        scope: 'incidents.read',
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      });
      assert.equal(url.searchParams.has('state'), false);
      const { location } = await signIn(url, { redirectUri });
      assert.equal(location.searchParams.has('state'), false, 'no state in the response when the request had none');
      const tokens = await client.authorizationCodeGrant(config, location, { pkceCodeVerifier: verifier });
      assert.equal(decodeJwt(tokens.access_token).client_id, LOOPBACK.clientId);
      assert.ok(await client.refreshTokenGrant(config, tokens.refresh_token!));
    });

    it('oauth4webapi on [::1] with its own port; the code is bound to that port', async () => {
      const issuer = new URL(registry.issuer);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
      const c: oauth.Client = { client_id: LOOPBACK.clientId };
      const redirectUri = 'http://[::1]:60123/callback';
      const verifier = oauth.generateRandomCodeVerifier();
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: c.client_id,
        redirect_uri: redirectUri,
        response_type: 'code',
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      const { location } = await signIn(url, { redirectUri });
      const params = oauth.validateAuthResponse(as, c, location, oauth.expectNoState);
      // Another port than the authorization request's is another redirect URI: the code does not fit it.
      const elsewhere = await oauth.authorizationCodeGrantRequest(
        as,
        c,
        oauth.None(),
        params,
        'http://[::1]:60124/callback',
        verifier,
        insecure,
      );
      await assert.rejects(oauth.processAuthorizationCodeResponse(as, c, elsewhere), { error: 'invalid_grant' });
      const response = await oauth.authorizationCodeGrantRequest(as, c, oauth.None(), params, redirectUri, verifier, insecure);
      const tokens = await oauth.processAuthorizationCodeResponse(as, c, response);
      assert.equal(tokens.scope, 'incidents.read');
    });
  });

  describe('browser apps: CORS on the token, revocation and metadata endpoints', () => {
    const SIMPLE_HEADERS = new Set(['accept', 'accept-language', 'content-language', 'content-type', 'user-agent']);
    const SIMPLE_TYPES = new Set(['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

    /** `fetch` as a page at `origin` has it: preflight when needed, and a response the script may read only if allowed. */
    const browserCors =
      (origin: string): typeof fetch =>
      async (input, init) => {
        const request = new Request(input, init);
        const headers = new Headers(request.headers);
        const custom = [...headers.keys()].filter((name) => !SIMPLE_HEADERS.has(name));
        const type = headers.get('content-type')?.split(';')[0].trim();
        const simple =
          ['GET', 'HEAD', 'POST'].includes(request.method) && custom.length === 0 && (type === undefined || SIMPLE_TYPES.has(type));
        if (!simple) {
          const preflight = await fetch(request.url, {
            method: 'OPTIONS',
            headers: { origin, 'access-control-request-method': request.method, 'access-control-request-headers': custom.join(',') },
          });
          const methods = (preflight.headers.get('access-control-allow-methods') ?? '').toUpperCase().split(',');
          const allowed = (preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase().split(',');
          if (
            !preflight.ok ||
            preflight.headers.get('access-control-allow-origin') !== origin ||
            !methods.includes(request.method) ||
            !custom.every((h) => allowed.includes(h))
          ) {
            throw new TypeError(`Failed to fetch: CORS preflight of ${request.method} ${request.url} refused`);
          }
        }
        headers.set('origin', origin);
        const body = request.body ? await request.arrayBuffer() : undefined;
        const response = await fetch(request.url, { method: request.method, headers, body, redirect: 'manual' });
        if (response.headers.get('access-control-allow-origin') !== origin) {
          throw new TypeError(`Failed to fetch: ${request.url} does not allow ${origin}`);
        }
        return response;
      };
    const fromPage = (origin: string) => ({ [oauth.allowInsecureRequests]: true, [oauth.customFetch]: browserCors(origin) }) as const;

    it('a public client in a browser discovers, redeems its code, refreshes and revokes from script', async () => {
      const http = fromPage(SPA_ORIGIN);
      const issuer = new URL(registry.issuer);
      const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...http }));
      const c: oauth.Client = { client_id: SPA.clientId };
      const redirectUri = `${SPA_ORIGIN}/callback`;
      const verifier = oauth.generateRandomCodeVerifier();
      const state = oauth.generateRandomState();
      const url = new URL(as.authorization_endpoint!);
      url.search = new URLSearchParams({
        client_id: c.client_id,
        redirect_uri: redirectUri,
        response_type: 'code',
        state,
        code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
      }).toString();
      // The sign-in is top-level navigation (no CORS); only the app's script calls need it.
      const { location } = await signIn(url, { redirectUri });
      const params = oauth.validateAuthResponse(as, c, location, state);
      const tokens = await oauth.processAuthorizationCodeResponse(
        as,
        c,
        await oauth.authorizationCodeGrantRequest(as, c, oauth.None(), params, redirectUri, verifier, http),
      );
      const refreshed = await oauth.processRefreshTokenResponse(
        as,
        c,
        await oauth.refreshTokenGrantRequest(as, c, oauth.None(), tokens.refresh_token!, http),
      );
      await oauth.processRevocationResponse(await oauth.revocationRequest(as, c, oauth.None(), refreshed.refresh_token!, http));
      const jwks = await browserCors(SPA_ORIGIN)(as.jwks_uri!);
      assert.ok(((await jwks.json()) as { keys: unknown[] }).keys.length > 0);
    });

    it('a preflight for the token endpoint (client authentication header) is answered for the allowed origin only', async () => {
      const preflight = (origin: string) =>
        fetch(`${registry.issuer}/oauth2/token`, {
          method: 'OPTIONS',
          headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
        });
      const allowed = await preflight(SPA_ORIGIN);
      assert.equal(allowed.status, 204);
      assert.equal(allowed.headers.get('access-control-allow-origin'), SPA_ORIGIN);
      assert.match(allowed.headers.get('access-control-allow-headers')!, /authorization/);
      const stranger = await preflight('https://evil.example');
      assert.equal(stranger.headers.get('access-control-allow-origin'), null);
    });

    it('another origin cannot read the answers', async () => {
      const issuer = new URL(registry.issuer);
      await assert.rejects(
        oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...fromPage('https://evil.example') }),
        /does not allow https:\/\/evil\.example/,
      );
    });
  });

  describe('browser binding (CSRF) of the sign-in', () => {
    it('the right consent cookie with a wrong CSRF token: 403, and the request stays pending', async () => {
      const jar: Jar = new Map();
      const { consentPage } = await signIn(authorizeUrl(registry), { jar, stopAtConsent: true });
      const form = (csrf: string) =>
        new URLSearchParams({ request: hidden(consentPage!, 'request')!, csrf, decision: 'approve' }).toString();
      const post = (csrf: string) =>
        browserFetch(jar, new URL(`${registry.issuer}/oauth2/consent`), {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form(csrf),
        });
      const forged = await post('A'.repeat(43));
      assert.equal(forged.status, 403);
      assert.equal(forged.headers.get('location'), null);
      const approved = await post(hidden(consentPage!, 'csrf')!);
      assert.equal(approved.status, 303, 'still pending: the real form decides');
      assert.ok(new URL(approved.headers.get('location')!).searchParams.get('code'));
    });

    it('login CSRF: a live sign-in completed in a browser without its cookie is refused, and nothing is finished', async () => {
      const victim: Jar = new Map();
      const { callback } = await signIn(authorizeUrl(registry), { jar: victim, stopAtCallback: true });
      // The attacker's callback URL opened in another browser (no binding cookie for this sign-in).
      const planted = await browserFetch(new Map(), callback!);
      assert.equal(planted.status, 400);
      assert.equal(planted.headers.get('location'), null);
      // The sign-in was not consumed: the browser that started it finishes it.
      const { location } = await signIn(callback!, { jar: victim });
      assert.ok(location.searchParams.get('code'));
      assert.equal(location.searchParams.get('state'), 'st-123');
    });
  });

  describe('the upstream refuses our client credentials', () => {
    const secretId = () => manifest.userAuthentication!.secretId;
    const setUpstreamSecret = async (value: string) => {
      await registry.secrets.putSecretValue(secretId(), randomUUID(), value, ['AWSCURRENT']);
      await new Promise((resolve) => setTimeout(resolve, 1100)); // local mode caches secrets for 1 s
    };
    after(() => setUpstreamSecret(UPSTREAM_SECRET));

    it('a wrong upstream secret: server_error at the redirect URI (not access_denied), the upstream error logged', async () => {
      await setUpstreamSecret('not-the-upstream-secret');
      logs.length = 0;
      const { location } = await signIn(authorizeUrl(registry));
      assert.equal(location.searchParams.get('error'), 'server_error');
      assert.equal(location.searchParams.get('state'), 'st-123');
      const logged = logs.find((l) => l.msg === 'upstream_exchange_failed');
      assert.equal(logged?.upstream_error, 'invalid_client');
      assert.equal(typeof logged?.upstream_error_description, 'string');
    });

    it('an unset upstream secret: the page says so (not "could not be reached"), and reloading works once it is set', async () => {
      // A registry whose upstream secret was never set, on the port the upstream knows its callback at.
      const unset = await startExample({
        manifest: { ...manifest, userAuthentication: { ...manifest.userAuthentication!, clientId: UNSET_CLIENT_ID } },
        stateDir: mkdtempSync(path.join(tmpdir(), 'oauth-registry-state-')),
        port: Number(new URL(spareIssuer).port),
      });
      try {
        const jar: Jar = new Map();
        const { callback } = await signIn(authorizeUrl(unset), { jar, stopAtCallback: true });
        const response = await browserFetch(jar, callback!);
        assert.equal(response.status, 503);
        const page = await response.text();
        assert.match(page, /upstream client secret has not been set/);
        assert.doesNotMatch(page, /could not be reached/);
        await unset.secrets.putSecretValue(manifest.userAuthentication!.secretId, randomUUID(), UPSTREAM_SECRET, ['AWSCURRENT']);
        const { location } = await signIn(callback!, { jar });
        assert.ok(location.searchParams.get('code'));
      } finally {
        await unset.close();
      }
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
