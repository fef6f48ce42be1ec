/**
 * `SecretStore` with Secrets Manager's staging semantics, in memory or backed by a JSON file (local mode keeps it under
 * `.oauth-registry/local/`). Errors carry the names the AWS SDK uses, so callers handle both adapters alike.
 */
import type { Clock, SecretDescription, SecretStore, SecretVersion, VersionStage } from '../ports';
import { JsonFile } from './json-file';

interface StoredVersion {
  value: string;
  createdAt: string;
  stages: string[];
}

interface StoredSecret {
  tags: Record<string, string>;
  rotationEnabled: boolean;
  versions: Record<string, StoredVersion>;
}

interface StoreFile {
  version: 1;
  secrets: Record<string, StoredSecret>;
}

export interface LocalSecretStoreOptions {
  /** Stamps `createdAt` of new versions; tests freeze it. @default Date.now */
  readonly clock?: Clock;
}

export interface CreateSecretOptions {
  /** Local secrets rotate on demand (`rotateSecret`), so rotation is enabled unless said otherwise. @default true */
  readonly rotationEnabled?: boolean;
}

/** An error named like the AWS SDK's exception of the same meaning. */
function awsError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

/** Secrets Manager, locally: versions, staging labels and their move rules; file-backed when given a path. */
export class LocalSecretStore implements SecretStore {
  private data: StoreFile = { version: 1, secrets: {} };
  private readonly clock: Clock;
  /** The backing file, shared with other local processes (the CLI rotates through it). */
  private readonly file: JsonFile<StoreFile>;

  /** `filePath`: JSON file to load from and persist to (mode 0600); none keeps everything in memory. */
  constructor(
    readonly filePath?: string,
    options: LocalSecretStoreOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.file = new JsonFile(
      filePath,
      'every local secret is generated anew: client secrets and signing keys change, ' +
        'third-party and upstream credentials must be set again',
    );
    this.reload();
  }

  /**
   * Declares a secret (local-only; in AWS Terraform creates them). Idempotent: an existing secret keeps its versions
   * and gets `tags` merged in. Returns true when the secret was created.
   */
  createSecret(name: string, tags: Readonly<Record<string, string>> = {}, options: CreateSecretOptions = {}): boolean {
    this.reload();
    const existing = this.data.secrets[name];
    if (existing) {
      existing.tags = { ...existing.tags, ...tags };
      if (options.rotationEnabled !== undefined) existing.rotationEnabled = options.rotationEnabled;
    } else {
      this.data.secrets[name] = { tags: { ...tags }, rotationEnabled: options.rotationEnabled ?? true, versions: {} };
    }
    this.persist();
    return !existing;
  }

  /** Names of the declared secrets. */
  listSecrets(): string[] {
    this.reload();
    return Object.keys(this.data.secrets);
  }

  async getSecretVersion(secretId: string, stage: VersionStage): Promise<SecretVersion | undefined> {
    this.reload();
    const secret = this.data.secrets[secretId];
    if (!secret) return undefined;
    const entry = Object.entries(secret.versions).find(([, v]) => v.stages.includes(stage));
    return entry && toVersion(entry[0], entry[1]);
  }

  async getSecretVersionById(secretId: string, versionId: string): Promise<SecretVersion | undefined> {
    this.reload();
    const version = this.data.secrets[secretId]?.versions[versionId];
    return version && toVersion(versionId, version);
  }

  async describeSecret(secretId: string): Promise<SecretDescription> {
    this.reload();
    const secret = this.secret(secretId);
    const versionStages: Record<string, string[]> = {};
    for (const [id, v] of Object.entries(secret.versions)) versionStages[id] = [...v.stages];
    return { name: secretId, tags: { ...secret.tags }, rotationEnabled: secret.rotationEnabled, versionStages };
  }

