/** What the commands share: the options that locate the app's registry, the deployed registry's region and secrets. */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { OPERATOR_CLIENT_CONFIG } from '../../lambdas/shared/adapters/aws-client-config';
import { AwsSecretStore } from '../../lambdas/shared/adapters/aws-secret-store';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { localIssuer, registryStatePaths } from '../local/local-state';
import type { AppOptions } from '../local/synth';

/** Options every command that reads the app's registrations shares. */
export function appOptions(command: Command): Command {
  return command
    .addOption(new Option('--app <file>', 'the cdktf app file to synthesize').default('main.ts'))
    .addOption(new Option('--outdir <dir>', 'where the app is synthesized').default('cdktf.out'))
    .addOption(new Option('--registry <name>', 'which registry, when the app declares several (stack name or construct path)'))
    .addOption(new Option('--state-dir <dir>', 'local mode state (one folder per registry inside)').default('.oauth-registry'))
    .addOption(
      new Option('--region <region>', "AWS region of the deployed registry (default: the stack's AWS provider region, else the AWS SDK's)"),
    )
    .addOption(new Option('--verbose', 'on an error, also print what the tools said and the stack frames'));
}

/** The files of the selected registry's local state (`<stateDir>/<namePrefix>/local/…`). */
export const localState = (options: Pick<AppOptions, 'stateDir'>, manifest: Pick<RegistryManifest, 'namePrefix'>) =>
  registryStatePaths(options.stateDir, manifest.namePrefix);

/** The running local registry's URL: `--port`, else the port `npm start` recorded, else 8787. */
export const localBaseUrl = (
  options: Pick<AppOptions, 'stateDir'> & { readonly port?: string },
  manifest: Pick<RegistryManifest, 'namePrefix'>,
): string => localIssuer(options, localState(options, manifest).server);

/**
 * The region a synthesized stack deploys to: the `region` of its (first, or unaliased) AWS provider, when it is a
 * literal; undefined when the stack sets none or computes it.
 */
export function stackRegion(outdir: string, stack: string): string | undefined {
  const file = path.join(outdir, 'stacks', stack, 'cdk.tf.json');
  if (!existsSync(file)) return undefined;
  const config = JSON.parse(readFileSync(file, 'utf8')) as { provider?: { aws?: { region?: unknown; alias?: unknown }[] } };
  const providers = config.provider?.aws ?? [];
  const region = (providers.find((p) => p.alias === undefined) ?? providers[0])?.region;
  return typeof region === 'string' && region && !region.includes('${') ? region : undefined;
}

/** The deployed registry's region: `--region`, else the stack's provider, else undefined (the AWS SDK's default chain). */
export function deployedRegion(options: Pick<AppOptions, 'region' | 'outdir'>, stack?: string): string | undefined {
  return options.region ?? (stack === undefined ? undefined : stackRegion(options.outdir, stack));
}

/** Secrets Manager where the deployed registry lives: `--region`, else the stack's, else the AWS SDK's default chain. */
export function deployedSecrets(options: Pick<AppOptions, 'region' | 'outdir'>, stack?: string): AwsSecretStore {
  const region = deployedRegion(options, stack);
  return new AwsSecretStore({ clientConfig: { ...OPERATOR_CLIENT_CONFIG, ...(region ? { region } : {}) } });
}

/**
 * `arg` as a POSIX shell word: as it is when it needs no quoting (or is a `<placeholder>` the reader replaces), else in
 * single quotes. Printed commands and `--format env` lines use it, so they run as printed.
 */
export const shellQuote = (arg: string): string =>
  /^<\w+>$/.test(arg) || /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
