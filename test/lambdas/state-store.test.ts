import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { AwsCounters } from '../../lambdas/shared/adapters/aws-counters';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { LocalStateStore, MemoryStateStore, recordDirectory } from '../../lambdas/shared/adapters/local-state-store';
import { MAX_STATE_KEY_BYTES, StateKeyTooLongError, type Clock, type Counters, type StateStore } from '../../lambdas/shared/ports';
import { startDynalite, type LocalDynamo } from '../../testing/dynalite';

const T0 = Date.parse('2025-06-01T00:00:00Z');
const SECS = Math.floor(T0 / 1000);

/** A clock tests move by hand. */
function frozenClock(): Clock & { set(ms: number): void } {
  let now = T0;
  const clock = (() => now) as Clock & { set(ms: number): void };
  clock.set = (ms) => (now = ms);
  return clock;
}

/** The StateStore contract; `make` returns a store on a fresh key space and the clock it uses. */
function contract(name: string, make: () => Promise<{ store: StateStore & Counters; clock: ReturnType<typeof frozenClock> }>): void {
  describe(`${name}: StateStore contract`, () => {
    let store: StateStore & Counters;
    let clock: ReturnType<typeof frozenClock>;
    let n = 0;
    const key = (): string => `${name}#${n++}`;
    before(async () => ({ store, clock } = await make()));

    it('gets what was put, and undefined for an absent key', async () => {
      const pk = key();
      assert.equal(await store.put({ pk, a: 1, nested: { b: ['x'] }, flag: true }), true);
      assert.deepEqual(await store.get(pk), { pk, a: 1, nested: { b: ['x'] }, flag: true });
      assert.equal(await store.get(key()), undefined);
    });

    it('drops undefined attributes on put', async () => {
      const pk = key();
      await store.put({ pk, a: 'x', gone: undefined });
      assert.deepEqual(await store.get(pk), { pk, a: 'x' });
    });

    it('notExists: put once, refuse the second', async () => {
      const pk = key();
      assert.equal(await store.put({ pk, v: 1 }, { kind: 'notExists' }), true);
      assert.equal(await store.put({ pk, v: 2 }, { kind: 'notExists' }), false);
      assert.deepEqual(await store.get(pk), { pk, v: 1 });
    });

    it('exists: put only over a live item', async () => {
      const pk = key();
      assert.equal(await store.put({ pk, v: 1 }, { kind: 'exists' }), false);
      assert.equal(await store.get(pk), undefined);
      await store.put({ pk, v: 1 });
      assert.equal(await store.put({ pk, v: 2 }, { kind: 'exists' }), true);
      assert.deepEqual(await store.get(pk), { pk, v: 2 });
    });

    it('equals and notEquals', async () => {
      const pk = key();
      await store.put({ pk, state: 'active' });
      assert.equal(await store.update(pk, { state: 'rotated' }, { kind: 'equals', attribute: 'state', value: 'x' }), false);
      assert.equal(await store.update(pk, { state: 'rotated' }, { kind: 'equals', attribute: 'state', value: 'active' }), true);
      assert.equal(await store.update(pk, { n: 1 }, { kind: 'notEquals', attribute: 'state', value: 'rotated' }), false);
      assert.equal(await store.update(pk, { n: 1 }, { kind: 'notEquals', attribute: 'absent', value: 'rotated' }), true);
      assert.equal(await store.put({ pk: key(), v: 1 }, { kind: 'notEquals', attribute: 'state', value: 'x' }), true);
      assert.equal(await store.put({ pk: key(), v: 1 }, { kind: 'equals', attribute: 'state', value: 'x' }), false);
      assert.deepEqual(await store.get(pk), { pk, state: 'rotated', n: 1 });
    });

    it('lessThan: numbers below the value; an absent attribute fails it', async () => {
      const pk = key();
      await store.put({ pk, count: 2 });
      assert.equal(await store.update(pk, { count: 3 }, { kind: 'lessThan', attribute: 'count', value: 2 }), false);
      assert.equal(await store.update(pk, { count: 3 }, { kind: 'lessThan', attribute: 'count', value: 3 }), true);
      assert.equal(await store.update(pk, { count: 4 }, { kind: 'lessThan', attribute: 'other', value: 100 }), false);
      assert.equal((await store.get(pk))?.count, 3);
    });

    it('missing: the attribute is absent', async () => {
      const pk = key();
      await store.put({ pk, a: 1 });
      assert.equal(await store.update(pk, { a: 2 }, { kind: 'missing', attribute: 'a' }), false);
      assert.equal(await store.update(pk, { b: 2 }, { kind: 'missing', attribute: 'b' }), true);
      assert.equal(await store.update(pk, { b: 3 }, { kind: 'missing', attribute: 'b' }), false);
    });

    it('and / or combine conditions', async () => {
      const pk = key();
      await store.put({ pk, a: 'x', b: 1 });
      const both = {
        kind: 'and',
        conditions: [
          { kind: 'equals', attribute: 'a', value: 'x' },
          { kind: 'equals', attribute: 'b', value: 2 },
        ],
      } as const;
      const either = {
        kind: 'or',
        conditions: [
          { kind: 'equals', attribute: 'a', value: 'y' },
          { kind: 'equals', attribute: 'b', value: 1 },
        ],
      } as const;
      assert.equal(await store.update(pk, { c: true }, both), false);
      assert.equal(await store.update(pk, { c: true }, either), true);
      assert.equal(
        await store.put(
          { pk, fresh: 1 },
          { kind: 'or', conditions: [{ kind: 'notExists' }, { kind: 'equals', attribute: 'c', value: true }] },
        ),
        true,
      );
      assert.deepEqual(await store.get(pk), { pk, fresh: 1 });
    });

    it('update sets and removes attributes, and refuses an absent item', async () => {
      const pk = key();
      assert.equal(await store.update(pk, { a: 1 }), false);
      assert.equal(await store.get(pk), undefined);
      await store.put({ pk, a: 1, b: 2 });
      assert.equal(await store.update(pk, { a: 5, b: undefined, c: ['z'] }), true);
      assert.deepEqual(await store.get(pk), { pk, a: 5, c: ['z'] });
    });

    it('delete returns the item once, and honours its condition', async () => {
      const pk = key();
      await store.put({ pk, a: 1 });
      assert.equal(await store.delete(pk, { kind: 'equals', attribute: 'a', value: 2 }), undefined);
      assert.deepEqual(await store.delete(pk), { pk, a: 1 });
      assert.equal(await store.delete(pk), undefined);
      assert.equal(await store.get(pk), undefined);
    });

    it('an item past expiresAt is absent to every operation', async () => {
      const pk = key();
      await store.put({ pk, a: 1, expiresAt: SECS + 60 });
      assert.equal((await store.get(pk))?.a, 1);
      clock.set(T0 + 60_000);
      assert.equal((await store.get(pk))?.a, 1, 'live through its expiresAt second');
      clock.set(T0 + 61_000);
      try {
        assert.equal(await store.get(pk), undefined);
        assert.equal(await store.update(pk, { a: 2 }), false);
        assert.equal(await store.update(pk, { a: 2 }, { kind: 'missing', attribute: 'zzz' }), false);
        assert.equal(await store.delete(pk), undefined);
        assert.equal(await store.put({ pk, a: 3 }, { kind: 'exists' }), false);
        assert.equal(await store.put({ pk, a: 3 }, { kind: 'equals', attribute: 'a', value: 1 }), false);
        assert.equal(
          await store.put({ pk, a: 3 }, { kind: 'notEquals', attribute: 'a', value: 1 }),
          true,
          'an expired attribute is absent',
        );
        await store.put({ pk: `${pk}b`, a: 1, expiresAt: SECS });
        assert.equal(await store.put({ pk: `${pk}b`, a: 4 }, { kind: 'missing', attribute: 'a' }), true);
        assert.equal(await store.put({ pk: `${pk}c`, a: 4, expiresAt: SECS }, { kind: 'notExists' }), true);
        assert.equal(await store.get(`${pk}c`), undefined);
        assert.deepEqual(await store.get(pk), { pk, a: 3 });
      } finally {
        clock.set(T0);
      }
    });

    it('an expired item can be replaced under notExists', async () => {
      const pk = key();
      await store.put({ pk, a: 1, expiresAt: SECS - 1 });
      assert.equal(await store.put({ pk, a: 2 }, { kind: 'notExists' }), true);
      assert.deepEqual(await store.get(pk), { pk, a: 2 });
    });

    it(`a key over MAX_STATE_KEY_BYTES (UTF-8) is never stored: nothing to get, update or delete; put throws`, async () => {
      const longest = `${key()}#`.padEnd(MAX_STATE_KEY_BYTES, 'k');
      assert.equal(await store.put({ pk: longest, a: 1 }), true, 'exactly the maximum is a key like any other');
      assert.deepEqual(await store.get(longest), { pk: longest, a: 1 });
      // 'é' is two bytes: this key has fewer characters than the maximum but more bytes.
      for (const pk of [`${longest}k`, 'é'.repeat(MAX_STATE_KEY_BYTES / 2 + 1), 'x'.repeat(3000)]) {
        assert.equal(await store.get(pk), undefined);
        assert.equal(await store.update(pk, { a: 2 }), false);
        assert.equal(await store.update(pk, { a: 2 }, { kind: 'missing', attribute: 'a' }), false);
        assert.equal(await store.delete(pk), undefined);
        await assert.rejects(
          store.put({ pk, a: 1 }),
          (err: unknown) => err instanceof StateKeyTooLongError && err.code === 'ERR_STATE_KEY_TOO_LONG',
        );
        await assert.rejects(store.put({ pk, a: 1 }, { kind: 'notExists' }), StateKeyTooLongError);
      }
    });

    it('50 parallel conditional deletes of one item: exactly one gets it', async () => {
      const pk = key();
      await store.put({ pk, code: 'c', expiresAt: SECS + 600 });
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.delete(pk, { kind: 'equals', attribute: 'code', value: 'c' })),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.deepEqual(results.find(Boolean), { pk, code: 'c', expiresAt: SECS + 600 });
    });

    it('increment: creates at 1 with expiresAt, counts while below the bound, then refuses and changes nothing', async () => {
      const pk = key();
      const options = { below: 3, expiresAt: SECS + 120 };
      assert.deepEqual([await store.increment(pk, 'count', options), await store.increment(pk, 'count', options)], [1, 2]);
      assert.equal(await store.increment(pk, 'count', options), 3);
      assert.equal(await store.increment(pk, 'count', options), undefined);
      assert.deepEqual(await store.get(pk), { pk, count: 3, expiresAt: SECS + 120 });
    });

    it('count: reads a counter without changing it; 0 when absent or expired', async () => {
      const pk = key();
      assert.equal(await store.count(pk, 'count'), 0);
      await store.increment(pk, 'count', { below: 5, expiresAt: SECS + 120 });
      await store.increment(pk, 'count', { below: 5, expiresAt: SECS + 120 });
      assert.deepEqual([await store.count(pk, 'count'), await store.count(pk, 'count')], [2, 2]);
      clock.set(T0 + 121_000);
      try {
        assert.equal(await store.count(pk, 'count'), 0);
      } finally {
        clock.set(T0);
      }
    });

    it('50 parallel increments below 10: exactly 10 count', async () => {
      const pk = key();
      const results = await Promise.all(
        Array.from({ length: 50 }, () => store.increment(pk, 'count', { below: 10, expiresAt: SECS + 120 })),
      );
      assert.deepEqual(
        results.filter((r) => r !== undefined).sort((a, b) => a - b),
        Array.from({ length: 10 }, (_, i) => i + 1),
      );
      assert.equal((await store.get(pk))?.count, 10);
    });

    it('50 parallel conditional updates of one item: exactly one succeeds', async () => {
      const pk = key();
      await store.put({ pk, state: 'active' });
      const results = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store.update(pk, { state: 'rotated', by: i }, { kind: 'equals', attribute: 'state', value: 'active' }),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.get(pk))?.by, results.indexOf(true));
    });
  });
}

