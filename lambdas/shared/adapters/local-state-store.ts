/**
 * `StateStore` in memory or backed by a JSON file (local mode keeps it at `.oauth-registry/local/state.json`).
 * Node runs one callback at a time, so each operation reads, checks its condition and writes synchronously: that is
 * what makes a condition atomic here, as DynamoDB's condition expressions are in AWS.
 */
import {
  StateKeyTooLongError,
  stateKeyTooLong,
  type Clock,
  type Condition,
  type StateItem,
  type StateLister,
  type StateStore,
} from '../ports';
import { JsonFile } from './json-file';

interface StoreFile {
  version: 1;
  items: Record<string, StateItem>;
}

const SWEEP_INTERVAL_MS = 1_000;

export interface LocalStateStoreOptions {
  /** Decides which items have expired; tests freeze it. @default Date.now */
  readonly clock?: Clock;
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
export class LocalStateStore implements StateStore, StateLister {
  private data: StoreFile = { version: 1, items: {} };
  private readonly clock: Clock;
  /** The backing file, shared with other local processes. */
  private readonly file: JsonFile<StoreFile>;
  private sweptAt = Number.NEGATIVE_INFINITY;

  /** `filePath`: JSON file to load from and persist to (mode 0600); none keeps everything in memory. */
  constructor(
    readonly filePath?: string,
    options: LocalStateStoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.file = new JsonFile(filePath);
    this.reload();
  }

  async get<T extends StateItem = StateItem>(pk: string): Promise<T | undefined> {
    this.reload();
    const item = this.live(pk);
    return item && (structuredClone(item) as T);
  }

  async put(item: StateItem, condition?: Condition): Promise<boolean> {
    if (stateKeyTooLong(item.pk)) throw new StateKeyTooLongError(item.pk);
    this.reload();
    if (!conditionHolds(condition, this.live(item.pk))) return false;
    this.data.items[item.pk] = withoutUndefined(structuredClone(item));
    this.persist();
    return true;
  }

  async update(pk: string, changes: Readonly<Record<string, unknown>>, condition?: Condition): Promise<boolean> {
    this.reload();
    const item = this.live(pk);
    if ('pk' in changes) throw new Error("update cannot change an item's key");
    if (!item || !conditionHolds(condition, item)) return false;
    this.data.items[pk] = withoutUndefined({ ...item, ...structuredClone(changes) });
    this.persist();
    return true;
  }

  async delete<T extends StateItem = StateItem>(pk: string, condition?: Condition): Promise<T | undefined> {
    this.reload();
    const item = this.live(pk);
    if (!item || !conditionHolds(condition, item)) return undefined;
    delete this.data.items[pk];
    this.persist();
    return item as T;
  }

  /** Live items whose key starts with `prefix`, in key order. */
  async list<T extends StateItem = StateItem>(prefix: string): Promise<T[]> {
    this.reload();
    return Object.keys(this.data.items)
      .filter((pk) => pk.startsWith(prefix))
      .sort()
      .flatMap((pk): T[] => {
        const item = this.live(pk) as T | undefined;
        return item ? [structuredClone(item)] : [];
      });
  }

  /** Also undefined for a key too long to be stored, so every operation treats it as absent (as AwsStateStore does). */
  private live(pk: string): StateItem | undefined {
    if (stateKeyTooLong(pk)) return undefined;
    const item = Object.hasOwn(this.data.items, pk) ? this.data.items[pk] : undefined;
    return item && !isExpired(item, this.clock()) ? item : undefined;
  }

  private reload(): void {
    this.data = this.file.readIfChanged() ?? this.data;
  }

  // Expired items are dropped on the way out, as DynamoDB's TTL sweep would, at most once a second: a sweep visits
  // every item, and reads already treat expired items as absent.
  private persist(): void {
    const now = this.clock();
    if (Math.abs(now - this.sweptAt) >= SWEEP_INTERVAL_MS) {
      for (const [pk, item] of Object.entries(this.data.items)) if (isExpired(item, now)) delete this.data.items[pk];
      this.sweptAt = now;
    }
    this.file.write(this.data);
  }
}

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
