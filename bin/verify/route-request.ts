/** How verify calls a protected route or data route: the method, a concrete URL, and the body a data route gets. */
import type { DataRouteRegistration } from '../../lambdas/shared/data-routes';
import type { RegistryManifest, RouteRegistration } from '../../lambdas/shared/manifest';
import type { Get } from './http-get';

/** Methods a request with a valid token may be sent to without changing data (RFC 9110 §9.2.1). */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The record `verify --call-unsafe-routes` posts to each data route (its consumers can recognize and drop it). */
export const VERIFY_RECORD = JSON.stringify({ oauthRegistryVerify: true, note: 'test record from oauth-registry verify; ignore it' });

/** What a `{name}` or `{proxy+}` path variable becomes in the requests verify sends. */
export const PATH_PLACEHOLDER = 'oauth-registry-verify';

/** The request verify sends to a route: `ANY` as GET, each `{x}` and `{proxy+}` as one placeholder segment. */
export function routeRequest(issuer: string, route: Pick<RouteRegistration, 'routeKey'>): { method: string; url: string } {
  const [method, path] = route.routeKey.split(' ') as [string, string];
  const concrete = path.replace(/\{[^}]+\}/g, PATH_PLACEHOLDER);
  return { method: method === 'ANY' ? 'GET' : method, url: `${issuer}${concrete}` };
}

/** A route verify calls: a protected route (a handler behind it) or a data route (an AWS service behind it). */
export type CheckedRoute = RouteRegistration | DataRouteRegistration;

/** Every route verify calls, protected routes first, in declaration order. */
export const checkedRoutes = (manifest: RegistryManifest): readonly CheckedRoute[] => [...manifest.routes, ...(manifest.dataRoutes ?? [])];

export interface RouteCall {
  readonly method: string;
  readonly url: string;
  /** Calls the route, with `token` as a Bearer token if given; a data route gets the test record (JSON). */
  readonly call: (token?: string) => Promise<Response>;
}

export function routeCall(issuer: string, route: CheckedRoute, get: Get): RouteCall {
  const { method, url } = routeRequest(issuer, route);
  const record: { body?: string; headers: Record<string, string> } =
    'target' in route ? { body: VERIFY_RECORD, headers: { 'content-type': 'application/json' } } : { headers: {} };
  const call = (token?: string) =>
    get(url, { method, body: record.body, headers: { ...record.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) } });
  return { method, url, call };
}

/** Whether a token's scopes meet a route's (a route that names none takes any). */
export const scopesMeet = (route: Pick<RouteRegistration, 'scopes'>, scopes: readonly string[]): boolean =>
  route.scopes.length === 0 || route.scopes.some((s) => scopes.includes(s));
