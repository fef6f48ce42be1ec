/** The key schedule's arithmetic: who signs, publication order, retirement, legacy values, and the synth-time check. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JWK } from 'jose';
import { generateSigningKey } from '../../lambdas/rotation/rotation';
import { keyScheduleFromEnv } from '../../lambdas/shared/config';
import {
  DEFAULT_KEY_SCHEDULE,
  KEY_RETIREMENT_SKEW_SECS,
  RING_KEY_BYTES,
  ROTATION_SLACK_SECS,
  firstKeyRing,
  keyLeadSecs,
  keyScheduleProblems,
  maxRingKeys,
  publicationOrder,
  readKeyRing,
  rotateKeyRing,
  serializeKeyRing,
  signingKeyAt,
  type KeyRing,
  type KeySchedule,
} from '../../lambdas/shared/key-schedule';
import { ENV } from '../../lambdas/shared/names';

const key = (kid: string): JWK => ({ kty: 'RSA', n: 'n', e: 'AQAB', d: 'd', kid });
const ring = (...keys: [string, number][]): KeyRing => ({
  keys: keys.map(([kid, at]) => ({ jwk: key(kid), createdAt: 0, activatesAt: at })),
});
const kids = (keys: readonly { jwk: JWK }[]) => keys.map((k) => k.jwk.kid);
const SCHEDULE = { rotationPeriodSecs: 1000, prePublishSecs: 200, longestTokenTtlSecs: 50 };

describe('key schedule', () => {
  it('the key with the greatest activatesAt <= now signs', () => {
    const r = ring(['b', 100], ['a', 0], ['c', 200]);
    assert.equal(signingKeyAt(r, 99)?.jwk.kid, 'a');
    assert.equal(signingKeyAt(r, 100)?.jwk.kid, 'b');
    assert.equal(signingKeyAt(r, 1e9)?.jwk.kid, 'c');
    assert.equal(signingKeyAt(ring(['a', 10]), 9), undefined);
  });

  it('publishes the signer first, then next keys soonest first, then retired keys newest first', () => {
    const r = ring(['r1', 0], ['r2', 10], ['cur', 20], ['n2', 40], ['n1', 30]);
    assert.deepEqual(kids(publicationOrder(r, 25)), ['cur', 'n1', 'n2', 'r2', 'r1']);
  });

  it('a first ring signs now and publishes the next key one lead (max of period plus a day of slack, and pre-publish window) ahead', () => {
    assert.equal(ROTATION_SLACK_SECS, 86_400, 'Secrets Manager may run a scheduled rotation up to a day late');
    assert.equal(keyLeadSecs(SCHEDULE), SCHEDULE.rotationPeriodSecs + ROTATION_SLACK_SECS);
    assert.deepEqual(
      firstKeyRing(key('a'), key('b'), 500, SCHEDULE).keys.map((k) => [k.jwk.kid, k.activatesAt]),
      [
        ['a', 500],
        ['b', 500 + SCHEDULE.rotationPeriodSecs + ROTATION_SLACK_SECS],
      ],
    );
    // A pre-publish window longer than a period plus the slack sets the lead.
    const longWindow = { ...SCHEDULE, prePublishSecs: SCHEDULE.rotationPeriodSecs + ROTATION_SLACK_SECS + 5000 };
    assert.equal(keyLeadSecs(longWindow), longWindow.prePublishSecs);
    assert.equal(firstKeyRing(key('a'), key('b'), 500, longWindow).keys[1].activatesAt, 500 + longWindow.prePublishSecs);
  });

  it('a rotation drops a key only when it stopped signing at least the longest token lifetime plus skew ago', () => {
    const r = ring(['a', 0], ['b', 1000], ['c', 2000]);
    const keep = 1000 + SCHEDULE.longestTokenTtlSecs + KEY_RETIREMENT_SKEW_SECS; // a stopped at 1000
    assert.deepEqual(kids(rotateKeyRing(r, key('d'), keep - 1, SCHEDULE).keys), ['a', 'b', 'c', 'd']);
    const rotated = rotateKeyRing(r, key('d'), keep, SCHEDULE);
    assert.deepEqual(kids(rotated.keys), ['b', 'c', 'd']);
    assert.equal(rotated.keys[2].activatesAt, keep + SCHEDULE.rotationPeriodSecs + ROTATION_SLACK_SECS);
    // The signer and the keys after it are never dropped, however late the rotation.
    assert.deepEqual(kids(rotateKeyRing(ring(['a', 0]), key('b'), 1e9, SCHEDULE).keys), ['a', 'b']);
  });

  it('round-trips a ring and reads a legacy single JWK as a ring active since 0', async () => {
    const jwk = await generateSigningKey();
    const r = { keys: [{ jwk, createdAt: 5, activatesAt: 6 }] };
    assert.deepEqual(readKeyRing({ value: serializeKeyRing(r), createdAtSecs: 0 }), r);
    assert.deepEqual(readKeyRing({ value: JSON.stringify(jwk), createdAtSecs: 7 }), { keys: [{ jwk, createdAt: 7, activatesAt: 0 }] });
    assert.throws(() => readKeyRing({ value: '{"keys":[{"jwk":{"kty":"RSA"}}]}', createdAtSecs: 0 }), /numeric createdAt/);
    assert.throws(() => readKeyRing({ value: 'nope', createdAtSecs: 0 }), /does not hold JSON/);
  });

  it('keyScheduleProblems: none for the defaults and for a 1-day rotation with day-long tokens', () => {
    assert.deepEqual(keyScheduleProblems({ rotationDays: 30, longestTokenTtlSecs: 900, prePublishSecs: 7200 }), []);
    assert.deepEqual(keyScheduleProblems({ rotationDays: 1, longestTokenTtlSecs: 86_400, prePublishSecs: 7200 }), []);
    assert.ok(maxRingKeys(DEFAULT_KEY_SCHEDULE) <= 4);
  });

  it('keyScheduleProblems names the numbers when a window cannot be kept', () => {
    const [short] = keyScheduleProblems({ rotationDays: 30, longestTokenTtlSecs: 900, prePublishSecs: 600 });
    assert.match(short, /pre-publish window \(600 s\) is shorter than API Gateway's JWKS cache \(7200 s\)/);
    // A window of a full period fits in the lead (a period plus the slack); one as long as the lead leaves no time for
    // the server's key cache.
    assert.deepEqual(keyScheduleProblems({ rotationDays: 1, longestTokenTtlSecs: 900, prePublishSecs: 86_400 }), []);
    const window = 86_400 + ROTATION_SLACK_SECS;
    const [lead] = keyScheduleProblems({ rotationDays: 1, longestTokenTtlSecs: 900, prePublishSecs: window });
    assert.match(lead, new RegExp(`signs ${window} s after its rotation, but verifiers may see it only after ${window + 60} s`));
    const [size] = keyScheduleProblems({ rotationDays: 1, longestTokenTtlSecs: 40 * 86_400, prePublishSecs: 7200 });
    // Each key stays a lead (two days) before it signs and 40 days plus skew after: 43 periods, plus two.
    const keys = maxRingKeys({ rotationPeriodSecs: 86_400, prePublishSecs: 7200, longestTokenTtlSecs: 40 * 86_400 });
    assert.equal(keys, 2 + Math.ceil((86_400 + ROTATION_SLACK_SECS + 40 * 86_400 + KEY_RETIREMENT_SKEW_SECS) / 86_400));
    assert.match(
      size,
      new RegExp(
        `the key ring would hold up to ${keys} keys \\(about ${keys * RING_KEY_BYTES} bytes\\), over Secrets Manager's 65536-byte limit: ` +
          `with a 1-day rotation, keys stay ${86_400 + ROTATION_SLACK_SECS} s before`,
      ),
    );
    assert.match(
      keyScheduleProblems({ rotationDays: 0, longestTokenTtlSecs: 900, prePublishSecs: 7200 })[0],
      /signingKeyRotationDays \(0\)/,
    );
  });

  it('with rotations up to a day late, a key always has its successor published when it starts signing, and the ring stays within maxRingKeys', () => {
    // Secrets Manager runs rotation n on its scheduled day, at any time up to a day after it: n periods plus `late(n)`.
    const lateRuns = (schedule: KeySchedule, late: (n: number) => number, rotations = 200, period = schedule.rotationPeriodSecs) => {
      const start = 1_700_000_000;
      let r = firstKeyRing(key('k0'), key('k1'), start, schedule);
      const added = [...r.keys];
      let largestRing = r.keys.length;
      for (let n = 1; n <= rotations; n++) {
        const now = start + n * period + late(n);
        r = rotateKeyRing(r, key(`k${n + 1}`), now, schedule);
        assert.ok(signingKeyAt(r, now), `a key signs after rotation ${n}`);
        added.push(r.keys.at(-1)!);
        largestRing = Math.max(largestRing, r.keys.length);
      }
      // Keys are added in signing order; count those that started signing before their successor was added.
      const lastRotation = start + rotations * period + late(rotations);
      const withoutSuccessor = added.filter(
        (k, i) => k.activatesAt <= lastRotation && added[i + 1] !== undefined && added[i + 1].createdAt > k.activatesAt,
      ).length;
      return { largestRing, withoutSuccessor };
    };
    // A seeded generator, so a failure reproduces.
    let seed = 42;
    const random = () => (seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32;
    const randomLate = Array.from({ length: 201 }, () => Math.floor(random() * (ROTATION_SLACK_SECS + 1)));
    // One rotation a full day late, then several on time: the shortest gaps, and a late one after an on-time one.
    const lateThenOnTime = (n: number) => (n % 5 === 0 ? ROTATION_SLACK_SECS : 0);
    for (const rotationDays of [1, 2, 7, 30]) {
      for (const longestTokenTtlSecs of [900, 86_400, 3 * 86_400]) {
        const schedule = { rotationPeriodSecs: rotationDays * 86_400, prePublishSecs: 7200, longestTokenTtlSecs };
        const limit = maxRingKeys(schedule);
        for (const late of [(n: number) => randomLate[n], lateThenOnTime]) {
          const { largestRing, withoutSuccessor } = lateRuns(schedule, late);
          const at = `${rotationDays}-day rotation, ${longestTokenTtlSecs} s tokens`;
          assert.equal(withoutSuccessor, 0, `${at}: a key signed before its successor was published`);
          assert.ok(largestRing <= limit, `${at}: the ring grew to ${largestRing} keys, maxRingKeys says ${limit}`);
        }
        // On a 1-day rotation, a late rotation followed by on-time ones keeps a key more: the bound is reached.
        if (rotationDays === 1) assert.equal(lateRuns(schedule, lateThenOnTime).largestRing, limit);
      }
    }
    // Without the slack (the old lead, exactly one period), a late rotation leaves the signer without a published
    // successor: a schedule whose lead is one day, rotated every day.
    const noSlack = { rotationPeriodSecs: 86_400 - ROTATION_SLACK_SECS, prePublishSecs: 86_400, longestTokenTtlSecs: 900 };
    assert.equal(keyLeadSecs(noSlack), 86_400);
    assert.ok(lateRuns(noSlack, lateThenOnTime, 20, 86_400).withoutSuccessor > 0);
  });

  it("reads the rotation function's schedule from the environment, with safe defaults", () => {
    assert.deepEqual(keyScheduleFromEnv({}), DEFAULT_KEY_SCHEDULE);
    assert.deepEqual(DEFAULT_KEY_SCHEDULE, { rotationPeriodSecs: 30 * 86_400, prePublishSecs: 7200, longestTokenTtlSecs: 86_400 });
    const env = {
      [ENV.SIGNING_KEY_ROTATION_SECS]: '86400',
      [ENV.SIGNING_KEY_PRE_PUBLISH_SECS]: '9000',
      [ENV.LONGEST_ACCESS_TOKEN_TTL_SECS]: '3600',
    };
    assert.deepEqual(keyScheduleFromEnv(env), { rotationPeriodSecs: 86_400, prePublishSecs: 9000, longestTokenTtlSecs: 3600 });
    assert.throws(() => keyScheduleFromEnv({ [ENV.SIGNING_KEY_PRE_PUBLISH_SECS]: 'soon' }), /OAUTH_SIGNING_KEY_PRE_PUBLISH_SECS/);
  });
});
