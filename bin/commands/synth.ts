/**
 * `oauth-registry synth` (what `npm run synth` runs): synthesize the app into `--outdir` without the cdktf CLI, then
 * print a one-screen summary: each stack with its region, resource and output counts, and each registry's clients,
 * routes and connections.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { readManifests, synthesizeApp, synthesizedStacks, type AppOptions } from '../local/synth';
import { appOptions, stackRegion } from './common';

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
    for (const { manifest } of registries.filter((r) => r.stack === stack)) {
      lines.push(`    registry ${manifest.registryPath} (namePrefix ${manifest.namePrefix})`);
      const clients = manifest.clients.map((c) => `${c.name} (${c.authMethod}${c.active ? '' : ', inactive'})`);
      lines.push(`      clients      ${list(clients)}`);
      lines.push(`      routes       ${list(manifest.routes.map((r) => `${r.routeKey} [${r.scopes.join(' ')}]`))}`);
      if (manifest.mcpServers?.length) {
        lines.push(`      mcp servers  ${list(manifest.mcpServers.map((s) => `${s.name} ${s.path} [${s.scopes.join(' ')}]`))}`);
      }
      const connections = (manifest.connections ?? []).map((c) => `${c.name} (${c.grant}, ${c.mode})`);
      lines.push(`      connections  ${list(connections)}`);
      if (manifest.userAuthentication) lines.push(`      user sign-in ${manifest.userAuthentication.issuer}`);
    }
  }
  if (registries.length === 0) lines.push('  no OAuthRegistry in this app');
  const stacks = synthesizedStacks(options.outdir);
  lines.push(`next: npm start (serve it locally), or cdktf deploy ${stacks.length === 1 ? stacks[0] : '<stack>'}`);
  return `${lines.join('\n')}\n`;
}

function list(items: readonly string[]): string {
  if (items.length === 0) return '0';
  const shown = items.slice(0, LIST_MAX).join(', ');
  return `${items.length}: ${shown}${items.length > LIST_MAX ? `, … and ${items.length - LIST_MAX} more` : ''}`;
}