  async putSecretValue(secretId: string, versionId: string, value: string, stages: readonly VersionStage[]): Promise<void> {
    this.reload();
    const secret = this.secret(secretId);
    const existing = secret.versions[versionId];
    if (existing) {
      // Same token, same value: a retried request, nothing to do (PutSecretValue's idempotency).
      if (existing.value === value) return;
      throw awsError('ResourceExistsException', `version ${versionId} of ${secretId} exists with another value`);
    }
    secret.versions[versionId] = { value, createdAt: new Date(this.clock()).toISOString(), stages: [] };
    // Without stages, PutSecretValue makes the new version AWSCURRENT.
    for (const stage of stages.length > 0 ? stages : (['AWSCURRENT'] as const)) attach(secret, stage, versionId);
    dropUnlabelled(secret);
    this.persist();
  }

  async updateVersionStage(
    secretId: string,
    stage: VersionStage,
    move: { moveToVersionId?: string; removeFromVersionId?: string },
  ): Promise<void> {
    this.reload();
    const secret = this.secret(secretId);
    const holder = Object.keys(secret.versions).find((id) => secret.versions[id].stages.includes(stage));
    const { moveToVersionId: to, removeFromVersionId: from } = move;
    if (to !== undefined && !secret.versions[to]) {
      throw awsError('ResourceNotFoundException', `version ${to} of ${secretId} not found`);
    }
    // As in AWS: taking a label from a version must name that version, so a stale caller cannot steal it.
    if (from !== undefined && from !== holder) {
      throw awsError('InvalidParameterException', `${stage} is not attached to version ${from} of ${secretId}`);
    }
    if (to !== undefined && holder !== undefined && holder !== to && from === undefined) {
      throw awsError('InvalidParameterException', `${stage} is attached to version ${holder}; name it in removeFromVersionId`);
    }
    if (to !== undefined) attach(secret, stage, to);
    else if (from !== undefined) detach(secret, stage, from);
    dropUnlabelled(secret);
    this.persist();
  }

  private secret(secretId: string): StoredSecret {
    const secret = this.data.secrets[secretId];
    if (!secret) throw awsError('ResourceNotFoundException', `secret ${secretId} not found`);
    return secret;
  }

  private reload(): void {
    this.data = this.file.readIfChanged() ?? this.data;
  }

  private persist(): void {
    this.file.write(this.data);
  }
}

/** In-memory `LocalSecretStore` (tests, throwaway local runs). */
export class MemorySecretStore extends LocalSecretStore {
  constructor(options: LocalSecretStoreOptions = {}) {
    super(undefined, options);
  }
}

function toVersion(versionId: string, v: StoredVersion): SecretVersion {
  return { versionId, value: v.value, createdAt: new Date(v.createdAt), stages: [...v.stages] };
}

/** Puts `stage` on `versionId`, taking it from its holder; AWSCURRENT's old holder becomes AWSPREVIOUS. */
function attach(secret: StoredSecret, stage: string, versionId: string): void {
  const target = secret.versions[versionId];
  if (target.stages.includes(stage)) return;
  const holder = Object.keys(secret.versions).find((id) => secret.versions[id].stages.includes(stage));
  if (holder !== undefined) detach(secret, stage, holder);
  if (stage === 'AWSCURRENT' && holder !== undefined) {
    for (const id of Object.keys(secret.versions)) detach(secret, 'AWSPREVIOUS', id);
    secret.versions[holder].stages.push('AWSPREVIOUS');
  }
  target.stages.push(stage);
}

function detach(secret: StoredSecret, stage: string, versionId: string): void {
  const v = secret.versions[versionId];
  v.stages = v.stages.filter((s) => s !== stage);
}

// AWS keeps unlabelled versions as "deprecated" and deletes them later; nobody can read them by stage, so drop them.
function dropUnlabelled(secret: StoredSecret): void {
  for (const [id, v] of Object.entries(secret.versions)) if (v.stages.length === 0) delete secret.versions[id];
}
