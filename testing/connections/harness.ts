/**
 * Our side of the connection tests: the connections server with local adapters (memory state and secrets, AES-GCM
 * cipher, events kept), a frozen clock, captured logs, served over HTTP on 127.0.0.1 the way local mode does.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, toApiGatewayEvent, writeApiGatewayResult } from '../../bin/local/http-adapter';
import { routeMatcher } from '../../bin/local/route-matcher';
import { signConsentLink } from '../../lambdas/connections/links';
import { createConnectionsServer, type ConnectionsDeps, type ConnectionsServer } from '../../lambdas/connections/server';
import { rotateSecret } from '../../lambdas/rotation/rotation';
import { LocalCipher } from '../../lambdas/shared/adapters/local-cipher';
import { MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { LogEventPublisher } from '../../lambdas/shared/adapters/log-event-publisher';
import { createJsonLogger } from '../../lambdas/shared/log';
import { SECRET_KIND_TAG, type ConnectionRegistration } from '../../lambdas/shared/manifest';
import type { StateStore } from '../../lambdas/shared/ports';
import { CONNECTION_ROUTES } from '../../lambdas/shared/routes';
import { FrozenClock } from '../clock';

export const LINK_KEY_SECRET_ID = 'test/connections/link-key';

/** Only yields to the event loop: lease polls and retry backoff cost no wall time, and the clock stays frozen. */
export const yieldSleep = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1));

export function connection(name: string, overrides: Partial<ConnectionRegistration> = {}): ConnectionRegistration {
  return {
    name,
    provider: { issuer: 'http://127.0.0.1:1' },
    grant: 'authorization_code',
    pkce: true,
    scopes: ['openid', 'offline_access', 'api:read'],
    authorizationParams: { prompt: 'consent' },
    tokenParams: {},
    clientAuth: 'client_secret_basic',
    mode: 'shared',
    credentialsSecretId: `test/connections/${name}`,
    ...overrides,
  };
}

export interface Harness {
  readonly url: string;
  readonly clock: FrozenClock;
  readonly secrets: MemorySecretStore;
  readonly state: MemoryStateStore;
  readonly cipher: LocalCipher;
  readonly events: LogEventPublisher;
  /** Every log line the servers wrote. */
  readonly logs: string[];
  readonly server: ConnectionsServer;
  /** Another connections server on the same table, secrets and clock: a second Lambda container. */
  newInstance(): ConnectionsServer;
  add(registration: ConnectionRegistration, credentials?: Record<string, unknown>): Promise<void>;
  link(connection: string, subject?: string): Promise<string>;
  callbackUrl(connection: string): string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Provider requests' timeout, in ms (and the proxy's, unless `proxyTimeoutMs`). @default 3000 */
  readonly timeoutMs?: number;
  readonly proxyTimeoutMs?: number;
  /** The test peers live on 127.0.0.1: allowed unless a test checks the deployed default (false). @default true */
  readonly allowPrivateNetwork?: boolean;
  readonly renewal?: ConnectionsDeps['renewal'];
  readonly sleep?: ConnectionsDeps['sleep'];
  /** What the servers see of the table (a test records their calls); `state` stays the unwrapped store. */
  readonly wrapState?: (state: StateStore) => StateStore;
  /** Called for each registration a server reads (the GetItem of `connection#<name>` in AWS). */
  readonly onRegistrationRead?: (name: string) => void;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const clock = new FrozenClock(Date.now());
  const logs: string[] = [];
  const log = createJsonLogger((line) => logs.push(line));
  const secrets = new MemorySecretStore({ clock: clock.now });
  const state = new MemoryStateStore({ clock: clock.now });
  const cipher = new LocalCipher(randomBytes(32));
  const events = new LogEventPublisher(log);
  secrets.createSecret(LINK_KEY_SECRET_ID, { [SECRET_KIND_TAG]: 'link-key' });
  await rotateSecret(secrets, LINK_KEY_SECRET_ID, undefined, { clock: clock.now });
  const registrations = new Map<string, ConnectionRegistration>();

  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

  const newInstance = () =>
    createConnectionsServer({
      config: {
        baseUrl: url,
        linkKeySecretId: LINK_KEY_SECRET_ID,
        cacheTtlSecs: 60,
        timeoutMs: options.timeoutMs ?? 3_000,
        proxyTimeoutMs: options.proxyTimeoutMs ?? options.timeoutMs ?? 3_000,
        allowPrivateNetwork: options.allowPrivateNetwork ?? true,
      },
      registrations: {
        get: async (name) => {
          options.onRegistrationRead?.(name);
          return registrations.get(name);
        },
      },
      secrets,
      state: options.wrapState?.(state) ?? state,
      cipher,
      events,
      clock: clock.now,
      sleep: options.sleep ?? yieldSleep,
      log,
      renewal: { retryDelaysMs: [10, 10], ...options.renewal },
    });
  const server = newInstance();
  const routes = Object.values(CONNECTION_ROUTES).map((routeKey) => ({ routeKey, match: routeMatcher(routeKey) }));
  http.on('request', async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const pathname = new URL(req.url ?? '/', url).pathname;
    for (const { routeKey, match } of routes) {
      const params = match(req.method ?? 'GET', pathname);
      if (params) return writeApiGatewayResult(res, await server.handle(toApiGatewayEvent(req, body, routeKey, params)));
    }
    res.writeHead(404).end();
  });

  return {
    url,
    clock,
    secrets,
    state,
    cipher,
    events,
    logs,
    server,
    newInstance,
    async add(registration, credentials) {
      registrations.set(registration.name, registration);
      secrets.createSecret(registration.credentialsSecretId, {}, { rotationEnabled: false });
      if (credentials)
        await secrets.putSecretValue(registration.credentialsSecretId, randomBytes(8).toString('hex'), JSON.stringify(credentials), [
          'AWSCURRENT',
        ]);
    },
    link: (name, subject) =>
      signConsentLink({ secrets, secretId: LINK_KEY_SECRET_ID, baseUrl: url, connection: name, subject, clock: clock.now }),
    callbackUrl: (name) => `${url}/connections/${name}/callback`,
    close: async () => {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
