/**
 * `oauth-registry status [--local] [--json] [--html <file>]`: every registration of the registry (clients and their
 * secrets' timeline, signing keys, routes: `operator-report.ts`) and the health of every third-party connection (every
 * stored subject of a perUser one): connected / refreshing / needs_consent / needs_trust / error, access token expiry,
 * last error and retryAfter. Read from local state, or from the deployed registry's table and Secrets Manager. Never
 * prints a secret, key material or a token.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  tokenSetKey,
  tokenSetPrefix,
  tokenSetStatus,
  type TokenSetItem,
  type TokenSetStatus,
} from '../../lambdas/connections/token-set-item';
import { OPERATOR_CLIENT_CONFIG } from '../../lambdas/shared/adapters/aws-client-config';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { LocalStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { type ConnectionRegistration, type RegistryManifest } from '../../lambdas/shared/manifest';
import { stateTableName } from '../../lambdas/shared/names';
import type { StateLister, StateStore } from '../../lambdas/shared/ports';
import { loadRegistry, type AppOptions } from '../local/synth';
import { table } from '../shared/text-table';
import { appOptions, deployedRegion, deployedSecrets, localBaseUrl, localState } from './common';
import { renderDashboard } from './operator-html';
import { collectOperatorReport, formatRedirectUris, formatRegistrySections, isoSecs, relativeTo } from './operator-report';

interface StatusOptions extends AppOptions {
  local?: boolean;
  json?: boolean;
  html?: string;
  port?: string;
}

/** One line of `status`: a token set's state (no token in it), with the connection's grant and mode. */
export interface ConnectionStatusRow extends TokenSetStatus {
  readonly grant: ConnectionRegistration['grant'];
  readonly mode: ConnectionRegistration['mode'];
}

/** What `status --json` prints: the connections (as always), and the clients, signing keys and routes around them. */
export interface StatusReport {
  readonly registry: string;
  /** Where the state was read: `local` (the state file) or the DynamoDB table's name. */
  readonly source: string;
  readonly connections: readonly ConnectionStatusRow[];
}

export function registerStatusCommand(program: Command): void {
  appOptions(
    program
      .command('status')
      .description(
        'show every registration: clients (secret age, next rotation, overlap left), signing keys (state, age, next rotation), ' +
          'routes, and each connection per subject (health, expiry, last error); never a secret, key or token',
      )
      .option('--local', "read the local-mode state (npm start) instead of the deployed registry's")
      .option('--json', 'print JSON for scripts instead of a table')
      .option('--html <file>', 'also write the report as a self-contained HTML page (the local dashboard, without its buttons)')
      .option('-p, --port <port>', 'port of the local registry (with --local; default: the one npm start recorded, else 8787)')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (options: StatusOptions) => {
    const { manifest, stack } = loadRegistry(options);
    const tableName = stateTableName(manifest.namePrefix);
    const state = registryStateStore(options, manifest, stack);
    const report = await collectOperatorReport(manifest, {
      secrets: options.local ? new LocalSecretStore(localState(options, manifest).secrets) : deployedSecrets(options, stack),
      connections: await collectStatus(manifest, state),
      state,
      source: options.local ? 'local' : tableName,
      ...(options.local ? { issuer: localBaseUrl(options, manifest), dataDir: localState(options, manifest).data } : {}),
    });
    if (options.html) {
      writeFileSync(options.html, renderDashboard(report, { live: false }));
      process.stderr.write(`wrote ${options.html}\n`);
    }
    if (options.json) return void process.stdout.write(`${JSON.stringify({ ...report, registry: manifest.namePrefix }, null, 2)}\n`);
    const connections = formatStatusTable(
      { registry: manifest.namePrefix, source: report.source, connections: report.connections },
      Date.now(),
    );
    const newline = connections.indexOf('\n');
    process.stdout.write(
      `${connections.slice(0, newline + 1)}${formatRegistrySections(report)}\nconnections\n${connections.slice(newline + 1)}` +
        formatRedirectUris(report),
    );
  });
}

/** Where the registry's token sets are: local mode's state folder (`--local`), else the deployed registry's table. */
export function registryStateStore(
  options: Pick<StatusOptions, 'local' | 'region' | 'outdir' | 'stateDir'>,
  manifest: RegistryManifest,
  stack: string,
): StateStore & StateLister {
  if (options.local) return new LocalStateStore(localState(options, manifest).state);
  const region = deployedRegion(options, stack);
  return new AwsStateStore({
    tableName: stateTableName(manifest.namePrefix),
    clientConfig: { ...OPERATOR_CLIENT_CONFIG, ...(region ? { region } : {}) },
  });
}

/** Every connection's token sets as the store holds them: one row per shared connection, one per stored subject. */
export async function collectStatus(
  manifest: Pick<RegistryManifest, 'connections'>,
  store: StateStore & StateLister,
  nowMs: number = Date.now(),
): Promise<ConnectionStatusRow[]> {
  const rows: ConnectionStatusRow[] = [];
  for (const connection of manifest.connections ?? []) {
    const about = { grant: connection.grant, mode: connection.mode };
    if (connection.mode === 'shared') {
      const item = await store.get<TokenSetItem>(tokenSetKey(connection.name, undefined));
      rows.push({ ...tokenSetStatus(connection.name, undefined, item, nowMs), ...about });
      continue;
    }
    const items = await store.list<TokenSetItem>(tokenSetPrefix(connection.name));
    if (items.length === 0) rows.push({ ...tokenSetStatus(connection.name, undefined, undefined, nowMs), ...about });
    for (const item of items) rows.push({ ...tokenSetStatus(connection.name, item.subject, item, nowMs), ...about });
  }
  return rows;
}

const COLUMNS: readonly { readonly title: string; readonly value: (row: ConnectionStatusRow, nowMs: number) => string }[] = [
  { title: 'CONNECTION', value: (r) => r.connection },
  { title: 'SUBJECT', value: (r) => r.subject ?? (r.mode === 'shared' ? '(shared)' : '-') },
  { title: 'GRANT', value: (r) => r.grant },
  { title: 'HEALTH', value: (r) => r.health },
  {
    title: 'ACCESS TOKEN EXPIRES',
    value: (r, now) => (r.expiresAt === undefined ? '-' : `${isoSecs(r.expiresAt)} (${relative(r.expiresAt, now)})`),
  },
  { title: 'RETRY AFTER', value: (r) => (r.retryAfter === undefined ? '-' : isoSecs(r.retryAfter)) },
  { title: 'LAST ERROR', value: (r) => r.lastError ?? '-' },
];

/** The report as an aligned table, one line per row (the last column is not padded). */
export function formatStatusTable(report: StatusReport, nowMs: number): string {
  const header = `registry ${report.registry} (${report.source === 'local' ? 'local state' : `table ${report.source}`})\n`;
  if (report.connections.length === 0) return `${header}no third-party connections declared\n`;
  const lines = table(
    COLUMNS.map((c) => c.title),
    report.connections.map((row) => COLUMNS.map((c) => c.value(row, nowMs))),
  );
  return `${header}${lines.join('\n')}\n`;
}

/** "in 5m", "expired 2h ago". */
function relative(secs: number, nowMs: number): string {
  const when = relativeTo(secs, nowMs / 1000);
  return when.startsWith('in ') ? when : `expired ${when}`;
}
