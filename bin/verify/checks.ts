/**
 * The checks of `oauth-registry verify`: a registry as its callers and API Gateway meet it, over HTTP. Given the
 * expected issuer, the manifest (what the app declares) and a way to read client secrets, it fetches both metadata
 * documents and the JWKS, gets a real token, verifies it as the gateway would, and calls every protected route
 * without a token, with it, and with a token minted for a foreign audience. Each check is a row; a failure never
 * stops the others. No secret and no token ever reaches a row: every detail is redacted against both before return.
 */
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWK, type JWTPayload } from 'jose';
import {
  ASSERTION_SIGNING_ALGORITHMS,
  SHARED_SECRET_AUTH_METHODS,
  type ConnectionRegistration,
  type ClientRegistration,
  type RegistryManifest,
  type RouteRegistration,
} from '../../lambdas/shared/manifest';
import {
  clientAudience,
  mcpServerUrl,
  opensRoute,
  protectedResourceMetadataPath,
  routeAudiences,
} from '../../lambdas/shared/manifest-queries';
import { PRIVATE_JWK_MEMBERS } from '../../lambdas/shared/oauth-syntax';
import { SERVER_ROUTES, connectionPath, routePath } from '../../lambdas/shared/routes';
import type { ConnectionHealthRow } from '../shared/connection-health';
import { table } from '../shared/text-table';

export type VerifyResult = 'ok' | 'fail' | 'warn' | 'skip';

/** One line of the report. `check` is one of `VERIFY_CHECKS`; `target` says what it looked at. */
export interface VerifyRow {
  readonly check: string;
  readonly target: string;
  readonly result: VerifyResult;
  readonly detail: string;
}

export interface VerifySummary {
  readonly ok: number;
  readonly fail: number;
  readonly warn: number;
  readonly skip: number;
  /** No row failed. */
  readonly passed: boolean;
}

export interface VerifyReport {
  readonly issuer: string;
  readonly rows: readonly VerifyRow[];
  readonly summary: VerifySummary;
}

/** Every row name, in the order rows appear. */
export const VERIFY_CHECKS = [
  'metadata',
  'jwks',
  'jwks-next-key',
  'token',
  'token-verification',
  'client-keys',
  'route-callable',
  'route-no-token',
  'route-token',
  'route-foreign-audience',
  'mcp-metadata',
  'mcp-token',
  'authorize-pkce',
  'connection',
] as const;

export interface VerifyInput {
  /** The issuer the registry must announce (Terraform output, `--issuer`, or local mode's). */
  readonly issuer: string;
  /** What the app declares: clients, routes, audiences, user sign-in. */
  readonly manifest: RegistryManifest;
  /** The client to get the token with. @default the first active client with client_credentials and a shared secret */
  readonly client?: string;
  /**
   * Call routes whose method may change data (POST, PUT, PATCH, DELETE) with a valid token, which runs their handler.
   * Without it, those routes are checked only where the gateway refuses before the handler (no token, wrong audience).
   * @default false
   */
  readonly callUnsafeRoutes?: boolean;
  /** A client's current secret (local state or Secrets Manager). */
  readonly secretOf: (client: ClientRegistration) => Promise<string>;
  /** Every connection's token-set health (`status`'s rows), or why it could not be read; none: not reported. */
  readonly connectionHealth?: readonly ConnectionHealthRow[] | { readonly unreadable: string };
  /** @default 10 s */
  readonly timeoutMs?: number;
}

/** Methods a request with a valid token may be sent to without changing data (RFC 9110 §9.2.1). */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The record `verify --call-unsafe-routes` posts to each data route (its consumers can recognize and drop it). */
export const VERIFY_RECORD = JSON.stringify({ oauthRegistryVerify: true, note: 'test record from oauth-registry verify; ignore it' });

/** What a `{name}` or `{proxy+}` path variable becomes in the requests verify sends. */
export const PATH_PLACEHOLDER = 'oauth-registry-verify';

const METADATA_PATHS = [routePath(SERVER_ROUTES.openidConfiguration), routePath(SERVER_ROUTES.authorizationServerMetadata)];

