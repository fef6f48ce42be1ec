/**
 * Synthesizes a cdktf app and reads back the registry manifests it wrote: the one configuration local mode needs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOCAL_MODE_CONTEXT, type RegistryManifest } from '../../lambdas/shared/manifest';
import { recordSynthInputs, synthInputs, synthReason } from './synth-cache';
import { UserError } from './user-error';

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
  // tsx from this package, so an app outside it (with no tsx of its own) synthesizes too.
  const tsx = pathToFileURL(path.join(path.dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs')).href;
  const inputs = synthInputs(appFile, path.resolve(outdir));
  const result = spawnSync(process.execPath, ['--import', tsx, appFile], {
    cwd: path.dirname(appFile),
    env: { ...process.env, CDKTF_OUTDIR: path.resolve(outdir), [CDKTF_CONTEXT_ENV]: JSON.stringify(context) },
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    const output = (result.stderr || result.stdout || '').trim();
    throw new UserError(`synth of ${app} failed: ${missingPeerMessage(output) ?? synthErrorMessage(output)}`, output);
  }
  recordSynthInputs(path.resolve(outdir), inputs);
}

/**
 * The peer dependencies (package.json's `peerDependencies`, one flavour of each pair) and what to install for each:
 * the versions the package is tested with.
 */
export const PEER_INSTALLS: Readonly<Record<string, string>> = {
  cdktf: 'cdktf@0.21.0',
  '@cdktf/provider-aws': '@cdktf/provider-aws@21.22.1',
  cdktn: 'cdktn@0.24.0',
  '@cdktn/provider-aws': '@cdktn/provider-aws@25.7.0',
  constructs: 'constructs@10.4.2',
  // Only an MCP server's handler needs it (`mcpHandler`'s transport is the SDK's), so it is the user's to install.
  '@modelcontextprotocol/sdk': '@modelcontextprotocol/sdk@1.32.2',
};

/** A peer dependency the app (or this package) could not load, as one line saying what to install; else undefined. */
export function missingPeerMessage(output: string): string | undefined {
  const specifier = /Cannot find (?:module|package) '([^']+)'/.exec(output)?.[1];
  if (specifier === undefined) return undefined;
  const name = specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
  const install = PEER_INSTALLS[name];
  return install && `the peer dependency ${name} is not installed in this project: npm install ${install}`;
}

/**
 * The stacks the last synth into `outdir` wrote, from cdktf's `manifest.json` (stack directories left over from
 * another app are not in it); without that file, every directory under `stacks/`.
 */
export function synthesizedStacks(outdir: string): string[] {
  const manifestFile = path.join(outdir, 'manifest.json');
  if (existsSync(manifestFile)) {
    const { stacks } = JSON.parse(readFileSync(manifestFile, 'utf8')) as { stacks?: Record<string, { name?: string }> };
    return Object.entries(stacks ?? {})
      .map(([key, stack]) => stack.name ?? key)
      .sort();
  }
  const stacksDir = path.join(outdir, 'stacks');
  return existsSync(stacksDir) ? readdirSync(stacksDir).sort() : [];
}

/** Every registry manifest of the stacks the last synth wrote (`synthesizedStacks`), in stack then file order. */
export function readManifests(outdir: string): SynthesizedRegistry[] {
  const found: SynthesizedRegistry[] = [];
  for (const stack of synthesizedStacks(outdir)) {
    const dir = path.join(outdir, 'stacks', stack);
    if (!existsSync(dir)) continue;
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

/**
 * The app's registry, then picked: from the last synthesis in `outdir` when nothing it was made from changed
 * (synth-cache.ts) or with `--no-synth`; else synthesized now, saying why on stderr.
 */
export function loadRegistry(
  options: AppOptions,
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): SynthesizedRegistry {
  const synthesized = readManifests(options.outdir).length > 0;
  const reason = !synthesized
    ? 'no earlier synthesis of it'
    : options.synth === false
      ? undefined
      : synthReason(path.resolve(options.app), path.resolve(options.outdir));
  if (reason !== undefined) {
    log(`oauth-registry: synthesizing ${options.app} (${reason})`);
    synthesizeApp(options.app, options.outdir);
  }
  return pickRegistry(readManifests(options.outdir), options.registry);
}

/**
 * What a failed synth said, for a person: the error lines of the app's output without the stack frames of library
 * internals (`at …` lines, source excerpts); the whole output is the error's `details` (`--verbose` prints it).
 */
export function synthErrorMessage(output: string): string {
  const lines = output.split('\n');
  const kept: string[] = [];
  for (const line of lines) {
    if (/^\s+at\s/.test(line)) continue; // a stack frame
    if (/^\s*\^+\s*$/.test(line) || /^Node\.js v\d/.test(line)) continue; // the caret under a source excerpt, node's version
    if (/^\/.*:\d+$/.test(line.trim())) continue; // "file:line" above a source excerpt
    kept.push(line);
  }
  // Node prints the throwing source line before the error: keep from the first "Error:" line on when there is one.
  const first = kept.findIndex((line) => /^(\w*Error|Error)\b.*:/.test(line.trim()));
  const text = (first >= 0 ? kept.slice(first) : kept)
    .join('\n')
    .replace(/\n{2,}/g, '\n')
    .trim();
  return text || output.split('\n').at(-1) || 'no output';
}
