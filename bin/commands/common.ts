/** What the commands share: the options that locate the app's registry, and the deployed registry's secrets. */
import { Option, type Command } from 'commander';
import { AwsSecretStore } from '../../lambdas/shared/adapters/aws-secret-store';

/** Options every command that reads the app's registrations shares. */
export function appOptions(command: Command): Command {
  return command
    .addOption(new Option('--app <file>', 'the cdktf app file to synthesize').default('main.ts'))
    .addOption(new Option('--outdir <dir>', 'where the app is synthesized').default('cdktf.out'))
    .addOption(new Option('--registry <name>', 'which registry, when the app declares several (stack name or construct path)'))
    .addOption(new Option('--state-dir <dir>', 'local mode state').default('.oauth-registry'))
    .addOption(new Option('--region <region>', "AWS region of the deployed registry (default: the AWS SDK's, e.g. AWS_REGION)"));
}

/** Secrets Manager where the deployed registry lives: `--region`, else the AWS SDK's default chain. */
export function deployedSecrets(options: { readonly region?: string }): AwsSecretStore {
  return new AwsSecretStore(options.region ? { clientConfig: { region: options.region } } : {});
}
