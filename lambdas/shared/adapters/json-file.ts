/**
 * A JSON document in a file that several local processes share (the dev server and the CLI): written atomically
 * (temp file + rename, so a reader or a crash never sees half a file) with mode 0600 (local stores hold live
 * credentials), and parsed again only when another process has changed it. Without a path, nothing touches disk.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class JsonFile<T> {
  /** Identity of the file as last read or written. */
  private stamp?: string;

  constructor(readonly path: string | undefined) {}

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
    const data = JSON.parse(readFileSync(this.path, 'utf8')) as T;
    this.stamp = stamp;
    return data;
  }

  write(data: T): void {
    if (!this.path) return;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    writeFileSync(tmp, JSON.stringify(data), { mode: 0o600 });
    renameSync(tmp, this.path);
    this.stamp = fileStamp(this.path);
  }
}

function fileStamp(path: string): string {
  const st = statSync(path);
  return `${st.ino}:${st.size}:${st.mtimeMs}`;
}
