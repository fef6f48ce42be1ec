/**
 * The JWK Set verifiers check our tokens against, from the published ring (`../shared/public-key-ring.ts`): one
 * item of the registry's table, public members only. No private key is read or imported and Secrets Manager is not
 * called, so a cold container answers API Gateway's JWKS fetch (1,500 ms allowed) with one GetItem. Cached like the
 * private ring (a failed reload serves the last good set); a missing or empty ring is never cached and answers 503.
 */
import { TtlCache } from '../shared/cache';
import { TemporarilyUnavailableError } from '../shared/errors';
import { publicationOrder } from '../shared/key-schedule';
import type { Logger } from '../shared/log';
import type { Clock, StateStore } from '../shared/ports';
import { loadPublishedKeyRing, type PublicJwk, type PublicKeyRing } from '../shared/public-key-ring';
import { SIGNING_KEY_RETRY_AFTER_SECS, cachedOrUnavailable, type SigningKeys } from './signing-keys';

export interface PublishedKeys {
  /** The JWK Set: the signer, then next keys, then retired ones; throws `TemporarilyUnavailableError` when empty. */
  jwks(): Promise<{ readonly keys: readonly PublicJwk[] }>;
}

export function createPublishedKeys(options: {
  readonly state: Pick<StateStore, 'get'>;
  readonly clock: Clock;
  readonly ttlMs: number;
  readonly log: Logger;
}): PublishedKeys {
  const { state, clock, log } = options;
  const cache = new TtlCache<'ring', PublicKeyRing>({ ttlMs: options.ttlMs, clock, log, name: 'published-keys' });
  // Throws when nothing is published yet, so the cache keeps nothing (or keeps serving the last good ring).
  const load = async (): Promise<PublicKeyRing> => {
    const ring = await loadPublishedKeyRing(state);
    if (!ring || ring.keys.length === 0) throw new Error('no public key ring is published yet');
    return ring;
  };
  return {
    async jwks() {
      const ring = await cachedOrUnavailable(cache, load, log, 'published_keys_unavailable', 'no signing key is published yet');
      const keys: PublicJwk[] = [];
      for (const { jwk } of publicationOrder(ring, Math.floor(clock() / 1000))) {
        if (!keys.some((k) => k.kid === jwk.kid)) keys.push(jwk);
      }
      return { keys };
    },
  };
}

/**
 * Signs only with a key verifiers can know: a signer whose kid the published ring lacks (a stale ring after a
 * point-in-time restore or a stage moved by hand, until the bootstrap republishes) answers 503, logged, rather than
 * tokens no JWKS verifies.
 */
export function publishedSigningKeys(signingKeys: SigningKeys, publishedKeys: PublishedKeys, log: Logger): SigningKeys {
  return {
    async current() {
      const signer = await signingKeys.current();
      if ((await publishedKeys.jwks()).keys.some((k) => k.kid === signer.kid)) return signer;
      log.error('signing_key_unpublished', { kid: signer.kid });
      throw new TemporarilyUnavailableError('the signing key is not published yet', SIGNING_KEY_RETRY_AFTER_SECS);
    },
  };
}
