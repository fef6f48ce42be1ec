/**
 * How a person runs this CLI in the project they are in, so every command it prints runs as printed: in this
 * repository, its own npm scripts (`npm run cli -- …`, `npm start`); in any other project (a consumer that installed
 * the package), the installed bin through `npx oauth-registry …`, since such a project has neither script.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export interface CliInvocation {
  /** The prefix of a CLI command: `npm run cli --` or `npx oauth-registry`. */
  readonly cli: string;
  /** What serves the app locally: `npm start` or `npx oauth-registry dev`. */
  readonly dev: string;
}

/** This repository: the package named oauth-registry whose own `cli` and `start` scripts run its bin. */
function isThisRepository(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: unknown; scripts?: Record<string, unknown> };
    const scripts = pkg.scripts ?? {};
    return (
      pkg.name === 'oauth-registry' && [scripts.cli, scripts.start].every((s) => typeof s === 'string' && s.includes('oauth-registry.js'))
    );
  } catch {
    return false;
  }
}

/** The invocation for the project at `cwd` (the directory commands are run from). */
export function cliInvocation(cwd: string = process.cwd()): CliInvocation {
  return isThisRepository(cwd) ? { cli: 'npm run cli --', dev: 'npm start' } : { cli: 'npx oauth-registry', dev: 'npx oauth-registry dev' };
}

/** `<prefix> <command>`: a CLI command as the person runs it here (e.g. `npx oauth-registry status --local`). */
export const cliCommand = (command: string, cwd?: string): string => `${cliInvocation(cwd).cli} ${command}`;
