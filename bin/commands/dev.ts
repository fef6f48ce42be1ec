/**
 * `oauth-registry dev`: synthesize the app, then serve its registry on 127.0.0.1 with the same handlers as Lambda,
 * its dashboard at `/`, and record the port (`server.json`) so commands in other terminals find it.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { GATEWAY_JWKS_CACHE_SECS } from '../../lambdas/shared/key-schedule';
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import { connectionPath, serverUrl } from '../../lambdas/shared/routes';
import { consoleLogger } from '../local/console-logger';
import { startLocalRegistry, type LocalRegistry } from '../local/local-registry';
import {
  defaultLocalPort,
  localStatePaths,
  registryStateDir,
  registryStatePaths,
  removeServerFile,
  writeServerFile,
} from '../local/local-state';
import { loadRegistry, readManifests, type AppOptions } from '../local/synth';
import { appOptions, shellQuote } from './common';
import { createDashboard } from './dashboard';
import { cliInvocation } from './invocation';
import { connectionRedirectUri } from './operator-report';

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
      .description('synthesize the app and serve its registry locally (token endpoint, discovery, JWKS, protected routes, dashboard at /)')
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
    const stateDir = registryStateDir(options.stateDir, manifest.namePrefix);
    const running: { registry?: LocalRegistry } = {}; // the dashboard's view of the server, once it listens
    const local = await startLocalRegistry({
      manifest,
      appDir: path.dirname(path.resolve(options.app)),
      stateDir,
      port: Number(options.port),
      log: options.quiet ? undefined : consoleLogger(),
      jwksCacheSecs,
      jwksRefetchOnUnknownKid: options.jwksRefetch,
      pages: createDashboard({ manifest, registry: () => running.registry }),
    });
    running.registry = local;
    const serverFile = registryStatePaths(options.stateDir, manifest.namePrefix).server;
    const port = Number(new URL(local.issuer).port);
    writeServerFile(serverFile, { issuer: local.issuer, port, pid: process.pid, app: options.app, startedAt: new Date().toISOString() });
    // The port file goes first when stopping, so no command in another terminal finds a server that is going away.
    const stop = () => {
      removeServerFile(serverFile);
      void local.close().finally(() => process.exit(0));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const cli = followUp(options, port, readManifests(options.outdir).length > 1 ? stack : undefined);
    process.stdout.write(await banner(local, manifest, { stack, stateDir, cli, ms: Date.now() - started }));
  });
}

/** How a printed command is run: this project's CLI prefix and the options this server was started with (exactly runnable). */
export interface FollowUp {
  /** `npx oauth-registry <command> <args>` (`npm run cli --` in this repository) plus the options that locate this app and registry. */
  (command: string, args?: readonly string[], withPort?: boolean): string;
}

function followUp(options: DevOptions, port: number, registry: string | undefined): FollowUp {
  const located: string[] = [];
  if (options.app !== 'main.ts') located.push('--app', options.app);
  if (registry !== undefined || options.registry !== undefined) located.push('--registry', options.registry ?? registry!);
  if (options.outdir !== 'cdktf.out') located.push('--outdir', options.outdir);
  if (options.stateDir !== '.oauth-registry') located.push('--state-dir', options.stateDir);
  const { cli } = cliInvocation();
  return (command, args = [], withPort = false) => {
    const portArgs = withPort && port !== defaultLocalPort() ? ['--port', String(port)] : [];
    return [cli, command, ...args.map(shellQuote), '--local', ...[...located, ...portArgs].map(shellQuote)].join(' ');
  };
}

const shortPath = (file: string): string =>
  path.relative(process.cwd(), file).startsWith('..') ? file : path.relative(process.cwd(), file);

interface BannerContext {
  readonly stack: string;
  /** The registry's own state folder. */
  readonly stateDir: string;
  readonly cli: FollowUp;
  readonly ms: number;
}

