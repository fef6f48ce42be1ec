/**
 * The connections function: consent (connect, callback), the API proxy, and the token broker, for every
 * third-party connection of a registry. Routes by route key to one file per endpoint; built once per cold start.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as oauth from 'oauth4webapi';
import { boundedFetch, DOCUMENT_LIMITS } from '../shared/bounded-fetch';
import type { ConnectionsSettings } from '../shared/config';
import { jsonResponse, routeKeyOf, type RouteHandler } from '../shared/http';
import { createJsonLogger, type Logger } from '../shared/log';
import type { ConnectionRegistration } from '../shared/manifest';
import { errorDescription } from '../shared/oauth-syntax';
import type { Cipher, Clock, EventPublisher, SecretStore, StateStore } from '../shared/ports';
import { CONNECTION_ROUTES } from '../shared/routes';
import { createBroker, type BrokerEvent, type BrokerResult } from './broker';
import { createCallbackEndpoint } from './callback';
import { createConnectEndpoint } from './connect';
import type { ConnectionsContext } from './context';
import { createDisconnect, type DisconnectEvent, type DisconnectResult } from './disconnect';
import { unknownConnection, type ConnectionErrorBody } from './errors';
import { jwtBearerGrant } from './jwt-bearer';
import { createConsentLinks } from './links';
import { createProviders, type ProviderClient } from './providers';
import { createProxyEndpoint, PROXY_LIMITS } from './proxy';
import type { ConnectionRegistrations } from './registrations';
import type { RenewalRequest } from './token-renewal';
import type { TokenSetStatus } from './token-set-item';
import { createTokenSets, type TokenSetsOptions } from './token-sets';

/** The deployed settings (`ConnectionsSettings`, from the manifest's projection), and what local mode and tests set. */
export interface ConnectionsConfig extends ConnectionsSettings {
  /** Timeout of each request to a provider (discovery, token requests), in ms. @default 5000 (`DOCUMENT_LIMITS`) */
  readonly timeoutMs?: number;
  /** Timeout of each request the proxy makes to a connection's API, body included, in ms. @default 10000 (`PROXY_LIMITS`) */
  readonly proxyTimeoutMs?: number;
  /**
   * Let providers and APIs live on loopback, private or link-local addresses (local mode and tests, whose providers
   * run on 127.0.0.1). Off, such addresses are refused at connect time, after DNS. @default false
   */
  readonly allowPrivateNetwork?: boolean;
}

export interface ConnectionsDeps {
  readonly config: ConnectionsConfig;
  readonly registrations: ConnectionRegistrations;
  readonly secrets: SecretStore;
  readonly state: StateStore;
  readonly cipher: Cipher;
  readonly events: EventPublisher;
  /** @default Date.now */
  readonly clock?: Clock;
  /** Waits between lease polls and retries. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default JSON lines on stdout */
  readonly log?: Logger;
  /** Tuning of token renewal (skew, lease, polling, retries, backoff). */
  readonly renewal?: Pick<
    TokenSetsOptions,
    'skewSecs' | 'leaseMs' | 'maxWaitMs' | 'pollMs' | 'retryDelaysMs' | 'backoffInitialMs' | 'backoffMaxMs'
  >;
}

