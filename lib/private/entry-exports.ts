/**
 * The names a handler's source file exports, read by esbuild at synth (nothing of the file runs), so a wrong
 * `exportName` fails synth instead of every call being a 500.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { buildSync } from 'esbuild';

const memo = new Map<string, readonly string[] | undefined>();

/**
 * The ES module exports of `entry` (absolute), with `export * from` followed; undefined when it cannot tell (a
 * CommonJS file, whose exports are only known by running it, or a file esbuild cannot read: bundling reports that).
 */
export function entryExports(entry: string): readonly string[] | undefined {
  const absolute = path.resolve(entry);
  if (memo.has(absolute)) return memo.get(absolute);
  let exports: readonly string[] | undefined;
  if (existsSync(absolute)) {
    try {
      const result = buildSync({
        entryPoints: [absolute],
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        write: false,
        metafile: true,
        outdir: 'entry-exports',
        logLevel: 'silent',
      });
      const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
      const names = output?.exports ?? [];
      // A CommonJS module shows up as a default export only: its real exports are unknown without running it.
      exports = names.length === 0 || (names.length === 1 && names[0] === 'default') ? undefined : names;
    } catch {
      exports = undefined;
    }
  }
  memo.set(absolute, exports);
  return exports;
}
