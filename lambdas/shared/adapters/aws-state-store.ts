/**
 * `StateStore` over the registry's DynamoDB table (hash key `pk`, TTL attribute `expiresAt`). DynamoDB removes expired
 * items lazily, so reads filter them and every condition treats an item past `expiresAt` as absent.
 */
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClientConfig,
} from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import {
  StateKeyTooLongError,
  stateKeyTooLong,
  type Clock,
  type Condition,
  type StateItem,
  type StateLister,
  type StateStore,
} from '../ports';
import { boundedClientConfig } from './aws-client-config';
import { isExpired } from './local-state-store';

export interface AwsStateStoreOptions {
  readonly tableName: string;
  /** A ready client (tests point one at dynalite); otherwise one is built from `clientConfig` on first use. */
  readonly client?: DynamoDBClient;
  readonly clientConfig?: DynamoDBClientConfig;
  /** Decides which items have expired. @default Date.now */
  readonly clock?: Clock;
}

const MARSHALL = { removeUndefinedValues: true } as const;

/** Builds one condition expression with its attribute name and value placeholders. */
class ExpressionBuilder {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, AttributeValue> = {};
  private nameCount = 0;
  private valueCount = 0;
  private nowValue?: string;

  constructor(private readonly nowSecs: number) {}

  name(attribute: string): string {
    const existing = Object.entries(this.names).find(([, n]) => n === attribute);
    if (existing) return existing[0];
    const placeholder = `#n${this.nameCount++}`;
    this.names[placeholder] = attribute;
    return placeholder;
  }

  value(value: unknown): string {
    const placeholder = `:v${this.valueCount++}`;
    this.values[placeholder] = marshall({ v: value }, MARSHALL).v!;
    return placeholder;
  }

  /** No live item: absent, or past its `expiresAt`. */
  absent(): string {
    return `(attribute_not_exists(${this.name('pk')}) OR ${this.name('expiresAt')} < ${this.now()})`;
  }

  live(): string {
    const expiresAt = this.name('expiresAt');
    return `(attribute_exists(${this.name('pk')}) AND (attribute_not_exists(${expiresAt}) OR ${expiresAt} >= ${this.now()}))`;
  }

  condition(condition: Condition): string {
    switch (condition.kind) {
      case 'notExists':
        return this.absent();
      case 'exists':
        return this.live();
      case 'equals':
        return `(${this.live()} AND ${this.name(condition.attribute)} = ${this.value(condition.value)})`;
      case 'notEquals': {
        const name = this.name(condition.attribute);
        return `(${this.absent()} OR attribute_not_exists(${name}) OR ${name} <> ${this.value(condition.value)})`;
      }
      case 'lessThan':
        return `(${this.live()} AND ${this.name(condition.attribute)} < ${this.value(condition.value)})`;
      case 'missing':
        return `(${this.absent()} OR attribute_not_exists(${this.name(condition.attribute)}))`;
      case 'and':
      case 'or':
        return `(${condition.conditions.map((c) => this.condition(c)).join(` ${condition.kind.toUpperCase()} `)})`;
    }
  }

  /** The placeholders, in the shape the commands take (omitted when empty, as DynamoDB requires). */
  attributes(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> } {
    return {
      ...(this.nameCount > 0 ? { ExpressionAttributeNames: this.names } : {}),
      ...(this.valueCount > 0 ? { ExpressionAttributeValues: this.values } : {}),
    };
  }

  private now(): string {
    return (this.nowValue ??= this.value(this.nowSecs));
  }
}

function isConditionFailure(err: unknown): boolean {
  return (err as Error | undefined)?.name === 'ConditionalCheckFailedException';
}

/** The item must exist, and meet `condition` when one is given. */
const existsAnd = (condition?: Condition): Condition =>
  condition ? { kind: 'and', conditions: [{ kind: 'exists' }, condition] } : { kind: 'exists' };

