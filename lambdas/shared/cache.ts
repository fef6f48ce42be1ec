/**
 * A small TTL cache of promises, so a warm function serves registrations, secrets and signing keys from memory and
 * concurrent misses share one load. It fails open on a reload: when a refresh fails (Secrets Manager or DynamoDB
 * briefly down), the last good value is served for another TTL; only a key never loaded fails.
 */
import type { Logger } from './log';
import type { Clock } from './ports';

export interface TtlCacheOptions {
  readonly ttlMs: number;
  readonly clock?: Clock;
  /** Oldest entries are evicted beyond this, so unknown client ids cannot grow memory without bound. @default 1000 */
  readonly maxEntries?: number;
  /** Where a failed reload is reported (one warning per failure) when the stale value is served instead. */
  readonly log?: Logger;
  /** What is cached, for that warning (`signing-keys`, `client-secrets`). @default 'cache' */
  readonly name?: string;
}

interface Entry<V> {
  readonly value: Promise<V>;
  readonly loadedAt: number;
  /** The last value a load of this key produced: served when a later reload fails. */
  good?: { readonly value: V };
}

/**
 * Caches the result of `load(key)` for `ttlMs`. A failed load is not cached: the key's last good value is served (and
 * kept for another `ttlMs`) when there is one, else the failure is the answer and the next call loads again.
 */
export class TtlCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  private readonly clock: Clock;
  private readonly maxEntries: number;

  constructor(private readonly options: TtlCacheOptions) {
    this.clock = options.clock ?? Date.now;
    this.maxEntries = options.maxEntries ?? 1000;
  }

  /** The cached value, or the result of `load` (which is then cached). */
  get(key: K, load: (key: K) => Promise<V>): Promise<V> {
    const entry = this.entries.get(key);
    const now = this.clock();
    if (entry && now - entry.loadedAt < this.options.ttlMs) return entry.value;
    return this.load(key, load, now);
  }

  /** When the entry for `key` was loaded (ms since epoch), or undefined when there is none. */
  loadedAt(key: K): number | undefined {
    return this.entries.get(key)?.loadedAt;
  }

  /** Loads `key` now, replacing any cached entry (used to refresh on a miss that a rotation may explain). */
  refresh(key: K, load: (key: K) => Promise<V>): Promise<V> {
    return this.load(key, load, this.clock());
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  private load(key: K, load: (key: K) => Promise<V>, now: number): Promise<V> {
    const stale = this.entries.get(key)?.good;
    const value = load(key).then(
      (loaded) => {
        entry.good = { value: loaded };
        return loaded;
      },
      (err: unknown) => {
        if (!stale) {
          if (this.entries.get(key) === entry) this.entries.delete(key);
          throw err;
        }
        this.options.log?.warn('cache_refresh_failed', {
          cache: this.options.name ?? 'cache',
          key: String(key).slice(0, 200),
          error: err instanceof Error ? err.message : String(err),
        });
        return stale.value;
      },
    );
    const entry: Entry<V> = { value, loadedAt: now, ...(stale ? { good: stale } : {}) };
    this.entries.delete(key); // re-insert at the end: Map order is our eviction order
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
    return value;
  }
}
