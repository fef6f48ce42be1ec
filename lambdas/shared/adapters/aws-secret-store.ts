/** `SecretStore` over AWS Secrets Manager (SDK v3). */
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
  type GetSecretValueCommandInput,
  type SecretsManagerClientConfig,
} from '@aws-sdk/client-secrets-manager';
import type { SecretDescription, SecretStore, SecretVersion, VersionStage } from '../ports';
import { boundedClientConfig } from './aws-client-config';

export interface AwsSecretStoreOptions {
  /** A ready client (tests pass one to mock); otherwise one is built from `clientConfig` on first use. */
  readonly client?: SecretsManagerClient;
  readonly clientConfig?: SecretsManagerClientConfig;
}

/** Reads and stages secret versions in Secrets Manager; the client is built once, lazily (cold start stays cheap). */
export class AwsSecretStore implements SecretStore {
  private client?: SecretsManagerClient;

  constructor(private readonly options: AwsSecretStoreOptions = {}) {
    this.client = options.client;
  }

  private get sm(): SecretsManagerClient {
    return (this.client ??= new SecretsManagerClient(boundedClientConfig(this.options.clientConfig)));
  }

  getSecretVersion(secretId: string, stage: VersionStage): Promise<SecretVersion | undefined> {
    return this.get({ SecretId: secretId, VersionStage: stage });
  }

  getSecretVersionById(secretId: string, versionId: string): Promise<SecretVersion | undefined> {
    return this.get({ SecretId: secretId, VersionId: versionId });
  }

  async describeSecret(secretId: string): Promise<SecretDescription> {
    const out = await this.sm.send(new DescribeSecretCommand({ SecretId: secretId }));
    const tags: Record<string, string> = {};
    for (const tag of out.Tags ?? []) if (tag.Key !== undefined) tags[tag.Key] = tag.Value ?? '';
    return {
      name: out.Name ?? secretId,
      tags,
      rotationEnabled: out.RotationEnabled ?? false,
      versionStages: out.VersionIdsToStages ?? {},
    };
  }

  async putSecretValue(secretId: string, versionId: string, value: string, stages: readonly VersionStage[]): Promise<void> {
    await this.sm.send(
      new PutSecretValueCommand({
        SecretId: secretId,
        ClientRequestToken: versionId,
        SecretString: value,
        VersionStages: [...stages],
      }),
    );
  }

  async updateVersionStage(
    secretId: string,
    stage: VersionStage,
    move: { moveToVersionId?: string; removeFromVersionId?: string },
  ): Promise<void> {
    await this.sm.send(
      new UpdateSecretVersionStageCommand({
        SecretId: secretId,
        VersionStage: stage,
        MoveToVersionId: move.moveToVersionId,
        RemoveFromVersionId: move.removeFromVersionId,
      }),
    );
  }

  // A stage no version holds, a version without a value, and a missing secret all surface as ResourceNotFound.
  private async get(input: GetSecretValueCommandInput): Promise<SecretVersion | undefined> {
    try {
      const out = await this.sm.send(new GetSecretValueCommand(input));
      if (out.SecretString === undefined || out.VersionId === undefined) return undefined;
      return {
        versionId: out.VersionId,
        value: out.SecretString,
        createdAt: out.CreatedDate ?? new Date(0),
        stages: out.VersionStages ?? [],
      };
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
      throw err;
    }
  }
}