contract('MemoryStateStore', async () => {
  const clock = frozenClock();
  return { store: new MemoryStateStore({ clock }), clock };
});

contract('LocalStateStore (file)', async () => {
  const clock = frozenClock();
  const dir = mkdtempSync(join(tmpdir(), 'state-store-'));
  return { store: new LocalStateStore(join(dir, 'state.json'), { clock }), clock };
});

describe('AwsStateStore (dynalite)', () => {
  const TABLE = 'oauth-registry-state';
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;

  before(async () => {
    dynamo = await startDynalite(TABLE);
    client = dynamo.client;
  });
  after(async () => {
    await dynamo?.close();
  });

  contract('AwsStateStore', async () => {
    const clock = frozenClock();
    // Counters are their own adapter in AWS (AwsCounters) over the same table.
    const counters = new AwsCounters({ tableName: TABLE, client, clock });
    const store = Object.assign(new AwsStateStore({ tableName: TABLE, client, clock }), {
      increment: counters.increment.bind(counters),
      count: counters.count.bind(counters),
    });
    return { store, clock };
  });

  it('stores items as native DynamoDB attributes with expiresAt as a number (the TTL attribute)', async () => {
    const store = new AwsStateStore({ tableName: TABLE, client, clock: () => T0 });
    await store.put({ pk: 'shape', expiresAt: SECS + 5, scopes: ['a', 'b'], n: 1 });
    const out = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: 'shape' } } }));
    assert.deepEqual(out.Item, {
      pk: { S: 'shape' },
      expiresAt: { N: String(SECS + 5) },
      scopes: { L: [{ S: 'a' }, { S: 'b' }] },
      n: { N: '1' },
    });
  });

  it('rethrows errors other than a failed condition', async () => {
    const store = new AwsStateStore({ tableName: 'no-such-table', client });
    await assert.rejects(store.put({ pk: 'x' }), { name: 'ResourceNotFoundException' });
    await assert.rejects(store.delete('x'), { name: 'ResourceNotFoundException' });
  });
});

