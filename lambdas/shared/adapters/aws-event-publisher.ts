/** `EventPublisher` over Amazon EventBridge (SDK v3): PutEvents on the account's default bus. */
import { EventBridgeClient, PutEventsCommand, type EventBridgeClientConfig } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE } from '../health-signals';
import type { EventPublisher } from '../ports';
import { boundedClientConfig } from './aws-client-config';

export interface AwsEventPublisherOptions {
  /** A ready client (tests pass one to mock); otherwise one is built from `clientConfig` on first use. */
  readonly client?: EventBridgeClient;
  readonly clientConfig?: EventBridgeClientConfig;
}

export class AwsEventPublisher implements EventPublisher {
  private client?: EventBridgeClient;

  constructor(private readonly options: AwsEventPublisherOptions = {}) {
    this.client = options.client;
  }

  private get eventBridge(): EventBridgeClient {
    return (this.client ??= new EventBridgeClient(boundedClientConfig(this.options.clientConfig)));
  }

  async publish(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void> {
    const out = await this.eventBridge.send(
      new PutEventsCommand({
        Entries: [{ Source: EVENT_SOURCE, DetailType: detailType, Detail: JSON.stringify(detail), EventBusName: 'default' }],
      }),
    );
    if (out.FailedEntryCount) throw new Error(`EventBridge refused the event: ${out.Entries?.[0]?.ErrorCode ?? 'unknown'}`);
  }
}
