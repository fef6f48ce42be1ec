/**
 * Ports: what the handlers need from the outside world. Adapters: `adapters/aws-*.ts` (AWS SDK v3) and
 * `adapters/local-*.ts` (embedded, file-backed under `.oauth-registry/`). Handlers depend on these interfaces only.
 */
import type { ClientRegistration } from './manifest';

/** Secrets Manager's staging labels, which rotation moves between versions. */
export type VersionStage = 'AWSCURRENT' | 'AWSPREVIOUS' | 'AWSPENDING';

export interface SecretVersion {
  readonly versionId: string;
  readonly value: string;
  readonly createdAt: Date;
  readonly stages: readonly string[];
}

export interface SecretDescription {
  readonly name: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly rotationEnabled: boolean;
  /** Version id → staging labels, as DescribeSecret's `VersionIdsToStages`. */
  readonly versionStages: Readonly<Record<string, readonly string[]>>;
}

/** The subset of Secrets Manager the handlers use, with its semantics (a local adapter must honour them). */
export interface SecretStore {
  /** The version holding `stage`, or undefined when no version holds it (or the secret has no value yet). */
  getSecretVersion(secretId: string, stage: VersionStage): Promise<SecretVersion | undefined>;
  /** A version by id (rotation reads its own AWSPENDING version this way), or undefined. */
  getSecretVersionById(secretId: string, versionId: string): Promise<SecretVersion | undefined>;
  describeSecret(secretId: string): Promise<SecretDescription>;
  /** Creates version `versionId` with `stages`; idempotent for the same id and value. */
  putSecretValue(secretId: string, versionId: string, value: string, stages: readonly VersionStage[]): Promise<void>;
  /** Moves `stage` to `moveToVersionId`, removing it from `removeFromVersionId` (AWSCURRENT's old holder gets AWSPREVIOUS). */
  updateVersionStage(
    secretId: string,
    stage: VersionStage,
    move: { moveToVersionId?: string; removeFromVersionId?: string },
  ): Promise<void>;
}

/** Where the token endpoint finds a client's registration (AWS: one DynamoDB item per client; local: the manifest). */
export interface RegistrationStore {
  getClient(clientId: string): Promise<ClientRegistration | undefined>;
}

/** Milliseconds since the epoch; injected so tests can freeze time. */
export type Clock = () => number;

/**
 * Short-lived state in the registry's table: authorization codes, refresh-token families, revoked token ids,
 * consent records, replay-protection `jti`s, consent-flow state and third-party token sets. One item per key.
 *
 * Items are plain JSON objects. `expiresAt` (epoch seconds) is the table's TTL attribute: an item past it is absent
 * to every operation here (DynamoDB deletes expired items lazily, so adapters filter and conditions account for it).
 * Writes take an optional `Condition`; a write whose condition fails changes nothing and reports it, so handlers
 * build single use (take a code once), rotation (swap a refresh token once) and leases on it.
 */
export type StateItem = { readonly pk: string; readonly expiresAt?: number } & Readonly<Record<string, unknown>>;

export type Condition =
  /** No live item has this key (absent, or expired). */
  | { readonly kind: 'notExists' }
  /** A live item exists. */
  | { readonly kind: 'exists' }
  | { readonly kind: 'equals'; readonly attribute: string; readonly value: string | number | boolean }
  /** The attribute is absent, or present and not equal to `value`. */
  | { readonly kind: 'notEquals'; readonly attribute: string; readonly value: string | number | boolean }
  /** The attribute is a number below `value`; an absent attribute does not satisfy it. */
  | { readonly kind: 'lessThan'; readonly attribute: string; readonly value: number }
  | { readonly kind: 'missing'; readonly attribute: string }
  | { readonly kind: 'and' | 'or'; readonly conditions: readonly Condition[] };

/**
 * Longest key a `StateStore` holds, in UTF-8 bytes (DynamoDB refuses partition keys over 2048). Our own keys are under
 * 100 bytes; a longer one can only come from request input that was not validated. No adapter ever sends one to its
 * backend: `get` and `delete` find nothing, `update` reports false, and `put` throws `StateKeyTooLongError`.
 */
export const MAX_STATE_KEY_BYTES = 1024;

/** Whether `pk` is longer than `MAX_STATE_KEY_BYTES` (such a key is never stored). */
export const stateKeyTooLong = (pk: string): boolean => Buffer.byteLength(pk, 'utf8') > MAX_STATE_KEY_BYTES;

/** `put` with a key longer than `MAX_STATE_KEY_BYTES`: a bug in the caller, which should have validated its input. */
export class StateKeyTooLongError extends Error {
  readonly code = 'ERR_STATE_KEY_TOO_LONG';
  constructor(pk: string) {
    super(`state key of ${Buffer.byteLength(pk, 'utf8')} bytes exceeds ${MAX_STATE_KEY_BYTES} (starts "${pk.slice(0, 32)}")`);
    this.name = 'StateKeyTooLongError';
  }
}

/**
 * `put` of a new item past a bound on items of its kind (local mode's pending sign-ins): nothing was written, and no
 * item already stored was given up for it. The caller answers "try again later".
 */
export class StateQuotaExceededError extends Error {
  readonly code = 'ERR_STATE_QUOTA_EXCEEDED';
  constructor(prefix: string) {
    super(`too many live ${prefix} items`);
    this.name = 'StateQuotaExceededError';
  }
}

export interface StateStore {
  /** The live item with this key, or undefined. */
  get<T extends StateItem = StateItem>(pk: string): Promise<T | undefined>;
  /** Writes the whole item if `condition` holds (checked atomically); false when it did not. */
  put(item: StateItem, condition?: Condition): Promise<boolean>;
  /** Sets (or with `undefined`, removes) attributes of a live item if `condition` holds; false when absent or it did not. */
  update(pk: string, changes: Readonly<Record<string, unknown>>, condition?: Condition): Promise<boolean>;
  /** Deletes the live item if `condition` holds and returns it (atomically: of concurrent deletes, one gets it). */
  delete<T extends StateItem = StateItem>(pk: string, condition?: Condition): Promise<T | undefined>;
}

/**
 * Counters in the registry's table (per-client rate limits): one atomic conditional increment, so concurrent
 * containers never count past the limit together.
 */
export interface Counters {
  /**
   * Adds 1 to `attribute` of the item `pk` (created at 1, with `expiresAt`, when absent or expired) if it is below
   * `below`; the new count, or undefined when it was not (nothing changed).
   */
  increment(pk: string, attribute: string, options: { readonly below: number; readonly expiresAt: number }): Promise<number | undefined>;
  /** The count `attribute` of the item `pk` holds now (0 when absent or expired), changing nothing. */
  count(pk: string, attribute: string): Promise<number>;
}

/** Lists live items by key prefix: for operator tools only (`oauth-registry status`); in DynamoDB a paginated Scan. */
export interface StateLister {
  list<T extends StateItem = StateItem>(prefix: string): Promise<T[]>;
}

/**
 * Encrypts small secrets kept in the table (third-party refresh tokens). `context` is bound to the ciphertext
 * (KMS encryption context, AES-GCM additional data): a ciphertext only decrypts under the same context.
 */
export interface Cipher {
  encrypt(plaintext: string, context: Readonly<Record<string, string>>): Promise<string>;
  decrypt(ciphertext: string, context: Readonly<Record<string, string>>): Promise<string>;
}

/** Publishes operational events (AWS: EventBridge's default bus; local: the log). */
export interface EventPublisher {
  publish(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void>;
}