export interface ConnectionsServer {
  /** Answers one API Gateway v2 request; never throws. */
  handle(event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2>;
  /** Answers one broker invocation; never throws. */
  invoke(event: BrokerEvent, invokedFunctionArn?: string): Promise<BrokerResult>;
  /** Revokes and deletes a subject's token set (offboarding); never throws. */
  disconnect(event: DisconnectEvent, invokedFunctionArn?: string): Promise<DisconnectResult | ConnectionErrorBody>;
  /** A connection's health, for `status` (no token in it). */
  status(connection: string, subject?: string): Promise<TokenSetStatus>;
}

export function createConnectionsServer(deps: ConnectionsDeps): ConnectionsServer {
  const clock = deps.clock ?? Date.now;
  const log = deps.log ?? createJsonLogger();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const timeoutMs = deps.config.timeoutMs ?? DOCUMENT_LIMITS.timeoutMs;
  const ttlMs = deps.config.cacheTtlSecs * 1000;
  const baseUrl = deps.config.baseUrl.replace(/\/+$/, '');
  const allowPrivateNetwork = deps.config.allowPrivateNetwork ?? false;
  // Provider documents are small; the proxied API's responses get the proxy's own, larger cap (proxy.ts).
  const documentFetch = boundedFetch({ maxBytes: DOCUMENT_LIMITS.maxBytes, timeoutMs, allowPrivateNetwork });
  // A provider on a private network is reached only when its declaration opts in (`allowPrivateNetwork`).
  const optedInFetch = boundedFetch({ maxBytes: DOCUMENT_LIMITS.maxBytes, timeoutMs, allowPrivateNetwork: true });
  const fetchFor = (connection: ConnectionRegistration) => (connection.provider.allowPrivateNetwork ? optedInFetch : documentFetch);
  const apiFetch = boundedFetch({
    maxBytes: PROXY_LIMITS.maxBytes,
    timeoutMs: deps.config.proxyTimeoutMs ?? PROXY_LIMITS.timeoutMs,
    allowPrivateNetwork,
  });

  const providers = createProviders({ secrets: deps.secrets, clock, ttlMs, fetchFor });
  const links = createConsentLinks({
    secrets: deps.secrets,
    secretId: deps.config.linkKeySecretId,
    baseUrl,
    state: deps.state,
    clock,
    ttlMs,
  });
  const tokenSets = createTokenSets({
    ...deps.renewal,
    state: deps.state,
    cipher: deps.cipher,
    events: deps.events,
    clock,
    sleep,
    log,
    renew: async (connection, request) =>
      GRANT_RENEWALS[connection.grant](await providers.client(connection), connection, { ...request, clock }),
  });
  const ctx: ConnectionsContext = {
    baseUrl,
    registrations: deps.registrations,
    providers,
    tokenSets,
    links,
    state: deps.state,
    clock,
    log,
  };

  const routes: ReadonlyMap<string, RouteHandler> = new Map([
    [CONNECTION_ROUTES.connect, createConnectEndpoint(ctx)],
    [CONNECTION_ROUTES.callback, createCallbackEndpoint(ctx)],
    [CONNECTION_ROUTES.proxy, createProxyEndpoint(ctx, apiFetch)],
  ]);
  const broker = createBroker(ctx);

  return {
    async handle(event) {
      const route = routes.get(routeKeyOf(event));
      if (!route)
        return jsonResponse(404, { error: 'not_found', error_description: errorDescription(`no route for ${routeKeyOf(event)}`) });
      return route(event);
    },
    invoke: broker,
    disconnect: createDisconnect({ ...deps, providers, tokenSets, log }),
    async status(name, subject) {
      const connection = await deps.registrations.get(name);
      if (!connection) throw unknownConnection(name);
      return tokenSets.status(connection, subject);
    },
  };
}

/** What one renewal needs beside the provider and the connection. */
type Renewal = RenewalRequest & { readonly clock: Clock };

/** One token request by the connection's grant: refresh (authorization_code), or a new token by client_credentials or JWT bearer. */
type GrantRenewal = (p: ProviderClient, c: ConnectionRegistration, r: Renewal) => Promise<oauth.TokenEndpointResponse>;
const GRANT_RENEWALS: Readonly<Record<ConnectionRegistration['grant'], GrantRenewal>> = {
  async authorization_code(p, connection, { refreshToken }) {
    const response = await oauth.refreshTokenGrantRequest(p.as, p.client, p.auth, refreshToken!, {
      ...p.options(),
      additionalParameters: connection.tokenParams,
    });
    return oauth.processRefreshTokenResponse(p.as, p.client, response);
  },
  async client_credentials(p, connection) {
    const parameters: Record<string, string> = { ...connection.tokenParams };
    if (connection.scopes.length > 0) parameters.scope = connection.scopes.join(' ');
    const response = await oauth.clientCredentialsGrantRequest(p.as, p.client, p.auth, parameters, p.options());
    return oauth.processClientCredentialsResponse(p.as, p.client, response);
  },
  jwt_bearer: (p, connection, { subject, clock }) => jwtBearerGrant(p, connection, subject, clock),
};
