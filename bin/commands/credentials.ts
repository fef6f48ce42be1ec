/**
 * `oauth-registry credentials show <client>`: the complete hand-off for a partner (issuer, token endpoint, client id and
 * secret, auth method, scopes, audience), the secret read from where it lives (Secrets Manager when deployed,
 * `.oauth-registry/<namePrefix>/local/` in local mode). Nothing is printed but to stdout.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import type { ClientSecretValue } from '../../lambdas/shared/client-secret';
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import { clientSecretOf } from '../local/local-registry';
import { localStatePaths, registryStateDir } from '../local/local-state';
import { readStdin } from '../local/stdin';
import { loadRegistry, type AppOptions } from '../local/synth';
import { appOptions, deployedRegion, deployedSecrets, localBaseUrl, localState } from './common';
import { registerRotateCredentials } from './credentials-rotate';
import { handoffEnv, handoffOf } from './handoff';
import { cliCommand, cliInvocation } from './invocation';
import { terraformIssuer } from './terraform-outputs';

interface ShowOptions extends AppOptions {
  local?: boolean;
  port?: string;
  issuer?: string;
  format: string;
}

export function registerCredentialsCommands(program: Command): void {
  const credentials = program.command('credentials').description('read and rotate the credentials of an external client');
  appOptions(
    credentials
      .command('show <client>')
      .description(
        'print what a partner needs to get tokens: issuer, token endpoint, client id and secret, auth method, scopes, audience ' +
          "(deployed: Secrets Manager, with the AWS SDK's default credentials; --local: local mode)",
      )
      .option('--local', 'read the local-mode secret instead of the deployed one')
      .option('-p, --port <port>', 'port of the local registry (with --local; default: the one npm start recorded, else 8787)')
      .option('--issuer <url>', 'the deployed issuer (default: Terraform output <namePrefix>-issuer of the stack)')
      .addOption(
        new Option('--format <format>', 'json, or env (OAUTH_ISSUER=… lines for a .env file)').choices(['json', 'env']).default('json'),
      )
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (name: string, options: ShowOptions) => {
    const { manifest, stack } = loadRegistry(options);
    const client = findClient(manifest, name);
    let issuer: string;
    let secret: string | undefined;
    if (options.local) {
      issuer = options.issuer ?? localBaseUrl(options, manifest);
      if (client.secretId !== undefined) secret = readLocal(client, registryStateDir(options.stateDir, manifest.namePrefix)).client_secret;
    } else {
      issuer = options.issuer ?? terraformIssuer(options.outdir, stack, manifest.namePrefix);
      if (client.secretId !== undefined) secret = (await readDeployed(client, options, stack)).client_secret;
    }
    const handoff = handoffOf(manifest, client, issuer, secret);
    process.stdout.write(options.format === 'env' ? handoffEnv(handoff) : `${JSON.stringify(handoff, null, 2)}\n`);
    if (secret === undefined) {
      const how =
        client.authMethod === 'private_key_jwt'
          ? 'it signs assertions with its private key (we hold only its public keys)'
          : 'a public client: PKCE, no secret';
      process.stderr.write(`${client.name} authenticates with ${client.authMethod}: no client secret exists (${how})\n`);
    }
  });
  registerSetUpstreamSecret(credentials);
  registerRotateCredentials(credentials, findClient);
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
    const { manifest, stack } = loadRegistry(options);
    if (!manifest.userAuthentication) throw new Error('this registry declares no userAuthentication');
    const value = (await readStdin()).trim();
    if (!value) throw new Error(`no secret on stdin: pipe it in, e.g. \`pbpaste | ${cliCommand('credentials set-upstream-secret')}\``);
    const { secretId } = manifest.userAuthentication;
    if (options.local) {
      const store = new LocalSecretStore(localState(options, manifest).secrets);
      store.createSecret(secretId, {}, { rotationEnabled: false });
      await store.putSecretValue(secretId, randomUUID(), value, ['AWSCURRENT']);
    } else {
      await deployedSecrets(options, stack).putSecretValue(secretId, randomUUID(), value, ['AWSCURRENT']);
    }
    process.stderr.write(`stored the upstream client secret in ${secretId}\n`);
  });
}

function findClient(manifest: RegistryManifest, name: string): ClientRegistration {
  const client = manifest.clients.find((c) => c.name === name || c.clientId === name);
  if (!client) {
    const known = manifest.clients.map((c) => c.name).join(', ') || 'none';
    throw new Error(`no external client named ${JSON.stringify(name)} (clients: ${known})`);
  }
  return client;
}

/**
 * A client's local-mode credentials, from `<stateDir>/local/clients.json` (written by `npm start`); `stateDir` is the
 * registry's own folder (`registryStateDir`).
 */
export function readLocal(client: ClientRegistration, stateDir: string): ClientSecretValue {
  const file = localStatePaths(stateDir).clients;
  const all = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, ClientSecretValue>) : {};
  const found = all[client.name];
  if (!found) throw new Error(`no local credentials for ${client.name} in ${file}: run \`${cliInvocation().dev}\` once first`);
  return found;
}

/** A client's deployed credentials: the AWSCURRENT value of its Secrets Manager secret. */
export async function readDeployed(
  client: ClientRegistration,
  options: Pick<AppOptions, 'region' | 'outdir'>,
  stack?: string,
): Promise<ClientSecretValue> {
  const current = await deployedSecrets(options, stack).getSecretVersion(client.secretId!, 'AWSCURRENT');
  if (!current) {
    const region = deployedRegion(options, stack) ?? "the AWS SDK's default region";
    const question = `has the registry been deployed (in ${region}; --region to choose another) and rotated once?`;
    throw new Error(`secret ${client.secretId} has no value yet: ${question}`);
  }
  return { client_id: client.clientId, client_secret: clientSecretOf(client.secretId!, current.value) };
}
