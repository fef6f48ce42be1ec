/**
 * `oauth-registry keys rotate --emergency [--local]`: break-glass for a leaked signing key. A new key signs at once
 * and every key of the old ring leaves the JWKS (`lambdas/rotation/emergency.ts`). Deployed, the registry's rotation
 * function does it (the keys are generated inside AWS, as always); `--local`, this process on the local secret store.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { Command } from 'commander';
import { emergencyRotateSigningKey, type EmergencyRotationEvent, type EmergencyRotationResult } from '../../lambdas/rotation/emergency';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { LocalStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { keySchedule } from '../../lambdas/shared/config';
import { GATEWAY_JWKS_CACHE_SECS } from '../../lambdas/shared/key-schedule';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { rotationFunctionName } from '../../lambdas/shared/names';
import { loadRegistry, type AppOptions } from '../local/synth';
import { appOptions, deployedRegion, localState } from './common';

interface RotateOptions extends AppOptions {
  emergency?: boolean;
  local?: boolean;
}

export function registerKeysCommands(program: Command): void {
  const keys = program.command('keys').description("manage the registry's signing keys");
  appOptions(
    keys
      .command('rotate')
      .description('with --emergency: replace every signing key now (a leaked key); new tokens are signed by a new key at once')
      .option('--emergency', 'replace the whole key ring now instead of waiting for the schedule')
      .option('--local', 'rotate the local-mode signing key (npm start picks it up within a second)')
      .option('--no-synth', 'use the manifest already in --outdir instead of synthesizing the app'),
  ).action(async (options: RotateOptions) => {
    const { manifest, stack } = loadRegistry(options);
    if (!options.emergency) {
      throw new Error(
        'scheduled rotations publish a key a full period before it signs; for a leaked key pass --emergency. To rotate on ' +
          `schedule now: aws secretsmanager rotate-secret --secret-id ${manifest.signingKeySecretId}`,
      );
    }
    const result = options.local
      ? await emergencyRotateSigningKey(new LocalSecretStore(localState(options, manifest).secrets), manifest.signingKeySecretId, {
          schedule: keySchedule(manifest),
          state: new LocalStateStore(localState(options, manifest).state),
        })
      : await invokeEmergencyRotation(manifest, deployedRegion(options, stack));
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    process.stderr.write(emergencyConsequences(result, options.local === true));
  });
}

/** Invokes the deployed rotation function, which generates and stores the new ring (it alone may write the secret). */
export async function invokeEmergencyRotation(manifest: RegistryManifest, region: string | undefined): Promise<EmergencyRotationResult> {
  const lambda = new LambdaClient(region ? { region } : {});
  const event: EmergencyRotationEvent = { action: 'emergency-rotate-signing-key', secretId: manifest.signingKeySecretId };
  const out = await lambda.send(
    new InvokeCommand({ FunctionName: rotationFunctionName(manifest.namePrefix), Payload: Buffer.from(JSON.stringify(event)) }),
  );
  const payload = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) throw new Error(`the rotation function failed: ${payload}`);
  return JSON.parse(payload) as EmergencyRotationResult;
}

/** What the operator must know after an emergency rotation (printed, and in the README's "Break-glass"). */
export function emergencyConsequences(result: EmergencyRotationResult, local: boolean): string {
  const hours = GATEWAY_JWKS_CACHE_SECS / 3600;
  const gateway = local ? "local mode's authorizer emulation" : 'API Gateway';
  return [
    `removed from the JWKS: ${result.removedKids.join(', ') || 'nothing (there was no ring)'}; now signing: ${result.signingKid}`,
    `${gateway} caches the JWKS for up to ${hours} hours. Until it fetches it again it may refuse tokens of the new key (401)`,
    'and still accept unexpired tokens of the removed keys. The registry itself (signing, JWKS, introspection) follows',
    `within ${local ? 'a second' : 'a minute'} (its containers' cache).`,
    local
      ? "Local mode's emulation refetches on an unknown kid: the first new token makes it drop the old keys."
      : 'To shorten it, update each JWT authorizer of the API with its current settings (API Gateway reads the JWKS when an ' +
        'authorizer is created or updated), e.g. aws apigatewayv2 get-authorizers --api-id <api id>, then update-authorizer ' +
        'with the same --jwt-configuration; then run oauth-registry verify.',
    '',
  ].join('\n');
}
