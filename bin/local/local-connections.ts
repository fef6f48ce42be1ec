/**
 * Local mode's part for third-party connections: the connections handler with local adapters (the local secret and
 * state files, AES-256-GCM for refresh tokens, events to the log), its routes, and a broker endpoint for
 * `getConnectionToken` (`POST /_local/connections/{name}/token`, local only). The proxy is not IAM-authorized here:
 * whoever reaches 127.0.0.1 may use it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_BY_CODE } from '../../lambdas/connections/errors';
import { signConsentLink } from '../../lambdas/connections/links';
import { manifestConnections } from '../../lambdas/connections/registrations';
import { createConnectionsServer, type ConnectionsServer } from '../../lambdas/connections/server';
import { bootstrapSecrets } from '../../lambdas/rotation/bootstrap';
import { LocalCipher } from '../../lambdas/shared/adapters/local-cipher';
import type { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { LocalStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { LogEventPublisher } from '../../lambdas/shared/adapters/log-event-publisher';
import { connectionsSettings } from '../../lambdas/shared/config';
import { jsonResponse } from '../../lambdas/shared/http';
import type { Logger } from '../../lambdas/shared/log';
import { SECRET_KIND_TAG, type RegistryManifest } from '../../lambdas/shared/manifest';
import { ENV, secretNames } from '../../lambdas/shared/names';
import type { Clock } from '../../lambdas/shared/ports';
import { CONNECTION_ROUTES, LOCAL_BROKER_ROUTE, LOCAL_DISCONNECT_ROUTE } from '../../lambdas/shared/routes';
import { toApiGatewayEvent, writeApiGatewayResult } from './http-adapter';
import { routeMatcher } from './route-matcher';

export interface LocalConnections {
  readonly server: ConnectionsServer;
  /** Serves the request if it is a connection route; false when it is not one. */
  serve(req: IncomingMessage, res: ServerResponse, body: Buffer, method: string, pathname: string): Promise<boolean>;
  /** A fresh consent link on this local registry. */
  consentLink(connection: string, subject?: string): Promise<string>;
}

/** Connection routes for `manifest`'s connections on `baseUrl`, or undefined when it declares none. */
export async function startLocalConnections(options: {
  manifest: RegistryManifest;
  secrets: LocalSecretStore;
  statePath: string;
  baseUrl: string;
  clock?: Clock;
  log: Logger;
}): Promise<LocalConnections | undefined> {
  const { manifest, secrets, baseUrl, log } = options;
  if (!manifest.connections?.length) return undefined;
  // The deployed function's settings (the manifest's one projection), with local mode's overrides.
  const settings = connectionsSettings(manifest, baseUrl);
  const { linkKeySecretId } = settings;
  secrets.createSecret(linkKeySecretId, { [SECRET_KIND_TAG]: 'link-key' });
  await bootstrapSecrets(secrets, { action: 'bootstrap', secretIds: [linkKeySecretId] }, { clock: options.clock });
  // Credentials are the operator's to set (`connections set-credentials <name> --local`), never generated.
  for (const c of manifest.connections) secrets.createSecret(c.credentialsSecretId, {}, { rotationEnabled: false });

  const server = createConnectionsServer({
    // Local providers and APIs are often on 127.0.0.1: the deployed default refuses private addresses.
    config: { ...settings, cacheTtlSecs: 1, allowPrivateNetwork: true },
    registrations: manifestConnections(manifest),
    secrets,
    state: new LocalStateStore(options.statePath, { clock: options.clock }),
    cipher: await LocalCipher.fromSecretStore(secrets, secretNames.localRefreshTokenKey(manifest.namePrefix)),
    events: new LogEventPublisher(log),
    clock: options.clock,
    log,
  });
  // Route handlers run in this process: `getConnectionToken` finds the local broker through this variable.
  process.env[ENV.CONNECTIONS_LOCAL_URL] = baseUrl;

  const routes = Object.values(CONNECTION_ROUTES).map((routeKey) => ({ routeKey, match: routeMatcher(routeKey) }));
  const broker = routeMatcher(LOCAL_BROKER_ROUTE);
  const disconnect = routeMatcher(LOCAL_DISCONNECT_ROUTE);

  async function serveBroker(res: ServerResponse, body: Buffer, name: string): Promise<void> {
    const parsed = parseBrokerBody(body);
    if (parsed === undefined) {
      const description = "the body must be a JSON object: {'subject'?: string, 'consentLink'?: boolean}";
      return writeApiGatewayResult(res, jsonResponse(400, { error: 'invalid_request', error_description: description }));
    }
    const result = await server.invoke({ action: 'token', connection: name, ...parsed });
    writeApiGatewayResult(res, jsonResponse('error' in result ? STATUS_BY_CODE[result.error] : 200, result));
  }

  return {
    server,
    async serve(req, res, body, method, pathname) {
      const brokerParams = broker(method, pathname);
      if (brokerParams) {
        await serveBroker(res, body, brokerParams.name);
        return true;
      }
      const disconnectParams = disconnect(method, pathname);
      if (disconnectParams) {
        const parsed = parseBrokerBody(body);
        const result = parsed && (await server.disconnect({ action: 'disconnect', connection: disconnectParams.name, ...parsed }));
        const answer = result ?? {
          error: 'invalid_request' as const,
          error_description: 'the body must be a JSON object: {"subject"?: string}',
        };
        writeApiGatewayResult(res, jsonResponse('error' in answer ? STATUS_BY_CODE[answer.error] : 200, answer));
        return true;
      }
      for (const { routeKey, match } of routes) {
        const params = match(method, pathname);
        if (params) {
          writeApiGatewayResult(res, await server.handle(toApiGatewayEvent(req, body, routeKey, params)));
          return true;
        }
      }
      return false;
    },
    consentLink: (connection, subject) =>
      signConsentLink({ secrets, secretId: linkKeySecretId, baseUrl, connection, subject, clock: options.clock }),
  };
}

/**
 * The broker request's body (empty, or a JSON object whose `subject` is a string and `consentLink` a boolean when
 * present); undefined when it is not.
 */
function parseBrokerBody(body: Buffer): { subject?: string; consentLink?: boolean } | undefined {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { subject, consentLink } = value as { subject?: unknown; consentLink?: unknown };
  if (subject !== undefined && typeof subject !== 'string') return undefined;
  if (consentLink !== undefined && typeof consentLink !== 'boolean') return undefined;
  return { ...(subject === undefined ? {} : { subject }), ...(consentLink ? { consentLink } : {}) };
}