/** Runs every check against `input.issuer`; rows in `VERIFY_CHECKS` order, one per route for the route checks. */
export async function verifyRegistry(input: VerifyInput): Promise<VerifyReport> {
  const { issuer, manifest } = input;
  const rows: VerifyRow[] = [];
  const hidden = new Set<string>();
  const timeoutMs = input.timeoutMs ?? 10_000;
  const get = (url: string, init: RequestInit = {}) => fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(timeoutMs) });
  const row = (check: (typeof VERIFY_CHECKS)[number], target: string, result: VerifyResult, detail: string): void => {
    rows.push({ check, target, result, detail });
  };
  const attempt = async (check: (typeof VERIFY_CHECKS)[number], target: string, body: () => Promise<void>) => {
    try {
      await body();
    } catch (err) {
      row(check, target, 'fail', errorText(err));
    }
  };

  // 1. Both metadata documents.
  const metadata: Record<string, unknown>[] = [];
  for (const path of METADATA_PATHS) {
    await attempt('metadata', path, async () => {
      const response = await get(`${issuer}${path}`);
      if (response.status !== 200) return row('metadata', path, 'fail', `HTTP ${response.status}`);
      const document = (await response.json()) as Record<string, unknown>;
      const problems = metadataProblems(document, issuer, metadata[0]);
      if (problems.length > 0) return row('metadata', path, 'fail', problems.join('; '));
      metadata.push(document);
      row('metadata', path, 'ok', `issuer ${issuer}; token_endpoint and jwks_uri present`);
    });
  }
  const discovered = metadata[0];
  if (!discovered) {
    row('jwks', '-', 'skip', 'no valid metadata document: no jwks_uri to read');
    row('token', '-', 'skip', 'no valid metadata document: no token_endpoint');
    return report(issuer, rows, hidden);
  }
  const jwksUri = String(discovered.jwks_uri);
  const tokenEndpoint = String(discovered.token_endpoint);

  // 2. The JWKS, and a next key published ahead of its use.
  let jwks: JSONWebKeySet | undefined;
  await attempt('jwks', jwksUri, async () => {
    const response = await get(jwksUri);
    if (response.status !== 200) return row('jwks', jwksUri, 'fail', `HTTP ${response.status}`);
    const body = (await response.json()) as { keys?: unknown };
    const problems = jwksProblems(body);
    if (problems.length > 0) return row('jwks', jwksUri, 'fail', problems.join('; '));
    jwks = body as JSONWebKeySet;
    const bits = jwks.keys.map((k) => modulusBits(k)).join(', ');
    row('jwks', jwksUri, 'ok', `${jwks.keys.length} RSA key(s) with kid, modulus ${bits} bits; current ${jwks.keys[0].kid}`);
  });
  if (jwks) {
    const keys = jwks.keys;
    if (keys.length >= 2) {
      row(
        'jwks-next-key',
        jwksUri,
        'ok',
        `current ${keys[0].kid} first, then ${keys
          .slice(1)
          .map((k) => k.kid)
          .join(', ')}`,
      );
    } else {
      // The key schedule always publishes the next key a rotation period before it signs (key-schedule.ts).
      const detail =
        `only the current key ${keys[0].kid} is published: the next key must be published before it signs, or ` +
        'API Gateway, which caches the JWKS for up to 2 hours, will refuse the tokens it signs';
      row('jwks-next-key', jwksUri, 'fail', detail);
    }
  }

  // 3. A token for the chosen client.
  const eligible = manifest.clients.filter(canGetOwnToken);
  const chosen = chooseClient(manifest, input.client);
  const tokens = new Map<string, Promise<{ token: string; scopes: string[] }>>();
  const tokenOf = (client: ClientRegistration) => {
    let found = tokens.get(client.name);
    if (!found) {
      found = fetchToken(get, tokenEndpoint, client, input.secretOf, hidden);
      tokens.set(client.name, found);
    }
    return found;
  };
  let primary: { client: ClientRegistration; token: string; scopes: string[] } | undefined;
  if ('reason' in chosen) {
    row('token', input.client ?? '-', chosen.fail ? 'fail' : 'skip', chosen.reason);
  } else {
    const client = chosen.client;
    await attempt('token', client.name, async () => {
      const { token, scopes } = await tokenOf(client);
      primary = { client, token, scopes };
      row('token', client.name, 'ok', `client_credentials at ${tokenEndpoint} (${client.authMethod}); scope: ${scopes.join(' ') || '-'}`);
    });
  }

  // 4. The token as API Gateway's JWT authorizer verifies it.
  if (primary && jwks) {
    const { client, token } = primary;
    await attempt('token-verification', client.name, async () => {
      const problem = await verificationProblem(token, jwks!, issuer, clientAudience(manifest, issuer, client));
      if (problem) return row('token-verification', client.name, 'fail', problem);
      const aud = clientAudience(manifest, issuer, client);
      const accepting = manifest.routes.filter((r) => routeAudiences(manifest, issuer, r).includes(aud)).length;
      const detail =
        `RS256, kid ${jwks!.keys[0].kid} (the JWKS's first), iss, exp; aud ${aud} (accepted by ${accepting} of ` +
        `${manifest.routes.length} route(s))`;
      row('token-verification', client.name, 'ok', detail);
    });
  } else {
    row('token-verification', primary?.client.name ?? '-', 'skip', primary ? 'no valid JWKS' : 'no token');
  }

  // 5. Clients with a key instead of a secret: their registration and published keys (verify holds no private key).
  for (const client of manifest.clients.filter((c) => c.authMethod === 'private_key_jwt')) {
    await attempt('client-keys', client.name, async () => {
      const [result, detail] = await clientKeysCheck(client, discovered, get);
      row('client-keys', client.name, result, detail);
    });
  }

  // 6. Every protected route and data route: some client can call it; no token, our token, a foreign-audience token.
  // A data route gets a test record (JSON), which its target receives when the token is accepted.
  const dataRoutes = manifest.dataRoutes ?? [];
  for (const route of [...manifest.routes, ...dataRoutes]) {
    const { method, url } = routeRequest(issuer, route);
    const accepted = routeAudiences(manifest, issuer, route);
    const isData = 'target' in route;
    const record: { body?: string; headers: Record<string, string> } = isData
      ? { body: VERIFY_RECORD, headers: { 'content-type': 'application/json' } }
      : { headers: {} };
    const call = (token?: string) =>
      get(url, { method, body: record.body, headers: { ...record.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
    const target = route.routeKey;

    // An MCP server's routes accept its URL only, which a client gets by naming it as `resource` (RFC 8707).
    const byResource = 'resourcePath' in route && route.resourcePath !== undefined;
    const callers = manifest.clients.filter((c) =>
      opensRoute(
        { aud: byResource ? accepted[0] : clientAudience(manifest, issuer, c), scopes: c.scopes },
        { audiences: accepted, scopes: route.scopes },
      ),
    );
    const registeredAtRuntime = [manifest.clientIdMetadataDocuments, manifest.dynamicClientRegistration].some(
      (open) => open !== undefined && route.scopes.some((s) => open.scopes.includes(s)),
    );
    if (callers.length > 0 || (byResource && registeredAtRuntime)) {
      const named = callers.slice(0, 3).map((c) => c.name);
      const more = callers.length > 3 ? ` and ${callers.length - 3} more` : '';
      const how = byResource ? `one of its scopes, asking for resource ${accepted[0]}` : 'an audience it accepts and one of its scopes';
      const who = named.length > 0 ? `${named.join(', ')}${more}` : 'clients registered by metadata document or dynamically';
      row('route-callable', target, 'ok', `${who}: ${how}`);
    } else {
      row('route-callable', target, 'fail', `no client has both an audience it accepts (${accepted.join(', ')}) and one of its scopes`);
    }

    await attempt('route-no-token', target, async () => {
      const response = await call();
      if (response.status === 401) return row('route-no-token', target, 'ok', `${method} ${new URL(url).pathname}: HTTP 401`);
      row('route-no-token', target, 'fail', `HTTP ${response.status} without a token (expected 401)`);
    });

    if (!primary) {
      row('route-token', target, 'skip', 'no token');
    } else {
      const { client, token, scopes } = primary;
      await attempt('route-token', target, async () => {
        const aud = clientAudience(manifest, issuer, client);
        const expected = !accepted.includes(aud) ? 401 : !scopesMeet(route, scopes) ? 403 : 'authorized';
        // Decided before any call: a request the gateway would let through must not be sent at all.
        if (expected === 'authorized' && !SAFE_METHODS.has(method) && !input.callUnsafeRoutes) {
          const effect = isData ? `deliver a test record to its ${route.target.kind}` : 'run the handler';
          return row('route-token', target, 'skip', `${method} would ${effect}: pass --call-unsafe-routes to call it with a token`);
        }
        const status = (await call(token)).status;
        const why =
          expected === 401
            ? `aud ${aud} is not one this route accepts`
            : expected === 403
              ? `scope ${scopes.join(' ') || '-'} meets none of ${route.scopes.join(' ')}`
              : 'audience and scope accepted';
        // A data route answers its service's response (200) once the record is delivered; a handler answers anything.
        const met = expected === 'authorized' ? (isData ? status === 200 : status !== 401 && status !== 403) : status === expected;
        const shown = expected === 'authorized' ? (isData ? '200, a test record delivered' : 'not 401/403') : String(expected);
        row('route-token', target, met ? 'ok' : 'fail', `${client.name}'s token: HTTP ${status} (expected ${shown}: ${why})`);
      });
    }

    const foreign = [...(primary ? [primary.client] : []), ...eligible].find(
      (c) => !accepted.includes(clientAudience(manifest, issuer, c)),
    );
    if (!foreign) {
      const reason = 'no client with client_credentials and a shared secret has an audience this route does not accept';
      row('route-foreign-audience', target, 'skip', reason);
      continue;
    }
    await attempt('route-foreign-audience', target, async () => {
      const aud = clientAudience(manifest, issuer, foreign);
      const { token } = await tokenOf(foreign);
      const minted = [decodeJwt(token).aud].flat();
      if (!minted.includes(aud)) {
        return row('route-foreign-audience', target, 'fail', `${foreign.name}'s token carries aud ${minted.join(' ')}, declared ${aud}`);
      }
      const status = (await call(token)).status;
      if (status === 401) {
        return row('route-foreign-audience', target, 'ok', `${foreign.name}'s token (aud ${aud}): HTTP 401`);
      }
      const detail =
        `${foreign.name}'s token (aud ${aud}): HTTP ${status}; the route accepts an audience its declaration does not ` +
        `name (it accepts ${accepted.join(', ')})`;
      row('route-foreign-audience', target, 'fail', detail);
    });
  }
  if (manifest.routes.length + dataRoutes.length === 0) row('route-no-token', '-', 'skip', 'the registry declares no protected route');

  // 6. Each MCP server: its RFC 9728 document names exactly its URL, and a token for that resource opens it (its
  // routes were called above: no token and a token of the registry's audience must get 401).
  for (const server of manifest.mcpServers ?? []) {
    const url = mcpServerUrl(issuer, server);
    const metadataUrl = `${issuer}${protectedResourceMetadataPath(server)}`;
    await attempt('mcp-metadata', server.name, async () => {
      const response = await get(metadataUrl);
      if (response.status !== 200) return row('mcp-metadata', server.name, 'fail', `${metadataUrl}: HTTP ${response.status}`);
      const document = (await response.json()) as Record<string, unknown>;
      const problems = [
        ...(document.resource === url ? [] : [`resource is ${JSON.stringify(document.resource)}, not ${url}`]),
        ...(Array.isArray(document.authorization_servers) && document.authorization_servers.includes(issuer)
          ? []
          : [`authorization_servers does not name ${issuer}`]),
      ];
      if (problems.length > 0) return row('mcp-metadata', server.name, 'fail', problems.join('; '));
      row('mcp-metadata', server.name, 'ok', `${metadataUrl}: resource ${url}, authorization server ${issuer}`);
    });
    if (!primary) {
      row('mcp-token', server.name, 'skip', 'no token');
      continue;
    }
    const { client } = primary;
    await attempt('mcp-token', server.name, async () => {
      const { token, scopes } = await fetchToken(get, tokenEndpoint, client, input.secretOf, hidden, { resource: url });
      const aud = [decodeJwt(token).aud].flat();
      if (aud.length !== 1 || aud[0] !== url) return row('mcp-token', server.name, 'fail', `resource=${url} gave aud ${aud.join(' ')}`);
      // `initialize` changes nothing: the handler answers it without side effects.
      const initialize = {
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'oauth-registry-verify', version: '1' } },
      };
      const response = await get(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify(initialize),
      });
      const expected = scopes.some((s) => server.scopes.includes(s)) ? 'authorized' : 403;
      const met = expected === 'authorized' ? response.status !== 401 && response.status !== 403 : response.status === 403;
      const detail = `${client.name}'s token for resource ${url} (aud exactly it): initialize answered HTTP ${response.status}`;
      row('mcp-token', server.name, met ? 'ok' : 'fail', `${detail} (expected ${expected === 'authorized' ? 'not 401/403' : 403})`);
    });
  }

  // 7. PKCE is required at the authorization endpoint.
  await checkPkce(manifest, issuer, discovered, get, row, attempt);

  // 8. Each connection: its routes are served, its redirect URI, its token sets' health.
  for (const connection of manifest.connections ?? []) {
    await attempt('connection', connection.name, async () => {
      const [result, detail] = await connectionCheck(issuer, connection, input.connectionHealth, get);
      row('connection', connection.name, result, detail);
    });
  }

  return report(issuer, rows, hidden);
}

