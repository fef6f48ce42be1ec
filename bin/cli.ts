/**
 * `oauth-registry`: run a registry locally (`dev`, what `npm start` runs) and hand out client credentials.
 */
import { Command, Option } from 'commander';
import { registerConnectionCommands } from './commands/connections';
import { registerCredentialsCommands } from './commands/credentials';
import { registerDevCommand } from './commands/dev';
import { registerStatusCommand } from './commands/status';
import { AwsSecretStore } from '../lambdas/shared/adapters/aws-secret-store';

export function buildProgram(): Command {
  const program = new Command('oauth-registry')
    .description('OAuth registrations as code: serve a registry locally and manage its clients\' credentials')
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerDevCommand(program);
  registerCredentialsCommands(program);
  registerConnectionCommands(program);
  registerStatusCommand(program);
  return program;
}

/** Options every command that reads the app's registrations shares. */
export function appOptions(command: Command): Command {
  return command
    .addOption(new Option('--app <file>', 'the cdktf app file to synthesize').default('main.ts'))
    .addOption(new Option('--outdir <dir>', 'where the app is synthesized').default('cdktf.out'))
    .addOption(new Option('--registry <name>', 'which registry, when the app declares several (stack name or construct path)'))
    .addOption(new Option('--state-dir <dir>', 'local mode state').default('.oauth-registry'))
    .addOption(new Option('--region <region>', 'AWS region of the deployed registry (default: the AWS SDK\'s, e.g. AWS_REGION)'));
}

/** Secrets Manager where the deployed registry lives: `--region`, else the AWS SDK's default chain. */
export function deployedSecrets(options: { readonly region?: string }): AwsSecretStore {
  return new AwsSecretStore(options.region ? { clientConfig: { region: options.region } } : {});
}

export async function main(argv: readonly string[]): Promise<void> {
  await buildProgram().parseAsync(argv as string[]);
}
