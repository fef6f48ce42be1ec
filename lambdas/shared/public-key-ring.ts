/**
 * The public half of the signing-key ring, kept beside the private one: what the JWKS publishes. API Gateway gives its
 * discovery and JWKS fetches 1,500 ms, so those answers must need no private key and no Secrets Manager call: the
 * rotation function (and the bootstrap) writes this ring, one item of the registry's table, whenever the private ring
 * changes, before it becomes AWSCURRENT; the JWKS endpoint reads only this item.
 *
 * A rotation's createSecret publishes its new key (merged into the published ring) before it writes the pending ring, so
 * a new key is published a full lead before it signs even when the rotation stalls and is retried later; finishSecret
 * publishes the pending ring again, exactly, before promoting it (dropping keys whose tokens expired, `rotateKeyRing`).
 *
 * The item also lists the kids an emergency rotation revoked (their private halves may have leaked): no write ever
 * publishes one again (a stale pending ring retried after the emergency, a bootstrap of a ring moved back by hand) and
 * a read drops any, so neither the JWKS nor the token endpoint (it signs only with a published kid) uses one.
 */
import type { JWK } from 'jose';
import type { KeyRing, RingKey, ScheduledKey } from './key-schedule';
import type { StateItem, StateStore } from './ports';
import { tableKey } from './table-keys';

/** The one item holding the published ring. */
export const PUBLIC_KEY_RING_KEY = tableKey('publicKeys', 'signing-key');

/** A public RSA JWK as published in the JWKS: only these members, so a private one can never leak. */
export interface PublicJwk {
  readonly kty: 'RSA';
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: 'RS256';
  readonly n: string;
  readonly e: string;
}

/** A ring entry's public half, with its place in the schedule. */
export interface PublicRingKey extends ScheduledKey {
  readonly jwk: PublicJwk;
}

export type PublicKeyRing = KeyRing<PublicRingKey>;

/** The item as stored: the ring, when it was published (epoch seconds), and the kids never to publish again. */
interface PublicKeyRingItem extends StateItem {
  readonly keys: readonly PublicRingKey[];
  readonly publishedAt: number;
  readonly revokedKids?: readonly string[];
}

/** The public members of a private RSA JWK. */
export function publicJwkOf(jwk: JWK): PublicJwk {
  if (jwk.kty !== 'RSA' || !jwk.kid || !jwk.n || !jwk.e) throw new Error('a signing key is not an RSA JWK with a kid');
  return { kty: 'RSA', kid: jwk.kid, use: 'sig', alg: 'RS256', n: jwk.n, e: jwk.e };
}

/** The public ring of a private ring: each key's public members, createdAt and activatesAt. */
export function publicKeyRingOf(ring: KeyRing<RingKey>): PublicKeyRing {
  return { keys: ring.keys.map(({ jwk, createdAt, activatesAt }) => ({ jwk: publicJwkOf(jwk), createdAt, activatesAt })) };
}

/**
 * Writes the public half of `ring` as the published ring, exactly (a rotation's finishSecret, a first value, an
 * emergency rotation, which names the kids it `revokes`); the revoked kids are kept. Throws on a ring holding a
 * revoked kid.
 */
export async function publishKeyRing(
  state: Pick<StateStore, 'get' | 'put'>,
  ring: KeyRing<RingKey>,
  options: { readonly nowSecs: number; readonly revokes?: readonly string[] },
): Promise<boolean> {
  const { keys } = publicKeyRingOf(ring);
  if (keys.length === 0) throw new Error('refusing to publish an empty key ring');
  const revokedKids = [...new Set([...(await loadRevokedKids(state)), ...(options.revokes ?? [])])];
  const revoked = keys.find((key) => revokedKids.includes(key.jwk.kid));
  if (revoked) throw new Error(`refusing to publish key ${revoked.jwk.kid}: an emergency rotation revoked it`);
  return state.put(publicRingItem(keys, revokedKids, options.nowSecs));
}

/**
 * Publishes every key of `ring` the published ring lacks, keeping every published key (it may still verify tokens):
 * the rotation's createSecret and the bootstrap of an existing secret. Resolves to whether it wrote (false when every
 * key of `ring` is published already).
 */
export async function publishMissingKeys(
  state: Pick<StateStore, 'get' | 'put'>,
  ring: KeyRing<RingKey>,
  options: { readonly nowSecs: number },
): Promise<boolean> {
  const published = (await loadPublishedKeyRing(state))?.keys ?? [];
  const revokedKids = await loadRevokedKids(state);
  const { keys } = publicKeyRingOf(ring);
  if (keys.length === 0) throw new Error('refusing to publish an empty key ring');
  const missing = keys.filter((key) => !published.some((p) => p.jwk.kid === key.jwk.kid) && !revokedKids.includes(key.jwk.kid));
  if (missing.length === 0) return false;
  return state.put(publicRingItem([...published, ...missing], revokedKids, options.nowSecs));
}

const publicRingItem = (keys: readonly PublicRingKey[], revokedKids: readonly string[], nowSecs: number): PublicKeyRingItem => ({
  pk: PUBLIC_KEY_RING_KEY,
  keys,
  publishedAt: nowSecs,
  ...(revokedKids.length > 0 ? { revokedKids } : {}),
});

/** The kids an emergency rotation revoked: never published again. */
export async function loadRevokedKids(state: Pick<StateStore, 'get'>): Promise<readonly string[]> {
  return revokedKidsOf(await state.get<PublicKeyRingItem>(PUBLIC_KEY_RING_KEY));
}

function revokedKidsOf(item: PublicKeyRingItem | undefined): readonly string[] {
  const revoked = item?.revokedKids ?? [];
  if (!Array.isArray(revoked) || !revoked.every((kid) => typeof kid === 'string')) {
    throw new Error(`${PUBLIC_KEY_RING_KEY} revokedKids is not a list of kids`);
  }
  return revoked;
}

/** The published ring, or undefined when none has been published; throws on a malformed item. */
export async function loadPublishedKeyRing(state: Pick<StateStore, 'get'>): Promise<PublicKeyRing | undefined> {
  const item = await state.get<PublicKeyRingItem>(PUBLIC_KEY_RING_KEY);
  if (!item) return undefined;
  if (!Array.isArray(item.keys)) throw new Error(`${PUBLIC_KEY_RING_KEY} holds no key list`);
  const revokedKids = revokedKidsOf(item);
  return {
    keys: item.keys.flatMap((entry, i) => {
      const { jwk, createdAt, activatesAt } = (entry ?? {}) as Partial<PublicRingKey>;
      if (!Number.isFinite(createdAt) || !Number.isFinite(activatesAt))
        throw new Error(`${PUBLIC_KEY_RING_KEY} keys[${i}] has no schedule`);
      // Re-derived member by member: whatever else the item holds is never published; a revoked key never is.
      const publicJwk = publicJwkOf(jwk ?? {});
      return revokedKids.includes(publicJwk.kid) ? [] : [{ jwk: publicJwk, createdAt: createdAt!, activatesAt: activatesAt! }];
    }),
  };
}
