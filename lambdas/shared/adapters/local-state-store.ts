/**
 * `StateStore` in memory or backed by files (local mode keeps one file per item under `.oauth-registry/local/state/`,
 * see `local-record-files.ts`). Node runs one callback at a time, and each operation reads, checks its condition and
 * writes synchronously: that is what makes a condition atomic here, as DynamoDB's condition expressions are in AWS.
 */
import {
  StateKeyTooLongError,
  StateQuotaExceededError,
  stateKeyTooLong,
  type Clock,
  type Condition,
  type Counters,
  type StateItem,
  type StateLister,
  type StateStore,
} from '../ports';
import { MemoryRecords, RecordFiles, type RecordBackend } from './local-record-files';

/** In memory a sweep visits every item, so at most once a second; on disk it runs in the background, once a minute. */
const SWEEP_INTERVAL_MS = { memory: 1_000, files: 60_000 };

/**
 * A bound on the live items under `prefix`, per value of their `groupBy` attribute and in total. A new item past a
 * bound is refused (`put` throws `StateQuotaExceededError`) and nothing stored is evicted for it: anonymous requests
 * that each store an item (pending sign-ins) can neither grow local state without end nor push out an item someone
 * is using (a sign-in already sent to the provider).
 */
export interface StateQuota {
  readonly prefix: string;
  readonly groupBy: string;
  readonly perGroup: number;
  readonly total: number;
}

export interface LocalStateStoreOptions {
  /** Decides which items have expired; tests freeze it. @default Date.now */
  readonly clock?: Clock;
  readonly quotas?: readonly StateQuota[];
}

/** Whether `condition` holds for `item` (undefined: no live item under the key). */
export function conditionHolds(condition: Condition | undefined, item: StateItem | undefined): boolean {
  if (!condition) return true;
  const attribute = (name: string): unknown => (item as Record<string, unknown> | undefined)?.[name];
  switch (condition.kind) {
    case 'notExists':
      return item === undefined;
    case 'exists':
      return item !== undefined;
    case 'equals':
      return item !== undefined && attribute(condition.attribute) === condition.value;
    case 'notEquals':
      return attribute(condition.attribute) !== condition.value;
    case 'lessThan': {
      const value = attribute(condition.attribute);
      return typeof value === 'number' && value < condition.value;
    }
    case 'missing':
      return attribute(condition.attribute) === undefined;
    case 'and':
      return condition.conditions.every((c) => conditionHolds(c, item));
    case 'or':
      return condition.conditions.some((c) => conditionHolds(c, item));
  }
}

/** Whether an item with `expiresAt` (epoch seconds) is past it at `nowMs`. */
export function isExpired(item: StateItem, nowMs: number): boolean {
  return item.expiresAt !== undefined && item.expiresAt < Math.floor(nowMs / 1000);
}

/** The registry's state table, locally: conditional single-key writes with TTL; file-backed when given a path. */
export class LocalStateStore implements StateStore, StateLister, Counters {
  private readonly clock: Clock;
  private readonly records: RecordBackend;
  private readonly sweepIntervalMs: number;
  private sweptAt = Number.NEGATIVE_INFINITY;
  /** Per quota: group → (key → expiresAt) of the items under its prefix. */
  private readonly quotas: { quota: StateQuota; groups: Map<string, Map<string, number>> }[];

  /**
   * `filePath`: where the state lives (`…/state.json`): items go to the directory beside it without `.json`
   * (`…/state/`), and a `state.json` left by an earlier version is moved there once. None keeps everything in memory.
   */
  constructor(
    readonly filePath?: string,
    options: LocalStateStoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.records = filePath ? new RecordFiles(recordDirectory(filePath), filePath) : new MemoryRecords();
    this.sweepIntervalMs = filePath ? SWEEP_INTERVAL_MS.files : SWEEP_INTERVAL_MS.memory;
    this.quotas = (options.quotas ?? []).map((quota) => ({ quota, groups: new Map() }));
    // Reading every item once at start finds a damaged file now, not in the middle of a request.
    const all = filePath ? this.records.all() : [];
    for (const item of all) if (!isExpired(item, this.clock())) this.track(item);
  }

  async get<T extends StateItem = StateItem>(pk: string): Promise<T | undefined> {
    const item = this.live(pk);
    return item && (structuredClone(item) as T);
  }

  async put(item: StateItem, condition?: Condition): Promise<boolean> {
    if (stateKeyTooLong(item.pk)) throw new StateKeyTooLongError(item.pk);
    if (!conditionHolds(condition, this.live(item.pk))) return false;
    const stored = withoutUndefined(structuredClone(item));
    this.checkQuotas(stored);
    this.records.set(stored);
    this.track(stored);
    this.sweep();
    return true;
  }

