/**
 * First values, synchronously: Terraform invokes the rotation function with `{"action":"bootstrap","secretIds":[...]}`
 * once the secrets exist, so every secret has an AWSCURRENT value when the apply ends (RotateSecret is asynchronous, and
 * a secret whose rotation is not enabled yet is fine). A secret that has a value is left alone, so running it again
 * changes nothing. A signing key's public ring is published too (`../shared/public-key-ring.ts`). The answer names
 * secrets and never holds a value: it lands in Terraform state.
 */
import { DEFAULT_KEY_SCHEDULE, loadKeyRing, type KeySchedule } from '../shared/key-schedule';
import { silentLogger, type Logger } from '../shared/log';
import type { Clock, SecretDescription, SecretStore, StateStore } from '../shared/ports';
import { publishKeyRing, publishMissingKeys } from '../shared/public-key-ring';
import { isActionEvent } from './action-event';
import { publicRingStore } from './rotation';
import { kindOf, newValue } from './values';

export interface BootstrapEvent {
  readonly action: 'bootstrap';
  readonly secretIds: readonly string[];
  /**
   * The table item the signing key's public ring is published to (`PUBLIC_KEY_RING_KEY`). Informational: it is in the
   * input so that a registry upgraded to a published ring re-runs the bootstrap, which publishes the existing ring.
   */
  readonly publicKeyRing?: string;
}

/**
 * Secret names (as Secrets Manager reports them) that got a first value now, those that already had one, and the
 * signing keys whose public ring this run published.
 */
export interface BootstrapResult {
  readonly created: string[];
  readonly existing: string[];
  readonly published: string[];
}

/** Whether a rotation function's event asks for the bootstrap rather than a Secrets Manager rotation step. */
export const isBootstrapEvent = isActionEvent<BootstrapEvent>('bootstrap');

/**
 * The version id of a first value: fixed, so two bootstraps racing on one secret put the same version and the second
 * finds it (PutSecretValue's ClientRequestToken takes 32 to 64 characters).
 */
export const BOOTSTRAP_VERSION_ID = 'oauth-registry-bootstrap-00000000000000000001';

export async function bootstrapSecrets(
  secrets: SecretStore,
  event: BootstrapEvent,
  deps: {
    clock?: Clock;
    log?: Logger;
    schedule?: KeySchedule;
    sleep?: (ms: number) => Promise<void>;
    /** Where a signing key's public ring is published (required when the list holds a signing key). */
    state?: Pick<StateStore, 'get' | 'put'>;
  } = {},
): Promise<BootstrapResult> {
  const { secretIds } = event;
  if (!Array.isArray(secretIds) || secretIds.some((id) => typeof id !== 'string' || id === '')) {
    throw new Error('bootstrap: secretIds must be a list of secret names or ARNs');
  }
  const log = deps.log ?? silentLogger;
  const clock = deps.clock ?? Date.now;
  // Every secret must exist before anything is written: a missing one fails the apply without a half-made state.
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const described: (SecretDescription | undefined)[] = [];
  // The function's policy is created just before this first call, and IAM takes a few seconds to apply it everywhere.
  if (secretIds.length > 0) await retryWhileAccessDenied(() => describeOrMissing(secrets, secretIds[0]), sleep, log);
  await forEachLimited(secretIds.entries(), BOOTSTRAP_CONCURRENCY, async ([i, id]) => {
    described[i] = await describeOrMissing(secrets, id);
  });
  const missing = secretIds.filter((_, i) => described[i] === undefined);
  if (missing.length > 0) throw new Error(`bootstrap: no such secret: ${missing.join(', ')}`);

  const outcome: ('created' | 'existing')[] = [];
  // A few secrets at a time: PutSecretValue allows 50 calls a second per account, and a registry may hold 1000 clients.
  await forEachLimited(secretIds.entries(), BOOTSTRAP_CONCURRENCY, async ([i, secretId]) => {
    const description = described[i]!;
    if (await secrets.getSecretVersion(secretId, 'AWSCURRENT')) {
      outcome[i] = 'existing';
      return;
    }
    const value = await newValue({ secrets, secretId, description, nowMs: clock(), schedule: deps.schedule ?? DEFAULT_KEY_SCHEDULE });
    try {
      await secrets.putSecretValue(secretId, BOOTSTRAP_VERSION_ID, value, ['AWSCURRENT']);
      outcome[i] = 'created';
    } catch (err) {
      if ((err as { name?: string }).name !== 'ResourceExistsException') throw err;
      if (!(await secrets.getSecretVersion(secretId, 'AWSCURRENT'))) throw err;
      outcome[i] = 'existing';
    }
  });
  // In the order listed, whatever order the work finished in.
  const result: BootstrapResult = { created: [], existing: [], published: [] };
  described.forEach((description, i) => result[outcome[i]].push(description!.name));
  for (const [i, secretId] of secretIds.entries()) {
    if (kindOf(described[i]!) !== 'signing-key') continue;
    // A first value is published as written (whichever racing bootstrap won). An existing ring is published only when
    // the published ring lacks one of its keys (an upgrade, or a stale ring after a point-in-time restore or a stage
    // moved by hand), merged into it: a published key may still verify tokens, and a rotation's ring is kept.
    const ring = await loadKeyRing(secrets, secretId);
    if (!ring) throw new Error(`bootstrap: signing key ${secretId} has no AWSCURRENT value after the bootstrap`);
    const store = publicRingStore(deps.state, secretId);
    const nowSecs = Math.floor(clock() / 1000);
    // The publish permission may come in the same apply (an upgrade): wait out its IAM propagation too.
    const wrote = await retryWhileAccessDenied(
      () => (outcome[i] === 'existing' ? publishMissingKeys(store, ring, { nowSecs }) : publishKeyRing(store, ring, { nowSecs })),
      sleep,
      log,
    );
    if (wrote) result.published.push(described[i]!.name);
  }
  log.info('bootstrap_done', { created: result.created, existing: result.existing, published: result.published });
  return result;
}

/** Secrets worked on at once. */
const BOOTSTRAP_CONCURRENCY = 4;
/** How long a new role's policy may take to apply before AccessDenied is an answer, not a delay. */
const IAM_PROPAGATION_WAIT_MS = 20_000;

/** Runs `work` on every item of `items`, at most `limit` at a time. */
async function forEachLimited<T>(items: Iterable<T>, limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const iterator = items[Symbol.iterator]();
  const worker = async (): Promise<void> => {
    for (let next = iterator.next(); !next.done; next = iterator.next()) await work(next.value);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

async function retryWhileAccessDenied<T>(call: () => Promise<T>, sleep: (ms: number) => Promise<void>, log: Logger): Promise<T> {
  for (let waited = 0; ; waited += 2_000) {
    try {
      return await call();
    } catch (err) {
      const denied = (err as { name?: string }).name === 'AccessDeniedException';
      if (!denied || waited >= IAM_PROPAGATION_WAIT_MS) throw err;
      log.warn('bootstrap_waiting_for_iam', { waited_ms: waited });
      await sleep(2_000);
    }
  }
}

async function describeOrMissing(secrets: SecretStore, secretId: string): Promise<SecretDescription | undefined> {
  try {
    return await secrets.describeSecret(secretId);
  } catch (err) {
    if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}
