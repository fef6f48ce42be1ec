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
