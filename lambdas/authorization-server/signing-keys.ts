/**
 * The RS256 signing key, from the key ring in the signing-key secret's AWSCURRENT version (`../shared/key-schedule.ts`):
 * the key with the greatest `activatesAt <= now` signs. Only the token endpoint needs it: the JWKS publishes the public
 * ring (`published-keys.ts`), which needs no private key. The ring is cached (a failed reload serves the last good one;
 * a missing or empty ring is never cached); imported keys are kept per kid, so a reload imports only new keys.
 */
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { TtlCache } from '../shared/cache';
import { TemporarilyUnavailableError } from '../shared/errors';
import { loadKeyRing, signingKeyAt, type KeyRing } from '../shared/key-schedule';
import type { Logger } from '../shared/log';
import type { Clock, SecretStore } from '../shared/ports';

/** `Retry-After` of the 503 answered while there is no usable signing key (the secret's first value is being made). */
export const SIGNING_KEY_RETRY_AFTER_SECS = 5;

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
}

export interface SigningKeys {
  /** The key to sign with now; throws `TemporarilyUnavailableError` (503) when there is none. */
  current(): Promise<SigningKey>;
}

interface LoadedRing {
  readonly ring: KeyRing;
  readonly keys: ReadonlyMap<string, SigningKey>;
}

export function createSigningKeys(options: {
  readonly secrets: SecretStore;
  readonly secretId: string;
  readonly clock: Clock;
  readonly ttlMs: number;
  readonly log: Logger;
}): SigningKeys {
  const { secrets, secretId, clock, log } = options;
  const cache = new TtlCache<'ring', LoadedRing>({ ttlMs: options.ttlMs, clock, log, name: 'signing-keys' });
  let imported = new Map<string, Promise<SigningKey>>();

  // Throws when there is no ring or it holds no key, so the cache keeps nothing (or keeps serving the last good ring).
  const load = async (): Promise<LoadedRing> => {
    // A legacy value (one JWK) is migrating: its AWSPREVIOUS key may still verify live tokens, so it stays in the ring.
    const ring = await loadKeyRing(secrets, secretId);
    if (!ring) throw new Error(`signing key secret ${secretId} has no AWSCURRENT value yet`);
    if (ring.keys.length === 0) throw new Error(`signing key secret ${secretId} holds an empty key ring`);
    const next = new Map<string, Promise<SigningKey>>();
    for (const { jwk } of ring.keys) next.set(jwk.kid!, imported.get(jwk.kid!) ?? importSigningKey(jwk));
    const keys = new Map((await Promise.all(next.values())).map((key) => [key.kid, key]));
    imported = next; // forget keys the ring dropped
    return { ring, keys };
  };

  return {
    async current() {
      const loaded = await cachedOrUnavailable(cache, load, log, 'signing_key_unavailable', 'no signing key is available yet', {
        secret_id: secretId,
      });
      const signer = signingKeyAt(loaded.ring, Math.floor(clock() / 1000));
      if (!signer) throw new TemporarilyUnavailableError('no signing key is active yet', SIGNING_KEY_RETRY_AFTER_SECS);
      return loaded.keys.get(signer.jwk.kid!)!;
    },
  };
}

/**
 * The ring from `cache` (loaded by `load` when missing or stale); when there is none to serve, logs `event` with the
 * error and throws `TemporarilyUnavailableError` (503 with Retry-After) saying `message`.
 */
export async function cachedOrUnavailable<T>(
  cache: TtlCache<'ring', T>,
  load: () => Promise<T>,
  log: Logger,
  event: string,
  message: string,
  fields: Record<string, unknown> = {},
): Promise<T> {
  try {
    return await cache.get('ring', load);
  } catch (err) {
    log.error(event, { ...fields, error: err instanceof Error ? err.message : String(err) });
    throw new TemporarilyUnavailableError(message, SIGNING_KEY_RETRY_AFTER_SECS);
  }
}

/** Imports a ring entry's private RSA JWK (`readKeyRing` checked its members) for RS256 signing. */
export async function importSigningKey(jwk: JWK): Promise<SigningKey> {
  if (!jwk.kid || !jwk.n || !jwk.e) throw new Error('signing key is not a private RSA JWK with a kid');
  const privateKey = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as CryptoKey;
  return { kid: jwk.kid, privateKey };
}