type Get = (url: string, init?: RequestInit) => Promise<Response>;

async function checkPkce(
  manifest: RegistryManifest,
  issuer: string,
  discovered: Record<string, unknown>,
  get: Get,
  row: (check: 'authorize-pkce', target: string, result: VerifyResult, detail: string) => void,
  attempt: (check: 'authorize-pkce', target: string, body: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const endpoint = String(discovered.authorization_endpoint ?? `${issuer}${routePath(SERVER_ROUTES.authorize)}`);
  if (!manifest.userAuthentication) return void row('authorize-pkce', '-', 'skip', 'user sign-in is not configured');
  const client = manifest.clients.find((c) => c.active && c.grantTypes.includes('authorization_code') && c.redirectUris?.length);
  if (!client) return void row('authorize-pkce', endpoint, 'skip', 'no active authorization_code client with a redirect URI');
  const redirectUri = client.redirectUris![0];
  await attempt('authorize-pkce', endpoint, async () => {
    const url = new URL(endpoint);
    // Everything a valid request carries but code_challenge.
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.clientId,
      redirect_uri: redirectUri,
      state: PATH_PLACEHOLDER,
      code_challenge_method: 'S256',
    }).toString();
    const response = await get(url.href);
    const location = response.headers.get('location');
    if (response.status >= 400 && response.status < 500) {
      return row('authorize-pkce', endpoint, 'ok', `${client.name} without code_challenge: HTTP ${response.status}`);
    }
    if (response.status >= 300 && response.status < 400 && location) {
      const back = new URL(location, endpoint);
      const error = back.searchParams.get('error');
      if (`${back.origin}${back.pathname}` === redirectUri.split('?')[0] && error) {
        return row('authorize-pkce', endpoint, 'ok', `${client.name} without code_challenge: refused with error=${error}`);
      }
      return row('authorize-pkce', endpoint, 'fail', `a request without code_challenge was sent on to ${back.origin}${back.pathname}`);
    }
    row('authorize-pkce', endpoint, 'fail', `HTTP ${response.status} for a request without code_challenge (expected a refusal)`);
  });
}