  async update(pk: string, changes: Readonly<Record<string, unknown>>, condition?: Condition): Promise<boolean> {
    const item = this.live(pk);
    if ('pk' in changes) throw new Error("update cannot change an item's key");
    if (!item || !conditionHolds(condition, item)) return false;
    const stored = withoutUndefined({ ...item, ...structuredClone(changes) });
    this.records.set(stored);
    this.track(stored);
    this.sweep();
    return true;
  }

  /** Atomic here too: the check and the write happen in one turn of the event loop. */
  async increment(pk: string, attribute: string, options: { below: number; expiresAt: number }): Promise<number | undefined> {
    if (stateKeyTooLong(pk)) return undefined;
    const item = this.live(pk);
    const current = typeof item?.[attribute] === 'number' ? item[attribute] : 0;
    if (item !== undefined && current >= options.below) return undefined;
    const stored: StateItem = { ...(item ?? {}), pk, [attribute]: current + 1, expiresAt: options.expiresAt };
    this.records.set(stored);
    this.track(stored);
    this.sweep();
    return current + 1;
  }

  async count(pk: string, attribute: string): Promise<number> {
    const value = stateKeyTooLong(pk) ? undefined : this.live(pk)?.[attribute];
    return typeof value === 'number' ? value : 0;
  }

  async delete<T extends StateItem = StateItem>(pk: string, condition?: Condition): Promise<T | undefined> {
    const item = this.live(pk);
    if (!item || !conditionHolds(condition, item)) return undefined;
    this.records.remove(pk);
    this.untrack(pk);
    return item as T;
  }

  /** Live items whose key starts with `prefix`, in key order; the files are read asynchronously, in batches. */
  async list<T extends StateItem = StateItem>(prefix: string): Promise<T[]> {
    const all = await this.records.allAsync();
    const now = this.clock();
    return all
      .filter((item) => item.pk.startsWith(prefix) && !isExpired(item, now))
      .sort((a, b) => (a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0))
      .map((item) => structuredClone(item) as T);
  }

  /** Also undefined for a key too long to be stored, so every operation treats it as absent (as AwsStateStore does). */
  private live(pk: string): StateItem | undefined {
    if (stateKeyTooLong(pk)) return undefined;
    const item = this.records.get(pk);
    return item && !isExpired(item, this.clock()) ? item : undefined;
  }

  // Expired items are dropped as DynamoDB's TTL sweep would; reads already treat them as absent.
  private sweep(): void {
    const now = this.clock();
    if (Math.abs(now - this.sweptAt) < this.sweepIntervalMs) return;
    this.sweptAt = now;
    this.records.sweep((item) => isExpired(item, this.clock()));
    for (const { groups } of this.quotas) {
      for (const [group, members] of groups) {
        for (const [pk, expiresAt] of members) if (expiresAt < Math.floor(now / 1000)) members.delete(pk);
        if (members.size === 0) groups.delete(group);
      }
    }
  }

  /** Throws `StateQuotaExceededError` when a new `item` would pass a bound (counting live items only). */
  private checkQuotas(item: StateItem): void {
    const nowSecs = Math.floor(this.clock() / 1000);
    for (const { quota, groups } of this.quotas) {
      if (!item.pk.startsWith(quota.prefix)) continue;
      const group = String(item[quota.groupBy]);
      if (groups.get(group)?.has(item.pk)) continue;
      for (const members of groups.values()) for (const [pk, expiresAt] of members) if (expiresAt < nowSecs) members.delete(pk);
      const total = [...groups.values()].reduce((n, m) => n + m.size, 0);
      if ((groups.get(group)?.size ?? 0) >= quota.perGroup || total >= quota.total) throw new StateQuotaExceededError(quota.prefix);
    }
  }

  private track(item: StateItem): void {
    for (const { quota, groups } of this.quotas) {
      if (!item.pk.startsWith(quota.prefix)) continue;
      const group = String(item[quota.groupBy]);
      if (!groups.has(group)) groups.set(group, new Map());
      groups.get(group)!.set(item.pk, item.expiresAt ?? Number.POSITIVE_INFINITY);
    }
  }

  private untrack(pk: string): void {
    for (const { groups } of this.quotas) for (const members of groups.values()) members.delete(pk);
  }
}

/** `…/state.json` → `…/state` (the directory of per-item files). */
export const recordDirectory = (filePath: string): string => (filePath.endsWith('.json') ? filePath.slice(0, -5) : `${filePath}.d`);

/** In-memory `LocalStateStore` (tests, throwaway local runs). */
export class MemoryStateStore extends LocalStateStore {
  constructor(options: LocalStateStoreOptions = {}) {
    super(undefined, options);
  }
}

/** `undefined` means "no attribute", as in DynamoDB with removeUndefinedValues. */
function withoutUndefined(item: StateItem): StateItem {
  return Object.fromEntries(Object.entries(item).filter(([, v]) => v !== undefined)) as StateItem;
}
