/**
 * `npm run build` (also `prepack`): the package as npm ships it, in `dist/`.
 *
 * - `dist/lib`, `dist/lambdas`, `dist/bin`: tsc's CommonJS and `.d.ts` (`tsconfig.build.json`).
 * - `dist/handlers/<name>.js`: the registry's own Lambda handlers, bundled now (esbuild, the same options as synth),
 *   so synth from `node_modules` zips them as they are: no sources, same asset hashes run to run.
 * - `dist/cdktn/{lib,lambdas}`: the same constructs for CDK Terrain, `cdktf` → `cdktn` and `@cdktf/provider-aws/…` →
 *   `@cdktn/provider-aws/…` in every `require` and type import; nothing else differs.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bundleCode } from '../lib/private/bundle';

const ROOT = path.resolve(__dirname, '..');
const DIST = path.join(ROOT, 'dist');
/** The registry's handlers: `lambdas/<name>/index.ts`. */
export const REGISTRY_HANDLERS = ['authorization-server', 'connections', 'rotation'] as const;

/** `require("cdktf")`, `"cdktf/lib/…"`, `from "@cdktf/provider-aws/lib/x"`, `import("cdktf")` → the cdktn names; nothing else. */
export function toCdktn(source: string): string {
  return source.replace(/(["'])cdktf(\/[^"'\n]*)?\1/g, '$1cdktn$2$1').replace(/(["'])@cdktf\/provider-aws\//g, '$1@cdktn/provider-aws/');
}

function run(command: string, args: readonly string[]): void {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (${result.status ?? result.signal})`);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

export function build(): void {
  const started = Date.now();
  rmSync(DIST, { recursive: true, force: true });
  run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json']);

  mkdirSync(path.join(DIST, 'handlers'), { recursive: true });
  for (const name of REGISTRY_HANDLERS) {
    writeFileSync(path.join(DIST, 'handlers', `${name}.js`), bundleCode(path.join(ROOT, 'lambdas', name, 'index.ts')));
  }

  for (const dir of ['lib', 'lambdas']) {
    cpSync(path.join(DIST, dir), path.join(DIST, 'cdktn', dir), { recursive: true });
  }
  for (const file of filesUnder(path.join(DIST, 'cdktn', 'lib'))) writeFileSync(file, toCdktn(readFileSync(file, 'utf8')));
  process.stdout.write(`oauth-registry: built dist/ in ${Date.now() - started} ms\n`);
}

if (require.main === module) build();
