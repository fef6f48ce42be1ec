/**
 * A small TTL cache of promises, so a warm function serves registrations, secrets and signing keys from memory and
 * concurrent misses share one load.
 */
import type { Clock } from './ports';

export interface TtlCacheOptions {
  readonly ttlMs: number;
  readonly clock?: Clock;
  /** Oldest entries are evicted beyond this, so unknown client ids cannot grow memory without bound. @default 1000 */
  readonly maxEntries?: number;
}

interface Entry<V> {
  readonly value: Promise<V>;
  readonly loadedAt: number;
}

/** Caches the result of `load(key)` for `ttlMs`; a failed load is not cached. */
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
    const value = load(key);
    const entry = { value, loadedAt: now };
    this.entries.delete(key); // re-insert at the end: Map order is our eviction order
    this.entries.set(key, entry);
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as K);
    value.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    return value;
  }
}
