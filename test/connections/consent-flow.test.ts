/**
 * The whole life of an authorization_code connection against a real third-party provider (oidc-provider): consent
 * over HTTP, broker, refresh once under contention, proxy, revocation → needs_consent.
 */
import assert from 'node:assert/strict';
import { request, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { tokenSetKey, type TokenSetItem } from '../../lambdas/connections/token-set-item';
import { connection, startHarness, type Harness } from '../../testing/connections/harness';
import { browse, SECRET_BASIC, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';

const TTL = 120;

/** A GET with headers fetch() would refuse to send (`Connection`); resolves to the answer's status, headers and body. */
function rawGet(url: string, headers: Record<string, string>): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('authorization_code connection against oidc-provider', () => {
  let ours: Harness;
  let provider: ThirdParty;
  const crm = () => connection('Crm', { provider: { issuer: provider.issuer }, apiBaseUrl: provider.apiBaseUrl });

  before(async () => {
    ours = await startHarness();
    provider = await startThirdParty({ redirectUris: [ours.callbackUrl('Crm')], accessTokenTtlSecs: TTL });
    await ours.add(crm(), { client_id: 'basic-client', client_secret: SECRET_BASIC });
  });
  after(async () => {
    await ours.close();
    await provider.close();
  });

  it('completes the consent flow over HTTP and stores the token set, refresh token encrypted', async () => {
    const { url, response, body } = await browse(await ours.link('Crm'));
    assert.equal(response.status, 200, body);
    assert.ok(url.startsWith(ours.callbackUrl('Crm')));
    assert.match(body, /<h1>Connected to Crm<\/h1>/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(provider.tokenRequests.authorization_code, 1);

    const item = (await ours.state.get<TokenSetItem>(tokenSetKey('Crm', undefined)))!;
    assert.equal(item.health, 'connected');
    assert.ok(item.refreshToken && item.accessToken);
    assert.match(item.refreshToken, /^v1\./, 'the refresh token is stored encrypted');
    assert.deepEqual(
      ours.events.events.map((e) => [e.detailType, e.detail.to]),
      [['Connection Health Changed', 'connected']],
    );
  });

  it('the broker returns a token the resource server accepts', async () => {
    const token = await ours.server.invoke({ action: 'token', connection: 'Crm' });
    assert.ok('access_token' in token, JSON.stringify(token));
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.expires_at, Math.floor(ours.clock.now() / 1000) + TTL);
    const response = await fetch(`${provider.apiBaseUrl}/incidents`, { headers: { authorization: `Bearer ${token.access_token}` } });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { sub: string }).sub, 'alice');
  });

  it('after expiry, 20 concurrent callers in 20 containers cause exactly one refresh', async () => {
    const before = (await ours.state.get<TokenSetItem>(tokenSetKey('Crm', undefined)))!;
    ours.clock.advance(TTL - 30); // inside the 60 s skew: renew ahead of expiry
    const containers = Array.from({ length: 20 }, () => ours.newInstance());
    const results = await Promise.all(containers.map((c) => c.invoke({ action: 'token', connection: 'Crm' })));
    assert.equal(provider.tokenRequests.refresh_token, 1);
    const tokens = new Set(results.map((r) => ('access_token' in r ? r.access_token : JSON.stringify(r))));
    assert.equal(tokens.size, 1, 'every caller got the one renewed token');
    const [token] = tokens;
    assert.notEqual(token, before.accessToken);
    const after = (await ours.state.get<TokenSetItem>(tokenSetKey('Crm', undefined)))!;
    assert.equal(after.accessToken, token);
    assert.notEqual(after.refreshToken, before.refreshToken, 'the rotated refresh token replaced the old one');
    assert.equal(after.leaseUntil, undefined, 'the lease was released');
    assert.equal(after.health, 'connected');
  });

  it("the proxy fetches data from the resource server with the bearer token, not the caller's credentials", async () => {
    const response = await fetch(`${ours.url}/connections/Crm/proxy/incidents/42?state=open`, {
      headers: { authorization: 'AWS4-HMAC-SHA256 Credential=caller', 'x-request-id': 'r-1', connection: 'keep-alive' },
    });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      data: 'incidents',
      path: '/api/incidents/42?state=open',
      sub: 'alice',
      client_id: 'basic-client',
      scope: 'api:read',
    });
    assert.equal(response.headers.get('x-api'), 'resource');
    const seen = provider.lastApiRequest!;
    assert.match(seen.headers.authorization!, /^Bearer ey/);
    assert.equal(seen.headers['x-request-id'], 'r-1');
  });

  it("the proxy forwards neither the caller's x-amz-* headers nor those its Connection header names", async () => {
    const answer = await rawGet(`${ours.url}/connections/Crm/proxy/incidents`, {
      connection: 'x-caller-hop',
      'x-caller-hop': 'caller-private',
      'x-amz-security-token': 'caller-session-token',
      'x-amz-date': '20260101T000000Z',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-amzn-trace-id': 'Root=1-caller',
      'x-kept': 'kept',
    });
    assert.equal(answer.status, 200, answer.body);
    const seen = provider.lastApiRequest!.headers;
    assert.equal(seen['x-kept'], 'kept', 'an end-to-end header is forwarded');
    for (const name of ['x-caller-hop', 'x-amz-security-token', 'x-amz-date', 'x-amz-content-sha256', 'x-amzn-trace-id']) {
      assert.equal(seen[name], undefined, name);
    }
  });

  it("the API's answer is sandboxed on our origin, and the headers its Connection header names are dropped", async () => {
    provider.apiBody = { bytes: 64, contentType: 'text/html' };
    provider.apiHeaders = {
      connection: 'x-api-hop, close',
      'x-api-hop': 'api-private',
      'content-security-policy': 'default-src *',
      'x-content-type-options': 'none',
    };
    try {
      const answer = await rawGet(`${ours.url}/connections/Crm/proxy/page.html`, {});
      assert.equal(answer.status, 200, answer.body);
      assert.equal(answer.headers['content-type'], 'text/html');
      assert.equal(answer.headers['content-security-policy'], 'sandbox');
      assert.equal(answer.headers['x-content-type-options'], 'nosniff');
      assert.equal(answer.headers['x-api-hop'], undefined);
    } finally {
      provider.apiBody = undefined;
      provider.apiHeaders = undefined;
    }
  });

  it('the proxy retries once with a renewed token after a 401', async () => {
    const refreshes = provider.tokenRequests.refresh_token;
    provider.rejectNextApiRequests = 1;
    const response = await fetch(`${ours.url}/connections/Crm/proxy/incidents`);
    assert.equal(response.status, 200);
    assert.equal(provider.tokenRequests.refresh_token, refreshes + 1);
  });

  it('a 401 when the token cannot be renewed: a clear error, never a retry with the refused token', async () => {
    provider.rejectNextApiRequests = 2; // the API refuses this token, whoever presents it
    provider.tokenEndpointMode = 'unavailable';
    try {
      const response = await fetch(`${ours.url}/connections/Crm/proxy/incidents`);
      assert.equal(response.status, 503);
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'provider_unavailable');
      assert.match(body.error_description, /^the API refused the access token \(401\) and no new one could be had: connection Crm: /);
      assert.equal(provider.rejectNextApiRequests, 1, 'the API got one request: the refused token was not sent again');
    } finally {
      provider.rejectNextApiRequests = 0;
      provider.tokenEndpointMode = 'normal';
    }
  });

  it('revoking the refresh token at the provider turns the connection into needs_consent, record kept', async () => {
    const item = (await ours.state.get<TokenSetItem>(tokenSetKey('Crm', undefined)))!;
    const refreshToken = await ours.cipher.decrypt(item.refreshToken!, {
      'oauth-registry:connection': 'Crm',
      'oauth-registry:token-set': tokenSetKey('Crm', undefined),
    });
    const revoked = await fetch(`${provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`basic-client:${SECRET_BASIC}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: refreshToken, token_type_hint: 'refresh_token' }).toString(),
    });
    assert.equal(revoked.status, 200);

    ours.clock.advance(TTL);
    const result = await ours.server.invoke({ action: 'token', connection: 'Crm' });
    assert.ok('error' in result);
    assert.equal(result.error, 'needs_consent');
    assert.match(result.error_description, /needs consent again .*oauth-registry connect Crm/);
    assert.equal(result.consent_url, undefined, 'no link unless the caller asks for one');
    const proxied = await fetch(`${ours.url}/connections/Crm/proxy/incidents`);
    assert.equal(proxied.status, 409);
    assert.doesNotMatch(await proxied.text(), /consent_url|link=/, "the proxy's answer goes to whoever called: never a link");
    const asked = await ours.server.invoke({ action: 'token', connection: 'Crm', consentLink: true });
    assert.ok('error' in asked && asked.error === 'needs_consent');
    assert.ok(asked.consent_url?.startsWith(`${ours.url}/connections/Crm/connect?link=`));

    const kept = (await ours.state.get<TokenSetItem>(tokenSetKey('Crm', undefined)))!;
    assert.equal(kept.health, 'needs_consent');
    assert.equal(kept.refreshToken, item.refreshToken, 'the record is kept as it was');
    assert.deepEqual(ours.events.events.at(-1)?.detail.to, 'needs_consent');
    assert.equal((await ours.server.status('Crm')).health, 'needs_consent');

    // Consent again with the link the broker handed out on request: connected again.
    const again = await browse(asked.consent_url!);
    assert.equal(again.response.status, 200, again.body);
    const token = await ours.server.invoke({ action: 'token', connection: 'Crm' });
    assert.ok('access_token' in token);
  });

  it('no token, refresh token, code or secret appears in the logs', async () => {
    const item = (await ours.state.get<TokenSetItem>(tokenSetKey('Crm', undefined)))!;
    const text = ours.logs.join('\n');
    assert.ok(ours.logs.length > 5);
    for (const secret of [item.accessToken!, item.refreshToken!, SECRET_BASIC]) assert.ok(!text.includes(secret));
    assert.doesNotMatch(text, /eyJ[A-Za-z0-9_-]{10,}/, 'no JWT');
    assert.doesNotMatch(text, /code=|"code":/);
  });
});