/**
 * A `private_key_jwt` client: the registry announces the method, and its keys (inline, or at `jwks_uri`, fetched now)
 * are public signing keys of an algorithm the registry accepts. verify cannot sign an assertion (only the partner
 * holds the private key), so the token exchange itself is not exercised: the detail says so.
 */
async function clientKeysCheck(client: ClientRegistration, discovered: Record<string, unknown>, get: Get): Promise<[VerifyResult, string]> {
  const limit = "; the assertion exchange is not exercised (verify holds no partner's private key)";
  const methods = discovered.token_endpoint_auth_methods_supported;
  if (!Array.isArray(methods) || !methods.includes('private_key_jwt')) {
    return ['fail', 'the metadata does not list private_key_jwt in token_endpoint_auth_methods_supported'];
  }
  let keys: unknown;
  let where = 'inline jwks';
  if (client.jwksUri !== undefined) {
    where = client.jwksUri;
    const response = await get(client.jwksUri);
    if (response.status !== 200) return ['fail', `jwks_uri ${client.jwksUri}: HTTP ${response.status}`];
    keys = ((await response.json().catch(() => ({}))) as { keys?: unknown }).keys;
  } else keys = client.jwks?.keys;
  const problems = clientKeyProblems(keys);
  if (problems.length > 0) return ['fail', `${where}: ${problems.join('; ')}`];
  const list = keys as JWK[];
  return ['ok', `${where}: ${list.length} public signing key(s) (${list.map((k) => k.kid ?? k.kty).join(', ')})${limit}`];
}

