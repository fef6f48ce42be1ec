/**
 * Client secret verification with rotation overlap: the AWSCURRENT secret always authenticates; the AWSPREVIOUS one
 * only until `secretOverlapSecs` after AWSCURRENT was created, so partners have a window to switch.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { TtlCache } from '../shared/cache';
import { parseClientSecretValue } from '../shared/client-secret';
import type { Logger } from '../shared/log';
import type { ClientRegistration } from '../shared/manifest';
import type { Clock, SecretStore, SecretVersion } from '../shared/ports';

export interface ClientSecretVerifier {
  /** True when `presented` is the client's current secret, or its previous one within the overlap window. */
  verify(client: ClientRegistration, presented: string): Promise<boolean>;
  /** Spends the time of a comparison without a client (unknown ids must not answer faster). */
  burn(presented: string): void;
}

export interface ClientSecretVerifierOptions {
  readonly secrets: SecretStore;
  readonly clock: Clock;
  readonly ttlMs: number;
  readonly overlapSecs: number;
  /**
   * A miss reloads the secret once if the cached copy is at least this old, so a secret rotated a moment ago works
   * at once while wrong guesses cannot turn every request into a Secrets Manager call. @default min(ttlMs, 5000)
   */
  readonly refreshOnMissMs?: number;
  readonly log: Logger;
}

/** What is kept in memory per client: digests, never the secret itself. */
interface KnownSecrets {
  readonly current?: { readonly digest: Buffer; readonly createdAt: number };
  readonly previous?: { readonly digest: Buffer };
}

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();
const DUMMY_DIGEST = sha256('no client');

export function createClientSecretVerifier(options: ClientSecretVerifierOptions): ClientSecretVerifier {
  const { secrets, clock, log } = options;
  const overlapMs = options.overlapSecs * 1000;
  const refreshOnMissMs = options.refreshOnMissMs ?? Math.min(options.ttlMs, 5000);
  const cache = new TtlCache<string, KnownSecrets>({ ttlMs: options.ttlMs, clock, log, name: 'client-secrets' });
  const readDigest = (client: ClientRegistration, version: SecretVersion | undefined): Buffer | undefined => {
    if (!version) return undefined;
    const parsed = parseClientSecretValue(version.value);
    // A value naming another client means mis-wired infrastructure: never let it authenticate.
    if (parsed?.client_id === client.clientId) return sha256(parsed.client_secret);
    log.warn('client_secret_malformed', { client_id: client.clientId, secret_id: client.secretId, version_id: version.versionId });
    return undefined;
  };

  const load = async (client: ClientRegistration, secretId: string): Promise<KnownSecrets> => {
    const [current, previous] = await Promise.all([
      secrets.getSecretVersion(secretId, 'AWSCURRENT'),
      secrets.getSecretVersion(secretId, 'AWSPREVIOUS'),
    ]);
    const currentDigest = readDigest(client, current);
    const previousDigest = readDigest(client, previous);
    return {
      current: current && currentDigest && { digest: currentDigest, createdAt: current.createdAt.getTime() },
      previous: previousDigest && { digest: previousDigest },
    };
  };

  const matches = (known: KnownSecrets, digest: Buffer): boolean => {
    // Both comparisons always run, so timing does not tell which secret matched.
    const isCurrent = known.current ? timingSafeEqual(digest, known.current.digest) : false;
    const isPrevious = known.previous ? timingSafeEqual(digest, known.previous.digest) : false;
    const overlapOpen = known.current !== undefined && clock() < known.current.createdAt + overlapMs;
    return isCurrent || (isPrevious && overlapOpen);
  };

  return {
    async verify(client, presented) {
      const digest = sha256(presented);
      const { secretId } = client;
      // A client without a shared secret (private_key_jwt, none) never authenticates with one.
      if (secretId === undefined) {
        timingSafeEqual(digest, DUMMY_DIGEST);
        return false;
      }
      const loadClient = () => load(client, secretId);
      if (matches(await cache.get(secretId, loadClient), digest)) return true;
      const loadedAt = cache.loadedAt(secretId);
      if (loadedAt === undefined || clock() - loadedAt < refreshOnMissMs) return false;
      return matches(await cache.refresh(secretId, loadClient), digest);
    },
    burn(presented) {
      timingSafeEqual(sha256(presented), DUMMY_DIGEST);
    },
  };
}
