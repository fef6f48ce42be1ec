/**
 * Lambda entry of the connections function: API Gateway events (connect, callback, proxy), direct broker invocations
 * (`{ action: 'token', … }`) and the CLI's disconnect (`{ action: 'disconnect', … }`). Configuration and AWS adapters
 * are wired once per container.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { AwsCipher } from '../shared/adapters/aws-cipher';
import { AwsEventPublisher } from '../shared/adapters/aws-event-publisher';
import { AwsSecretStore } from '../shared/adapters/aws-secret-store';
import { AwsStateStore } from '../shared/adapters/aws-state-store';
import { connectionsFromEnv } from '../shared/config';
import { createJsonLogger } from '../shared/log';
import { isBrokerEvent, type BrokerEvent, type BrokerResult } from './broker';
import { isDisconnectEvent, type DisconnectEvent, type DisconnectResult } from './disconnect';
import type { ConnectionErrorBody } from './errors';
import { tableConnections } from './registrations';
import { createConnectionsServer, type ConnectionsServer } from './server';

function build(): ConnectionsServer {
  const { tableName, kmsKeyId, ...config } = connectionsFromEnv();
  const state = new AwsStateStore({ tableName });
  const log = createJsonLogger();
  return createConnectionsServer({
    config,
    registrations: tableConnections(state, { ttlMs: config.cacheTtlSecs * 1000, log }),
    secrets: new AwsSecretStore(),
    state,
    cipher: new AwsCipher({ keyId: kmsKeyId }),
    events: new AwsEventPublisher(),
    log,
  });
}

let server: ConnectionsServer | undefined;

export function handler(event: BrokerEvent, context: Context): Promise<BrokerResult>;
export function handler(event: DisconnectEvent, context: Context): Promise<DisconnectResult | ConnectionErrorBody>;
export function handler(event: APIGatewayProxyEventV2, context: Context): Promise<APIGatewayProxyStructuredResultV2>;
export function handler(event: APIGatewayProxyEventV2 | BrokerEvent | DisconnectEvent, context: Context): Promise<unknown> {
  server ??= build();
  if (isBrokerEvent(event)) return server.invoke(event, context.invokedFunctionArn);
  if (isDisconnectEvent(event)) return server.disconnect(event, context.invokedFunctionArn);
  return server.handle(event);
}
