/**
 * Client ID Metadata Documents at the authorization endpoint: documents served over real HTTP on loopback (the client
 * id's https origin mapped onto it, through the real bounded fetch and its limits). Every refusal is our own error
 * page, never a redirect; a valid document signs the user in, with PKCE still required.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import {
  cacheSecs,
  createClientMetadataResolver,
  CLIENT_METADATA_MAX_CACHE_SECS,
  CLIENT_METADATA_MIN_CACHE_SECS,
  type ClientMetadataResolver,
} from '../../lambdas/authorization-server/client-metadata-documents';
import { pendingKey, type PendingItem } from '../../lambdas/authorization-server/endpoints/authorization-flow';
import { createAuthorizeEndpoint } from '../../lambdas/authorization-server/endpoints/authorize';
import { discoveryDocument } from '../../lambdas/authorization-server/endpoints/discovery';
import { createResourceIndicators } from '../../lambdas/authorization-server/resource-indicators';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { boundedFetch } from '../../lambdas/shared/bounded-fetch';
import type { ClientIdMetadataDocumentsSettings } from '../../lambdas/shared/client-registration-settings';
import { createJsonLogger } from '../../lambdas/shared/log';
import { FrozenClock } from '../../testing/clock';
import { apiEvent, header, structured } from '../../testing/events';

const ISSUER = 'https://auth.example.test';
const ORIGIN = 'https://client.example';
const CLIENT_ID = `${ORIGIN}/oauth/client.json`;
const REDIRECT = 'http://127.0.0.1/callback';
const CHALLENGE = createHash('sha256').update('v'.repeat(43)).digest('base64url');
const SETTINGS: ClientIdMetadataDocumentsSettings = { scopes: ['incidents.read'], accessTokenTtlSecs: 900, allowPrivateNetwork: false };

/** What the document server answers, per path; `hits` counts fetches. */
const documents = new Map<string, { status?: number; body: string; headers?: Record<string, string> }>();
let hits = 0;
let server: Server;
let port = 0;

