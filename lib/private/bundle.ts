/**
 * Bundles a Lambda entry with esbuild and zips it in-process, deterministically (fixed mtime), into a
 * content-addressed file under `node_modules/.cache/oauth-registry/bundles/<sha256>.zip`.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { zipSync } from 'fflate';

/** The package root (this file lives in `lib/private/`). */
export const PACKAGE_ROOT = path.resolve(__dirname, '..', '..');

/** Where zipped bundles are cached, content-addressed. */
export const BUNDLE_CACHE_DIR = path.join(PACKAGE_ROOT, 'node_modules', '.cache', 'oauth-registry', 'bundles');

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
  if (!existsSync(absolute)) throw new Error(`cannot bundle Lambda entry "${entryPath}": file not found (${absolute})`);

  let code: string;
  try {
    const result = buildSync({
      entryPoints: [absolute],
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      minify: true,
      write: false,
      external: ['@aws-sdk/*'],
      legalComments: 'none',
      logLevel: 'silent',
    });
    const output = result.outputFiles[0];
    if (!output) throw new Error('esbuild produced no output');
    code = output.text;
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
