/**
 * TtlCache fails open on a reload: past the TTL, a failed refresh serves the last good value (one warning per
 * failure) instead of failing every request; only a key never loaded fails. Then through the token endpoint, with a
 * SecretStore that starts failing after the first load.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, it } from 'node:test';
import { TtlCache } from '../../lambdas/shared/cache';
import { createJsonLogger } from '../../lambdas/shared/log';
import type { SecretStore } from '../../lambdas/shared/ports';
import { FrozenClock } from '../../testing/clock';
import { jsonBody, structured, tokenEvent } from '../../testing/events';
import { CACHE_TTL_SECS, CLIENTS, createHarness, type Harness } from './fixtures';

describe('TtlCache', () => {
  let clock: FrozenClock;
  let logs: Record<string, unknown>[];
  let cache: TtlCache<string, string>;
  let calls: number;
  let failing: boolean;
  const load = async (key: string) => {
    calls++;
    if (failing) throw new Error('store unavailable');
    return `${key}@${calls}`;
  };

  beforeEach(() => {
    clock = new FrozenClock();
    logs = [];
    calls = 0;
    failing = false;
    cache = new TtlCache({ ttlMs: 60_000, clock: clock.now, name: 'test', log: createJsonLogger((line) => logs.push(JSON.parse(line))) });
  });

  it('serves the stale value when a reload past the TTL fails, warning once per failed reload', async () => {
    assert.equal(await cache.get('k', load), 'k@1');
    failing = true;
    clock.advance(61);
    const served = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    assert.deepEqual(served, ['k@1', 'k@1']);
    assert.equal(calls, 2, 'concurrent callers share one reload');
    assert.deepEqual(logs, [{ level: 'warn', msg: 'cache_refresh_failed', cache: 'test', key: 'k', error: 'store unavailable' }]);
    // The stale value is kept for another TTL before the next attempt.
    clock.advance(30);
    assert.equal(await cache.get('k', load), 'k@1');
    assert.equal(calls, 2);
    clock.advance(31);
    assert.equal(await cache.get('k', load), 'k@1');
    assert.equal(calls, 3);
    assert.equal(logs.length, 2);
    // Recovered: the next reload replaces the stale value.
    failing = false;
    clock.advance(61);
    assert.equal(await cache.get('k', load), 'k@4');
  });

  it('refresh also falls back to the last good value', async () => {
    await cache.get('k', load);
    failing = true;
    assert.equal(await cache.refresh('k', load), 'k@1');
    assert.equal(logs.length, 1);
  });

  it('fails when nothing was ever loaded, and does not cache the failure', async () => {
    failing = true;
    await assert.rejects(cache.get('k', load), /store unavailable/);
    await assert.rejects(cache.get('k', load), /store unavailable/);
    assert.equal(calls, 2);
    assert.deepEqual(logs, []);
    failing = false;
    assert.equal(await cache.get('k', load), 'k@3');
  });
});

/** Delegates to `target` until `failing` is set, then throws as Secrets Manager does when unreachable. */
class FlakySecretStore implements SecretStore {
  target!: SecretStore;
  failing = false;
  private check(): void {
    if (this.failing) throw Object.assign(new Error('connect ETIMEDOUT secretsmanager'), { name: 'TimeoutError' });
  }
  getSecretVersion: SecretStore['getSecretVersion'] = async (...args) => (this.check(), this.target.getSecretVersion(...args));
  getSecretVersionById: SecretStore['getSecretVersionById'] = async (...args) => (this.check(), this.target.getSecretVersionById(...args));
  describeSecret: SecretStore['describeSecret'] = async (...args) => (this.check(), this.target.describeSecret(...args));
  putSecretValue: SecretStore['putSecretValue'] = async (...args) => (this.check(), this.target.putSecretValue(...args));
  updateVersionStage: SecretStore['updateVersionStage'] = async (...args) => (this.check(), this.target.updateVersionStage(...args));
}

describe('token endpoint during a Secrets Manager outage', () => {
  let h: Harness;
  let flaky: FlakySecretStore;
  const request = async () =>
    h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, await h.secretOf(CLIENTS.basic)] }));

  beforeEach(async () => {
    flaky = new FlakySecretStore();
    h = await createHarness({ secrets: flaky });
    flaky.target = h.secrets;
  });

  it('keeps issuing with the signing key and client secret in memory after their TTL', async () => {
    assert.equal(structured(await request()).statusCode, 200);
    const secret = await h.secretOf(CLIENTS.basic);
    flaky.failing = true;
    h.clock.advance(CACHE_TTL_SECS + 1);
    const result = await h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, secret] }));
    assert.equal(structured(result).statusCode, 200, structured(result).body);
    const warned = h.logs
      .filter((l) => l.msg === 'cache_refresh_failed')
      .map((l) => l.cache)
      .sort();
    assert.deepEqual(warned, ['client-secrets', 'signing-keys']);
  });

  it('answers 500 server_error for a client whose secret was never loaded', async () => {
    assert.equal(structured(await request()).statusCode, 200);
    const secret = await h.secretOf(CLIENTS.post);
    flaky.failing = true;
    const result = await h.server.handle(
      tokenEvent({ grant_type: 'client_credentials', client_id: CLIENTS.post.clientId, client_secret: secret }),
    );
    assert.equal(structured(result).statusCode, 500);
    assert.equal(jsonBody(result).error, 'server_error');
  });
});
