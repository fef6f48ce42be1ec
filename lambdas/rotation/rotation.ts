/**
 * Secrets Manager rotation for the registry's secrets, per AWS's rotation Lambda contract: four steps, each called with
 * `{ SecretId, ClientRequestToken, Step }`, each idempotent because Secrets Manager retries. The secret's
 * `oauth-registry:kind` tag says what to generate (`values.ts`): a client secret, a consent-link key, or, for the
 * signing key, the next key ring (a new key that signs one lead later; retired keys dropped once their tokens expired).
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_KEY_SCHEDULE, readKeyRing, storedRingValue, type KeySchedule } from '../shared/key-schedule';
import { silentLogger, createJsonLogger, type Logger } from '../shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG } from '../shared/manifest';
import type { Clock, SecretDescription, SecretStore, StateStore } from '../shared/ports';
import { publishKeyRing, publishMissingKeys } from '../shared/public-key-ring';
import { assertHoldsCurrentSigner, kindOf, newValue, testValue, type ValueContext } from './values';

export { LINK_KEY_BYTES, generateLinkKey, generateSigningKey } from './values';

export type RotationStep = 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';

/** The event Secrets Manager invokes a rotation function with. */
export interface RotationEvent {
  readonly SecretId: string;
  readonly ClientRequestToken: string;
  readonly Step: RotationStep | string;
}

export type RotationHandler = (event: RotationEvent) => Promise<void>;

export interface RotationDeps {
  readonly secrets: SecretStore;
  /**
   * Where the signing key's public ring is published (AWS: the registry's table; local: the local state). Required to
   * rotate a signing key; client secrets and link keys publish nothing.
   */
  readonly state?: Pick<StateStore, 'get' | 'put'>;
  readonly clock?: Clock;
  readonly log?: Logger;
  /** The signing-key schedule (AWS: `keyScheduleFromEnv()`). @default DEFAULT_KEY_SCHEDULE */
  readonly schedule?: KeySchedule;
}

