/**
 * The RS256 signing keys, from the signing-key secret's versions: AWSCURRENT signs; AWSCURRENT, AWSPREVIOUS and
 * AWSPENDING are published, so tokens signed before a rotation keep verifying. Imported keys are kept per version id,
 * so a warm function neither fetches nor imports a key per request, and a reload after a rotation imports only the new one.
 */
import { importJWK, type CryptoKey, type JWK } from 'jose';
import { TtlCache } from '../shared/cache';
import type { Logger } from '../shared/log';
import type { Clock, SecretStore, VersionStage } from '../shared/ports';

/** A public RSA JWK as published in the JWKS: only these members, so a private one can never leak. */
export interface PublicJwk {
  readonly kty: 'RSA';
  readonly kid: string;
  readonly use: 'sig';
  readonly alg: 'RS256';
  readonly n: string;
  readonly e: string;
}

export interface SigningKey {
  readonly kid: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: PublicJwk;
}

interface Keyring {
  readonly current?: SigningKey;
  readonly jwks: { readonly keys: readonly PublicJwk[] };
}

export interface SigningKeys {
  /** The key to sign with now (AWSCURRENT); throws when the secret has no current version yet. */
  current(): Promise<SigningKey>;
  /** The JWK Set to publish: current first, then previous and pending, one entry per kid. */
  jwks(): Promise<{ readonly keys: readonly PublicJwk[] }>;
}

/** Publication order: the current key first, as verifiers that try keys in order will find it first. */
const PUBLISHED_STAGES: readonly VersionStage[] = ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING'];

export function createSigningKeys(options: {
  readonly secrets: SecretStore;
  readonly secretId: string;
  readonly clock: Clock;
  readonly ttlMs: number;
  readonly log: Logger;
}): SigningKeys {
  const { secrets, secretId } = options;
  const cache = new TtlCache<'keyring', Keyring>({ ttlMs: options.ttlMs, clock: options.clock, log: options.log, name: 'signing-keys' });
  let imported = new Map<string, Promise<SigningKey>>();

  const load = async (): Promise<Keyring> => {
    const versions = await Promise.all(PUBLISHED_STAGES.map((stage) => secrets.getSecretVersion(secretId, stage)));
    const next = new Map<string, Promise<SigningKey>>();
    const keys = await Promise.all(
      versions.map((version) => {
        if (!version) return undefined;
        const key = imported.get(version.versionId) ?? importSigningKey(version.value);
        next.set(version.versionId, key);
        return key;
      }),
    );
    imported = next; // forget keys of versions that no longer hold a label
    const jwks: PublicJwk[] = [];
    for (const key of keys) if (key && !jwks.some((k) => k.kid === key.kid)) jwks.push(key.publicJwk);
    return { current: keys[0], jwks: { keys: jwks } };
  };

  return {
    async current() {
      const { current } = await cache.get('keyring', load);
      if (!current) throw new Error(`signing key secret ${secretId} has no AWSCURRENT version`);
      return current;
    },
    async jwks() {
      return (await cache.get('keyring', load)).jwks;
    },
  };
}

/** Parses a private RSA JWK (the rotation Lambda's format) and imports it for RS256 signing. */
export async function importSigningKey(value: string): Promise<SigningKey> {
  const jwk = JSON.parse(value) as JWK;
  if (jwk.kty !== 'RSA' || !jwk.n || !jwk.e || !jwk.d || !jwk.kid) throw new Error('signing key is not a private RSA JWK with a kid');
  const privateKey = (await importJWK({ ...jwk, alg: 'RS256' }, 'RS256')) as CryptoKey;
  return { kid: jwk.kid, privateKey, publicJwk: { kty: 'RSA', kid: jwk.kid, use: 'sig', alg: 'RS256', n: jwk.n, e: jwk.e } };
}
