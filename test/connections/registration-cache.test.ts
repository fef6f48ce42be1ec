/**
 * The AWS registrations store reads a connection's item once per cache TTL, not on every broker call, proxy request
 * or consent; an unknown name is cached as absent too.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { tableConnections } from '../../lambdas/connections/registrations';
import { createConnectionsServer } from '../../lambdas/connections/server';
import { rotateSecret } from '../../lambdas/rotation/rotation';
import { LocalCipher } from '../../lambdas/shared/adapters/local-cipher';
import { MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { LogEventPublisher } from '../../lambdas/shared/adapters/log-event-publisher';
import { createJsonLogger } from '../../lambdas/shared/log';
import { connectionItemKey, SECRET_KIND_TAG } from '../../lambdas/shared/manifest';
import { FrozenClock } from '../../testing/clock';
import { connection, LINK_KEY_SECRET_ID } from '../../testing/connections/harness';

/** A memory state store that counts reads of connection registration items. */
class CountingStateStore extends MemoryStateStore {
  readonly registrationReads = new Map<string, number>();
  override get: MemoryStateStore['get'] = (pk) => {
    if (pk.startsWith(connectionItemKey(''))) this.registrationReads.set(pk, (this.registrationReads.get(pk) ?? 0) + 1);
    return super.get(pk);
  };
}

describe('registration cache', () => {
  it('5 broker calls make 1 registration read, for a known and an unknown connection, until the TTL passes', async () => {
    const clock = new FrozenClock(Date.now());
    const log = createJsonLogger(() => {});
    const state = new CountingStateStore({ clock: clock.now });
    const secrets = new MemorySecretStore({ clock: clock.now });
    secrets.createSecret(LINK_KEY_SECRET_ID, { [SECRET_KIND_TAG]: 'link-key' });
    await rotateSecret(secrets, LINK_KEY_SECRET_ID, undefined, { clock: clock.now });
    await state.put({ pk: connectionItemKey('Crm'), data: JSON.stringify(connection('Crm')) });
    const server = createConnectionsServer({
      config: { baseUrl: 'https://registry.example', linkKeySecretId: LINK_KEY_SECRET_ID, cacheTtlSecs: 60 },
      registrations: tableConnections(state, { ttlMs: 60_000, clock: clock.now, log }),
      secrets,
      state,
      cipher: new LocalCipher(randomBytes(32)),
      events: new LogEventPublisher(log),
      clock: clock.now,
      log,
    });

    for (let i = 0; i < 5; i++) {
      const result = await server.invoke({ action: 'token', connection: 'Crm' });
      assert.equal('error' in result && result.error, 'not_connected', JSON.stringify(result));
      const unknown = await server.invoke({ action: 'token', connection: 'Nope' });
      assert.equal('error' in unknown && unknown.error, 'unknown_connection', JSON.stringify(unknown));
    }
    assert.equal(state.registrationReads.get(connectionItemKey('Crm')), 1);
    assert.equal(state.registrationReads.get(connectionItemKey('Nope')), 1);

    clock.advance(60);
    await server.invoke({ action: 'token', connection: 'Crm' });
    assert.equal(state.registrationReads.get(connectionItemKey('Crm')), 2, 'read again once the TTL has passed');
  });
});
