/**
 * Third-party connections from the command line:
 * - `oauth-registry connect <name> [--subject <id>] [--local]` prints a signed, 10-minute, single-use consent link;
 * - `oauth-registry connections set-credentials <name> [--local]` stores what the provider issued us, read from stdin
 *   (never argv: other users see the process list, and shells keep history);
 * - `oauth-registry connections disconnect <name> [--subject <s>] [--local]` offboards a subject (revoke at the
 *   provider, delete the token set, publish an event: `lambdas/connections/disconnect.ts`), done by the connections
 *   function itself (deployed: invoked without an alias; local: npm start's `/_local/` endpoint);
 * - `oauth-registry connections list [<name>] [--local]` lists the token sets (subject, health; never a token).
 */
import { randomUUID } from 'node:crypto';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import type { DisconnectEvent, DisconnectResult } from '../../lambdas/connections/disconnect';
import type { ConnectionErrorBody } from '../../lambdas/connections/errors';
import { signConsentLink } from '../../lambdas/connections/links';
import { checkSubject } from '../../lambdas/connections/registrations';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { LocalStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { connectionCredentialsNeeded, type ConnectionRegistration, type RegistryManifest } from '../../lambdas/shared/manifest';
import { connectionsFunctionName, secretNames, stateTableName } from '../../lambdas/shared/names';
import type { SecretStore } from '../../lambdas/shared/ports';
import { readStdin } from '../local/stdin';
import { loadRegistry, type AppOptions } from '../local/synth';
import { appOptions, deployedRegion, deployedSecrets, localBaseUrl, localState } from './common';
import { collectStatus, formatStatusTable } from './status';
import { terraformIssuer } from './terraform-outputs';

interface ConnectionOptions extends AppOptions {
  local?: boolean;
  subject?: string;
  baseUrl?: string;
  port?: string;
}

export function registerConnectionCommands(program: Command): void {
  appOptions(
    program
      .command('connect <name>')
      .description('print a signed consent link (10 minutes, single use) for a third-party connection')
      .option('--subject <id>', 'the user whose token set this consent creates (perUser connections)')
      .option('--local', 'a link to the local registry (npm start) instead of the deployed one')
      .option('-p, --port <port>', 'port of the local registry (with --local; default: the one npm start recorded, else 8787)')
      .option(
        '--base-url <url>',
        "the deployed registry's API URL (default: $OAUTH_REGISTRY_URL, else Terraform output <namePrefix>-issuer)",
      )
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (name: string, options: ConnectionOptions) => {
    const { manifest, stack, connection } = findConnection(name, options);
    if (connection.grant !== 'authorization_code') throw new Error(`connection ${name} uses ${connection.grant}: it needs no consent`);
    const subject = checkSubjectOrThrow(connection, options.subject);
    const baseUrl = options.local
      ? localBaseUrl(options, manifest)
      : (options.baseUrl ?? process.env.OAUTH_REGISTRY_URL ?? terraformIssuer(options.outdir, stack, manifest.namePrefix));
    const secretId = secretNames.linkKey(manifest.namePrefix);
    const link = await signConsentLink({ secrets: secretStore(options, manifest, stack), secretId, baseUrl, connection: name, subject });
    process.stdout.write(`${link}\n`);
    process.stderr.write(`open it within 10 minutes; it works once\n`);
  });

  const connections = program.command('connections').description('manage third-party connections');
  appOptions(
    connections
      .command('set-credentials <name>')
      .description(
        'read what the provider issued us from stdin (JSON: {"client_id","client_secret"} or {"client_id","private_jwk"}; ' +
          'JWT bearer: private_jwk, and client_secret with client_secret_*) and store it',
      )
      .option('--local', 'store it in the local-mode secret store')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (name: string, options: ConnectionOptions) => {
    const { manifest, stack, connection } = findConnection(name, options);
    const value = parseCredentials(connection, await readStdin());
    const store = secretStore(options, manifest, stack);
    if (store instanceof LocalSecretStore) store.createSecret(connection.credentialsSecretId, {}, { rotationEnabled: false });
    await store.putSecretValue(connection.credentialsSecretId, randomUUID(), value, ['AWSCURRENT']);
    const clientId = (JSON.parse(value) as { client_id: string }).client_id;
    process.stderr.write(`stored the credentials of ${name} (client_id ${clientId}) in ${connection.credentialsSecretId}\n`);
  });
  registerOffboarding(connections);
}

function registerOffboarding(connections: Command): void {
  appOptions(
    connections
      .command('disconnect <name>')
      .description("revoke a subject's tokens at the provider (RFC 7009, when it supports it), delete its token set, publish an event")
      .option('--subject <id>', 'the user to disconnect (perUser connections)')
      .option('--local', 'disconnect on the running local registry (npm start)')
      .option('-p, --port <port>', 'port of the local registry (with --local; default: the one npm start recorded, else 8787)')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (name: string, options: ConnectionOptions) => {
    const { manifest, stack, connection } = findConnection(name, options);
    const subject = checkSubjectOrThrow(connection, options.subject);
    const result = options.local
      ? await disconnectLocally(localBaseUrl(options, manifest), name, subject)
      : await invokeDisconnect(manifest, deployedRegion(options, stack), { action: 'disconnect', connection: name, subject });
    if ('error' in result) throw new Error(`${result.error}: ${result.error_description}`);
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (!result.deleted) process.stderr.write(`${name} had no token set${subject ? ` for ${subject}` : ''}: nothing to delete\n`);
  });
  appOptions(
    connections
      .command('list [name]')
      .description('list the token sets of every connection (or one): subject, health, expiry, last error; never a token')
      .option('--local', 'read the local-mode state (npm start)')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (name: string | undefined, options: ConnectionOptions) => {
    const { manifest, stack } = loadRegistry(options);
    const region = deployedRegion(options, stack);
    const tableName = stateTableName(manifest.namePrefix);
    const state = options.local
      ? new LocalStateStore(localState(options, manifest).state)
      : new AwsStateStore({ tableName, ...(region ? { clientConfig: { region } } : {}) });
    const chosen = name === undefined ? manifest : { connections: [findConnection(name, options).connection] };
    const rows = await collectStatus(chosen, state);
    process.stdout.write(
      formatStatusTable({ registry: manifest.namePrefix, source: options.local ? 'local' : tableName, connections: rows }, Date.now()),
    );
  });
}

async function disconnectLocally(
  baseUrl: string,
  name: string,
  subject: string | undefined,
): Promise<DisconnectResult | ConnectionErrorBody> {
  const response = await fetch(`${baseUrl}/_local/connections/${encodeURIComponent(name)}/disconnect`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(subject === undefined ? {} : { subject }),
  });
  return (await response.json()) as DisconnectResult | ConnectionErrorBody;
}

