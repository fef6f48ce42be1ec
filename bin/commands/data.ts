/**
 * `oauth-registry data tail <route> --local [-n <count>] [--json]`: the last records a data route received in local
 * mode, each with who sent it (the token's client_id and sub). Deployed, the records are in the route's target (the
 * queue, bus, state machine or stream): read them there.
 */
import type { Command } from 'commander';
import type { DataRecord, DataRouteRegistration } from '../../lambdas/shared/data-routes';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { readDataRecords } from '../local/local-data-routes';
import { loadRegistry, type AppOptions } from '../local/synth';
import { appOptions, localState } from './common';

interface DataTailOptions extends AppOptions {
  local?: boolean;
  lines: string;
  json?: boolean;
}

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('read what data routes received (registry.addDataRoute)');
  appOptions(
    data
      .command('tail <route>')
      .description('print the last records a data route received in local mode, with the client_id and sub of the token that sent each')
      .option('--local', "read local mode's records (required: deployed, the records are in the route's target)")
      .option('-n, --lines <count>', 'how many records, newest last', '10')
      .option('--json', 'one JSON document per record')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action((route: string, options: DataTailOptions) => {
    const count = Number(options.lines);
    if (!Number.isInteger(count) || count < 1) throw new Error(`--lines must be a positive integer, got ${JSON.stringify(options.lines)}`);
    const { manifest } = loadRegistry(options);
    const found = findDataRoute(manifest, route);
    if (!options.local) {
      throw new Error(
        `data tail reads local mode's records (--local); deployed, ${found.routeKey} delivers to its ${found.target.kind}: read it there`,
      );
    }
    const records = readDataRecords(localState(options, manifest).data, found.routeKey).slice(-count);
    if (records.length === 0) process.stderr.write(`no record received on ${found.routeKey} yet\n`);
    for (const record of records) process.stdout.write(`${options.json ? JSON.stringify(record) : formatRecord(record)}\n`);
  });
}

/** `2026-12-05T21:00:00.000Z  client_id=… sub=…  {"title":"…"}`. */
export const formatRecord = (record: DataRecord): string =>
  `${record.receivedAt}  client_id=${record.provenance.client_id} sub=${record.provenance.sub}  ${JSON.stringify(record.body)}`;

/** The data route named by its route key (`POST /v1/incidents`) or its path (`/v1/incidents`). */
function findDataRoute(manifest: RegistryManifest, route: string): DataRouteRegistration {
  const routes = manifest.dataRoutes ?? [];
  const found = routes.find((r) => r.routeKey === route || r.routeKey.split(' ')[1] === route);
  if (found) return found;
  const known = routes.map((r) => r.routeKey).join(', ') || 'none';
  throw new Error(`no data route ${JSON.stringify(route)} (data routes: ${known})`);
}
