/** Authorization server metadata (RFC 8414), served at both well-known paths. */
import { publicJsonResponse, type RouteHandler } from '../shared/http';
import { SUPPORTED_AUTH_METHODS, SUPPORTED_GRANT_TYPES } from '../shared/manifest';
import type { AuthorizationServerConfig } from '../shared/config';
import { SERVER_ROUTES, routePath } from '../shared/routes';

/** Metadata changes only with a deployment, so shared caches may keep it for five minutes. */
export const DISCOVERY_MAX_AGE_SECS = 300;

/** The metadata document: only what this server does today. */
export function discoveryDocument(config: AuthorizationServerConfig): Record<string, unknown> {
  const { issuer } = config;
  return {
    issuer,
    token_endpoint: `${issuer}${routePath(SERVER_ROUTES.token)}`,
    jwks_uri: `${issuer}${routePath(SERVER_ROUTES.jwks)}`,
    scopes_supported: [...config.scopesSupported],
    // RFC 8414 §2 makes this member REQUIRED, and it lists response types of the authorization endpoint. There is
    // no authorization endpoint yet, so the truthful value is the empty list: "token" would advertise the implicit
    // grant we refuse, and omitting the member breaks the RFC. oauth4webapi 3.8.8 / openid-client 6.8.9 discovery
    // (processDiscoveryResponse) checks only `issuer`, so they accept it.
    response_types_supported: [],
    grant_types_supported: [...SUPPORTED_GRANT_TYPES],
    token_endpoint_auth_methods_supported: [...SUPPORTED_AUTH_METHODS],
  };
}

export function createDiscoveryEndpoint(config: AuthorizationServerConfig): RouteHandler {
  const body = discoveryDocument(config);
  return async () => publicJsonResponse(200, body, DISCOVERY_MAX_AGE_SECS);
}
