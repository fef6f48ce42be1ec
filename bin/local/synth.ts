/**
 * Synthesizes a cdktf app and reads back the registry manifests it wrote: the one configuration local mode needs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { LOCAL_MODE_CONTEXT, type RegistryManifest } from '../../lambdas/shared/manifest';

/** The environment variable cdktf's `App` reads extra context from (cdktf's `CONTEXT_ENV`). */
const CDKTF_CONTEXT_ENV = 'CDKTF_CONTEXT_JSON';

export interface SynthesizedRegistry {
  readonly stack: string;
  readonly file: string;
  readonly manifest: RegistryManifest;
}

/**
 * Runs `app` (a TypeScript or JavaScript file calling `app.synth()`) with tsx, writing to `outdir`. This synth feeds
 * local mode and the CLI, never a deployment: it sets `LOCAL_MODE_CONTEXT`, so providers and key sets on this machine
 * (loopback) are not refused as they are when a deployed stack is synthesized.
 */
export function synthesizeApp(app: string, outdir: string): void {
  const appFile = path.resolve(app);
  if (!existsSync(appFile)) throw new Error(`app file not found: ${app}`);
  const context = { ...(JSON.parse(process.env[CDKTF_CONTEXT_ENV] || '{}') as object), [LOCAL_MODE_CONTEXT]: true };
  const result = spawnSync(process.execPath, ['--import', 'tsx', appFile], {
    cwd: path.dirname(appFile),
    env: { ...process.env, CDKTF_OUTDIR: path.resolve(outdir), [CDKTF_CONTEXT_ENV]: JSON.stringify(context) },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    throw new Error(`synth of ${app} failed:\n${(result.stderr || result.stdout || '').trim()}`);
  }
}

/** Every registry manifest under `outdir/stacks/*`, in stack then file order. */
export function readManifests(outdir: string): SynthesizedRegistry[] {
  const stacksDir = path.join(outdir, 'stacks');
  if (!existsSync(stacksDir)) return [];
  const found: SynthesizedRegistry[] = [];
  for (const stack of readdirSync(stacksDir).sort()) {
    const dir = path.join(stacksDir, stack);
    for (const name of readdirSync(dir).sort()) {
      if (!/^oauth-registry\..+\.json$/.test(name)) continue;
      const file = path.join(dir, name);
      found.push({ stack, file, manifest: JSON.parse(readFileSync(file, 'utf8')) as RegistryManifest });
    }
  }
  return found;
}

/** The registry to serve: the only one, or the one whose stack or construct path contains `select`. */
export function pickRegistry(registries: readonly SynthesizedRegistry[], select?: string): SynthesizedRegistry {
  if (registries.length === 0) throw new Error('the app declares no OAuthRegistry');
  if (!select) {
    if (registries.length > 1) {
      const names = registries.map((r) => `${r.stack}:${r.manifest.registryPath}`).join(', ');
      throw new Error(`the app declares ${registries.length} registries (${names}); choose one with --registry`);
    }
    return registries[0];
  }
  const match = registries.find((r) => r.stack === select || r.manifest.registryPath.includes(select));
  if (!match) throw new Error(`no registry matches --registry ${JSON.stringify(select)}`);
  return match;
}

/** Where a command finds the app and its registry (the options `appOptions` adds to a command). */
export interface AppOptions {
  readonly app: string;
  readonly outdir: string;
  readonly registry?: string;
  readonly stateDir: string;
  /** AWS region of the deployed registry (commands that read or write its secrets). */
  readonly region?: string;
  /** false (`--no-synth`): use the manifest already in `outdir` when there is one. */
  readonly synth?: boolean;
}

/** The app's registry: synthesized now (unless `--no-synth` and a manifest is there), then picked. */
export function loadRegistry(options: AppOptions): SynthesizedRegistry {
  if (options.synth !== false || readManifests(options.outdir).length === 0) synthesizeApp(options.app, options.outdir);
  return pickRegistry(readManifests(options.outdir), options.registry);
}
