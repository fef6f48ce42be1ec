/** `oauth-registry dev` as a child process for end-to-end tests, and a place for test apps. */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from './example-app';

const cli = path.join(repoRoot, 'bin', 'oauth-registry.js');

/** Test apps live under the repo (gitignored `.oauth-registry/`) so they resolve cdktf and lib like main.ts does. */
export function testAppDir(): string {
  const base = path.join(repoRoot, '.oauth-registry', 'test-apps');
  mkdirSync(base, { recursive: true });
  return mkdtempSync(path.join(base, 'app-'));
}

export interface Dev {
  /** Everything it printed up to and including the end of its banner. */
  readonly banner: string;
  /** The issuer from the banner (`http://127.0.0.1:<port>`). */
  readonly issuer: string;
  /** The port it listens on, from the banner. */
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * `oauth-registry dev --port 0 --quiet <args>` in a child process, until its banner is complete; rejects if it exits
 * first. `where`: another project and its installed bin (the package test's consumer project); default this repository.
 */
export async function startDev(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  where: { readonly cwd: string; readonly bin: string } = { cwd: repoRoot, bin: cli },
): Promise<Dev> {
  const child = spawn(process.execPath, [where.bin, 'dev', '--port', '0', '--quiet', ...args], { cwd: where.cwd, env, stdio: 'pipe' });
  let banner = '';
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk) => {
      banner += chunk;
      if (banner.includes('Ctrl-C stops')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`dev exited with ${code}: ${stderr}${banner}`)));
  });
  const issuer = /issuer\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)![1];
  return {
    banner,
    issuer,
    port: Number(new URL(issuer).port),
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