/** The registry's state table in DynamoDB: conditional single-item writes, TTL honoured on every read and condition. */
export class AwsStateStore implements StateStore, StateLister {
  private client?: DynamoDBClient;
  private readonly clock: Clock;

  constructor(private readonly options: AwsStateStoreOptions) {
    this.client = options.client;
    this.clock = options.clock ?? Date.now;
  }

  private get ddb(): DynamoDBClient {
    return (this.client ??= new DynamoDBClient(boundedClientConfig(this.options.clientConfig)));
  }

  private builder(): ExpressionBuilder {
    return new ExpressionBuilder(Math.floor(this.clock() / 1000));
  }

  async get<T extends StateItem = StateItem>(pk: string): Promise<T | undefined> {
    if (stateKeyTooLong(pk)) return undefined;
    const out = await this.ddb.send(
      new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: pk } }, ConsistentRead: true }),
    );
    if (!out.Item) return undefined;
    const item = unmarshall(out.Item) as T;
    return isExpired(item, this.clock()) ? undefined : item;
  }

  async put(item: StateItem, condition?: Condition): Promise<boolean> {
    if (stateKeyTooLong(item.pk)) throw new StateKeyTooLongError(item.pk);
    const expr = this.builder();
    const conditionExpression = condition && expr.condition(condition);
    try {
      await this.ddb.send(
        new PutItemCommand({
          TableName: this.options.tableName,
          Item: marshall(item, MARSHALL),
          ...(conditionExpression ? { ConditionExpression: conditionExpression, ...expr.attributes() } : {}),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  async update(pk: string, changes: Readonly<Record<string, unknown>>, condition?: Condition): Promise<boolean> {
    if ('pk' in changes) throw new Error("update cannot change an item's key");
    const entries = Object.entries(changes);
    if (entries.length === 0) throw new Error('update needs at least one change');
    if (stateKeyTooLong(pk)) return false;
    const expr = this.builder();
    const sets = entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${expr.name(k)} = ${expr.value(v)}`);
    const removes = entries.filter(([, v]) => v === undefined).map(([k]) => expr.name(k));
    const updateExpression = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
    // UpdateItem would create a missing item: require a live one.
    const conditionExpression = expr.condition(existsAnd(condition));
    try {
      await this.ddb.send(
        new UpdateItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: pk } },
          UpdateExpression: updateExpression,
          ConditionExpression: conditionExpression,
          ...expr.attributes(),
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** Live items whose key starts with `prefix`, in key order: a consistent, paginated Scan (operator tools only). */
  async list<T extends StateItem = StateItem>(prefix: string): Promise<T[]> {
    const items: T[] = [];
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const out = await this.ddb.send(
        new ScanCommand({
          TableName: this.options.tableName,
          FilterExpression: 'begins_with(#pk, :prefix)',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ExpressionAttributeValues: { ':prefix': { S: prefix } },
          ConsistentRead: true,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      for (const raw of out.Items ?? []) {
        const item = unmarshall(raw) as T;
        if (!isExpired(item, this.clock())) items.push(item);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items.sort((a, b) => (a.pk < b.pk ? -1 : a.pk > b.pk ? 1 : 0));
  }

  async delete<T extends StateItem = StateItem>(pk: string, condition?: Condition): Promise<T | undefined> {
    if (stateKeyTooLong(pk)) return undefined;
    const expr = this.builder();
    const conditionExpression = expr.condition(existsAnd(condition));
    try {
      const out = await this.ddb.send(
        new DeleteItemCommand({
          TableName: this.options.tableName,
          Key: { pk: { S: pk } },
          ConditionExpression: conditionExpression,
          ReturnValues: 'ALL_OLD',
          ...expr.attributes(),
        }),
      );
      return out.Attributes ? (unmarshall(out.Attributes) as T) : undefined;
    } catch (err) {
      if (isConditionFailure(err)) return undefined;
      throw err;
    }
  }
}
