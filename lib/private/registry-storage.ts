/**
 * Where the registry keeps things: its KMS key (secrets and table), with an explicit key policy, and its one DynamoDB
 * table of registrations and state (single-key items with a TTL attribute), created in `scope` (the registry).
 */
import { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { KmsKey } from '@cdktf/provider-aws/lib/kms-key';
import type { Construct } from 'constructs';
import { stateTableName } from '../../lambdas/shared/names';
import { keyPolicy } from './registry-policies';

export interface RegistryStorageProps {
  readonly namePrefix: string;
  /** `arn:<partition>:iam::<account>:root`: the only principal of the key policy (IAM policies grant use). */
  readonly rootArn: string;
  readonly deletionProtection: boolean;
  readonly pointInTimeRecovery: boolean;
  readonly tags?: Record<string, string>;
}

export class RegistryStorage {
  public readonly key: KmsKey;
  public readonly table: DynamodbTable;

  constructor(scope: Construct, props: RegistryStorageProps) {
    const { namePrefix, tags } = props;
    this.key = new KmsKey(scope, 'Key', {
      description: `OAuth registry ${namePrefix}: client secrets, signing keys, registrations`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
      policy: JSON.stringify(keyPolicy(props.rootArn)),
      tags,
    });
    this.table = new DynamodbTable(scope, 'Table', {
      name: stateTableName(namePrefix),
      billingMode: 'PAY_PER_REQUEST',
      hashKey: 'pk',
      attribute: [{ name: 'pk', type: 'S' }],
      ttl: { attributeName: 'expiresAt', enabled: true },
      pointInTimeRecovery: { enabled: props.pointInTimeRecovery },
      deletionProtectionEnabled: props.deletionProtection,
      serverSideEncryption: { enabled: true, kmsKeyArn: this.key.arn },
      tags,
    });
  }
}
