/**
 * How the local registry answers one request, in API Gateway's order: the request guard, CORS, the body limit, the
 * protected routes behind the emulated JWT authorizer, local mode's own routes (data routes, connections, pages), then
 * the server routes; a request matching none gets the gateway's own 404, before any handler runs.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import type { AuthorizationServer } from '../../lambdas/authorization-server/server';
import type { Logger } from '../../lambdas/shared/log';
import type { RegistryManifest, RouteRegistration } from '../../lambdas/shared/manifest';
import { protectedResourceMetadataPath } from '../../lambdas/shared/manifest-queries';
import { REGISTRATION_ROUTE, SERVER_ROUTES } from '../../lambdas/shared/routes';
import type { LocalCors } from './cors';
import { PayloadTooLargeError, readBody, toApiGatewayEvent, writeApiGatewayResult, writeGatewayError } from './http-adapter';
import type { JwtAuthorizer, RouteAuthorization } from './jwt-authorizer';
import type { LocalPages } from './local-pages';
import type { RequestGuard } from './request-guard';
import { MalformedPathError, type routeMatcher } from './route-matcher';

/** A protected route as API Gateway gets it: its matcher and its own authorizer configuration. */
export interface ProtectedRoute {
  readonly route: RouteRegistration;
  readonly match: ReturnType<typeof routeMatcher>;
  readonly demands: RouteAuthorization;
}

/** Everything a request may reach. */
export interface Dispatch {
  /** The server's base URL, which request paths are resolved against. */
  readonly issuer: string;
  /** Directory protected routes' handler entries are resolved from. */
  readonly appDir: string;
  readonly guard: RequestGuard;
  readonly cors: LocalCors | undefined;
  readonly authorize: JwtAuthorizer;
  readonly protectedRoutes: readonly ProtectedRoute[];
  /** Data routes, connections, then local pages, tried in this order: each answers a request or passes it on. */
  readonly localRoutes: readonly (LocalPages | undefined)[];
  /** The route keys the authorization server answers (`serverRouteKeys`). */
  readonly serverRouteKeys: ReadonlySet<string>;
  readonly authorizationServer: AuthorizationServer;
}

/** The `request` listener: logs each answer, and turns a failure into the gateway's own 400 or 500. */
export function requestListener(
  serve: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  log?: Logger,
): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
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
  };
}

/**
 * Every server route, including `POST /internal/introspect`: API Gateway authorizes that one with IAM (SigV4), which
 * local mode does not emulate, so here it is served to anyone who can reach 127.0.0.1. And each MCP server's RFC 9728
 * document, which the server function answers too.
 */
export function serverRouteKeys(manifest: RegistryManifest): ReadonlySet<string> {
  return new Set([
    ...Object.values(SERVER_ROUTES),
    ...(manifest.mcpServers ?? []).map((s) => `GET ${protectedResourceMetadataPath(s)}`),
    ...(manifest.dynamicClientRegistration ? [REGISTRATION_ROUTE] : []),
  ]);
}

/** Answers one request from what `dispatch` holds. */
export function requestDispatcher(dispatch: Dispatch): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const refusal = dispatch.guard(req);
    if (refusal) return writeGatewayError(res, refusal.status, refusal.message);
    if (dispatch.cors?.handle(req, res)) return;
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof PayloadTooLargeError) return writeGatewayError(res, 413, 'Request Entity Too Large');
      throw err;
    }
    const method = req.method ?? 'GET';
    const pathname = new URL(req.url ?? '/', dispatch.issuer).pathname;
    for (const route of dispatch.protectedRoutes) {
      const params = route.match(method, pathname);
      if (params) return serveProtected(dispatch, req, res, body, route, params);
    }
    for (const local of dispatch.localRoutes) {
      if (local && (await local.serve(req, res, body, method, pathname))) return;
    }
    const routeKey = `${method} ${pathname}`;
    // API Gateway answers a request matching no route itself, before any Lambda runs.
    if (!dispatch.serverRouteKeys.has(routeKey)) return writeGatewayError(res, 404, 'Not Found');
    writeApiGatewayResult(res, await dispatch.authorizationServer.handle(toApiGatewayEvent(req, body, routeKey)));
  };
}

/** A protected route: the emulated authorizer decides, then the route's own handler runs with the claims. */
async function serveProtected(
  { authorize, appDir }: Pick<Dispatch, 'authorize' | 'appDir'>,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  { route, demands }: ProtectedRoute,
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
