/** `RegistrationStore` over the registry's DynamoDB table: one Terraform-managed item per client. */
import { DynamoDBClient, GetItemCommand, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { clientItemKey, type ClientRegistration } from '../manifest';
import type { RegistrationStore } from '../ports';
import { boundedClientConfig } from './aws-client-config';

export interface AwsRegistrationStoreOptions {
  readonly tableName: string;
  /** A ready client (tests point one at dynalite); otherwise one is built from `clientConfig` on first use. */
  readonly client?: DynamoDBClient;
  readonly clientConfig?: DynamoDBClientConfig;
}

/** Reads `{ pk: client#<id> }` items whose `data` attribute holds the `ClientRegistration` JSON. */
export class AwsRegistrationStore implements RegistrationStore {
  private client?: DynamoDBClient;

  constructor(private readonly options: AwsRegistrationStoreOptions) {
    this.client = options.client;
  }

  private get ddb(): DynamoDBClient {
    return (this.client ??= new DynamoDBClient(boundedClientConfig(this.options.clientConfig)));
  }

  async getClient(clientId: string): Promise<ClientRegistration | undefined> {
    const out = await this.ddb.send(new GetItemCommand({ TableName: this.options.tableName, Key: { pk: { S: clientItemKey(clientId) } } }));
    const data = out.Item?.data?.S;
    if (data === undefined) return undefined;
    const registration = JSON.parse(data) as ClientRegistration;
    // An item under another client's key would let one client's secret speak for another: refuse it.
    if (registration.clientId !== clientId) throw new Error(`registration item ${clientItemKey(clientId)} names another client`);
    return registration;
  }
}
