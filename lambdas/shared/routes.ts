/**
 * The routes the authorization server answers itself. One list: the constructs create an API Gateway route per
 * entry, the server's router dispatches on the same keys, and local mode serves exactly these.
 */
export const SERVER_ROUTES = {
  token: 'POST /oauth2/token',
  openidConfiguration: 'GET /.well-known/openid-configuration',
  authorizationServerMetadata: 'GET /.well-known/oauth-authorization-server',
  jwks: 'GET /.well-known/jwks.json',
  authorize: 'GET /oauth2/authorize',
  /** Where the upstream OpenID provider returns the user (`${issuer}/oauth2/callback`). */
  callback: 'GET /oauth2/callback',
  consent: 'GET /oauth2/consent',
  consentDecision: 'POST /oauth2/consent',
  revoke: 'POST /oauth2/revoke',
  introspect: 'POST /oauth2/introspect',
  /** Introspection for internal services, authorized by IAM (AWS_IAM route) instead of client credentials. */
  internalIntrospect: 'POST /internal/introspect',
} as const;

/** Dynamic client registration (RFC 7591): served by the authorization server, created only when the registry opts in. */
export const REGISTRATION_ROUTE = 'POST /oauth2/register';

/** Server routes API Gateway authorizes with IAM (SigV4) rather than leaving public. */
export const IAM_SERVER_ROUTES: ReadonlySet<string> = new Set([SERVER_ROUTES.internalIntrospect]);

export type ServerRoute = keyof typeof SERVER_ROUTES;

/**
 * The routes of the connections function (third-party providers, where we are the OAuth client). `proxy` is behind
 * AWS_IAM authorization; `connect` and `callback` are reached by a person's browser, guarded by a signed link and
 * `state`.
 */
export const CONNECTION_ROUTES = {
  connect: 'GET /connections/{name}/connect',
  callback: 'GET /connections/{name}/callback',
  proxy: 'ANY /connections/{name}/proxy/{proxy+}',
} as const;

export type ConnectionRoute = keyof typeof CONNECTION_ROUTES;

/** The local-only broker endpoint (`getConnectionToken` in local mode); never deployed. */
export const LOCAL_BROKER_ROUTE = 'POST /_local/connections/{name}/token';
/** The local-only disconnect endpoint (`connections disconnect --local`); deployed, the CLI invokes the function. */
export const LOCAL_DISCONNECT_ROUTE = 'POST /_local/connections/{name}/disconnect';

/** The path part of a route key: `POST /oauth2/token` → `/oauth2/token`. */
export function routePath(routeKey: string): string {
  return routeKey.slice(routeKey.indexOf(' ') + 1);
}

/** The URL of one of the server's routes under `issuer`: `serverUrl(issuer, 'jwks')` → `<issuer>/.well-known/jwks.json`. */
export const serverUrl = (issuer: string, route: ServerRoute): string => `${issuer}${routePath(SERVER_ROUTES[route])}`;

/**
 * The first path segment (as `/segment/`) of every route the registry serves itself, locally or in AWS. A protected
 * route under one of them would shadow a server route, or fail at `terraform apply` as a duplicate route key.
 */
export const RESERVED_PATH_PREFIXES: readonly string[] = [
  ...new Set(
    [...Object.values(SERVER_ROUTES), ...Object.values(CONNECTION_ROUTES), LOCAL_BROKER_ROUTE].map(
      (routeKey) => `/${routePath(routeKey).split('/')[1]}/`,
    ),
  ),
];

/**
 * The path of one connection's route, its name encoded: `connectionPath('Salesforce', 'callback')` →
 * `/connections/Salesforce/callback`. For `proxy` it is the prefix the forwarded path follows (no trailing slash).
 */
export function connectionPath(name: string, route: ConnectionRoute | 'localBroker'): string {
  const routeKey = route === 'localBroker' ? LOCAL_BROKER_ROUTE : CONNECTION_ROUTES[route];
  return routePath(routeKey).replace('{name}', encodeURIComponent(name)).replace('/{proxy+}', '');
}
