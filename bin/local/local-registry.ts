/**
 * Local mode: the registry's HTTP API on 127.0.0.1, served by the same handlers that run in Lambda, with local
 * adapters behind the same ports (a file-backed secret store with Secrets Manager's staging rules, the manifest as
 * the registration store) and API Gateway's JWT authorizer emulated in front of protected routes.
 */
import { mkdirSync, writeFileSync, renameSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ClientMetadataDeps } from '../../lambdas/authorization-server/client-metadata-documents';
import { createAuthorizationServer, type AuthorizationServer } from '../../lambdas/authorization-server/server';
import { bootstrapSecrets } from '../../lambdas/rotation/bootstrap';
import { rotateSecret } from '../../lambdas/rotation/rotation';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { LocalStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { parseClientSecretValue, type ClientSecretValue } from '../../lambdas/shared/client-secret';
import { authorizationServerConfig, keySchedule, type AuthorizationServerConfig } from '../../lambdas/shared/config';
import { GATEWAY_JWKS_CACHE_SECS, type KeySchedule } from '../../lambdas/shared/key-schedule';
import { silentLogger, type Logger } from '../../lambdas/shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type RegistryManifest } from '../../lambdas/shared/manifest';
import { routeAudiences } from '../../lambdas/shared/manifest-queries';
import type { Clock, StateStore } from '../../lambdas/shared/ports';
import { serverUrl } from '../../lambdas/shared/routes';
import { localCors } from './cors';
import { createJwtAuthorizer, type JwtAuthorizer } from './jwt-authorizer';
import { startLocalConnections, type LocalConnections } from './local-connections';
import { localDataRoutes, type LocalDataRoutes } from './local-data-routes';
import type { LocalPages } from './local-pages';
import { localStatePaths } from './local-state';
import { requestDispatcher, requestListener, serverRouteKeys, type ProtectedRoute } from './request-dispatcher';
import { refuseConnect, requestGuard, type RequestGuard } from './request-guard';
import { routeMatcher } from './route-matcher';
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

/**
 * Starts local mode, step by step: open the state folder's stores, give every secret a value and publish the clients'
 * credentials, listen, then build what answers requests (the authorization server, the emulated authorizer and the
 * protected routes, data routes, connections) and hand them to the request dispatcher.
 */
export async function startLocalRegistry(options: LocalRegistryOptions): Promise<LocalRegistry> {
  const { manifest, clock } = options;
  const jwksCacheSecs = options.jwksCacheSecs ?? GATEWAY_JWKS_CACHE_SECS;
  const stores = openStores(options, jwksCacheSecs);
  const generated = await ensureLocalSecrets(stores, manifest, clock);
  let credentials = await publishCredentials(stores, manifest);
  const { server, issuer, guard } = await listenOnLoopback(options);
  const authorizationServer = localAuthorizationServer(options, stores, issuer);
  const { authorize, protectedRoutes } = routeAuthorization(options, issuer, jwksCacheSecs);
  const { dataRoutes, connections } = await startLocalRoutes(options, stores, issuer, authorize);
  const dispatch = requestDispatcher({
    issuer,
    appDir: options.appDir,
    guard,
    cors: localCors(manifest.corsAllowedOrigins),
    authorize,
    protectedRoutes,
    localRoutes: [dataRoutes, connections, options.pages],
    serverRouteKeys: serverRouteKeys(manifest),
    authorizationServer,
  });
  server.on('request', requestListener(dispatch, options.log));

  return {
    url: issuer,
    issuer,
    state: stores.state,
    dataDir: stores.paths.data,
    get credentials() {
      return credentials;
    },
    generated,
    secrets: stores.secrets,
    connections,
    async rotate(name: string) {
      await rotateLocalSecret(stores, manifest, name, clock);
      credentials = await publishCredentials(stores, manifest);
    },
    close: () => closeServer(server),
  };
}

/** What one start opens in the state folder: its files, the secret and state stores, and the signing-key schedule. */
interface LocalStores {
  readonly paths: ReturnType<typeof localStatePaths>;
  readonly secrets: LocalSecretStore;
  readonly state: LocalStateStore;
  readonly schedule: KeySchedule;
}

function openStores(options: LocalRegistryOptions, jwksCacheSecs: number): LocalStores {
  const paths = localStatePaths(ensureStateFolder(path.resolve(options.stateDir ?? '.oauth-registry')));
  mkdirSync(path.dirname(paths.secrets), { recursive: true, mode: 0o700 });
  const secrets = new LocalSecretStore(paths.secrets, { clock: options.clock });
  const schedule = keySchedule(options.manifest, jwksCacheSecs);
  // Opened before listening: a damaged state file stops the start (named), with no port left open. The bootstrap and
  // rotations publish the signing key's public ring there, where the JWKS reads it (as the table in AWS).
  const state = new LocalStateStore(paths.state, { clock: options.clock, quotas: [PENDING_SIGN_IN_QUOTA] });
  return { paths, secrets, state, schedule };
}

/** Declares the manifest's secrets and gives a value to those without one; returns the names of the secrets it gave one. */
async function ensureLocalSecrets({ secrets, state, schedule }: LocalStores, manifest: RegistryManifest, clock?: Clock): Promise<string[]> {
  const generated = await ensureSecrets(secrets, manifest, { clock, schedule, state });
  // The upstream client secret is the operator's to set (`credentials set-upstream-secret --local`), never generated.
  if (manifest.userAuthentication) secrets.createSecret(manifest.userAuthentication.secretId, {}, { rotationEnabled: false });
  return generated;
}

/** Reads the clients' current credentials and writes them to clients.json: at the start and after each rotation. */
async function publishCredentials({ secrets, paths }: LocalStores, manifest: RegistryManifest): Promise<Record<string, ClientSecretValue>> {
  const credentials = await readCredentials(secrets, manifest);
  writeCredentialsFile(paths.clients, credentials);
  return credentials;
}

/** A server listening on loopback (the port picked when 0), its issuer and its request guard; no request is answered yet. */
async function listenOnLoopback(options: LocalRegistryOptions): Promise<{ server: Server; issuer: string; guard: RequestGuard }> {
  const server = createServer().on('connect', refuseConnect);
  await listen(server, options.port ?? 8787, options.host ?? '127.0.0.1');
  const { port } = server.address() as AddressInfo;
  return { server, issuer: `http://127.0.0.1:${port}`, guard: requestGuard(port, options.host) };
}

/** The authorization server's handler, as Lambda runs it, on the local stores. */
function localAuthorizationServer(options: LocalRegistryOptions, stores: LocalStores, issuer: string): AuthorizationServer {
  const { manifest, log } = options;
  const { secrets, state } = stores;
  return createAuthorizationServer({
    config: localServerConfig(manifest, issuer),
    secrets,
    registrations: new ManifestRegistrationStore(manifest),
    state,
    counters: state,
    clock: options.clock,
    log: log ?? silentLogger,
    ...(options.clientMetadataFetchFor ? { clientMetadataFetchFor: options.clientMetadataFetchFor } : {}),
  });
}

/** The emulated JWT authorizer, reading this server's JWKS, and each protected route with its matcher and demands. */
function routeAuthorization(
  options: LocalRegistryOptions,
  issuer: string,
  jwksCacheSecs: number,
): { authorize: JwtAuthorizer; protectedRoutes: ProtectedRoute[] } {
  const authorize = createJwtAuthorizer({
    issuer,
    jwksUri: serverUrl(issuer, 'jwks'),
    jwksCacheSecs,
    refetchOnUnknownKid: options.jwksRefetchOnUnknownKid ?? true,
    clock: options.clock,
  });
  // One authorizer configuration per route, as API Gateway gets: its own audiences, never the union of the clients'.
  const protectedRoutes = options.manifest.routes.map((route) => ({
    route,
    match: routeMatcher(route.routeKey),
    demands: { audiences: routeAudiences(options.manifest, issuer, route), scopes: route.scopes },
  }));
  return { authorize, protectedRoutes };
}

/** Local mode's routes beside the server's: data routes (behind the emulated authorizer) and third-party connections. */
async function startLocalRoutes(
  { manifest, clock, log }: LocalRegistryOptions,
  stores: LocalStores,
  issuer: string,
  authorize: JwtAuthorizer,
): Promise<{ dataRoutes: LocalDataRoutes; connections: LocalConnections | undefined }> {
  const dataRoutes = localDataRoutes({ manifest, issuer, dataDir: stores.paths.data, authorize, clock });
  const connections = await startLocalConnections({
    manifest,
    secrets: stores.secrets,
    statePath: stores.paths.state,
    baseUrl: issuer,
    clock,
    log: log ?? silentLogger,
  });
  return { dataRoutes, connections };
}

/** Rotates a client's secret (or the signing key, named `signing-key`) as Secrets Manager would. */
async function rotateLocalSecret(
  { secrets, state, schedule }: LocalStores,
  manifest: RegistryManifest,
  name: string,
  clock?: Clock,
): Promise<void> {
  const client = manifest.clients.find((c) => c.name === name);
  const secretId = name === 'signing-key' ? manifest.signingKeySecretId : client?.secretId;
  if (!secretId) {
    throw new Error(
      client
        ? `client ${name} authenticates with ${client.authMethod}: it has no secret to rotate`
        : `no client named ${JSON.stringify(name)} in this registry`,
    );
  }
  await rotateSecret(secrets, secretId, undefined, { clock, schedule, state });
}

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

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Closes the server and every connection it holds (keep-alive ones too). */
function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.closeAllConnections();
    server.close((err) => (err ? reject(err) : resolve()));
  });
}
