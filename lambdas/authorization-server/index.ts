/** Lambda entry of the authorization server: configuration and AWS adapters are wired once per container. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { AwsCounters } from '../shared/adapters/aws-counters';
import { AwsRegistrationStore } from '../shared/adapters/aws-registration-store';
import { AwsSecretStore } from '../shared/adapters/aws-secret-store';
import { AwsStateStore } from '../shared/adapters/aws-state-store';
import { authorizationServerFromEnv } from '../shared/config';
import { createAuthorizationServer, type AuthorizationServer } from './server';

function build(): AuthorizationServer {
  const { tableName, ...config } = authorizationServerFromEnv();
  const state = new AwsStateStore({ tableName });
  return createAuthorizationServer({
    config,
    secrets: new AwsSecretStore(),
    registrations: new AwsRegistrationStore({ tableName }),
    state,
    counters: new AwsCounters({ tableName }),
  });
}

// Built on the cold start's first invocation rather than at module load, so loading the bundle (bench, tooling) needs
// no environment; a missing variable still fails the first request loudly, and every later one reuses the server.
let server: AuthorizationServer | undefined;

export const handler = (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => (server ??= build()).handle(event);