/** Invokes the deployed connections function itself (not an alias: aliases are the token callers'). */
async function invokeDisconnect(
  manifest: RegistryManifest,
  region: string | undefined,
  event: DisconnectEvent,
): Promise<DisconnectResult | ConnectionErrorBody> {
  const lambda = new LambdaClient(region ? { region } : {});
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: connectionsFunctionName(manifest.namePrefix), Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const payload = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) throw new Error(`the connections function failed: ${payload}`);
  return JSON.parse(payload) as DisconnectResult | ConnectionErrorBody;
}

function findConnection(
  name: string,
  options: ConnectionOptions,
): { manifest: RegistryManifest; stack: string; connection: ConnectionRegistration } {
  const { manifest, stack } = loadRegistry(options);
  const connection = manifest.connections?.find((c) => c.name === name);
  if (!connection) {
    const known = manifest.connections?.map((c) => c.name).join(', ') || 'none';
    throw new Error(`no connection named ${JSON.stringify(name)} (connections: ${known})`);
  }
  return { manifest, stack, connection };
}

function secretStore(options: ConnectionOptions, manifest: RegistryManifest, stack: string): SecretStore {
  return options.local ? new LocalSecretStore(localState(options, manifest).secrets) : deployedSecrets(options, stack);
}

function checkSubjectOrThrow(connection: ConnectionRegistration, subject: string | undefined): string | undefined {
  try {
    return checkSubject(connection, subject);
  } catch (err) {
    throw new Error(`${(err as Error).message} (--subject)`, { cause: err });
  }
}

/** Validates the JSON against the connection's client authentication; returns it re-serialized, compact. */
export function parseCredentials(connection: ConnectionRegistration, input: string): string {
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(input) as Record<string, unknown>;
  } catch {
    throw new Error('stdin must be JSON: {"client_id":"…","client_secret":"…"} or {"client_id":"…","private_jwk":{…}}');
  }
  if (typeof parsed.client_id !== 'string' || !parsed.client_id) throw new Error('the credentials need a client_id');
  const needed = connectionCredentialsNeeded(connection);
  const jwk = parsed.private_jwk as Record<string, unknown> | undefined;
  if (needed.privateJwk && (typeof jwk !== 'object' || jwk === null || typeof jwk.d !== 'string')) {
    const uses = connection.grant === 'jwt_bearer' ? 'the JWT bearer grant' : 'private_key_jwt';
    throw new Error(`connection ${connection.name} uses ${uses}: the credentials need private_jwk, a private JWK (with "d")`);
  }
  if (needed.clientSecret && (typeof parsed.client_secret !== 'string' || !parsed.client_secret)) {
    throw new Error(`connection ${connection.name} uses ${connection.clientAuth}: the credentials need a client_secret`);
  }
  return JSON.stringify({
    client_id: parsed.client_id,
    ...(needed.clientSecret ? { client_secret: parsed.client_secret } : {}),
    ...(needed.privateJwk ? { private_jwk: jwk } : {}),
  });
}
