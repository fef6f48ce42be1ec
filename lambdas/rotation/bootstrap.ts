/**
 * First values, synchronously: Terraform invokes the rotation function with `{"action":"bootstrap","secretIds":[...]}`
 * once the secrets exist, so every secret has an AWSCURRENT value when the apply ends (RotateSecret is asynchronous, and
 * a secret whose rotation is not enabled yet is fine). A secret that has a value is left alone, so running it again
 * changes nothing. The answer names secrets and never holds a value: it lands in Terraform state.
 */
import { DEFAULT_KEY_SCHEDULE, type KeySchedule } from '../shared/key-schedule';
import { silentLogger, type Logger } from '../shared/log';
import type { Clock, SecretDescription, SecretStore } from '../shared/ports';
import { newValue } from './values';

export interface BootstrapEvent {
  readonly action: 'bootstrap';
  readonly secretIds: readonly string[];
}

/** Secret names (as Secrets Manager reports them) that got a first value now, and those that already had one. */
export interface BootstrapResult {
  readonly created: string[];
  readonly existing: string[];
}

/** Whether a rotation function's event asks for the bootstrap rather than a Secrets Manager rotation step. */
export function isBootstrapEvent(event: unknown): event is BootstrapEvent {
  const e = event as Partial<BootstrapEvent> | null;
  return typeof e === 'object' && e !== null && e.action === 'bootstrap';
}

/**
 * The version id of a first value: fixed, so two bootstraps racing on one secret put the same version and the second
 * finds it (PutSecretValue's ClientRequestToken takes 32 to 64 characters).
 */
export const BOOTSTRAP_VERSION_ID = 'oauth-registry-bootstrap-00000000000000000001';

export async function bootstrapSecrets(
  secrets: SecretStore,
  event: BootstrapEvent,
  deps: { clock?: Clock; log?: Logger; schedule?: KeySchedule } = {},
): Promise<BootstrapResult> {
  const { secretIds } = event;
  if (!Array.isArray(secretIds) || secretIds.some((id) => typeof id !== 'string' || id === '')) {
    throw new Error('bootstrap: secretIds must be a list of secret names or ARNs');
  }
  const log = deps.log ?? silentLogger;
  const clock = deps.clock ?? Date.now;
  // Every secret must exist before anything is written: a missing one fails the apply without a half-made state.
  const described = await Promise.all(secretIds.map((id) => describeOrMissing(secrets, id)));
  const missing = secretIds.filter((_, i) => described[i] === undefined);
  if (missing.length > 0) throw new Error(`bootstrap: no such secret: ${missing.join(', ')}`);

  const result: BootstrapResult = { created: [], existing: [] };
  for (const [i, secretId] of secretIds.entries()) {
    const description = described[i]!;
    if (await secrets.getSecretVersion(secretId, 'AWSCURRENT')) {
      result.existing.push(description.name);
      continue;
    }
    const value = await newValue({ secrets, secretId, description, nowMs: clock(), schedule: deps.schedule ?? DEFAULT_KEY_SCHEDULE });
    try {
      await secrets.putSecretValue(secretId, BOOTSTRAP_VERSION_ID, value, ['AWSCURRENT']);
      result.created.push(description.name);
    } catch (err) {
      // Another bootstrap put its first value under the same version id in the meantime: that one stands.
      if ((err as { name?: string }).name !== 'ResourceExistsException') throw err;
      if (!(await secrets.getSecretVersion(secretId, 'AWSCURRENT'))) throw err;
      result.existing.push(description.name);
    }
  }
  log.info('bootstrap_done', { created: result.created, existing: result.existing });
  return result;
}

async function describeOrMissing(secrets: SecretStore, secretId: string): Promise<SecretDescription | undefined> {
  try {
    return await secrets.describeSecret(secretId);
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}
