/** `Counters` over the registry's DynamoDB table (SDK v3): one conditional `UpdateItem` per increment, a `GetItem` per count. */
import { DynamoDBClient, GetItemCommand, UpdateItemCommand, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { stateKeyTooLong, type Clock, type Counters } from '../ports';

export interface AwsCountersOptions {
  readonly tableName: string;
  /** A ready client (the state store's, or a test's); otherwise one is built from `clientConfig` on first use. */
  readonly client?: DynamoDBClient;
  readonly clientConfig?: DynamoDBClientConfig;
  /** @default Date.now */
  readonly clock?: Clock;
}

export class AwsCounters implements Counters {
  private client?: DynamoDBClient;

  constructor(private readonly options: AwsCountersOptions) {
    this.client = options.client;
  }

  /**
   * `ADD` under the condition "absent or below", so it creates, counts or refuses in one write. Counter keys name their
   * time window, so an expired item's key is never counted again.
   */
  async increment(pk: string, attribute: string, options: { below: number; expiresAt: number }): Promise<number | undefined> {
    if (stateKeyTooLong(pk)) return undefined;
    this.client ??= new DynamoDBClient(this.options.clientConfig ?? {});
    try {
      const out = await this.client.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: pk } },
          UpdateExpression: 'SET #expiresAt = :expiresAt ADD #count :one',
          ConditionExpression: 'attribute_not_exists(#pk) OR #count < :below',
          ExpressionAttributeNames: { '#pk': 'pk', '#count': attribute, '#expiresAt': 'expiresAt' },
          ExpressionAttributeValues: {
            ':expiresAt': { N: String(options.expiresAt) },
            ':one': { N: '1' },
            ':below': { N: String(options.below) },
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return Number(out.Attributes?.[attribute]?.N ?? 1);
    } catch (err) {
      if ((err as Error | undefined)?.name === 'ConditionalCheckFailedException') return undefined;
      throw err;
    }
  }

  /** A strongly consistent read; an item DynamoDB has not yet deleted past its `expiresAt` counts 0. */
  async count(pk: string, attribute: string): Promise<number> {
    if (stateKeyTooLong(pk)) return 0;
    this.client ??= new DynamoDBClient(this.options.clientConfig ?? {});
    const { Item: item } = await this.client.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    if (!item || Number(item.expiresAt?.N ?? Infinity) < Math.floor((this.options.clock ?? Date.now)() / 1000)) return 0;
    return Number(item[attribute]?.N ?? 0);
  }
}
