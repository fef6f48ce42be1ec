/**
 * A JSON document in a file that several local processes share (the dev server and the CLI): written atomically
 * (temp file + rename, so a reader or a crash, even `kill -9`, never sees half a file) with mode 0600 (local stores
 * hold live credentials), and parsed again only when another process has changed it. Without a path, nothing touches
 * disk. A file that does not parse is never overwritten: reading it throws `CorruptLocalFileError`, naming the file.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** A local state file that is not valid JSON (cut short, edited by hand). Its message names the file and the way out. */
export class CorruptLocalFileError extends Error {
  readonly code = 'ERR_CORRUPT_LOCAL_FILE';
  constructor(
    readonly path: string,
    cause: unknown,
    /** What starting over without this file costs, for the message. */
    readonly loses: string,
  ) {
    super(
      `${path} is not valid JSON (${cause instanceof Error ? cause.message : String(cause)}). It was left as it is. ` +
        `Restore it from a copy, or move it aside to start over without it (${loses}): mv '${path}' '${path}.corrupt'`,
      { cause },
    );
    this.name = 'CorruptLocalFileError';
  }
}

/** Parses `text` read from `path`, or throws `CorruptLocalFileError`. */
export function parseLocalJson<T>(path: string, text: string, loses: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new CorruptLocalFileError(path, err, loses);
  }
}

/** Writes `text` to `path` atomically: a temp file beside it (mode 0600), then a rename. */
export function writeFileAtomic(path: string, text: string): void {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, path);
}

export class JsonFile<T> {
  /** Identity of the file as last read or written. */
  private stamp?: string;

  /** `loses`: what moving a corrupt file aside costs (said in the error). */
  constructor(
    readonly path: string | undefined,
    private readonly loses = 'its data',
  ) {}

  /** The document, when the file exists and changed since this process last read or wrote it; else undefined. */
  readIfChanged(): T | undefined {
    if (!this.path) return undefined;
    let stamp: string;
    try {
      stamp = fileStamp(this.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    if (stamp === this.stamp) return undefined;
    const data = parseLocalJson<T>(this.path, readFileSync(this.path, 'utf8'), this.loses);
    this.stamp = stamp;
    return data;
  }

  write(data: T): void {
    if (!this.path) return;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    writeFileAtomic(this.path, JSON.stringify(data));
    this.stamp = fileStamp(this.path);
  }
}

function fileStamp(path: string): string {
  const st = statSync(path);
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}
