/**
 * Renewal failures, on the token sets alone (frozen clock, a provider and a cipher that fail on demand): backoff
 * after transient failures, the lease released on every way out, a rotated refresh token that cannot be stored.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import type * as oauth from 'oauth4webapi';
import { tokenSetKey, type TokenSetItem } from '../../lambdas/connections/token-set-item';
import { createTokenSets, type TokenSets } from '../../lambdas/connections/token-sets';
import { LocalCipher } from '../../lambdas/shared/adapters/local-cipher';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { LogEventPublisher } from '../../lambdas/shared/adapters/log-event-publisher';
import { createJsonLogger } from '../../lambdas/shared/log';
import type { Cipher } from '../../lambdas/shared/ports';
import { FrozenClock } from '../../testing/clock';
import { connection, yieldSleep } from '../../testing/connections/harness';

const crm = connection('Crm');
const pk = tokenSetKey('Crm', undefined);
const tokens = (access: string, refresh?: string, expiresIn = 3600) =>
  ({
    access_token: access,
    token_type: 'bearer',
    expires_in: expiresIn,
    ...(refresh ? { refresh_token: refresh } : {}),
  }) as oauth.TokenEndpointResponse;

describe('token set renewal failures', () => {
  let clock: FrozenClock;
  let state: MemoryStateStore;
  let logs: string[];
  let cipherFails: { encrypt: boolean; decrypt: boolean };
  let provider: { calls: number; next: () => Promise<oauth.TokenEndpointResponse> };
  let cipher: Cipher;

  /** A fresh container: its own in-memory cache, the same table, clock, cipher and provider. */
  const container = (): TokenSets => {
    const log = createJsonLogger((line) => logs.push(line));
    return createTokenSets({
      state,
      cipher,
      events: new LogEventPublisher(log),
      clock: clock.now,
      sleep: yieldSleep,
      log,
      retryDelaysMs: [],
      renew: () => {
        provider.calls++;
        return provider.next();
      },
    });
  };
  const stored = async () => (await state.get<TokenSetItem>(pk))!;
  const down = () => Promise.reject(new TypeError('fetch failed'));

  beforeEach(async () => {
    clock = new FrozenClock();
    state = new MemoryStateStore({ clock: clock.now });
    logs = [];
    cipherFails = { encrypt: false, decrypt: false };
    const real = new LocalCipher(randomBytes(32));
    cipher = {
      encrypt: (text, context) => (cipherFails.encrypt ? Promise.reject(new Error('KMS is down')) : real.encrypt(text, context)),
      decrypt: (text, context) => (cipherFails.decrypt ? Promise.reject(new Error('KMS is down')) : real.decrypt(text, context)),
    };
    provider = { calls: 0, next: down };
    // Consented an hour ago: the hour-long access token has 30 s left, inside the 60 s renewal skew.
    await container().storeConsent(crm, undefined, tokens('at-1', 'rt-1', 30));
    await state.update(pk, { accessTokenIssuedAt: clock.now() - 3_570_000 });
  });

  it('backs off after a transient failure: the last good token, no new lease, no provider call until retryAfter', async () => {
    const first = await container().get(crm, undefined);
    assert.equal(first.access_token, 'at-1');
    assert.equal(provider.calls, 1);
    let item = await stored();
    assert.equal(item.health, 'error');
    assert.equal(item.failures, 1);
    assert.equal(item.retryAfter, clock.now() + 5_000);
    assert.equal(item.leaseOwner, undefined);

    // Other containers during the backoff: served from the table, nobody takes the lease or calls the provider.
    clock.advance(4);
    for (let i = 0; i < 5; i++) assert.equal((await container().get(crm, undefined)).access_token, 'at-1');
    assert.equal(provider.calls, 1);
    assert.equal((await stored()).updatedAt, item.updatedAt, 'no write during the backoff');

    // Due again: one attempt, which fails again → twice the backoff.
    clock.advance(1);
    assert.equal((await container().get(crm, undefined)).access_token, 'at-1');
    assert.equal(provider.calls, 2);
    item = await stored();
    assert.equal(item.failures, 2);
    assert.equal(item.retryAfter, clock.now() + 10_000);

    clock.advance(10);
    await container().get(crm, undefined);
    assert.equal(provider.calls, 3);
    item = await stored();
    assert.equal(item.retryAfter, clock.now() + 20_000);

    // The token expires (30 s) during the backoff (until 35 s): a 503 that says when, still without a provider call.
    clock.advance(16);
    await assert.rejects(container().get(crm, undefined), {
      code: 'provider_unavailable',
      status: 503,
      description: `connection Crm: the provider could not be reached; the next attempt is not before ${new Date(item.retryAfter).toISOString()}`,
    });
    assert.equal(provider.calls, 3);

    // Back after the backoff: renewed, failures and retryAfter cleared.
    clock.advance(4);
    provider.next = async () => tokens('at-2', 'rt-2');
    assert.equal((await container().get(crm, undefined)).access_token, 'at-2');
    item = await stored();
    assert.equal(item.health, 'connected');
    assert.equal(item.failures, undefined);
    assert.equal(item.retryAfter, undefined);
  });

  it('caps the backoff at 5 minutes', async () => {
    await state.put({ ...(await stored()), failures: 12 });
    await container().get(crm, undefined);
    const item = await stored();
    assert.equal(item.failures, 13);
    assert.equal(item.retryAfter, clock.now() + 300_000);
  });

  it('releases the lease when the refresh token cannot be decrypted', async () => {
    cipherFails.decrypt = true;
    await assert.rejects(container().get(crm, undefined), /KMS is down/);
    const item = await stored();
    assert.equal(item.leaseOwner, undefined);
    assert.equal(item.leaseUntil, undefined);
    assert.equal(provider.calls, 0);

    // The next caller renews at once instead of waiting out a dead lease.
    cipherFails.decrypt = false;
    provider.next = async () => tokens('at-2', 'rt-2');
    assert.equal((await container().get(crm, undefined)).access_token, 'at-2');
    assert.equal(provider.calls, 1);
  });

  it('a rotated refresh token that cannot be encrypted: logged as lost (not the token), set marked, lease released', async () => {
    cipherFails.encrypt = true;
    provider.next = async () => tokens('at-2', 'rt-rotated-secret', 120);
    assert.equal((await container().get(crm, undefined)).access_token, 'at-2', 'the new access token is still good');
    const item = await stored();
    assert.equal(item.accessToken, 'at-2');
    assert.equal(item.refreshToken, undefined, 'the old, rotated-out refresh token is not kept');
    assert.equal(item.health, 'error');
    assert.match(
      item.lastError!,
      /the provider rotated the refresh token and the new one could not be encrypted, so it was not stored: consent again/,
    );
    assert.equal(item.leaseOwner, undefined);
    const text = logs.join('\n');
    assert.match(text, /"refresh_token_lost"/);
    assert.ok(!text.includes('rt-rotated-secret'));
    assert.deepEqual(await container().status(crm, undefined), {
      connection: 'Crm',
      subject: undefined,
      health: 'error',
      expiresAt: Math.floor(item.accessTokenExpiresAt! / 1000),
      scope: undefined,
      hasRefreshToken: false,
      lastError: item.lastError,
      retryAfter: undefined,
    });

    // Once it is due (30 s, a quarter of its 120 s, before expiry), the set says a person must consent again (no
    // silent use of a dead refresh token).
    cipherFails.encrypt = false;
    clock.advance(91);
    await assert.rejects(container().get(crm, undefined), { code: 'needs_consent' });
    assert.equal(provider.calls, 1);
  });
});
