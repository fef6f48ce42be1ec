/**
 * Emergency signing-key rotation (break-glass, `oauth-registry keys rotate --emergency`): the whole ring is replaced by
 * a new key that signs at once and a new next key, so every key of the old ring (its value may have leaked whole)
 * leaves the JWKS. Unlike a scheduled rotation, nothing is pre-published: verifiers that cached the JWKS (API Gateway:
 * up to 2 hours) refuse the new tokens until they fetch it again, and keep accepting the old keys' tokens meanwhile.
 *
 * A scheduled rotation in flight holds a pending ring of the old keys: its AWSPENDING label is removed first, and
 * every removed kid (current, pending and published) is recorded as revoked in the public ring, so a retry of that
 * rotation can neither publish an old key again nor promote its ring (`rotation.ts` refuses a ring without the signer).
 */
import { randomUUID } from 'node:crypto';
import { firstKeyRing, isKeyRingValue, loadKeyRing, readKeyRing, serializeKeyRing, type KeySchedule } from '../shared/key-schedule';
import type { Logger } from '../shared/log';
import { SECRET_KIND_TAG } from '../shared/manifest';
import type { SecretStore, StateStore } from '../shared/ports';
import { loadPublishedKeyRing, publishKeyRing } from '../shared/public-key-ring';
import { publicRingStore } from './rotation';
import { generateSigningKey } from './values';

export interface EmergencyRotationEvent {
  readonly action: 'emergency-rotate-signing-key';
  readonly secretId: string;
}

/** What changed, by key id (public): never a key. */
export interface EmergencyRotationResult {
  readonly secretId: string;
  readonly versionId: string;
  /** Key ids that left the JWKS or were pending, all revoked: never published again. */
  readonly removedKids: readonly string[];
  readonly signingKid: string;
  readonly nextKid: string;
}

export function isEmergencyRotationEvent(event: unknown): event is EmergencyRotationEvent {
  const e = event as Partial<EmergencyRotationEvent> | null;
  return typeof e === 'object' && e !== null && e.action === 'emergency-rotate-signing-key' && typeof e.secretId === 'string';
}

export async function emergencyRotateSigningKey(
  secrets: SecretStore,
  secretId: string,
  deps: {
    readonly schedule: KeySchedule;
    /** Where the public ring is published (the registry's table; local: its state). */
    readonly state: Pick<StateStore, 'get' | 'put'> | undefined;
    readonly clock?: () => number;
    readonly log?: Logger;
  },
): Promise<EmergencyRotationResult> {
  const description = await secrets.describeSecret(secretId);
  const kind = description.tags[SECRET_KIND_TAG];
  if (kind !== 'signing-key') throw new Error(`${secretId} is not a signing-key secret (its kind is ${JSON.stringify(kind)})`);
  const store = publicRingStore(deps.state, secretId);
  const removed = new Set(((await loadKeyRing(secrets, secretId))?.keys ?? []).map((k) => String(k.jwk.kid)));
  for (const key of (await loadPublishedKeyRing(store))?.keys ?? []) removed.add(key.jwk.kid);
  // An in-flight rotation's pending ring (old keys, and a new key its createSecret may have published): unstaged, so
  // Secrets Manager's retry cannot promote it, and its keys revoked.
  for (const [versionId, stages] of Object.entries(description.versionStages)) {
    if (!stages.includes('AWSPENDING') || stages.includes('AWSCURRENT')) continue;
    const pending = await secrets.getSecretVersionById(secretId, versionId);
    if (pending && isKeyRingValue(pending.value)) {
      for (const key of readKeyRing({ value: pending.value, createdAtSecs: 0 }).keys) removed.add(String(key.jwk.kid));
    }
    await secrets.updateVersionStage(secretId, 'AWSPENDING', { removeFromVersionId: versionId });
  }
  const removedKids = [...removed];
  const nowSecs = Math.floor((deps.clock ?? Date.now)() / 1000);
  const ring = firstKeyRing(await generateSigningKey(), await generateSigningKey(), nowSecs, deps.schedule);
  const versionId = randomUUID();
  // Published first, as a rotation does: the JWKS drops the old keys now, and knows the new one before it signs.
  await publishKeyRing(store, ring, { nowSecs, revokes: removedKids });
  // AWSCURRENT moves to the new version at once (the old one becomes AWSPREVIOUS, which no reader of the ring uses).
  await secrets.putSecretValue(secretId, versionId, serializeKeyRing(ring), ['AWSCURRENT']);
  const [signing, next] = ring.keys.map((k) => String(k.jwk.kid));
  const result = { secretId, versionId, removedKids, signingKid: signing, nextKid: next };
  deps.log?.warn('signing_key_emergency_rotation', { ...result });
  return result;
}
