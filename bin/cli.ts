/**
 * `oauth-registry`: run a registry locally (`dev`, what `npm start` runs), synthesize it (`synth`), hand out client
 * credentials, show every registration's state (`status`), and `verify` a deployed (or local) registry end to end.
 */
import { Command } from 'commander';
import { registerConnectionCommands } from './commands/connections';
import { registerCredentialsCommands } from './commands/credentials';
import { registerDataCommands } from './commands/data';
import { registerDevCommand } from './commands/dev';
import { registerStatusCommand } from './commands/status';
import { registerSynthCommand } from './commands/synth';
import { registerVerifyCommand } from './commands/verify';
import { UserError, userMessage } from './local/user-error';

export function buildProgram(): Command {
  const program = new Command('oauth-registry')
    .description("OAuth registrations as code: serve a registry locally and manage its clients' credentials")
    .showHelpAfterError()
    .configureHelp({ sortSubcommands: true });
  registerDevCommand(program);
  registerSynthCommand(program);
  registerCredentialsCommands(program);
  registerConnectionCommands(program);
  registerDataCommands(program);
  registerStatusCommand(program);
  registerVerifyCommand(program);
  return program;
}

/**
 * Runs the CLI. An error prints as one `oauth-registry: <message>` line (AWS credential errors say so); the stack
 * frames and what a tool printed (a failed synth's whole output) only with `--verbose`.
 */
export async function main(argv: readonly string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.stderr.write(`oauth-registry: ${userMessage(err)}\n`);
    if (argv.includes('--verbose')) {
      if (err instanceof UserError && err.details) process.stderr.write(`\n${err.details}\n`);
      else if (err instanceof Error && err.stack) process.stderr.write(`\n${err.stack}\n`);
    } else if (err instanceof UserError && err.details) {
      process.stderr.write('(--verbose shows the full output)\n');
    }
    process.exitCode = 1;
  }
}
