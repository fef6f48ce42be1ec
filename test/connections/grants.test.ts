/**
 * Connections that need no person: client_credentials with a client secret and with private_key_jwt (our key),
 * against the same oidc-provider, plus the warm path of the broker.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { tokenSetKey, type TokenSetItem } from '../../lambdas/connections/token-set-item';
import { connection, startHarness, type Harness } from '../../testing/connections/harness';
import { SECRET_POST, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';

describe('client_credentials connections against oidc-provider', () => {
  let ours: Harness;
  let provider: ThirdParty;

  before(async () => {
    ours = await startHarness();
    provider = await startThirdParty({ redirectUris: [ours.callbackUrl('Unused')], accessTokenTtlSecs: 300 });
    const common = {
      provider: { issuer: provider.issuer },
      grant: 'client_credentials',
      scopes: ['api:read'],
      apiBaseUrl: provider.apiBaseUrl,
    } as const;
    await ours.add(connection('Reports', { ...common, clientAuth: 'client_secret_post' }), {
      client_id: 'post-client',
      client_secret: SECRET_POST,
    });
    await ours.add(connection('Signed', { ...common, clientAuth: 'private_key_jwt' }), {
      client_id: 'jwt-client',
      private_jwk: provider.privateJwk,
    });
  });
  after(async () => {
    await ours.close();
    await provider.close();
  });

  for (const [name, clientId] of [
    ['Reports', 'post-client'],
    ['Signed', 'jwt-client'],
  ] as const) {
    it(`${name}: the broker gets a token the resource server accepts, then serves it from memory`, async () => {
      const before = provider.tokenRequests.client_credentials ?? 0;
      const token = await ours.server.invoke({ action: 'token', connection: name });
      assert.ok('access_token' in token, JSON.stringify(token));
      assert.equal(provider.tokenRequests.client_credentials, before + 1);
      const response = await fetch(`${provider.apiBaseUrl}/x`, { headers: { authorization: `Bearer ${token.access_token}` } });
      assert.equal(response.status, 200);
      assert.equal(((await response.json()) as { client_id: string }).client_id, clientId);

      const again = await Promise.all(Array.from({ length: 5 }, () => ours.server.invoke({ action: 'token', connection: name })));
      assert.deepEqual(again, Array(5).fill(token));
      assert.equal(provider.tokenRequests.client_credentials, before + 1, 'warm: no request to the provider');
      const item = (await ours.state.get<TokenSetItem>(tokenSetKey(name, undefined)))!;
      assert.equal(item.health, 'connected');
      assert.equal(item.refreshToken, undefined);
    });
  }

  it('renews a client_credentials token ahead of expiry, once for 20 containers', async () => {
    const before = provider.tokenRequests.client_credentials ?? 0;
    ours.clock.advance(300 - 30);
    const results = await Promise.all(
      Array.from({ length: 20 }, () => ours.newInstance().invoke({ action: 'token', connection: 'Signed' })),
    );
    assert.equal(provider.tokenRequests.client_credentials, before + 1);
    assert.equal(new Set(results.map((r) => ('access_token' in r ? r.access_token : 'error'))).size, 1);
  });

  it('the proxy works for a client_credentials connection', async () => {
    const response = await fetch(`${ours.url}/connections/Reports/proxy/reports?year=2025`, {
      method: 'POST',
      body: '{"q":1}',
      headers: { 'content-type': 'application/json' },
    });
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { client_id: string }).client_id, 'post-client');
    assert.equal(provider.lastApiRequest?.method, 'POST');
    assert.equal(provider.lastApiRequest?.body, '{"q":1}');
  });

  it('logs hold neither the client secret nor the private key', () => {
    const text = ours.logs.join('\n');
    assert.ok(!text.includes(SECRET_POST));
    assert.ok(!text.includes(String(provider.privateJwk.d)));
  });
});
