/**
 * Lambda entry of the rotation function: Secrets Manager invokes it with a rotation step for client secrets, signing
 * keys and link keys; Terraform invokes it with `{"action":"bootstrap","secretIds":[...]}` for first values, then
 * with `{"action":"await-issuer","issuer":…}` to wait until the issuer answers before it creates the JWT authorizers,
 * and with `{"action":"guard-destroy",…}` for the destroy guard (`destroy-guard.ts`); EventBridge schedules invoke it
 * with `{"action":"health-check",…}` (`health-check.ts`), which the alarms watch; the CLI with
 * `{"action":"emergency-rotate-signing-key",…}` (`emergency.ts`).
 */
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { listRotationDates } from '../shared/adapters/aws-rotation-dates';
import { AwsSecretStore } from '../shared/adapters/aws-secret-store';
import { AwsStateStore } from '../shared/adapters/aws-state-store';
import { keyScheduleFromEnv } from '../shared/config';
import { createJsonLogger } from '../shared/log';
import { ENV } from '../shared/names';
import { awaitIssuer, isAwaitIssuerEvent, type AwaitIssuerEvent, type AwaitIssuerResult } from './await-issuer';
import { bootstrapSecrets, isBootstrapEvent, type BootstrapEvent, type BootstrapResult } from './bootstrap';
import { guardDestroy, isDestroyGuardEvent, type DestroyGuardEvent, type DestroyGuardResult } from './destroy-guard';
import {
  emergencyRotateSigningKey,
  isEmergencyRotationEvent,
  type EmergencyRotationEvent,
  type EmergencyRotationResult,
} from './emergency';
import { isHealthCheckEvent, runHealthCheck, type HealthCheckEvent, type HealthCheckResult } from './health-check';
import { createRotationHandler } from './rotation';

const secrets = new AwsSecretStore();
const log = createJsonLogger();
const schedule = keyScheduleFromEnv();
// The signing key's public ring goes to the registry's table (the only items this function writes).
const tableName = process.env[ENV.TABLE_NAME];
const state = tableName ? new AwsStateStore({ tableName }) : undefined;
const rotate = createRotationHandler({ secrets, log, schedule, state });

export function handler(event: BootstrapEvent): Promise<BootstrapResult>;
export function handler(event: AwaitIssuerEvent): Promise<AwaitIssuerResult>;
export function handler(event: DestroyGuardEvent): Promise<DestroyGuardResult>;
export function handler(event: HealthCheckEvent): Promise<HealthCheckResult>;
export function handler(event: EmergencyRotationEvent): Promise<EmergencyRotationResult>;
export function handler(event: SecretsManagerRotationEvent): Promise<void>;
export function handler(
  event: SecretsManagerRotationEvent | BootstrapEvent | AwaitIssuerEvent | DestroyGuardEvent | HealthCheckEvent | EmergencyRotationEvent,
): Promise<BootstrapResult | AwaitIssuerResult | DestroyGuardResult | HealthCheckResult | EmergencyRotationResult | void> {
  if (isBootstrapEvent(event)) return bootstrapSecrets(secrets, event, { log, schedule, state });
  if (isAwaitIssuerEvent(event)) return awaitIssuer(event);
  if (isDestroyGuardEvent(event)) return guardDestroy(event);
  if (isEmergencyRotationEvent(event)) return emergencyRotateSigningKey(secrets, event.secretId, { schedule, log, state });
  if (isHealthCheckEvent(event)) return runHealthCheck(event, { log, listRotationDates: (prefix) => listRotationDates(prefix) });
  return rotate(event);
}