/** What is wrong with a client's key set for assertions; empty when nothing is. */
export function clientKeyProblems(keys: unknown): string[] {
  if (!Array.isArray(keys) || keys.length === 0) return ['no keys'];
  const problems: string[] = [];
  (keys as JWK[]).forEach((key, i) => {
    const name = typeof key.kid === 'string' && key.kid ? key.kid : `#${i}`;
    if (!['RSA', 'EC', 'OKP'].includes(String(key.kty))) problems.push(`key ${name} is ${String(key.kty)}: no accepted algorithm uses it`);
    if (key.kty === 'RSA' && modulusBits(key) < 2048) problems.push(`key ${name} has a ${modulusBits(key)}-bit modulus (minimum 2048)`);
    if (key.use !== undefined && key.use !== 'sig') problems.push(`key ${name} is for ${String(key.use)}, not sig`);
    if (key.alg !== undefined && !(ASSERTION_SIGNING_ALGORITHMS as readonly string[]).includes(key.alg)) {
      problems.push(`key ${name} is for ${key.alg}, which the registry does not accept (${ASSERTION_SIGNING_ALGORITHMS.join(', ')})`);
    }
    if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) problems.push(`key ${name} has private members`);
  });
  if ((keys as JWK[]).length > 1 && (keys as JWK[]).some((k) => !k.kid)) problems.push('several keys, not all with a kid');
  return problems;
}

