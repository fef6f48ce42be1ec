/**
 * For your Lambda code: `await getConnectionToken('Salesforce', { subject })` → a fresh access token of a
 * third-party connection. Deployed, it invokes the registry's token broker through the connection's alias (the
 * function name comes from `OAUTH_CONNECTIONS_FUNCTION`, which `connection.grantTokenAccess(fn)` sets); in local
 * mode (`OAUTH_CONNECTIONS_LOCAL_URL`) it asks the local registry.
 */
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { connectionAlias, ENV } from '../shared/names';
import { connectionPath } from '../shared/routes';
import type { BrokerEvent, BrokerResult } from './broker';
import type { ConnectionErrorCode } from './errors';
import type { ConnectionToken } from './token-set-item';

export type { ConnectionToken } from './token-set-item';

/**
 * The broker refused: `code` says why. `consentUrl` is there only when you asked for one (`consentLink: true`) and a
 * person's consent is what is missing (`not_connected`, `needs_consent`).
 */
export class ConnectionTokenError extends Error {
  constructor(
    readonly code: ConnectionErrorCode,
    description: string,
    readonly consentUrl?: string,
  ) {
    super(description);
    this.name = 'ConnectionTokenError';
  }
}

export interface GetConnectionTokenOptions {
  /** The user whose token set to use (`perUser` connections); none for `shared` ones. */
  readonly subject?: string;
  /**
   * When the subject has not consented (or must again), mint a fresh single-use consent link (`consentUrl` of the
   * error). Whoever opens it binds their account at the provider to `subject`: hand it only to that person, through a
   * channel you know is theirs (your signed-in UI, their email), never in the answer to whoever called your route.
   * @default false
   */
  readonly consentLink?: boolean;
  /** @default a LambdaClient built once per container */
  readonly lambda?: LambdaClient;
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

let defaultClient: LambdaClient | undefined;

export async function getConnectionToken(connection: string, options: GetConnectionTokenOptions = {}): Promise<ConnectionToken> {
  const env = options.env ?? process.env;
  const event: BrokerEvent = {
    action: 'token',
    connection,
    ...(options.subject !== undefined ? { subject: options.subject } : {}),
    ...(options.consentLink === true ? { consentLink: true } : {}),
  };
  const localUrl = env[ENV.CONNECTIONS_LOCAL_URL];
  const result = localUrl ? await askLocal(localUrl, event) : await invokeBroker(event, options.lambda, env);
  if ('error' in result) throw new ConnectionTokenError(result.error, result.error_description, result.consent_url);
  return result;
}

async function askLocal(baseUrl: string, event: BrokerEvent): Promise<BrokerResult> {
  const response = await fetch(`${baseUrl.replace(/\/+$/, '')}${connectionPath(event.connection, 'localBroker')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subject: event.subject, consentLink: event.consentLink }),
  });
  return (await response.json()) as BrokerResult;
}

async function invokeBroker(event: BrokerEvent, lambda: LambdaClient | undefined, env: NodeJS.ProcessEnv): Promise<BrokerResult> {
  const functionName = env[ENV.CONNECTIONS_FUNCTION];
  if (!functionName) {
    throw new Error(
      `${ENV.CONNECTIONS_FUNCTION} is not set: grant this function the connection's tokens with connection.grantTokenAccess(fn)`,
    );
  }
  const client = lambda ?? (defaultClient ??= new LambdaClient({}));
  const out = await client.send(
    new InvokeCommand({
      FunctionName: functionName,
      Qualifier: connectionAlias(event.connection),
      Payload: Buffer.from(JSON.stringify(event)),
    }),
  );
  const payload = out.Payload ? Buffer.from(out.Payload).toString('utf8') : '';
  if (out.FunctionError) throw new Error(`the token broker failed (${out.FunctionError})`);
  return JSON.parse(payload) as BrokerResult;
}