async function banner(local: LocalRegistry, manifest: RegistryManifest, { stack, stateDir, cli, ms }: BannerContext): Promise<string> {
  const { issuer } = local;
  const ua = manifest.userAuthentication;
  const lines = [
    `oauth-registry: stack "${stack}", registry ${manifest.registryPath}, synthesized and serving in ${ms} ms`,
    `  dashboard     ${issuer}/`,
    `  issuer        ${issuer}`,
    `  discovery     ${serverUrl(issuer, 'openidConfiguration')}`,
    `  token         POST ${serverUrl(issuer, 'token')}`,
    `  JWKS          ${serverUrl(issuer, 'jwks')}`,
    ...(ua
      ? [
          `  authorize     GET ${issuer}/oauth2/authorize`,
          `  sign-in       at ${ua.issuer} as client ${ua.clientId}; register this redirect URI there: ${issuer}/oauth2/callback`,
        ]
      : []),
    ...manifest.routes.map((r) => `  protected     ${r.routeKey}  (scopes: ${r.scopes.join(' ') || 'any token'})`),
    ...(manifest.mcpServers ?? []).map(
      (s) => `  mcp server    ${s.name} ${issuer}${s.path}  (metadata: ${issuer}/.well-known/oauth-protected-resource${s.path})`,
    ),
    ...(manifest.dataRoutes ?? []).map(
      (r) => `  data          ${r.routeKey}  (scopes: ${r.scopes.join(' ')}; records: ${cli('data tail', [r.routeKey])})`,
    ),
    '',
  ];
  const fresh = new Set(local.generated);
  for (const client of manifest.clients) lines.push(...clientLines(local, client, fresh));
  const curlClient = manifest.clients.find(
    (c) => c.active && c.grantTypes.includes('client_credentials') && c.secretId !== undefined && local.credentials[c.name],
  );
  if (curlClient) {
    const { client_id, client_secret } = local.credentials[curlClient.name];
    const auth =
      curlClient.authMethod === 'client_secret_post'
        ? `-d client_id=${client_id} -d client_secret=${client_secret}`
        : `-u '${client_id}:${client_secret}'`;
    lines.push(
      '',
      `  get a token (${curlClient.name}):`,
      `    curl -s ${serverUrl(issuer, 'token')} ${auth} -d grant_type=client_credentials`,
    );
  }
  lines.push(...connectionLines(local, manifest, cli));
  const warnings = await missingCredentials(local, manifest, cli);
  if (warnings.length) lines.push('', ...warnings);
  lines.push(
    '',
    `  credentials are in ${shortPath(localStatePaths(stateDir).clients)}`,
    `  hand-off to a partner: ${cli('credentials show', ['<client>'], true)}`,
    `  status:                ${cli('status', [], true)}`,
    '  Ctrl-C stops; state survives restart.',
    '',
  );
  return `${lines.join('\n')}\n`;
}

function clientLines(local: LocalRegistry, client: ClientRegistration, fresh: ReadonlySet<string>): string[] {
  const about = [client.authMethod, `grants: ${client.grantTypes.join(' ')}`, `scopes: ${client.scopes.join(' ')}`];
  if (!client.active) about.push('INACTIVE');
  const lines = [`  client ${client.name} (${about.join('; ')})`, `    client_id      ${client.clientId}`];
  const credentials = local.credentials[client.name];
  if (client.secretId !== undefined && credentials && fresh.has(client.secretId)) {
    lines.push(`    client_secret  ${credentials.client_secret}   (generated now)`);
  } else if (client.authMethod === 'private_key_jwt') {
    lines.push(`    no secret      it signs assertions with its own key (${client.jwksUri ?? 'inline jwks'})`);
  } else if (client.authMethod === 'none') {
    lines.push('    no secret      public client: PKCE with its client_id alone');
  }
  if (client.redirectUris?.length) lines.push(`    redirect URIs  ${client.redirectUris.join(' ')}`);
  return lines;
}

/** A warning for each credential the operator still has to set: the upstream secret, each connection's credentials. */
async function missingCredentials(local: LocalRegistry, manifest: RegistryManifest, cli: FollowUp): Promise<string[]> {
  const warnings: string[] = [];
  const ua = manifest.userAuthentication;
  if (ua && !(await local.secrets.getSecretVersion(ua.secretId, 'AWSCURRENT'))) {
    warnings.push(
      `  ! the upstream client secret is not set: sign-in fails until you run  pbpaste | ${cli('credentials set-upstream-secret')}`,
    );
  }
  for (const c of manifest.connections ?? []) {
    if (await local.secrets.getSecretVersion(c.credentialsSecretId, 'AWSCURRENT')) continue;
    warnings.push(`  ! connection ${c.name} has no credentials yet: ${cli('connections set-credentials', [c.name])} < credentials.json`);
  }
  return warnings;
}

/** The connections area: each connection, how to give it credentials, consent, and use it. */
function connectionLines(local: LocalRegistry, manifest: RegistryManifest, cli: FollowUp): string[] {
  const connections = manifest.connections ?? [];
  if (connections.length === 0) return [];
  const lines = ['', '  connections (third-party providers; we are the client)'];
  for (const c of connections) {
    const subject = c.mode === 'perUser' ? ['--subject', '<user>'] : [];
    lines.push(`    ${c.name} (${c.grant}, ${c.clientAuth}, ${c.mode})`);
    lines.push(`      credentials  ${cli('connections set-credentials', [c.name])} < credentials.json`);
    if (c.grant === 'authorization_code') {
      lines.push(`      redirect URI ${connectionRedirectUri(local.issuer, c.name)}   (register it at the provider)`);
      lines.push(`      consent      ${cli('connect', [c.name, ...subject], true)}   (or the Connect button on the dashboard)`);
    }
    const body = ` -H 'content-type: application/json' -d '{${c.mode === 'perUser' ? '"subject":"<user>"' : ''}}'`;
    lines.push(`      token        curl -s -X POST ${local.issuer}${connectionPath(c.name, 'localBroker')}${body}`);
    if (c.apiBaseUrl) lines.push(`      proxy        ${local.issuer}${connectionPath(c.name, 'proxy')}/…  →  ${c.apiBaseUrl}/…`);
  }
  return lines;
}
