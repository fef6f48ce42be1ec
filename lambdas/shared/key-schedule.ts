/**
 * The signing-key schedule, as pure arithmetic on a key ring. The signing-key secret holds one ring per version:
 * `{"keys":[{"jwk":<private RSA JWK>,"createdAt":<epoch s>,"activatesAt":<epoch s>}]}`. The key with the greatest
 * `activatesAt <= now` signs; every key is published. A rotation adds a key that starts signing
 * `max(rotationPeriodSecs + a day of slack, prePublishSecs)` later (so verifiers that cache the JWKS, API Gateway's for up to two hours,
 * know it before it signs) and drops a key only once the tokens it signed have all expired.
 */
import type { JWK } from 'jose';
import { CACHE_TTL_SECS, MAX_ACCESS_TOKEN_TTL_SECS, SIGNING_KEY_ROTATION_DAYS } from './defaults';
import type { SecretStore, SecretVersion } from './ports';

/** API Gateway's HTTP API JWT authorizer caches the issuer's JWKS for up to this long (AWS: publish keys before use). */
export const GATEWAY_JWKS_CACHE_SECS = 7200;
/** Clock skew allowed between us and verifiers when deciding a retired key's tokens have all expired. */
export const KEY_RETIREMENT_SKEW_SECS = 300;
/** Secrets Manager's largest secret value, in bytes. */
export const SECRET_VALUE_MAX_BYTES = 65_536;
/** A ring entry's size, rounded up: an RSA-2048 private JWK is about 1.6 KB of JSON, plus the two timestamps. */
export const RING_KEY_BYTES = 1_800;

/** A key's place in the schedule: what the schedule's arithmetic reads (of a private key or its public half). */
export interface ScheduledKey {
  /** When the rotation that added it ran, epoch seconds. */
  readonly createdAt: number;
  /** When it starts signing, epoch seconds. */
  readonly activatesAt: number;
}

export interface RingKey extends ScheduledKey {
  /** A private RSA JWK, `kid` its RFC 7638 thumbprint. */
  readonly jwk: JWK;
}

/** A ring of keys: private ones in the secret (`RingKey`), their public halves in the published ring. */
export interface KeyRing<K extends ScheduledKey = RingKey> {
  readonly keys: readonly K[];
}

export interface KeySchedule {
  /** How often the signing key rotates (Secrets Manager's `automaticallyAfterDays`), in seconds. */
  readonly rotationPeriodSecs: number;
  /** How long a key is published before it signs: at least every verifier's JWKS cache. */
  readonly prePublishSecs: number;
  /** The longest access-token lifetime of any client: a retired key stays published this long (plus skew). */
  readonly longestTokenTtlSecs: number;
}

/** Used where no schedule is configured: 30-day rotation, the gateway's cache, the longest lifetime a registry allows. */
export const DEFAULT_KEY_SCHEDULE: KeySchedule = {
  rotationPeriodSecs: SIGNING_KEY_ROTATION_DAYS * 86_400,
  prePublishSecs: GATEWAY_JWKS_CACHE_SECS,
  longestTokenTtlSecs: MAX_ACCESS_TOKEN_TTL_SECS,
};

/** A version of the signing-key secret: its value and when it was created (epoch seconds). */
export interface StoredRingValue {
  readonly value: string;
  readonly createdAtSecs: number;
}

/**
 * Secrets Manager runs a scheduled rotation at some time on its day, up to a day after the period ends: a key added
 * this much beyond the period still has a successor published when it starts signing.
 */
export const ROTATION_SLACK_SECS = 86_400;

/** Seconds between the rotation that adds a key and the moment it signs: a full period (plus slack) ahead. */
export const keyLeadSecs = (schedule: KeySchedule): number =>
  Math.max(schedule.rotationPeriodSecs + ROTATION_SLACK_SECS, schedule.prePublishSecs);

/** The longest access-token lifetime a registry issues: its default and every client's. */
export function longestAccessTokenTtlSecs(registry: {
  readonly accessTokenTtlSecs: number;
  readonly clients: readonly { readonly accessTokenTtlSecs: number }[];
}): number {
  return Math.max(registry.accessTokenTtlSecs, ...registry.clients.map((c) => c.accessTokenTtlSecs));
}

/**
 * Why a registry's settings cannot keep both windows of the schedule (every key published `prePublishSecs` before it
 * signs; every retired key published as long as the tokens it signed live), as messages with the numbers; [] when
 * they can. `cacheTtlSecs`: how long the authorization server keeps the ring before rereading it.
 */