export function createRotationHandler(deps: RotationDeps): RotationHandler {
  const { secrets } = deps;
  const log = deps.log ?? createJsonLogger();
  const clock = deps.clock ?? Date.now;
  const context = ({ secretId, description }: StepContext): ValueContext => ({
    secrets,
    secretId,
    description,
    nowMs: clock(),
    schedule: deps.schedule ?? DEFAULT_KEY_SCHEDULE,
  });

  const steps: Readonly<Record<RotationStep, (ctx: StepContext) => Promise<void>>> = {
    async createSecret(ctx) {
      const existing = await secrets.getSecretVersionById(ctx.secretId, ctx.token);
      // A new signing key is published before its ring is written, so it is published a full lead before it signs
      // however long the rotation takes to finish; a retry (the pending value exists) publishes it if it is not yet.
      const value = existing?.value ?? (await newValue(context(ctx)));
      if (kindOf(ctx.description) === 'signing-key') {
        // A pending ring written before an emergency rotation holds revoked keys: it fails here, publishing nothing.
        await assertHoldsCurrentSigner(context(ctx), value);
        await publishNewKeys(ctx, value);
      }
      if (existing) return;
      await secrets.putSecretValue(ctx.secretId, ctx.token, value, ['AWSPENDING']);
    },
    // Nothing outside Secrets Manager holds these values: the authorization server reads them from there.
    async setSecret() {},
    async testSecret(ctx) {
      const pending = await secrets.getSecretVersionById(ctx.secretId, ctx.token);
      // Enabling rotation without rotating (`rotate_immediately = false`), Secrets Manager tests the configuration with
      // testSecret on an AWSPENDING version it made without a value (no createSecret ran): nothing to test.
      if (!pending) {
        log.info('rotation_test_without_value', { secret_id: ctx.secretId, version: ctx.token, reason: 'configuration test' });
        return;
      }
      await testValue(context(ctx), pending.value);
    },
    async finishSecret(ctx) {
      const { secretId, token, description } = ctx;
      const holder = Object.keys(description.versionStages).find((id) => description.versionStages[id].includes('AWSCURRENT'));
      if (holder === token) return;
      // Publish the pending ring exactly (createSecret published its new key already; this drops retired keys) before it
      // can sign; a retry after a failed stage move publishes the same ring again.
      if (kindOf(description) === 'signing-key') await publishPendingRing(ctx, context(ctx));
      await secrets.updateVersionStage(secretId, 'AWSCURRENT', { moveToVersionId: token, removeFromVersionId: holder });
    },
  };

  const publishNewKeys = async ({ secretId, token }: StepContext, value: string): Promise<void> => {
    const ring = readKeyRing({ value, createdAtSecs: Math.floor(clock() / 1000) });
    if (await publishMissingKeys(publicRingStore(deps.state, secretId), ring, { nowSecs: Math.floor(clock() / 1000) })) {
      log.info('public_key_ring_published', { secret_id: secretId, version: token, step: 'createSecret' });
    }
  };

  const publishPendingRing = async ({ secretId, token }: StepContext, values: ValueContext): Promise<void> => {
    const pending = await secrets.getSecretVersionById(secretId, token);
    if (!pending) throw new Error(`version ${token} of ${secretId} has no value to publish`);
    await assertHoldsCurrentSigner(values, pending.value);
    await publishKeyRing(publicRingStore(deps.state, secretId), readKeyRing(storedRingValue(pending)), {
      nowSecs: Math.floor(clock() / 1000),
    });
    log.info('public_key_ring_published', { secret_id: secretId, version: token });
  };

  return async (event) => {
    const { SecretId: secretId, ClientRequestToken: token, Step: step } = event;
    if (!Object.hasOwn(steps, step)) throw new Error(`unknown rotation step ${JSON.stringify(step)}`);
    const description = await secrets.describeSecret(secretId);
    // Configuring rotation (`rotate_immediately = false`), Secrets Manager runs testSecret before it enables rotation,
    // so DescribeSecret still says disabled then. testSecret only reads; every step that writes needs rotation on.
    if (!description.rotationEnabled && step !== 'testSecret') throw new Error(`secret ${secretId} does not have rotation enabled`);
    const stages = description.versionStages[token];
    if (stages?.includes('AWSCURRENT')) {
      log.info('rotation_step_skipped', { secret_id: secretId, step, reason: 'version is already AWSCURRENT' });
      return;
    }
    // Secrets Manager stages the version AWSPENDING before calling createSecret; `rotateSecret` (local) lets
    // createSecret create it, so only that step may find it missing.
    if (!stages?.includes('AWSPENDING') && !(stages === undefined && step === 'createSecret')) {
      throw new Error(`version ${token} of ${secretId} is not staged AWSPENDING`);
    }
    await steps[step as RotationStep]({ secretId, token, description });
    log.info('rotation_step_done', {
      secret_id: secretId,
      step,
      kind: description.tags[SECRET_KIND_TAG],
      client_id: description.tags[CLIENT_ID_TAG],
    });
  };
}

/**
 * Rotates `secretId` the way Secrets Manager does: the four steps in order under one version id, then AWSPENDING is
 * removed from the new current version. Local mode and tests use it to create first values and to rotate.
 * Resolves to the new version id.
 */
export async function rotateSecret(
  secrets: SecretStore,
  secretId: string,
  versionId: string = randomUUID(),
  deps: Omit<RotationDeps, 'secrets'> = {},
): Promise<string> {
  const handler = createRotationHandler({ ...deps, secrets, log: deps.log ?? silentLogger });
  for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
    await handler({ SecretId: secretId, ClientRequestToken: versionId, Step });
  }
  const version = await secrets.getSecretVersionById(secretId, versionId);
  if (version?.stages.includes('AWSPENDING')) {
    await secrets.updateVersionStage(secretId, 'AWSPENDING', { removeFromVersionId: versionId });
  }
  return versionId;
}

interface StepContext {
  readonly secretId: string;
  readonly token: string;
  readonly description: SecretDescription;
}

/** Where a signing key's public ring goes; throws naming the secret when the rotation was given none. */
export function publicRingStore(state: Pick<StateStore, 'get' | 'put'> | undefined, secretId: string): Pick<StateStore, 'get' | 'put'> {
  if (!state) throw new Error(`signing key ${secretId}: its public ring needs the registry's table (no state store given)`);
  return state;
}
