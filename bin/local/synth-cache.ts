/**
 * The CLI's commands reuse the last synthesis when nothing it depends on changed, instead of running the app again
 * (seconds each time, tens on a busy machine). What it depends on is fingerprinted by each source file's size and
 * modification time: every `.ts`/`.js`/`.json`… file of the app's project (the nearest folder with a package.json;
 * dependencies, hidden folders and the synth output excluded) and of the app's own folder, the installed packages'
 * lock (`node_modules/.package-lock.json`), this package's version and the cdktf context. Conservative: any change
 * to a source file of the project synthesizes again, and the CLI says which file made it do so.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Written beside the synthesized stacks: the fingerprint of the synthesis in that folder. */
const STAMP_FILE = 'oauth-registry.synth-inputs.json';
const SOURCE_FILE = /\.(?:[cm]?[jt]sx?|json)$/;
const SKIPPED_DIRS = new Set(['node_modules', 'cdktf.out', 'dist', 'build', 'coverage']);

interface Stamp {
  readonly app: string;
  /** cdktf's `manifest.json` in the output as this synthesis left it: another synth there (`cdktf synth`) changes it. */
  readonly output?: string;
  readonly environment: string;
  /** Relative path → `<size>:<mtimeMs>`. */
  readonly files: Readonly<Record<string, string>>;
}

/** The nearest folder at or above `dir` holding a package.json (the project), else `dir`. */
function projectRoot(dir: string): string {
  for (let at = dir; ; at = path.dirname(at)) {
    if (existsSync(path.join(at, 'package.json'))) return at;
    if (path.dirname(at) === at) return dir;
  }
}

function collect(root: string, dir: string, outdir: string, into: Record<string, string>): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith('.') || SKIPPED_DIRS.has(entry.name) || full === outdir) continue;
      collect(root, full, outdir, into);
    } else if (entry.isFile() && SOURCE_FILE.test(entry.name)) {
      const stat = statSync(full);
      into[path.relative(root, full)] = `${stat.size}:${stat.mtimeMs}`;
    }
  }
}

/** This package's version (a new one may synthesize differently). */
function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(require.resolve('oauth-registry/package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function currentStamp(appFile: string, outdir: string): Stamp {
  const appDir = path.dirname(appFile);
  const root = projectRoot(appDir);
  const files: Record<string, string> = {};
  collect(root, root, outdir, files);
  // An app inside a hidden folder (skipped above) still counts its own folder.
  if (!Object.hasOwn(files, path.relative(root, appFile))) collect(root, appDir, outdir, files);
  for (const lock of [path.join(root, 'node_modules', '.package-lock.json')]) {
    if (existsSync(lock)) files[path.relative(root, lock)] = `${statSync(lock).size}:${statSync(lock).mtimeMs}`;
  }
  const ownVersion = packageVersion();
  const environment = createHash('sha256')
    .update(JSON.stringify([ownVersion, process.env.CDKTF_CONTEXT_JSON ?? '', process.execPath]))
    .digest('hex');
  return { app: appFile, environment, files };
}

/** Why `appFile` must be synthesized into `outdir` again, or undefined when the last synthesis there is current. */
export function synthReason(appFile: string, outdir: string): string | undefined {
  const stampFile = path.join(outdir, STAMP_FILE);
  if (!existsSync(stampFile)) return `no earlier synthesis in ${path.relative(process.cwd(), outdir) || '.'}`;
  let last: Stamp;
  try {
    last = JSON.parse(readFileSync(stampFile, 'utf8')) as Stamp;
  } catch {
    return 'the record of the last synthesis is unreadable';
  }
  const now = currentStamp(appFile, outdir);
  if (last.output !== outputStamp(outdir)) return 'something else synthesized into it since';
  if (last.app !== now.app) return `the last synthesis there was of ${path.relative(process.cwd(), last.app)}`;
  if (last.environment !== now.environment) return 'the package version, Node.js or the cdktf context changed';
  const changed = Object.keys(now.files).filter((f) => last.files[f] !== now.files[f]);
  const removed = Object.keys(last.files).filter((f) => !Object.hasOwn(now.files, f));
  const differing = [...changed, ...removed];
  if (differing.length === 0) return undefined;
  const named = differing.slice(0, 3).join(', ');
  return `${named}${differing.length > 3 ? ` and ${differing.length - 3} more` : ''} changed`;
}

/** The fingerprint now, to record once a synthesis that starts now has succeeded (a file edited meanwhile then shows). */
export const synthInputs = (appFile: string, outdir: string): Stamp => currentStamp(appFile, outdir);

/** cdktf's manifest of the synthesis in `outdir` (size and mtime), when there is one. */
function outputStamp(outdir: string): string | undefined {
  const manifest = path.join(outdir, 'manifest.json');
  if (!existsSync(manifest)) return undefined;
  const stat = statSync(manifest);
  return `${stat.size}:${stat.mtimeMs}`;
}

/** Records what the synthesis just written into `outdir` was made from (`synthInputs`, taken before it ran). */
export function recordSynthInputs(outdir: string, inputs: Stamp): void {
  const output = outputStamp(outdir);
  writeFileSync(path.join(outdir, STAMP_FILE), JSON.stringify({ ...inputs, ...(output ? { output } : {}) }));
}
