/**
 * Where `LocalStateStore` keeps its items: a `Map` in memory, or one file per item in a directory (local mode:
 * `.oauth-registry/local/state/`). One file per item makes a write cost the same whatever the number of items (the
 * whole-file store rewrote every item on every write), and each file is written atomically (temp file + rename), so
 * a crash or `kill -9` at any moment leaves every file whole. Other local processes (the CLI) see writes at once:
 * nothing is cached.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { StateItem } from '../ports';
import { parseLocalJson, writeFileAtomic } from './json-file';

/** Raw item storage: no conditions, no expiry (the store does both). */
export interface RecordBackend {
  get(pk: string): StateItem | undefined;
  set(item: StateItem): void;
  remove(pk: string): void;
  all(): StateItem[];
  /** Every item, read without blocking the event loop for long (listing: the dashboard, `status`). */
  allAsync(): Promise<StateItem[]>;
  /** Deletes items `expired` says are, without blocking requests for long; `now` marks stale temp files. */
  sweep(expired: (item: StateItem) => boolean): void;
}

export class MemoryRecords implements RecordBackend {
  private readonly items = new Map<string, StateItem>();
  get = (pk: string) => this.items.get(pk);
  set = (item: StateItem) => void this.items.set(item.pk, item);
  remove = (pk: string) => void this.items.delete(pk);
  all = () => [...this.items.values()];
  allAsync = async () => this.all();
  sweep(expired: (item: StateItem) => boolean): void {
    for (const [pk, item] of this.items) if (expired(item)) this.items.delete(pk);
  }
}

const LOSES = 'this one item is lost (a pending sign-in, a code, a refresh token or a token set)';
const RECORD_FILE = /^[A-Za-z0-9_-]{43}\.json$/;
const SWEEP_BATCH = 64;
/** Files read at once by `allAsync`: enough to keep the disk busy, few enough to leave room for requests. */
const READ_BATCH = 32;
const STALE_TMP_MS = 60_000;

export class RecordFiles implements RecordBackend {
  private sweeping = false;

  /**
   * `legacyFile`: the single-file store of earlier versions (`state.json`); its items are moved into `dir` once, and
   * the file is renamed `<file>.migrated` (never deleted). A file that does not parse stops everything, named.
   */
  constructor(
    readonly dir: string,
    legacyFile?: string,
  ) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    if (legacyFile && existsSync(legacyFile) && statSync(legacyFile).isFile()) this.migrate(legacyFile);
  }

  private fileOf(pk: string): string {
    return join(this.dir, `${createHash('sha256').update(pk).digest('base64url')}.json`);
  }

  get(pk: string): StateItem | undefined {
    return this.read(this.fileOf(pk));
  }

  set(item: StateItem): void {
    writeFileAtomic(this.fileOf(item.pk), JSON.stringify(item));
  }

  remove(pk: string): void {
    try {
      unlinkSync(this.fileOf(pk));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  all(): StateItem[] {
    return readdirSync(this.dir)
      .filter((name) => RECORD_FILE.test(name))
      .flatMap((name) => this.read(join(this.dir, name)) ?? []);
  }

  async allAsync(): Promise<StateItem[]> {
    const names = (await readdir(this.dir)).filter((name) => RECORD_FILE.test(name));
    const items: StateItem[] = [];
    for (let from = 0; from < names.length; from += READ_BATCH) {
      const batch = names.slice(from, from + READ_BATCH).map((name) => this.readAsync(join(this.dir, name)));
      for (const item of await Promise.all(batch)) if (item) items.push(item);
    }
    return items;
  }

  // The listing is asynchronous; each batch of checks and deletions is synchronous, so no request runs between
  // reading an item as expired and deleting it (a fresh item under the same key is never deleted).
  sweep(expired: (item: StateItem) => boolean): void {
    if (this.sweeping) return;
    this.sweeping = true;
    const batch = (names: string[], from: number): void => {
      for (const name of names.slice(from, from + SWEEP_BATCH)) this.sweepOne(name, expired);
      if (from + SWEEP_BATCH < names.length) setImmediate(batch, names, from + SWEEP_BATCH);
      else this.sweeping = false;
    };
    readdir(this.dir).then(
      (names) => batch(names, 0),
      () => (this.sweeping = false),
    );
  }

  private sweepOne(name: string, expired: (item: StateItem) => boolean): void {
    const file = join(this.dir, name);
    try {
      if (RECORD_FILE.test(name)) {
        const item = this.read(file);
        if (item && expired(item)) unlinkSync(file);
      } else if (name.endsWith('.tmp') && Date.now() - statSync(file).mtimeMs > STALE_TMP_MS) {
        unlinkSync(file); // left by a process killed between write and rename
      }
    } catch {
      // gone meanwhile, or unreadable: the next sweep sees it again
    }
  }

  private async readAsync(file: string): Promise<StateItem | undefined> {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return parseLocalJson<StateItem>(file, text, LOSES);
  }

  private read(file: string): StateItem | undefined {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return parseLocalJson<StateItem>(file, text, LOSES);
  }

  private migrate(legacyFile: string): void {
    const loses = 'every pending sign-in, code, refresh token and connection token set: users sign in and consent again';
    const legacy = parseLocalJson<{ items?: Record<string, StateItem> }>(legacyFile, readFileSync(legacyFile, 'utf8'), loses);
    for (const item of Object.values(legacy.items ?? {})) if (!this.get(item.pk)) this.set(item);
    renameSync(legacyFile, `${legacyFile}.migrated`);
  }
}