/**
 * A connection: its consent route is served (`connect` without a link is refused 400, not 404), its redirect URI,
 * and its token sets' health (ok when every one is connected; warn when a person must consent; fail on an error).
 */
async function connectionCheck(
  issuer: string,
  connection: ConnectionRegistration,
  health: VerifyInput['connectionHealth'],
  get: Get,
): Promise<[VerifyResult, string]> {
  const connect = `${issuer}${connectionPath(connection.name, 'connect')}`;
  const status = (await get(connect)).status;
  if (status !== 400) return ['fail', `GET ${new URL(connect).pathname} without a link: HTTP ${status} (expected 400: is it deployed?)`];
  const parts = ['routes served'];
  if (connection.grant === 'authorization_code') parts.push(`redirect URI ${issuer}${connectionPath(connection.name, 'callback')}`);
  if (health === undefined) return ['ok', parts.join('; ')];
  if ('unreadable' in health) return ['warn', [...parts, `health not read: ${health.unreadable}`].join('; ')];
  const rows = health.filter((r) => r.connection === connection.name);
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.health, (counts.get(r.health) ?? 0) + 1);
  parts.push(`health ${[...counts].map(([h, n]) => (rows.length > 1 ? `${h} ×${n}` : h)).join(', ') || 'none'}`);
  const failing = rows.find((r) => r.health === 'error' || r.health === 'needs_trust');
  if (failing) return ['fail', [...parts, `last error: ${failing.lastError ?? '-'}`].join('; ')];
  const waiting = rows.some((r) => r.health === 'not_connected' || r.health === 'needs_consent');
  return [waiting ? 'warn' : 'ok', [...parts, ...(waiting ? ['a person must consent (oauth-registry connect)'] : [])].join('; ')];
}

