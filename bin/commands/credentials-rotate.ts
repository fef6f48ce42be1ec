/**
 * `oauth-registry credentials rotate <client> [--immediate] [--local]`: rotates a client's secret now, for a partner
 * who leaked it. As a scheduled rotation, the previous secret keeps working for `clientSecretOverlapHours`; with
 * `--immediate` it stops at once: its version loses the AWSPREVIOUS label, which is all the token endpoint accepts
 * it by (`authorization-server/client-secrets.ts`). Deployed, Secrets Manager runs the registry's rotation function
 * (the secret is generated inside AWS); `--local`, this process runs the same rotation on the local secret store.
 */
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import type { Command } from 'commander';
import { rotateSecret } from '../../lambdas/rotation/rotation';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { keySchedule } from '../../lambdas/shared/config';
import type { KeySchedule } from '../../lambdas/shared/key-schedule';
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import type { Clock, SecretStore } from '../../lambdas/shared/ports';
import { readCredentials, writeCredentialsFile } from '../local/local-registry';
import { loadRegistry, type AppOptions } from '../local/synth';
import { appOptions, deployedRegion, localState } from './common';

interface RotateOptions extends AppOptions {
  immediate?: boolean;
  local?: boolean;
}

/** How long the CLI waits for Secrets Manager to finish a rotation it started (it runs the function asynchronously). */
const DEPLOYED_ROTATION_POLLS = 60;
const DEPLOYED_ROTATION_POLL_MS = 2_000;

export function registerRotateCredentials(
  credentials: Command,
  findClient: (m: RegistryManifest, name: string) => ClientRegistration,
): void {
  appOptions(
    credentials
      .command('rotate <client>')
      .description(
        "rotate a client's secret now; the previous one keeps working for the registry's clientSecretOverlapHours, " +
          'or not at all with --immediate',
      )
      .option('--immediate', 'revoke the previous secret at once (a leaked secret)')
      .option('--local', 'rotate the local-mode secret (npm start picks it up within a second)')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (name: string, options: RotateOptions) => {
    const { manifest, stack } = loadRegistry(options);
    const client = findClient(manifest, name);
    if (client.secretId === undefined) throw new Error(`client ${client.name} authenticates with ${client.authMethod}: it has no secret`);
    const immediate = options.immediate === true;
    if (options.local) {
      const paths = localState(options, manifest);
      const secrets = new LocalSecretStore(paths.secrets);
      await rotateClientSecret(secrets, client.secretId, { immediate, schedule: keySchedule(manifest) });
      writeCredentialsFile(paths.clients, await readCredentials(secrets, manifest));
    } else {
      await rotateDeployed(client.secretId, immediate, deployedRegion(options, stack));
    }
    const overlapHours = manifest.secretOverlapSecs / 3600;
    const previous = immediate ? 'the previous secret is revoked' : `the previous secret works for ${overlapHours} more hour(s)`;
    process.stderr.write(
      `rotated ${client.secretId}: ${previous}. ` +
        `Hand the new one over with: oauth-registry credentials show ${client.name}${options.local ? ' --local' : ''}\n` +
        (immediate && !options.local
          ? "Containers that cached the previous secret may accept it for up to a minute (the server's cache).\n"
          : ''),
    );
  });
}

/** The same rotation Secrets Manager runs, on `secrets`; with `immediate`, the previous version loses AWSPREVIOUS. */
export async function rotateClientSecret(
  secrets: SecretStore,
  secretId: string,
  options: { readonly immediate: boolean; readonly schedule: KeySchedule; readonly clock?: Clock },
): Promise<void> {
  const previous = await secrets.getSecretVersion(secretId, 'AWSCURRENT');
  await rotateSecret(secrets, secretId, undefined, { schedule: options.schedule, clock: options.clock });
  if (options.immediate && previous) await secrets.updateVersionStage(secretId, 'AWSPREVIOUS', { removeFromVersionId: previous.versionId });
}

/** RotateSecret, then (with `immediate`) waits for the new version to be AWSCURRENT and unlabels the previous one. */
export async function rotateDeployed(secretId: string, immediate: boolean, region: string | undefined): Promise<void> {
  const sm = new SecretsManagerClient(region ? { region } : {});
  const before = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
  const previous = Object.entries(before.VersionIdsToStages ?? {}).find(([, stages]) => stages.includes('AWSCURRENT'))?.[0];
  const { VersionId: started } = await sm.send(new RotateSecretCommand({ SecretId: secretId, RotateImmediately: true }));
  if (!immediate || previous === undefined) return;
  for (let poll = 0; poll < DEPLOYED_ROTATION_POLLS; poll++) {
    const now = await sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    if (now.VersionIdsToStages?.[started!]?.includes('AWSCURRENT')) {
      await sm.send(
        new UpdateSecretVersionStageCommand({ SecretId: secretId, VersionStage: 'AWSPREVIOUS', RemoveFromVersionId: previous }),
      );
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, DEPLOYED_ROTATION_POLL_MS));
  }
  throw new Error(
    `the rotation of ${secretId} did not finish within ${(DEPLOYED_ROTATION_POLLS * DEPLOYED_ROTATION_POLL_MS) / 1000} s: the previous ` +
      `secret is still valid for the overlap. Check the rotation function's log, then: aws secretsmanager update-secret-version-stage ` +
      `--secret-id ${secretId} --version-stage AWSPREVIOUS --remove-from-version-id ${previous}`,
  );
}