export function keyScheduleProblems(settings: {
  readonly rotationDays: number;
  readonly longestTokenTtlSecs: number;
  readonly prePublishSecs: number;
  readonly cacheTtlSecs?: number;
}): string[] {
  const { rotationDays, longestTokenTtlSecs: ttl, prePublishSecs } = settings;
  const cacheTtlSecs = settings.cacheTtlSecs ?? CACHE_TTL_SECS;
  const problems: string[] = [];
  if (!Number.isInteger(rotationDays) || rotationDays < 1 || rotationDays > 1000) {
    problems.push(`signingKeyRotationDays (${rotationDays}) must be an integer from 1 to 1000 (Secrets Manager's rotation schedule)`);
  }
  if (!Number.isFinite(ttl) || ttl <= 0) problems.push(`the longest access token lifetime (${ttl} s) must be a positive number`);
  if (!Number.isFinite(prePublishSecs) || prePublishSecs < GATEWAY_JWKS_CACHE_SECS) {
    problems.push(
      `the pre-publish window (${prePublishSecs} s) is shorter than API Gateway's JWKS cache (${GATEWAY_JWKS_CACHE_SECS} s): ` +
        'a new key could sign tokens the gateway cannot verify yet',
    );
  }
  if (problems.length > 0) return problems;
  const schedule = { rotationPeriodSecs: rotationDays * 86_400, prePublishSecs, longestTokenTtlSecs: ttl };
  const lead = keyLeadSecs(schedule);
  if (lead < prePublishSecs + cacheTtlSecs) {
    problems.push(
      `a new key signs ${lead} s after its rotation, but verifiers may see it only after ${prePublishSecs + cacheTtlSecs} s ` +
        `(pre-publish window ${prePublishSecs} s + the server's key cache ${cacheTtlSecs} s): lengthen signingKeyRotationDays`,
    );
  }
  const keys = maxRingKeys(schedule);
  if (keys * RING_KEY_BYTES > SECRET_VALUE_MAX_BYTES) {
    problems.push(
      `the key ring would hold up to ${keys} keys (about ${keys * RING_KEY_BYTES} bytes), over Secrets Manager's ` +
        `${SECRET_VALUE_MAX_BYTES}-byte limit: with a ${rotationDays}-day rotation, keys stay ${lead} s before and ` +
        `${ttl + KEY_RETIREMENT_SKEW_SECS} s after they sign`,
    );
  }
  return problems;
}

/** Most keys a ring holds when rotated every period: each lives from its rotation to the first one after retirement. */
export function maxRingKeys(schedule: KeySchedule): number {
  const alive = keyLeadSecs(schedule) + schedule.longestTokenTtlSecs + KEY_RETIREMENT_SKEW_SECS;
  return 2 + Math.ceil(alive / schedule.rotationPeriodSecs);
}

/** Ring keys in schedule order: by `activatesAt`, then `createdAt`, then position in the ring (the last active one signs). */
export function scheduleOrder<K extends ScheduledKey>(keys: readonly K[]): K[] {
  return [...keys].sort((a, b) => a.activatesAt - b.activatesAt || a.createdAt - b.createdAt);
}

/** The key that signs at `nowSecs`: the greatest `activatesAt <= now`; undefined when none is active. */
export function signingKeyAt<K extends ScheduledKey>(ring: KeyRing<K>, nowSecs: number): K | undefined {
  return scheduleOrder(ring.keys)
    .filter((k) => k.activatesAt <= nowSecs)
    .at(-1);
}

/** Publication order: the signer, then keys not active yet (soonest first), then retired keys (newest first). */
export function publicationOrder<K extends ScheduledKey>(ring: KeyRing<K>, nowSecs: number): K[] {
  const ordered = scheduleOrder(ring.keys);
  const signer = signingKeyAt(ring, nowSecs);
  const next = ordered.filter((k) => k.activatesAt > nowSecs);
  const retired = ordered.filter((k) => k.activatesAt <= nowSecs && k !== signer).reverse();
  return [...(signer ? [signer] : []), ...next, ...retired];
}

/** When each key stops signing: the `activatesAt` of the next newer key (undefined: it has not been superseded). */
export function stopsSigningAt(ring: KeyRing, key: RingKey): number | undefined {
  const ordered = scheduleOrder(ring.keys);
  return ordered[ordered.indexOf(key) + 1]?.activatesAt;
}

