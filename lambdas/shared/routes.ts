/**
 * The routes the authorization server answers itself. One list: the constructs create an API Gateway route per
 * entry, the server's router dispatches on the same keys, and local mode serves exactly these.
 */
export const SERVER_ROUTES = {
  token: 'POST /oauth2/token',
  openidConfiguration: 'GET /.well-known/openid-configuration',
  authorizationServerMetadata: 'GET /.well-known/oauth-authorization-server',
  jwks: 'GET /.well-known/jwks.json',
} as const;

export type ServerRoute = keyof typeof SERVER_ROUTES;

/** The path part of a route key: `POST /oauth2/token` → `/oauth2/token`. */
export const routePath = (routeKey: string): string => routeKey.slice(routeKey.indexOf(' ') + 1);
