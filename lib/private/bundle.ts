/**
 * Bundles a Lambda entry with esbuild and zips it in-process, deterministically (fixed mtime), into a
 * content-addressed file under `node_modules/.cache/oauth-registry/bundles/<sha256>.zip`.
 *
 * The registry's own handlers (`lambdas/<name>/index.ts`) are bundled from source in this repository; the published
 * package ships no handler sources but the same bundles, made at build time (`dist/handlers/<name>.js`, see
 * `scripts/build.ts`), which are only zipped here: synth from `node_modules` needs neither the sources nor esbuild's
 * view of the consumer's dependency tree, and the asset hashes depend on the package version only.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';
import { zipSync } from 'fflate';

/** The package root: the nearest folder above this file with a `package.json` (`lib/private/` or `dist/…/lib/private/`). */
export const PACKAGE_ROOT = findPackageRoot(__dirname);

/** Where the build puts the registry's prebuilt handler bundles (`<name>.js`). */
export const PREBUILT_HANDLERS_DIR = path.join(PACKAGE_ROOT, 'dist', 'handlers');

/** Whether this is a source checkout (handlers bundled from `lambdas/`), rather than the published package. */
const FROM_SOURCES = existsSync(path.join(PACKAGE_ROOT, 'lambdas', 'shared', 'config.ts'));

/**
 * Where zipped bundles are cached, content-addressed: this repository's `node_modules/.cache`; for the published
 * package, the app's (the current directory's), never inside the installed package.
 */
export const BUNDLE_CACHE_DIR = path.join(
  FROM_SOURCES ? PACKAGE_ROOT : process.cwd(),
  'node_modules',
  '.cache',
  'oauth-registry',
  'bundles',
);

/** esbuild's options for a Lambda entry: Node.js 22, CommonJS, minified, the AWS SDK external (the runtime has it). */
export const LAMBDA_BUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  external: ['@aws-sdk/*'],
  legalComments: 'none',
  logLevel: 'silent',
} as const satisfies BuildOptions;

/** A fixed timestamp for every zip entry so the same code always yields the same bytes. */
const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

export interface Bundle {
  /** Absolute path of the zip (one file, `index.js`). */
  readonly zipPath: string;
  /** Base64 sha256 of the zip, as Lambda's `source_code_hash`. */
  readonly zipSha256Base64: string;
  /** Size of the unzipped JavaScript, in bytes. */
  readonly bytes: number;
  /** The bundled JavaScript. */
  readonly code: string;
}

const memo = new Map<string, Bundle>();

/**
 * Bundles `entryPath` (absolute, or relative to the current directory) for Node.js 22 as CommonJS, with the AWS SDK
 * left external (the Lambda runtime provides it). Memoized per process by absolute path.
 */
export function bundleEntry(entryPath: string): Bundle {
  const absolute = path.resolve(entryPath);
  const cached = memo.get(absolute);
  if (cached) return cached;
  const prebuilt = prebuiltHandler(absolute);
  if (!prebuilt && !existsSync(absolute)) throw new Error(`cannot bundle Lambda entry "${entryPath}": file not found (${absolute})`);

  let code: string;
  try {
    code = prebuilt ? readFileSync(prebuilt, 'utf8') : bundleCode(absolute);
  } catch (error) {
    throw new Error(`cannot bundle Lambda entry "${entryPath}": ${(error as Error).message}`, { cause: error });
  }

  const zip = zipSync({ 'index.js': [Buffer.from(code), { mtime: FIXED_MTIME, level: 9 }] });
  const digest = createHash('sha256').update(zip);
  const hex = digest.copy().digest('hex');
  const zipPath = path.join(BUNDLE_CACHE_DIR, `${hex}.zip`);
  if (!existsSync(zipPath)) {
    mkdirSync(BUNDLE_CACHE_DIR, { recursive: true });
    const tmp = `${zipPath}.${process.pid}.tmp`;
    writeFileSync(tmp, zip);
    renameSync(tmp, zipPath);
  }
  const bundle: Bundle = { zipPath, zipSha256Base64: digest.digest('base64'), bytes: Buffer.byteLength(code), code };
  memo.set(absolute, bundle);
  return bundle;
}

/** The bundled JavaScript of `absolute` (esbuild, `LAMBDA_BUILD_OPTIONS`); what the build also runs for `dist/handlers`. */
export function bundleCode(absolute: string): string {
  const result = buildSync({ ...LAMBDA_BUILD_OPTIONS, entryPoints: [absolute], write: false });
  const output = result.outputFiles[0];
  if (!output) throw new Error('esbuild produced no output');
  return output.text;
}

/** In the published package, the prebuilt bundle standing for the registry handler `lambdas/<name>/index.ts`. */
function prebuiltHandler(absolute: string): string | undefined {
  if (FROM_SOURCES) return undefined;
  const relative = path.relative(path.join(PACKAGE_ROOT, 'lambdas'), absolute).split(path.sep);
  if (relative.length !== 2 || relative[1] !== 'index.ts') return undefined;
  const file = path.join(PREBUILT_HANDLERS_DIR, `${relative[0]}.js`);
  return existsSync(file) ? file : undefined;
}

function findPackageRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`oauth-registry: no package.json above ${from}`);
  }
}