/** The first ring of a secret: `current` signs from now, `next` one lead later. */
export function firstKeyRing(current: JWK, next: JWK, nowSecs: number, schedule: KeySchedule): KeyRing {
  return {
    keys: [
      { jwk: current, createdAt: nowSecs, activatesAt: nowSecs },
      { jwk: next, createdAt: nowSecs, activatesAt: nowSecs + keyLeadSecs(schedule) },
    ],
  };
}

/**
 * The ring a rotation at `nowSecs` writes: `ring` without the keys that stopped signing at least the longest token
 * lifetime plus skew ago, plus `added`, which signs one lead from now.
 */
export function rotateKeyRing(ring: KeyRing, added: JWK, nowSecs: number, schedule: KeySchedule): KeyRing {
  const horizon = nowSecs - schedule.longestTokenTtlSecs - KEY_RETIREMENT_SKEW_SECS;
  const kept = scheduleOrder(ring.keys).filter((key) => {
    const stopped = stopsSigningAt(ring, key);
    return stopped === undefined || stopped > horizon;
  });
  return { keys: [...kept, { jwk: added, createdAt: nowSecs, activatesAt: nowSecs + keyLeadSecs(schedule) }] };
}

/** Whether `value` is a key ring (rather than a legacy single JWK). */
export function isKeyRingValue(value: string): boolean {
  const parsed = parseJson(value);
  return typeof parsed === 'object' && parsed !== null && Array.isArray((parsed as { keys?: unknown }).keys);
}

/**
 * The ring a signing-key secret version holds. A legacy value (one private JWK per version, the format before rings)
 * is a ring of that key, active since 0; given the legacy AWSPREVIOUS too, that key stays in the ring, retired when
 * AWSCURRENT was created, so tokens it signed keep verifying through the migration. Throws on a malformed value.
 */
export function readKeyRing(current: StoredRingValue, previous?: StoredRingValue): KeyRing {
  const parsed = parseJson(current.value);
  if (isKeyRingValue(current.value)) {
    const keys = (parsed as { keys: unknown[] }).keys;
    return { keys: keys.map((entry, i) => ringKey(entry, `keys[${i}]`)) };
  }
  const jwk = privateRsaJwk(parsed, 'the signing key');
  const legacyPrevious = previous && !isKeyRingValue(previous.value);
  const old = legacyPrevious ? privateRsaJwk(parseJson(previous.value), 'the previous signing key') : undefined;
  if (!old || old.kid === jwk.kid) return { keys: [{ jwk, createdAt: current.createdAtSecs, activatesAt: 0 }] };
  return {
    keys: [
      { jwk: old, createdAt: previous!.createdAtSecs, activatesAt: 0 },
      { jwk, createdAt: current.createdAtSecs, activatesAt: current.createdAtSecs },
    ],
  };
}

/**
 * The ring secret `secretId` holds now: AWSCURRENT, with AWSPREVIOUS read only while a legacy value migrates.
 * `undefined` when there is no AWSCURRENT value yet; throws on a malformed one.
 */
export async function loadKeyRing(secrets: Pick<SecretStore, 'getSecretVersion'>, secretId: string): Promise<KeyRing | undefined> {
  const current = await secrets.getSecretVersion(secretId, 'AWSCURRENT');
  if (!current) return undefined;
  const previous = isKeyRingValue(current.value) ? undefined : await secrets.getSecretVersion(secretId, 'AWSPREVIOUS');
  return readKeyRing(storedRingValue(current), previous && storedRingValue(previous));
}

/** A secret version as `readKeyRing` takes it. */
export const storedRingValue = (version: SecretVersion): StoredRingValue => ({
  value: version.value,
  createdAtSecs: Math.floor(version.createdAt.getTime() / 1000),
});

export const serializeKeyRing = (ring: KeyRing): string =>
  JSON.stringify({ keys: ring.keys.map(({ jwk, createdAt, activatesAt }) => ({ jwk, createdAt, activatesAt })) });

function ringKey(entry: unknown, where: string): RingKey {
  const { jwk, createdAt, activatesAt } = (entry ?? {}) as Record<string, unknown>;
  if (!Number.isFinite(createdAt) || !Number.isFinite(activatesAt)) throw new Error(`${where} needs numeric createdAt and activatesAt`);
  return { jwk: privateRsaJwk(jwk, where), createdAt: createdAt as number, activatesAt: activatesAt as number };
}

function privateRsaJwk(value: unknown, where: string): JWK {
  const jwk = (value ?? {}) as JWK;
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e || !jwk.d || !jwk.kid) throw new Error(`${where} is not a private RSA JWK with a kid`);
  return jwk;
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    throw new Error('the signing key secret does not hold JSON');
  }
}