/** What is wrong with a metadata document; empty when nothing is. */
export function metadataProblems(document: Record<string, unknown>, issuer: string, other?: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (document.issuer !== issuer) problems.push(`issuer is ${JSON.stringify(document.issuer)}, expected ${issuer}`);
  for (const member of ['token_endpoint', 'jwks_uri'] as const) {
    const value = document[member];
    if (typeof value !== 'string' || !/^https?:\/\//.test(value)) problems.push(`${member} missing`);
    else if (other && other[member] !== value) problems.push(`${member} differs between the two documents`);
  }
  return problems;
}

/** What is wrong with a JWK Set as a gateway needs it; empty when nothing is. */
export function jwksProblems(body: { keys?: unknown }): string[] {
  if (!Array.isArray(body.keys) || body.keys.length === 0) return ['no keys'];
  const problems: string[] = [];
  body.keys.forEach((key: JWK, i) => {
    const name = typeof key.kid === 'string' && key.kid ? key.kid : `#${i}`;
    if (typeof key.kid !== 'string' || !key.kid) problems.push(`key #${i} has no kid`);
    if (key.kty !== 'RSA') problems.push(`key ${name} is ${String(key.kty)}, not RSA`);
    else if (modulusBits(key) < 2048) problems.push(`key ${name} has a ${modulusBits(key)}-bit modulus (minimum 2048)`);
    if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) problems.push(`key ${name} has private members`);
  });
  return problems;
}

/** Bits of an RSA JWK's modulus (`n`, base64url, leading zero bytes not counted). */
export function modulusBits(key: JWK): number {
  const bytes = Buffer.from(String(key.n ?? ''), 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]));
}

/** Checks a token as API Gateway's JWT authorizer would; the first problem, or undefined. */
async function verificationProblem(token: string, jwks: JSONWebKeySet, issuer: string, audience: string): Promise<string | undefined> {
  const header = decodeProtectedHeader(token);
  if (header.alg !== 'RS256') return `alg is ${String(header.alg)}, not RS256`;
  const first = jwks.keys[0].kid;
  if (header.kid !== first) {
    const published = jwks.keys.some((k) => k.kid === header.kid);
    return (
      `signed with kid ${String(header.kid)}, not the JWKS's first key ${first}` +
      (published ? '' : ': that key is not published in the JWKS at all')
    );
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['RS256'], issuer, requiredClaims: ['exp'] }));
  } catch (err) {
    return `does not verify against the JWKS: ${errorText(err)}`;
  }
  const aud = [payload.aud ?? []].flat();
  if (!aud.includes(audience)) return `aud is ${aud.join(' ') || 'absent'}, declared ${audience}`;
  return undefined;
}

/** A client verify can get a token for on its own: client_credentials with a shared secret, active. */
const canGetOwnToken = (c: ClientRegistration): boolean =>
  c.active && c.grantTypes.includes('client_credentials') && c.secretId !== undefined && SHARED_SECRET_AUTH_METHODS.includes(c.authMethod);

type Choice = { readonly client: ClientRegistration } | { readonly reason: string; readonly fail: boolean };

