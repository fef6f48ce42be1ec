/**
 * Every document the connections function fetches is bounded, against the real oidc-provider third party: a
 * discovery document or token response that never ends is cut at 256 KiB and answered `provider_error`; the proxied
 * API's answer is capped at Lambda's 6 MB response payload (base64 included) with a clear 502; and, as deployed
 * (`allowPrivateNetwork` off, the default), a provider or API on a loopback address is refused before any request.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tokenSetKey, type TokenSetItem } from '../../lambdas/connections/token-set-item';
import { DOCUMENT_LIMITS } from '../../lambdas/shared/bounded-fetch';
import { connection, startHarness, type Harness } from '../../testing/connections/harness';
import { SECRET_POST, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';

/** The harness's log lines, parsed. */
const loggedLines = (h: Harness): Record<string, unknown>[] => h.logs.map((line) => JSON.parse(line) as Record<string, unknown>);

const MiB = 1024 * 1024;
const credentials = { client_id: 'post-client', client_secret: SECRET_POST };

describe('bounded fetches of the connections function', () => {
  let ours: Harness;
  let strict: Harness;
  let provider: ThirdParty;
  const reports = (name: string, apiBaseUrl?: string) =>
    connection(name, {
      provider: { issuer: provider.issuer },
      grant: 'client_credentials',
      scopes: ['api:read'],
      clientAuth: 'client_secret_post',
      ...(apiBaseUrl ? { apiBaseUrl } : {}),
    });

  before(async () => {
    ours = await startHarness();
    strict = await startHarness({ allowPrivateNetwork: false });
    provider = await startThirdParty({ redirectUris: [strict.callbackUrl('Crm')] });
  });
  after(async () => {
    await ours.close();
    await strict.close();
    await provider.close();
  });
  const resetProvider = () => {
    provider.tokenEndpointMode = 'normal';
    provider.discoveryMode = 'normal';
    provider.apiBody = undefined;
    provider.oversizedBytesSent = 0;
  };

  it('a token response that never ends is cut at the document cap: provider_error, nothing stored', async () => {
    await ours.add(reports('Endless'), credentials);
    provider.tokenEndpointMode = 'oversized';
    try {
      const result = await ours.server.invoke({ action: 'token', connection: 'Endless' });
      assert.ok('error' in result, JSON.stringify(result).slice(0, 200));
      assert.equal(result.error, 'provider_error');
      assert.match(result.error_description, new RegExp(`response was too large: .* more than ${DOCUMENT_LIMITS.maxBytes} bytes`));
      assert.ok(provider.oversizedBytesSent < 16 * MiB, `the provider got to send ${provider.oversizedBytesSent} bytes`);
      const item = (await ours.state.get<TokenSetItem>(tokenSetKey('Endless', undefined)))!;
      assert.equal(item.accessToken, undefined);
      assert.equal(item.health, 'error');
    } finally {
      resetProvider();
    }
  });

  it('a discovery document that never ends: the metadata cannot be read, provider_error (502)', async () => {
    await ours.add(reports('Discovered'), credentials);
    provider.discoveryMode = 'oversized';
    try {
      const result = await ours.server.invoke({ action: 'token', connection: 'Discovered' });
      assert.ok('error' in result);
      assert.equal(result.error, 'provider_error');
      assert.match(result.error_description, /the metadata of Discovered's provider could not be read: .*too large/);
    } finally {
      resetProvider();
    }
    const healed = await ours.server.invoke({ action: 'token', connection: 'Discovered' });
    assert.ok('access_token' in healed, 'a failed metadata load is retried next time');
  });

  describe('the proxy: its own cap, Lambda response payload (6 MB)', () => {
    before(() => ours.add(reports('Api', provider.apiBaseUrl), credentials));
    after(resetProvider);

    it('passes a 1 MiB binary answer through, byte for byte', async () => {
      provider.apiBody = { bytes: MiB, contentType: 'application/octet-stream' };
      const response = await fetch(`${ours.url}/connections/Api/proxy/export`);
      assert.equal(response.status, 200);
      const body = Buffer.from(await response.arrayBuffer());
      assert.equal(body.length, MiB);
      assert.ok(body.every((b) => b === 0x61));
    });

    for (const [what, bytes] of [
      ['8 MiB, more than it reads', 8 * MiB],
      ['5 MiB of binary: under the read cap, over 6 MB once base64-encoded', 5 * MiB],
    ] as const) {
      it(`answers 502 provider_error JSON for an API answer of ${what}`, async () => {
        provider.apiBody = { bytes, contentType: 'application/octet-stream' };
        const response = await fetch(`${ours.url}/connections/Api/proxy/export`);
        assert.equal(response.status, 502);
        assert.equal(response.headers.get('content-type'), 'application/json');
        const body = (await response.json()) as { error: string; error_description: string };
        assert.equal(body.error, 'provider_error');
        assert.match(body.error_description, /larger than the proxy can return \(6 MB, Lambda's response payload limit\)/);
      });
    }
  });

  describe('deployed default (allowPrivateNetwork off): loopback providers and APIs are refused', () => {
    it('the broker makes no request to a loopback provider', async () => {
      const before = { ...provider.tokenRequests };
      await strict.add(reports('Reports'), credentials);
      const result = await strict.server.invoke({ action: 'token', connection: 'Reports' });
      assert.ok('error' in result, JSON.stringify(result));
      assert.equal(result.error, 'provider_error');
      // The caller hears that the address was refused and why in general; only the log hears which address.
      assert.match(result.error_description, /address was refused: it is a loopback, private or link-local address/);
      assert.doesNotMatch(result.error_description, /127\.0\.0\.1/);
      const refused = loggedLines(strict).find((l) => l.msg === 'broker_refused' && l.connection === 'Reports');
      assert.match(String(refused?.detail), /^refusing to fetch http:\/\/127\.0\.0\.1:\d+: a loopback, private/);
      assert.deepEqual(provider.tokenRequests, before);
    });

    it("a provider whose declaration opts in (allowPrivateNetwork) is reached: the operator's choice, per URL", async () => {
      const optedIn = { ...reports('OptedIn'), provider: { issuer: provider.issuer, allowPrivateNetwork: true } };
      await strict.add(optedIn, credentials);
      const result = await strict.server.invoke({ action: 'token', connection: 'OptedIn' });
      assert.ok('access_token' in result, JSON.stringify(result));
    });

    it('a consent does not start against a loopback provider: a 502 page', async () => {
      await strict.add(connection('Crm', { provider: { issuer: provider.issuer } }), credentials);
      const response = await fetch(await strict.link('Crm'), { redirect: 'manual' });
      assert.equal(response.status, 502);
      assert.match(await response.text(), /address was refused/);
    });

    it('the proxy refuses an API whose name resolves to loopback (checked after DNS)', async () => {
      const api = new URL(provider.apiBaseUrl);
      await strict.add(connection('LocalApi', { apiBaseUrl: `http://localhost:${api.port}/api` }));
      const now = strict.clock.now();
      await strict.state.put({
        pk: tokenSetKey('LocalApi', undefined),
        connection: 'LocalApi',
        health: 'connected',
        accessToken: 'at',
        tokenType: 'Bearer',
        accessTokenExpiresAt: now + 3_600_000,
        updatedAt: now,
      } satisfies TokenSetItem);
      provider.lastApiRequest = undefined;
      const response = await fetch(`${strict.url}/connections/LocalApi/proxy/x`);
      assert.equal(response.status, 502);
      const body = (await response.json()) as { error: string; error_description: string };
      assert.equal(body.error, 'provider_error');
      assert.equal(body.error_description, "the API's address was refused: it is a loopback, private or link-local address");
      const refused = loggedLines(strict).find((l) => l.msg === 'proxy_refused');
      assert.equal(refused?.error, 'provider_error');
      assert.match(String(refused?.detail), /^refusing to connect to localhost: it resolves to (127\.0\.0\.1|::1)/);
      assert.equal(provider.lastApiRequest, undefined, 'the API got no request');
    });
  });
});
