/**
 * Where local mode keeps each registry's state, and how commands in other terminals find the running server.
 *
 * Each registry has its own folder, `<stateDir>/<namePrefix>/local/` (secrets, clients.json, state.json and, while
 * `npm start` runs, server.json), so two apps served one after the other never overwrite each other's credentials.
 * The namePrefix is what separates registries in AWS too (their secrets, table and functions are named after it).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureStateFolder } from './state-folder';

/**
 * The state folder of one registry (what `startLocalRegistry` takes as `stateDir`), created private and git-ignored
 * (state-folder.ts) before any command writes into it; so is the folder holding it when it is created now (an existing
 * one, say `--state-dir .`, is the user's: no `.gitignore` of `*` is written into it).
 */
export const registryStateDir = (stateDir: string, namePrefix: string): string => {
  if (!existsSync(path.resolve(stateDir))) ensureStateFolder(path.resolve(stateDir));
  return ensureStateFolder(path.resolve(stateDir, namePrefix));
};

/** The files of local state in a state folder (the one `startLocalRegistry` takes as `stateDir`). */
export const localStatePaths = (stateDir: string) => ({
  secrets: path.join(stateDir, 'local', 'secrets.json'),
  clients: path.join(stateDir, 'local', 'clients.json'),
  state: path.join(stateDir, 'local', 'state.json'),
  /** Data routes' records, one `<route>.jsonl` each. */
  data: path.join(stateDir, 'local', 'data'),
});

/** The files of one registry's local state, and the running server's record. */
export const registryStatePaths = (stateDir: string, namePrefix: string) => {
  const paths = localStatePaths(registryStateDir(stateDir, namePrefix));
  return { ...paths, server: path.join(path.dirname(paths.state), 'server.json') };
};

/** What a running `oauth-registry dev` records about itself (and removes when it stops). */
export interface RunningServer {
  readonly issuer: string;
  readonly port: number;
  readonly pid: number;
  readonly app: string;
  readonly startedAt: string;
}

export function writeServerFile(file: string, server: RunningServer): void {
  writeFileSync(file, `${JSON.stringify(server, null, 2)}\n`, { mode: 0o600 });
}

/** Removes the file if it still describes this process (a newer server may have replaced it). */
export function removeServerFile(file: string, pid = process.pid): void {
  const current = readServerFile(file);
  if (current?.pid === pid) rmSync(file, { force: true });
}

function readServerFile(file: string): RunningServer | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as RunningServer;
  } catch {
    return undefined;
  }
}

/** The server recorded in `file` when its process is still alive; undefined otherwise (a stale file is ignored). */
export function runningServer(file: string): RunningServer | undefined {
  const found = readServerFile(file);
  if (!found || !Number.isInteger(found.pid)) return undefined;
  try {
    process.kill(found.pid, 0);
    return found;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? found : undefined;
  }
}

/** The default port of local mode (`PORT`, else 8787). */
export const defaultLocalPort = (): number => Number(process.env.PORT ?? 8787);

/**
 * The local registry's base URL for a command run in another terminal: `--port` when given, else the port the
 * running server recorded, else the default port.
 */
export function localIssuer(options: { readonly port?: string }, serverFile: string): string {
  if (options.port !== undefined) return `http://127.0.0.1:${Number(options.port)}`;
  return runningServer(serverFile)?.issuer ?? `http://127.0.0.1:${defaultLocalPort()}`;
}