describe('LocalStateStore file', () => {
  it('writes one file per item with mode 0600 and sees writes made by another process', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'state-store-')), 'local', 'state.json');
    const a = new LocalStateStore(path);
    const b = new LocalStateStore(path);
    await a.put({ pk: 'k', v: 1 });
    const dir = recordDirectory(path);
    const files = readdirSync(dir);
    assert.equal(files.length, 1);
    assert.equal(statSync(join(dir, files[0])).mode & 0o777, 0o600);
    assert.deepEqual(await b.get('k'), { pk: 'k', v: 1 });
    assert.deepEqual(await b.delete('k'), { pk: 'k', v: 1 });
    assert.equal(await a.get('k'), undefined);
    assert.equal(await a.put({ pk: 'k', v: 2 }, { kind: 'notExists' }), true);
    assert.deepEqual(
      readdirSync(dir).map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as unknown),
      [{ pk: 'k', v: 2 }],
    );
  });

  it('returns copies: mutating a result does not change the store', async () => {
    const store = new MemoryStateStore();
    await store.put({ pk: 'k', list: [1] });
    const item = (await store.get<{ pk: string; list: number[] }>('k'))!;
    item.list.push(2);
    assert.deepEqual(await store.get('k'), { pk: 'k', list: [1] });
  });
});
