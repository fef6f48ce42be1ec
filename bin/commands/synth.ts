/**
 * `oauth-registry synth` (what `npm run synth` runs): synthesize the app into `--outdir` without the cdktf CLI, then
 * print a one-screen summary: each stack with its region, resource and output counts, and each registry's clients,
 * routes and connections, and the warnings synth recorded (quotas to raise, the steps of a first deploy).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readManifests, synthesizeApp, synthesizedStacks, type AppOptions } from '../local/synth';
import { appOptions, shellQuote, stackRegion } from './common';
import { cliInvocation } from './invocation';

/** At most this many names per list, so a registry of 1,000 clients still fits one screen. */
const LIST_MAX = 6;

export function registerSynthCommand(program: Command): void {
  appOptions(
    program
      .command('synth')
      .description('synthesize the app into --outdir (Terraform JSON and the registry manifest) and print a one-screen summary'),
  ).action((options: AppOptions) => {
    const started = Date.now();
    synthesizeApp(options.app, options.outdir);
    process.stdout.write(synthSummary(options, Date.now() - started));
  });
}

export function synthSummary(options: Pick<AppOptions, 'app' | 'outdir'>, ms: number): string {
  const registries = readManifests(options.outdir);
  const lines = [`synthesized ${options.app} into ${options.outdir}/ in ${(ms / 1000).toFixed(1)} s`];
  for (const stack of synthesizedStacks(options.outdir)) {
    const config = JSON.parse(readFileSync(path.join(options.outdir, 'stacks', stack, 'cdk.tf.json'), 'utf8')) as {
      resource?: Record<string, Record<string, unknown>>;
      output?: Record<string, unknown>;
    };
    const resources = Object.values(config.resource ?? {}).reduce((n, byId) => n + Object.keys(byId).length, 0);
    const outputs = Object.keys(config.output ?? {}).length;
    const region = stackRegion(options.outdir, stack);
    lines.push(`  stack ${stack}${region ? ` (${region})` : ''}: ${resources} resources, ${outputs} outputs`);
    for (const warning of stackWarnings(options.outdir, stack)) lines.push(`    ! ${warning}`);
    for (const { manifest } of registries.filter((r) => r.stack === stack)) {
      lines.push(`    registry ${manifest.registryPath} (namePrefix ${manifest.namePrefix})`);
      const clients = manifest.clients.map((c) => `${c.name} (${c.authMethod}${c.active ? '' : ', inactive'})`);
      lines.push(`      clients      ${list(clients)}`);
      lines.push(`      routes       ${list(manifest.routes.map((r) => `${r.routeKey} [${r.scopes.join(' ')}]`))}`);
      if (manifest.mcpServers?.length) {
        lines.push(`      mcp servers  ${list(manifest.mcpServers.map((s) => `${s.name} ${s.path} [${s.scopes.join(' ')}]`))}`);
      }
      if (manifest.dataRoutes?.length) {
        lines.push(
          `      data routes  ${list(manifest.dataRoutes.map((r) => `${r.routeKey} → ${r.target.kind} [${r.scopes.join(' ')}]`))}`,
        );
      }
      const connections = (manifest.connections ?? []).map((c) => `${c.name} (${c.grant}, ${c.mode})`);
      lines.push(`      connections  ${list(connections)}`);
      if (manifest.userAuthentication) lines.push(`      user sign-in ${manifest.userAuthentication.issuer}`);
    }
  }
  if (registries.length === 0) lines.push('  no OAuthRegistry in this app');
  const stacks = synthesizedStacks(options.outdir);
  const serve = [cliInvocation().dev, ...(options.app !== 'main.ts' ? ['--app', options.app] : [])].map((w, i) => (i ? shellQuote(w) : w));
  lines.push(`next: ${serve.join(' ')} (serve it locally), or cdktf deploy ${stacks.length === 1 ? stacks[0] : '<stack>'}`);
  return `${lines.join('\n')}\n`;
}

/** The warnings synth recorded for `stack` in cdktf's `manifest.json` (quotas to raise, steps of a first deploy). */
function stackWarnings(outdir: string, stack: string): string[] {
  const file = path.join(outdir, 'manifest.json');
  if (!existsSync(file)) return [];
  const manifest = JSON.parse(readFileSync(file, 'utf8')) as {
    stacks?: Record<string, { name?: string; annotations?: { level?: string; message?: unknown }[] }>;
  };
  const entry = Object.entries(manifest.stacks ?? {}).find(([key, s]) => (s.name ?? key) === stack)?.[1];
  return (entry?.annotations ?? []).filter((a) => a.level === '@cdktf/warn').map((a) => String(a.message));
}

function list(items: readonly string[]): string {
  if (items.length === 0) return '0';
  const shown = items.slice(0, LIST_MAX).join(', ');
  return `${items.length}: ${shown}${items.length > LIST_MAX ? `, … and ${items.length - LIST_MAX} more` : ''}`;
}
