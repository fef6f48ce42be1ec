/**
 * `oauth-registry credentials show <client>`: the credentials to hand a partner, read from where they live
 * (Secrets Manager when deployed, `.oauth-registry/local/` in local mode). Nothing is printed but to stdout.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import type { ClientSecretValue } from '../../lambdas/shared/client-secret';
import type { ClientRegistration } from '../../lambdas/shared/manifest';
import { clientSecretOf, localStatePaths } from '../local/local-registry';
import { readStdin } from '../local/stdin';
import { loadRegistry, type AppOptions } from '../local/synth';
import { appOptions, deployedSecrets } from './common';

interface ShowOptions extends AppOptions {
  local?: boolean;
}

export function registerCredentialsCommands(program: Command): void {
  const credentials = program.command('credentials').description('read the credentials of an external client');
  appOptions(
    credentials
      .command('show <client>')
      .description(
        "print a client's client_id and client_secret as JSON " +
          "(deployed: Secrets Manager, with the AWS SDK's default credentials; --local: local mode)",
      )
      .option('--local', 'read the local-mode secret instead of the deployed one')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (name: string, options: ShowOptions) => {
    const client = findClient(name, options);
    const found = options.local ? readLocal(client, options.stateDir) : await readDeployed(client, options);
    process.stdout.write(`${JSON.stringify(found, null, 2)}\n`);
  });
  registerSetUpstreamSecret(credentials);
}

/**
 * `credentials set-upstream-secret`: stores the client secret the upstream OpenID provider issued to the registry.
 * Read from stdin only (never argv, which other users can see in the process list and shells keep in history).
 */
function registerSetUpstreamSecret(credentials: Command): void {
  appOptions(
    credentials
      .command('set-upstream-secret')
      .description(
        "read the upstream OpenID provider's client secret from stdin and store it (deployed: Secrets Manager; --local: local mode)",
      )
      .option('--local', 'store it in the local-mode secret store')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (options: ShowOptions) => {
    const { manifest } = loadRegistry(options);
    if (!manifest.userAuthentication) throw new Error('this registry declares no userAuthentication');
    const value = (await readStdin()).trim();
    if (!value) throw new Error('no secret on stdin: pipe it in, e.g. `pbpaste | oauth-registry credentials set-upstream-secret`');
    const { secretId } = manifest.userAuthentication;
    if (options.local) {
      const store = new LocalSecretStore(localStatePaths(options.stateDir).secrets);
      store.createSecret(secretId, {}, { rotationEnabled: false });
      await store.putSecretValue(secretId, randomUUID(), value, ['AWSCURRENT']);
    } else {
      await deployedSecrets(options).putSecretValue(secretId, randomUUID(), value, ['AWSCURRENT']);
    }
    process.stderr.write(`stored the upstream client secret in ${secretId}\n`);
  });
}

function findClient(name: string, options: ShowOptions): ClientRegistration {
  const { manifest } = loadRegistry(options);
  const client = manifest.clients.find((c) => c.name === name || c.clientId === name);
  if (!client) {
    const known = manifest.clients.map((c) => c.name).join(', ') || 'none';
    throw new Error(`no external client named ${JSON.stringify(name)} (clients: ${known})`);
  }
  if (client.secretId === undefined) {
    const method = client.authMethod;
    throw new Error(`external client ${client.name} authenticates with ${method}: it has no secret, only its client_id ${client.clientId}`);
  }
  return client;
}

/** A client's local-mode credentials, from `<stateDir>/local/clients.json` (written by `npm start`). */
export function readLocal(client: ClientRegistration, stateDir: string): ClientSecretValue {
  const file = localStatePaths(stateDir).clients;
  const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, ClientSecretValue>) : {};
  const found = all[client.name];
  if (!found) throw new Error(`no local credentials for ${client.name} in ${file}: run \`npm start\` once first`);
  return found;
}

/** A client's deployed credentials: the AWSCURRENT value of its Secrets Manager secret. */
export async function readDeployed(client: ClientRegistration, options: { readonly region?: string }): Promise<ClientSecretValue> {
  const current = await deployedSecrets(options).getSecretVersion(client.secretId!, 'AWSCURRENT');
  if (!current) {
    const question = 'has the registry been deployed (in this region: --region) and rotated once?';
    throw new Error(`secret ${client.secretId} has no value yet: ${question}`);
  }
  return { client_id: client.clientId, client_secret: clientSecretOf(client.secretId!, current.value) };
}
