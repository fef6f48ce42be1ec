/**
 * `oauth-registry dev`: synthesize the app, then serve its registry on 127.0.0.1 with the same handlers as Lambda.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { GATEWAY_JWKS_CACHE_SECS } from '../../lambdas/shared/key-schedule';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { connectionPath } from '../../lambdas/shared/routes';
import { consoleLogger } from '../local/console-logger';
import { localStatePaths, startLocalRegistry, type LocalRegistry } from '../local/local-registry';
import { loadRegistry, type AppOptions } from '../local/synth';
import { appOptions } from './common';

interface DevOptions extends AppOptions {
  port: string;
  quiet?: boolean;
  jwksCacheSecs: string;
  jwksRefetch: boolean;
}

export function registerDevCommand(program: Command): void {
  appOptions(
    program
      .command('dev')
      .description('synthesize the app and serve its registry locally (token endpoint, discovery, JWKS, protected routes)')
      .option('-p, --port <port>', 'port on 127.0.0.1', process.env.PORT ?? '8787')
      .option('-q, --quiet', 'do not log each request')
      .option(
        '--jwks-cache-secs <secs>',
        'seconds the emulated JWT authorizer keeps the JWKS (API Gateway: up to 7200); new signing keys are published this long first',
        String(GATEWAY_JWKS_CACHE_SECS),
      )
      .option('--no-jwks-refetch', 'the emulated authorizer does not refetch the JWKS for a token whose kid it does not know'),
  ).action(async (options: DevOptions) => {
    const jwksCacheSecs = Number(options.jwksCacheSecs);
    if (!Number.isInteger(jwksCacheSecs) || jwksCacheSecs < 0) {
      throw new Error(`--jwks-cache-secs must be a whole number of seconds, got ${options.jwksCacheSecs}`);
    }
    const started = Date.now();
    const { manifest, stack } = loadRegistry(options);
    const local = await startLocalRegistry({
      manifest,
      appDir: path.dirname(path.resolve(options.app)),
      stateDir: options.stateDir,
      port: Number(options.port),
      log: options.quiet ? undefined : consoleLogger(),
      jwksCacheSecs,
      jwksRefetchOnUnknownKid: options.jwksRefetch,
    });
    process.stdout.write(banner(local, manifest, stack, options.stateDir, Date.now() - started));
    const stop = () => void local.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

function banner(local: LocalRegistry, manifest: RegistryManifest, stack: string, stateDir: string, ms: number): string {
  const lines = [
    `oauth-registry: stack "${stack}", registry ${manifest.registryPath}, synthesized and serving in ${ms} ms`,
    `  issuer        ${local.issuer}`,
    `  discovery     ${local.issuer}/.well-known/openid-configuration`,
    `  token         POST ${local.issuer}/oauth2/token`,
    `  JWKS          ${local.issuer}/.well-known/jwks.json`,
    ...manifest.routes.map((r) => `  protected     ${r.routeKey}  (scopes: ${r.scopes.join(' ') || 'any token'})`),
    '',
  ];
  const fresh = new Set(local.generated);
  for (const client of manifest.clients) {
    const credentials = local.credentials[client.name];
    if (!credentials) continue;
    lines.push(`  client ${client.name} (${client.authMethod}, scopes: ${client.scopes.join(' ')}${client.active ? '' : ', INACTIVE'})`);
    lines.push(`    client_id      ${credentials.client_id}`);
    if (client.secretId !== undefined && fresh.has(client.secretId)) {
      lines.push(`    client_secret  ${credentials.client_secret}   (generated now)`);
    }
  }
  const first = manifest.clients.find((c) => c.active && local.credentials[c.name]);
  if (first) {
    const { client_id, client_secret } = local.credentials[first.name];
    const auth =
      first.authMethod === 'client_secret_post'
        ? `-d client_id=${client_id} -d client_secret=${client_secret}`
        : `-u '${client_id}:${client_secret}'`;
    lines.push('', '  get a token:', `    curl -s ${local.issuer}/oauth2/token ${auth} -d grant_type=client_credentials`);
  }
  lines.push(...connectionLines(local, manifest));
  lines.push(
    '',
    `  credentials are in ${localStatePaths(stateDir).clients} (or: npm run cli -- credentials show <client> --local)`,
    '  Ctrl-C stops; state survives restart.',
    '',
  );
  return `${lines.join('\n')}\n`;
}

/** The connections area: each connection, how to give it credentials, consent, and use it. */
function connectionLines(local: LocalRegistry, manifest: RegistryManifest): string[] {
  const connections = manifest.connections ?? [];
  if (connections.length === 0) return [];
  const lines = ['', '  connections (third-party providers; we are the client)'];
  for (const c of connections) {
    const subject = c.mode === 'perUser' ? ' --subject <user>' : '';
    lines.push(`    ${c.name} (${c.grant}, ${c.clientAuth}, ${c.mode})`);
    lines.push(`      credentials  npm run cli -- connections set-credentials ${c.name} --local < credentials.json`);
    if (c.grant === 'authorization_code') lines.push(`      consent      npm run cli -- connect ${c.name}${subject} --local`);
    const body = ` -H 'content-type: application/json' -d '{${c.mode === 'perUser' ? '"subject":"<user>"' : ''}}'`;
    lines.push(`      token        curl -s -X POST ${local.issuer}${connectionPath(c.name, 'localBroker')}${body}`);
    if (c.apiBaseUrl) lines.push(`      proxy        ${local.issuer}${connectionPath(c.name, 'proxy')}/…  →  ${c.apiBaseUrl}/…`);
  }
  return lines;
}