before(async () => {
  server = createServer((req, res) => {
    hits++;
    const doc = documents.get(req.url ?? '');
    if (!doc) return void res.writeHead(404).end();
    res.writeHead(doc.status ?? 200, { 'content-type': 'application/json', ...doc.headers }).end(doc.body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
after(() => server.close());

const valid = (overrides: Record<string, unknown> = {}) =>
  JSON.stringify({
    client_id: CLIENT_ID,
    client_name: 'Claude Code',
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    ...overrides,
  });

let clock: FrozenClock;
let state: MemoryStateStore;
let resolver: ClientMetadataResolver;
let pendingId = '';
/** What the authorization endpoint logged, one JSON line each. */
let logged: string[] = [];

function makeResolver(settings = SETTINGS) {
  return createClientMetadataResolver({
    settings,
    clock: clock.now,
    // The real bounded fetch with the resolver's limits, the client's https origin mapped onto the loopback server.
    fetchFor: (limits) => (input, init) =>
      boundedFetch({ ...limits, allowPrivateNetwork: true })(String(input).replace(ORIGIN, `http://127.0.0.1:${port}`), init),
  });
}

beforeEach(() => {
  documents.clear();
  hits = 0;
  logged = [];
  clock = new FrozenClock();
  state = new MemoryStateStore({ clock: clock.now });
  resolver = makeResolver();
});

async function authorize(clientId: string, extra = `&code_challenge=${CHALLENGE}&code_challenge_method=S256`, redirectUri = REDIRECT) {
  const endpoint = createAuthorizeEndpoint({
    issuer: ISSUER,
    state,
    clock: clock.now,
    registrations: new ManifestRegistrationStore({ clients: [] }),
    upstream: {
      authorizationUrl: async ({ state: id }) => ((pendingId = id), 'https://login.example.test/authorize'),
      finish: () => Promise.reject(new Error('unused')),
    },
    resources: createResourceIndicators({ issuer: ISSUER, mcpServers: [{ name: 'Mcp', path: '/mcp', scopes: [], resourceName: 'Mcp' }] }),
    clientMetadata: resolver,
    log: createJsonLogger((line) => logged.push(line)),
  });
  const query = `response_type=code&client_id=${encodeURIComponent(clientId)}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s${extra}`;
  return structured(await endpoint(apiEvent({ path: '/oauth2/authorize', query })));
}

/** A refusal: our own HTML error page (400), no Location, naming the reason. */
function assertErrorPage(result: Awaited<ReturnType<typeof authorize>>, reason: RegExp) {
  assert.equal(result.statusCode, 400);
  assert.equal(header(result, 'location'), undefined, 'never a redirect');
  assert.match(String(header(result, 'content-type')), /text\/html/);
  assert.match(String(result.body), reason);
}

describe('Client ID Metadata Documents at the authorization endpoint', () => {
  it('signs the user in for a valid document: the client is public, its name and redirect URI from the document', async () => {
    documents.set('/oauth/client.json', { body: valid() });
    const result = await authorize(CLIENT_ID, `&code_challenge=${CHALLENGE}&code_challenge_method=S256`, 'http://127.0.0.1:51234/callback');
    assert.equal(result.statusCode, 302, String(result.body));
    const pending = await state.get<PendingItem>(pendingKey(pendingId));
    assert.equal(pending?.clientId, CLIENT_ID);
    assert.equal(pending?.redirectUri, 'http://127.0.0.1:51234/callback', 'the loopback port may differ (RFC 8252)');
    assert.equal(pending?.scope, 'incidents.read');
  });

  it("shows the document's client_name without control characters or bidi overrides", async () => {
    documents.set('/oauth/client.json', { body: valid({ client_name: '\u202eedoC edualC\u202c\r\n\u009b' }) });
    assert.equal((await resolver.resolve(CLIENT_ID)).name, 'edoC edualC');
  });

  it('refuses a document whose client_id is not exactly its URL', async () => {
    documents.set('/oauth/client.json', { body: valid({ client_id: `${ORIGIN}/oauth/other.json` }) });
    assertErrorPage(await authorize(CLIENT_ID), /client_id in the document differs/);
  });

  it('refuses a document bearing a secret, or a secret-based method', async () => {
    for (const overrides of [
      { client_secret: 'shh' },
      { token_endpoint_auth_method: 'client_secret_basic' },
      { token_endpoint_auth_method: 'client_secret_post' },
    ]) {
      resolver = makeResolver();
      documents.set('/oauth/client.json', { body: valid(overrides) });
      assertErrorPage(await authorize(CLIENT_ID), /cannot use a shared secret/);
    }
  });

  it('refuses private_key_jwt without an https jwks_uri', async () => {
    documents.set('/oauth/client.json', { body: valid({ token_endpoint_auth_method: 'private_key_jwt' }) });
    assertErrorPage(await authorize(CLIENT_ID), /jwks_uri/);
  });

  it('refuses an oversize document (the bounded fetch stops reading at 5 KiB)', async () => {
    documents.set('/oauth/client.json', { body: valid({ padding: 'x'.repeat(6 * 1024) }) });
    assertErrorPage(await authorize(CLIENT_ID), /could not be fetched/);
  });

  it('refuses a root-path URL, an http URL, credentials, a fragment and dot segments without fetching', async () => {
    for (const clientId of [`${ORIGIN}/`, ORIGIN, `https://user:pw@client.example/c.json`, `${ORIGIN}/c.json#x`, `${ORIGIN}/a/../c.json`]) {
      assertErrorPage(await authorize(clientId), /client_id must/);
    }
    assert.equal(hits, 0);
  });

  it('refuses a redirect URI the document does not list (or lists with another path)', async () => {
    documents.set('/oauth/client.json', { body: valid() });
    assertErrorPage(await authorize(CLIENT_ID, undefined, 'https://evil.example/callback'), /redirect_uri is not registered/);
    assertErrorPage(await authorize(CLIENT_ID, undefined, 'http://127.0.0.1/other'), /redirect_uri is not registered/);
  });

  it('requires PKCE of such a client (at its trusted redirect URI, as for every client)', async () => {
    documents.set('/oauth/client.json', { body: valid() });
    const result = await authorize(CLIENT_ID, '');
    assert.equal(result.statusCode, 303);
    const location = new URL(String(header(result, 'location')));
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(String(location.searchParams.get('error_description')), /code_challenge/);
  });

  it('refuses a document that answers a redirect (not followed), an error status, or is not JSON', async () => {
    documents.set('/oauth/client.json', { status: 302, body: '', headers: { location: `${ORIGIN}/elsewhere.json` } });
    assertErrorPage(await authorize(CLIENT_ID), /could not be fetched/);
    assert.match(logged.join('\n'), /answered 302/, 'the status goes to the log');
    resolver = makeResolver();
    documents.set('/oauth/client.json', { body: 'not json' });
    assertErrorPage(await authorize(CLIENT_ID), /not JSON/);
  });

  it('refuses a host outside allowedHosts, and a private address unless opted in: the address in the log only', async () => {
    resolver = makeResolver({ ...SETTINGS, allowedHosts: ['apps.example'] });
    assertErrorPage(await authorize(CLIENT_ID), /not accepted from client\.example/);
    resolver = createClientMetadataResolver({ settings: SETTINGS, clock: clock.now });
    const page = await authorize('https://127.0.0.1/c.json');
    assertErrorPage(page, /could not be fetched/);
    assert.doesNotMatch(String(page.body), /127\.0\.0\.1|loopback/);
    assert.match(logged.join('\n'), /loopback, private or link-local/);
  });

  it('refuses a port other than 443 without fetching, unless the host is in allowedHosts or private networks are allowed', async () => {
    const onPort = 'https://client.example:8443/oauth/client.json';
    assertErrorPage(await authorize(onPort), /port \(443\)/);
    assert.equal(hits, 0);
    for (const settings of [
      { ...SETTINGS, allowedHosts: ['client.example'] },
      { ...SETTINGS, allowPrivateNetwork: true },
    ]) {
      resolver = makeResolver(settings);
      const result = await authorize(onPort);
      assert.doesNotMatch(String(result.body), /port \(443\)/);
    }
  });

  it('caches a failure for the minimum too: a failing URL is not refetched on every request', async () => {
    documents.set('/oauth/client.json', { status: 500, body: '' });
    for (let i = 0; i < 3; i++) assertErrorPage(await authorize(CLIENT_ID), /could not be fetched/);
    assert.equal(hits, 1);
    documents.set('/oauth/client.json', { body: valid() });
    clock.advance(CLIENT_METADATA_MIN_CACHE_SECS + 1);
    assert.equal((await authorize(CLIENT_ID)).statusCode, 302);
    assert.equal(hits, 2);
  });

  it('caches a document per Cache-Control, within fixed bounds', async () => {
    documents.set('/oauth/client.json', { body: valid(), headers: { 'cache-control': 'max-age=600' } });
    await authorize(CLIENT_ID);
    await authorize(CLIENT_ID);
    assert.equal(hits, 1);
    clock.advance(601);
    await authorize(CLIENT_ID);
    assert.equal(hits, 2);
    assert.equal(cacheSecs(null), CLIENT_METADATA_MIN_CACHE_SECS);
    assert.equal(cacheSecs('no-store'), CLIENT_METADATA_MIN_CACHE_SECS);
    assert.equal(cacheSecs('public, max-age=999999999'), CLIENT_METADATA_MAX_CACHE_SECS);
    assert.equal(cacheSecs('max-age=3600'), 3600);
  });

  it('metadata advertises client_id_metadata_document_supported, none and private_key_jwt, only when on', () => {
    const base = {
      issuer: ISSUER,
      signingKeySecretId: 'k',
      secretOverlapSecs: 0,
      scopesSupported: [],
      cacheTtlSecs: 60,
      authMethodsSupported: ['client_secret_basic'],
      grantTypesSupported: ['client_credentials'],
      userAuthentication: { issuer: 'https://login.example.test', clientId: 'x', scopes: ['openid'], secretId: 's' },
    };
    const on = discoveryDocument({ ...base, clientIdMetadataDocuments: SETTINGS });
    assert.equal(on.client_id_metadata_document_supported, true);
    assert.deepEqual(on.token_endpoint_auth_methods_supported, ['client_secret_basic', 'private_key_jwt', 'none']);
    assert.deepEqual(on.grant_types_supported, ['client_credentials', 'authorization_code', 'refresh_token']);
    assert.deepEqual(on.code_challenge_methods_supported, ['S256']);
    assert.equal(discoveryDocument(base).client_id_metadata_document_supported, undefined);
  });
});
