/**
 * `oauth-registry`: run a registry locally (`dev`, what `npm start` runs), hand out client credentials, and `verify` a
 * deployed (or local) registry end to end.
 */
import { Command } from 'commander';
import { registerConnectionCommands } from './commands/connections';
import { registerCredentialsCommands } from './commands/credentials';
import { registerDevCommand } from './commands/dev';
import { registerStatusCommand } from './commands/status';
import { registerVerifyCommand } from './commands/verify';

export function buildProgram(): Command {
  const program = new Command('oauth-registry')
    .description("OAuth registrations as code: serve a registry locally and manage its clients' credentials")
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerDevCommand(program);
  registerCredentialsCommands(program);
  registerConnectionCommands(program);
  registerStatusCommand(program);
  registerVerifyCommand(program);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
