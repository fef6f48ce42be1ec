/**
 * Tokens that live a minute or less are renewed ahead by a quarter of their lifetime, not a fixed 60 s (which made
 * them stale at birth: one provider request per broker call). Against oidc-provider issuing 45 s tokens.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { renewAheadMs } from '../../lambdas/connections/token-cache';
import { tokenSetKey, type TokenSetItem } from '../../lambdas/connections/token-set-item';
import { connection, startHarness, type Harness } from '../../testing/connections/harness';
import { browse, SECRET_BASIC, SECRET_POST, startThirdParty, type ThirdParty } from '../../testing/connections/third-party';

const TTL = 45;

describe('renewing ahead of expiry: a share of the lifetime, at most 60 s', () => {
  it('60 s for long-lived tokens, a quarter of the lifetime for short ones, 60 s when the issue time is unknown', () => {
    const issued = 1_000_000;
    assert.equal(renewAheadMs(60_000, issued + 3_600_000, issued), 60_000);
    assert.equal(renewAheadMs(60_000, issued + 240_000, issued), 60_000);
    assert.equal(renewAheadMs(60_000, issued + 120_000, issued), 30_000);
    assert.equal(renewAheadMs(60_000, issued + 45_000, issued), 11_250);
    assert.equal(renewAheadMs(60_000, issued + 45_000, undefined), 60_000);
  });
});

describe(`${TTL} s tokens from oidc-provider`, () => {
  let ours: Harness;
  let provider: ThirdParty;

  before(async () => {
    ours = await startHarness();
    provider = await startThirdParty({ redirectUris: [ours.callbackUrl('Crm')], accessTokenTtlSecs: TTL });
    await ours.add(
      connection('Reports', {
        provider: { issuer: provider.issuer },
        grant: 'client_credentials',
        scopes: ['api:read'],
        clientAuth: 'client_secret_post',
      }),
      { client_id: 'post-client', client_secret: SECRET_POST },
    );
    await ours.add(connection('Crm', { provider: { issuer: provider.issuer } }), {
      client_id: 'basic-client',
      client_secret: SECRET_BASIC,
    });
  });
  after(async () => {
    await ours.close();
    await provider.close();
  });

  it('client_credentials: 5 broker calls 1 s apart make 1 provider request (warm container and fresh ones)', async () => {
    const tokens = new Set<string>();
    for (let call = 0; call < 5; call++) {
      if (call > 0) ours.clock.advance(1);
      for (const server of [ours.server, ours.newInstance()]) {
        const result = await server.invoke({ action: 'token', connection: 'Reports' });
        assert.ok('access_token' in result, JSON.stringify(result));
        tokens.add(result.access_token);
      }
    }
    assert.equal(provider.tokenRequests.client_credentials, 1);
    assert.equal(tokens.size, 1);

    // Past three quarters of its life (33.75 s) it is renewed, once.
    ours.clock.advance(30);
    const renewed = await ours.newInstance().invoke({ action: 'token', connection: 'Reports' });
    assert.ok('access_token' in renewed && !tokens.has(renewed.access_token));
    assert.equal(provider.tokenRequests.client_credentials, 2);
    const item = (await ours.state.get<TokenSetItem>(tokenSetKey('Reports', undefined)))!;
    assert.equal(item.accessTokenExpiresAt! - item.accessTokenIssuedAt!, TTL * 1000);
  });

  it('authorization_code with rotating refresh tokens: no rotation per call', async () => {
    const { response, body } = await browse(await ours.link('Crm'));
    assert.equal(response.status, 200, body);
    for (let call = 0; call < 5; call++) {
      ours.clock.advance(1);
      const result = await ours.newInstance().invoke({ action: 'token', connection: 'Crm' });
      assert.ok('access_token' in result, JSON.stringify(result));
    }
    assert.equal(provider.tokenRequests.refresh_token ?? 0, 0);
  });
});
