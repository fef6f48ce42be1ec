/** The key schedule's arithmetic: who signs, publication order, retirement, legacy values, and the synth-time check. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { JWK } from 'jose';
import { generateSigningKey } from '../../lambdas/rotation/rotation';
import { keyScheduleFromEnv, ENV } from '../../lambdas/shared/config';
import {
  DEFAULT_KEY_SCHEDULE,
  KEY_RETIREMENT_SKEW_SECS,
  firstKeyRing,
  keyScheduleProblems,
  maxRingKeys,
  publicationOrder,
  readKeyRing,
  rotateKeyRing,
  serializeKeyRing,
  signingKeyAt,
  type KeyRing,
} from '../../lambdas/shared/key-schedule';

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

  it('a first ring signs now and publishes the next key one lead (max of period and pre-publish window) ahead', () => {
    assert.deepEqual(
      firstKeyRing(key('a'), key('b'), 500, SCHEDULE).keys.map((k) => [k.jwk.kid, k.activatesAt]),
      [
        ['a', 500],
        ['b', 1500],
      ],
    );
    const longWindow = { ...SCHEDULE, prePublishSecs: 5000 };
    assert.equal(firstKeyRing(key('a'), key('b'), 500, longWindow).keys[1].activatesAt, 5500);
  });

  it('a rotation drops a key only when it stopped signing at least the longest token lifetime plus skew ago', () => {
    const r = ring(['a', 0], ['b', 1000], ['c', 2000]);
    const keep = 1000 + SCHEDULE.longestTokenTtlSecs + KEY_RETIREMENT_SKEW_SECS; // a stopped at 1000
    assert.deepEqual(kids(rotateKeyRing(r, key('d'), keep - 1, SCHEDULE).keys), ['a', 'b', 'c', 'd']);
    const rotated = rotateKeyRing(r, key('d'), keep, SCHEDULE);
    assert.deepEqual(kids(rotated.keys), ['b', 'c', 'd']);
    assert.equal(rotated.keys[2].activatesAt, keep + 1000);
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
    const [lead] = keyScheduleProblems({ rotationDays: 1, longestTokenTtlSecs: 900, prePublishSecs: 86_400 });
    assert.match(lead, /signs 86400 s after its rotation, but verifiers may see it only after 86460 s/);
    const [size] = keyScheduleProblems({ rotationDays: 1, longestTokenTtlSecs: 40 * 86_400, prePublishSecs: 7200 });
    assert.match(size, /the key ring would hold up to 44 keys \(about 79200 bytes\), over Secrets Manager's 65536-byte limit/);
    assert.match(
      keyScheduleProblems({ rotationDays: 0, longestTokenTtlSecs: 900, prePublishSecs: 7200 })[0],
      /signingKeyRotationDays \(0\)/,
    );
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