function chooseClient(manifest: RegistryManifest, name: string | undefined): Choice {
  if (name === undefined) {
    const client = manifest.clients.find(canGetOwnToken);
    return client ? { client } : { reason: 'no active client has client_credentials and a shared secret', fail: false };
  }
  const client = manifest.clients.find((c) => c.name === name || c.clientId === name);
  if (!client) {
    const known = manifest.clients.map((c) => c.name).join(', ') || 'none';
    return { reason: `no client named ${JSON.stringify(name)} (clients: ${known})`, fail: true };
  }
  if (!canGetOwnToken(client)) {
    return { reason: `${client.name} cannot get a token by itself (needs client_credentials, a shared secret, active)`, fail: true };
  }
  return { client };
}

async function fetchToken(
  get: Get,
  tokenEndpoint: string,
  client: ClientRegistration,
  secretOf: (client: ClientRegistration) => Promise<string>,
  hidden: Set<string>,
  extra: Record<string, string> = {},
): Promise<{ token: string; scopes: string[] }> {
  const secret = await secretOf(client);
  hidden.add(secret);
  const form = new URLSearchParams({ grant_type: 'client_credentials', ...extra });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.authMethod === 'client_secret_post') {
    form.set('client_id', client.clientId);
    form.set('client_secret', secret);
  } else {
    const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    hidden.add(basic);
    headers.authorization = `Basic ${basic}`;
  }
  const response = await get(tokenEndpoint, { method: 'POST', headers, body: form.toString() });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (typeof body.access_token === 'string') hidden.add(body.access_token);
  if (typeof body.refresh_token === 'string') hidden.add(body.refresh_token);
  if (response.status !== 200 || typeof body.access_token !== 'string') {
    const error = typeof body.error === 'string' ? ` ${body.error}` : '';
    const description = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
    throw new Error(`token request for ${client.name}: HTTP ${response.status}${error}${description}`);
  }
  if (String(body.token_type).toLowerCase() !== 'bearer') throw new Error(`token_type is ${String(body.token_type)}, not Bearer`);
  const scope = typeof body.scope === 'string' ? body.scope : String(decodeJwt(body.access_token).scope ?? '');
  return { token: body.access_token, scopes: scope.split(' ').filter(Boolean) };
}

const scopesMeet = (route: Pick<RouteRegistration, 'scopes'>, scopes: readonly string[]): boolean =>
  route.scopes.length === 0 || route.scopes.some((s) => scopes.includes(s));

/** The request verify sends to a route: `ANY` as GET, each `{x}` and `{proxy+}` as one placeholder segment. */
export function routeRequest(issuer: string, route: Pick<RouteRegistration, 'routeKey'>): { method: string; url: string } {
  const [method, path] = route.routeKey.split(' ') as [string, string];
  const concrete = path.replace(/\{[^}]+\}/g, PATH_PLACEHOLDER);
  return { method: method === 'ANY' ? 'GET' : method, url: `${issuer}${concrete}` };
}

function report(issuer: string, rows: readonly VerifyRow[], hidden: ReadonlySet<string>): VerifyReport {
  const redact = (text: string) => [...hidden].filter(Boolean).reduce((out, value) => out.split(value).join('[redacted]'), text);
  const safe = rows.map((r) => ({ ...r, target: redact(r.target), detail: redact(r.detail) }));
  const count = (result: VerifyResult) => safe.filter((r) => r.result === result).length;
  const summary = { ok: count('ok'), fail: count('fail'), warn: count('warn'), skip: count('skip') };
  return { issuer, rows: safe, summary: { ...summary, passed: summary.fail === 0 } };
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

/** The report as an aligned table and a summary line (the last column is not padded). */
export function formatVerifyTable(report: VerifyReport, about: string): string {
  const lines = table(
    ['CHECK', 'TARGET', 'RESULT', 'DETAIL'],
    report.rows.map((r) => [r.check, r.target, r.result, r.detail]),
  );
  const { ok, warn, skip, fail, passed } = report.summary;
  const verdict = `${passed ? 'PASSED' : 'FAILED'}: ${ok} ok, ${warn} warn, ${skip} skip, ${fail} fail`;
  return `verify ${report.issuer} (${about})\n${lines.join('\n')}\n${verdict}\n`;
}
