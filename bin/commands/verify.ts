/**
 * `oauth-registry verify [--local]`: the check to run right after `cdktf deploy` (or against `npm start`): metadata,
 * JWKS, a real token verified as API Gateway would, every protected route callable by some client and refusing what it
 * must, the keys of `private_key_jwt` clients, and each connection (routes served, redirect URI, token-set health). Prints a table
 * (or `--json`), exits non-zero when a check fails, and never prints a secret or a token.
 */
import type { Command } from 'commander';
import type { ClientRegistration } from '../../lambdas/shared/manifest';
import { registryStateDir } from '../local/local-state';
import { loadRegistry, type AppOptions } from '../local/synth';
import { userMessage } from '../local/user-error';
import { formatVerifyTable, verifyRegistry } from '../verify/checks';
import { appOptions, localBaseUrl } from './common';
import { readDeployed, readLocal } from './credentials';
import { collectStatus, registryStateStore } from './status';
import { terraformIssuer } from './terraform-outputs';

interface VerifyOptions extends AppOptions {
  local?: boolean;
  port?: string;
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
      .option('-p, --port <port>', 'port of the local registry (with --local; default: the one npm start recorded, else 8787)')
      .option('--issuer <url>', 'the issuer to check (default: Terraform output <namePrefix>-issuer; --local: 127.0.0.1:<port>)')
      .option('--client <name>', 'the client to get a token with (default: the first with client_credentials and a shared secret)')
      .option('--call-unsafe-routes', 'also call POST/PUT/PATCH/DELETE routes with a valid token (runs their handlers)')
      .option('--json', 'print {issuer, rows, summary} as JSON for pipelines instead of a table')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (options: VerifyOptions) => {
    const { manifest, stack } = loadRegistry(options);
    const expected =
      options.issuer ?? (options.local ? localBaseUrl(options, manifest) : terraformIssuer(options.outdir, stack, manifest.namePrefix));
    const issuer = expected.replace(/\/+$/, '');
    const secretOf = async (client: ClientRegistration): Promise<string> =>
      (options.local
        ? readLocal(client, registryStateDir(options.stateDir, manifest.namePrefix))
        : await readDeployed(client, options, stack)
      ).client_secret;
    const connectionHealth = manifest.connections?.length
      ? await collectStatus(manifest, registryStateStore(options, manifest, stack)).catch((err: unknown) => ({
          unreadable: userMessage(err),
        }))
      : undefined;
    const report = await verifyRegistry({
      issuer,
      manifest,
      client: options.client,
      callUnsafeRoutes: options.callUnsafeRoutes,
      secretOf,
      ...(connectionHealth ? { connectionHealth } : {}),
    });
    const about = `registry ${manifest.registryPath}, ${options.local ? 'local' : 'deployed'}`;
    process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : formatVerifyTable(report, about));
    if (!report.summary.passed) process.exitCode = 1;
  });
}
