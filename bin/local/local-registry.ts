/**
 * Local mode: the registry's HTTP API on 127.0.0.1, served by the same handlers that run in Lambda, with local
 * adapters behind the same ports (a file-backed secret store with Secrets Manager's staging rules, the manifest as
 * the registration store) and API Gateway's JWT authorizer emulated in front of protected routes.
 */
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { ClientMetadataDeps } from '../../lambdas/authorization-server/client-metadata-documents';
import { createAuthorizationServer } from '../../lambdas/authorization-server/server';
import { bootstrapSecrets } from '../../lambdas/rotation/bootstrap';
import { rotateSecret } from '../../lambdas/rotation/rotation';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { LocalStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { parseClientSecretValue, type ClientSecretValue } from '../../lambdas/shared/client-secret';
import { authorizationServerConfig, keySchedule, type AuthorizationServerConfig } from '../../lambdas/shared/config';
import { GATEWAY_JWKS_CACHE_SECS, type KeySchedule } from '../../lambdas/shared/key-schedule';
import { silentLogger, type Logger } from '../../lambdas/shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type RegistryManifest, type RouteRegistration } from '../../lambdas/shared/manifest';
import { protectedResourceMetadataPath, routeAudiences } from '../../lambdas/shared/manifest-queries';
import type { Clock, StateStore } from '../../lambdas/shared/ports';
import { REGISTRATION_ROUTE, SERVER_ROUTES } from '../../lambdas/shared/routes';
import { localCors } from './cors';
import { PayloadTooLargeError, readBody, toApiGatewayEvent, writeApiGatewayResult, writeGatewayError } from './http-adapter';
import { createJwtAuthorizer, type RouteAuthorization } from './jwt-authorizer';
import { startLocalConnections, type LocalConnections } from './local-connections';
import { localDataRoutes } from './local-data-routes';
import type { LocalPages } from './local-pages';
import { localStatePaths } from './local-state';
import { refuseConnect, requestGuard } from './request-guard';
import { MalformedPathError, routeMatcher } from './route-matcher';
import { ensureStateFolder } from './state-folder';
import { PENDING_SIGN_IN_QUOTA } from './state-quotas';

export interface LocalRegistryOptions {
  readonly manifest: RegistryManifest;
  /** Directory route handler entries are resolved from (the app file's directory). */
  readonly appDir: string;
  /** Local state: `<stateDir>/local/secrets.json` and `<stateDir>/local/clients.json`. @default '.oauth-registry' */
  readonly stateDir?: string;
  /** @default 8787; 0 picks a free port */
  readonly port?: number;
  readonly host?: string;
  readonly log?: Logger;
  readonly clock?: Clock;
  /** Seconds the emulated JWT authorizer keeps the JWKS (and new keys are published before they sign). @default 7200 */
  readonly jwksCacheSecs?: number;
  /** Whether the emulated authorizer refetches the JWKS for a token whose kid it does not know. @default true */
  readonly jwksRefetchOnUnknownKid?: boolean;
  /** How client metadata documents are fetched (tests: their own HTTPS certificate). Not settable from the CLI. */
  readonly clientMetadataFetchFor?: ClientMetadataDeps['fetchFor'];
  /** Local-only pages (the dashboard at `/`), tried after the registry's own routes. @default none */
  readonly pages?: LocalPages;
}

export interface LocalRegistry {
  readonly url: string;
  readonly issuer: string;
  /** Client name → credentials, as also written to `clients.json`. */
  readonly credentials: Readonly<Record<string, ClientSecretValue>>;
  /** Names of the secrets this start generated (first start: all of them). */
  readonly generated: readonly string[];
  readonly secrets: LocalSecretStore;
  /** The registry's state (codes, refresh tokens, connection token sets), one file per item. */
  readonly state: LocalStateStore;
  /** Where data routes' records are appended (`<route>.jsonl` each). */
  readonly dataDir: string;
  /** Third-party connections served here (connect, callback, proxy, local broker); undefined when none are declared. */
  readonly connections?: LocalConnections;
  /** Rotates a client's secret (or the signing key with `signing-key`) as Secrets Manager would, and rewrites clients.json. */
  rotate(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalRegistry(options: LocalRegistryOptions): Promise<LocalRegistry> {
  const { manifest, appDir, log } = options;
  const paths = localStatePaths(ensureStateFolder(path.resolve(options.stateDir ?? '.oauth-registry')));
  mkdirSync(path.dirname(paths.secrets), { recursive: true, mode: 0o700 });
  const secrets = new LocalSecretStore(paths.secrets, { clock: options.clock });
  const jwksCacheSecs = options.jwksCacheSecs ?? GATEWAY_JWKS_CACHE_SECS;
  const schedule = keySchedule(manifest, jwksCacheSecs);

  // Opened before listening: a damaged state file stops the start (named), with no port left open. The bootstrap and
  // rotations publish the signing key's public ring there, where the JWKS reads it (as the table in AWS).
  const state = new LocalStateStore(paths.state, { clock: options.clock, quotas: [PENDING_SIGN_IN_QUOTA] });

  const generated = await ensureSecrets(secrets, manifest, { clock: options.clock, schedule, state });
  // The upstream client secret is the operator's to set (`credentials set-upstream-secret --local`), never generated.
  if (manifest.userAuthentication) secrets.createSecret(manifest.userAuthentication.secretId, {}, { rotationEnabled: false });
  let credentials = await readCredentials(secrets, manifest);
  writeCredentialsFile(paths.clients, credentials);

  const server = createServer().on('connect', refuseConnect);
  await listen(server, options.port ?? 8787, options.host ?? '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  const guard = requestGuard(port, options.host);
  const issuer = `http://127.0.0.1:${port}`;

  const authorizationServer = createAuthorizationServer({
    config: localServerConfig(manifest, issuer),
    secrets,
    registrations: new ManifestRegistrationStore(manifest),
    state,
    counters: state,
    clock: options.clock,
    log: log ?? silentLogger,
    ...(options.clientMetadataFetchFor ? { clientMetadataFetchFor: options.clientMetadataFetchFor } : {}),
  });
  const authorize = createJwtAuthorizer({
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    jwksCacheSecs,
    refetchOnUnknownKid: options.jwksRefetchOnUnknownKid ?? true,
    clock: options.clock,
  });
  // One authorizer configuration per route, as API Gateway gets: its own audiences, never the union of the clients'.
  const routes = manifest.routes.map((route) => ({
    route,
    match: routeMatcher(route.routeKey),
    demands: { audiences: routeAudiences(manifest, issuer, route), scopes: route.scopes },
  }));
  const dataRoutes = localDataRoutes({ manifest, issuer, dataDir: paths.data, authorize, clock: options.clock });
  const connections = await startLocalConnections({
    manifest,
    secrets,
    statePath: paths.state,
    baseUrl: issuer,
    clock: options.clock,
    log: log ?? silentLogger,
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const started = Date.now();
    res.on('finish', () =>
      log?.info('request', { method: req.method, path: req.url?.split('?')[0], status: res.statusCode, ms: Date.now() - started }),
    );
    void serve(req, res).catch((err: unknown) => {
      if (err instanceof MalformedPathError && !res.headersSent) return writeGatewayError(res, 400, 'Bad Request');
      log?.error('local_server_error', { error: err });
      if (!res.headersSent) writeGatewayError(res, 500, 'Internal Server Error');
      else res.destroy();
    });
  });

  const cors = localCors(manifest.corsAllowedOrigins);
  // Every server route, including `POST /internal/introspect`: API Gateway authorizes that one with IAM (SigV4), which
  // local mode does not emulate, so here it is served to anyone who can reach 127.0.0.1. And each MCP server's RFC 9728
  // document, which the server function answers too.
  const serverRouteKeys: ReadonlySet<string> = new Set([
    ...Object.values(SERVER_ROUTES),
    ...(manifest.mcpServers ?? []).map((s) => `GET ${protectedResourceMetadataPath(s)}`),
    ...(manifest.dynamicClientRegistration ? [REGISTRATION_ROUTE] : []),
  ]);

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refusal = guard(req);
    if (refusal) return writeGatewayError(res, refusal.status, refusal.message);
    if (cors?.handle(req, res)) return;
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof PayloadTooLargeError) return writeGatewayError(res, 413, 'Request Entity Too Large');
      throw err;
    }
    const method = req.method ?? 'GET';
    const pathname = new URL(req.url ?? '/', issuer).pathname;
    for (const { route, match, demands } of routes) {
      const params = match(method, pathname);
      if (params) return serveProtected(req, res, body, route, demands, params);
    }
    if (await dataRoutes.serve(req, res, body, method, pathname)) return;
    if (connections && (await connections.serve(req, res, body, method, pathname))) return;
    if (options.pages && (await options.pages.serve(req, res, body, method, pathname))) return;
    const routeKey = `${method} ${pathname}`;
    // API Gateway answers a request matching no route itself, before any Lambda runs.
    if (!serverRouteKeys.has(routeKey)) return writeGatewayError(res, 404, 'Not Found');
    writeApiGatewayResult(res, await authorizationServer.handle(toApiGatewayEvent(req, body, routeKey)));
  }

  async function serveProtected(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    route: RouteRegistration,
    demands: RouteAuthorization,
    pathParameters: Record<string, string>,
  ): Promise<void> {
    const decision = await authorize(req.headers.authorization, demands);
    if (!decision.allow) {
      return writeGatewayError(res, decision.status, decision.message, { 'www-authenticate': decision.wwwAuthenticate });
    }
    const event = toApiGatewayEvent(req, body, route.routeKey, Object.keys(pathParameters).length ? pathParameters : undefined);
    const withAuthorizer = {
      ...event,
      requestContext: { ...event.requestContext, authorizer: { jwt: { claims: decision.claims, scopes: decision.scopes } } },
    };
    const handler = await loadHandler(appDir, route);
    writeApiGatewayResult(res, await handler(withAuthorizer, lambdaContext(route)));
  }

  return {
    url: issuer,
    issuer,
    state,
    dataDir: paths.data,
    get credentials() {
      return credentials;
    },
    generated,
    secrets,
    connections,
    async rotate(name: string) {
      const client = manifest.clients.find((c) => c.name === name);
      const secretId = name === 'signing-key' ? manifest.signingKeySecretId : client?.secretId;
      if (!secretId) {
        throw new Error(
          client
            ? `client ${name} authenticates with ${client.authMethod}: it has no secret to rotate`
            : `no client named ${JSON.stringify(name)} in this registry`,
        );
      }
      await rotateSecret(secrets, secretId, undefined, { clock: options.clock, schedule, state });
      credentials = await readCredentials(secrets, manifest);
      writeCredentialsFile(paths.clients, credentials);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * The signing-key schedule of local mode, from the manifest: its rotation period, the longest access-token lifetime of
 * the registry and its clients, and a pre-publish window covering the emulated authorizer's JWKS cache.
 */
/** The deployed server's config (the manifest's one projection), with local mode's overrides. */
function localServerConfig(manifest: RegistryManifest, issuer: string): AuthorizationServerConfig {
  const config = authorizationServerConfig(manifest, issuer);
  return {
    ...config,
    // Short, so a rotation done from another terminal shows up within a second or two.
    cacheTtlSecs: 1,
    // Local providers, key sets and metadata documents run on this machine.
    allowPrivateNetwork: true,
    ...(config.clientIdMetadataDocuments
      ? { clientIdMetadataDocuments: { ...config.clientIdMetadataDocuments, allowPrivateNetwork: true } }
      : {}),
  };
}

/**
 * Declares every secret the manifest names and gives a first value to any without one, through the bootstrap the
 * deployed registry runs at apply time. Returns the names of the secrets it gave a value.
 */
export async function ensureSecrets(
  secrets: LocalSecretStore,
  manifest: RegistryManifest,
  deps: { clock?: Clock; schedule?: KeySchedule; state?: Pick<StateStore, 'get' | 'put'> } = {},
): Promise<string[]> {
  const wanted = [
    { secretId: manifest.signingKeySecretId, tags: { [SECRET_KIND_TAG]: 'signing-key' } },
    // Clients without a shared secret (private_key_jwt, none) have no secret to declare.
    ...manifest.clients.flatMap((c) =>
      c.secretId === undefined ? [] : [{ secretId: c.secretId, tags: { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: c.clientId } }],
    ),
  ];
  for (const { secretId, tags } of wanted) secrets.createSecret(secretId, tags);
  const schedule = deps.schedule ?? keySchedule(manifest);
  const secretIds = wanted.map((w) => w.secretId);
  const { created } = await bootstrapSecrets(secrets, { action: 'bootstrap', secretIds }, { ...deps, schedule });
  return created;
}

export async function readCredentials(secrets: LocalSecretStore, manifest: RegistryManifest): Promise<Record<string, ClientSecretValue>> {
  const credentials: Record<string, ClientSecretValue> = {};
  for (const client of manifest.clients) {
    if (client.secretId === undefined) continue;
    const current = await secrets.getSecretVersion(client.secretId, 'AWSCURRENT');
    if (!current) continue;
    credentials[client.name] = { client_id: client.clientId, client_secret: clientSecretOf(client.secretId, current.value) };
  }
  return credentials;
}

/** The secret of a client's secret value; throws when the value is not one (the file was edited by hand). */
export function clientSecretOf(secretId: string, value: string): string {
  const parsed = parseClientSecretValue(value);
  if (!parsed) throw new Error(`secret ${secretId} does not hold {"client_id","client_secret"}`);
  return parsed.client_secret;
}

export function writeCredentialsFile(file: string, credentials: Record<string, ClientSecretValue>): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, file);
}

type RouteHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;
const handlers = new Map<string, Promise<RouteHandler>>();

function loadHandler(appDir: string, route: RouteRegistration): Promise<RouteHandler> {
  const file = path.resolve(appDir, route.handler.entry);
  const key = `${file}#${route.handler.exportName}`;
  let loaded = handlers.get(key);
  if (!loaded) {
    loaded = import(pathToFileURL(file).href).then((mod: Record<string, unknown>) => {
      const fn = mod[route.handler.exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[route.handler.exportName];
      if (typeof fn !== 'function') throw new Error(`${route.handler.entry} exports no function ${route.handler.exportName}`);
      return fn as RouteHandler;
    });
    handlers.set(key, loaded);
  }
  return loaded;
}

function lambdaContext(route: RouteRegistration): Context {
  const name = `local-${route.routeKey.replace(/[^A-Za-z0-9]+/g, '-')}`;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${name}`,
    memoryLimitInMB: '256',
    awsRequestId: crypto.randomUUID(),
    logGroupName: `/aws/lambda/${name}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
