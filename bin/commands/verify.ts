/**
 * `oauth-registry verify [--local]`: the check to run right after `cdktf deploy` (or against `npm start`): metadata,
 * JWKS, a real token verified as API Gateway would, and every protected route refusing what it must. Prints a table
 * (or `--json`), exits non-zero when a check fails, and never prints a secret or a token.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { ClientRegistration } from '../../lambdas/shared/manifest';
import { loadRegistry, type AppOptions } from '../local/synth';
import { formatVerifyTable, verifyRegistry } from '../verify/checks';
import { appOptions } from './common';
import { readDeployed, readLocal } from './credentials';

interface VerifyOptions extends AppOptions {
  local?: boolean;
  port: string;
  issuer?: string;
  client?: string;
  callUnsafeRoutes?: boolean;
  json?: boolean;
}

export function registerVerifyCommand(program: Command): void {
  appOptions(
    program
      .command('verify')
      .description(
        'check a deployed (or --local) registry end to end: metadata, JWKS, a real token, and every protected route ' +
          'refusing no token and foreign audiences; exits non-zero on a failure, never prints a secret or token',
      )
      .option('--local', 'check the local registry (npm start) instead of the deployed one')
      .option('-p, --port <port>', 'port of the local registry (with --local)', process.env.PORT ?? '8787')
      .option('--issuer <url>', 'the issuer to check (default: Terraform output <namePrefix>-issuer; --local: 127.0.0.1:<port>)')
      .option('--client <name>', 'the client to get a token with (default: the first with client_credentials and a shared secret)')
      .option('--call-unsafe-routes', 'also call POST/PUT/PATCH/DELETE routes with a valid token (runs their handlers)')
      .option('--json', 'print {issuer, rows, summary} as JSON for pipelines instead of a table')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (options: VerifyOptions) => {
    const { manifest, stack } = loadRegistry(options);
    const expected =
      options.issuer ??
      (options.local ? `http://127.0.0.1:${Number(options.port)}` : terraformIssuer(options.outdir, stack, manifest.namePrefix));
    const issuer = expected.replace(/\/+$/, '');
    const secretOf = async (client: ClientRegistration): Promise<string> =>
      (options.local ? readLocal(client, options.stateDir) : await readDeployed(client, options)).client_secret;
    const report = await verifyRegistry({ issuer, manifest, client: options.client, callUnsafeRoutes: options.callUnsafeRoutes, secretOf });
    const about = `registry ${manifest.registryPath}, ${options.local ? 'local' : 'deployed'}`;
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyTable(report, about));
    if (!report.summary.passed) process.exitCode = 1;
  });
}

/** The issuer the deployed stack reports: `terraform output -json` in its synth directory, output `<namePrefix>-issuer`. */
export function terraformIssuer(outdir: string, stack: string, namePrefix: string): string {
  const cwd = path.resolve(outdir, 'stacks', stack);
  const name = `${namePrefix}-issuer`;
  if (!existsSync(cwd)) throw new Error(`no synthesized stack at ${cwd}: synthesize and deploy it first, or pass --issuer <url>`);
  const result = spawnSync('terraform', ['output', '-json', '-no-color'], { cwd, encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    const why = result.error ? result.error.message : terraformError(result.stderr ?? '');
    throw new Error(`terraform output -json in ${cwd} failed (${why}): deploy first (cdktf deploy ${stack}), or pass --issuer <url>`);
  }
  const outputs = JSON.parse(result.stdout || '{}') as Record<string, { value?: unknown }>;
  const value = outputs[name]?.value;
  if (typeof value !== 'string' || !value) {
    throw new Error(`no Terraform output ${name} in ${cwd} (outputs: ${Object.keys(outputs).join(', ') || 'none'}); pass --issuer <url>`);
  }
  return value;
}

/** The `Error: …` line of Terraform's stderr (its boxes and warnings left out), else its last line. */
function terraformError(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.replace(/^[\s│╷╵]+/, '').trim())
    .filter(Boolean);
  return lines.find((line) => line.startsWith('Error:')) ?? lines.at(-1) ?? 'no output';
}
