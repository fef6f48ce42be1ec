/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728) of each MCP server on the registry's API, at
 * `/.well-known/oauth-protected-resource<path>`: MCP clients read it to find the authorization server and the scopes,
 * from the 401's `resource_metadata` or, since API Gateway's JWT authorizer cannot add that, from this well-known URL.
 */
import type { AuthorizationServerConfig } from '../../shared/config';
import { publicJsonResponse, type RouteHandler } from '../../shared/http';
import type { McpServerRegistration } from '../../shared/manifest';
import { mcpServerUrl, protectedResourceMetadataPath } from '../../shared/manifest-queries';
import { DISCOVERY_MAX_AGE_SECS } from './discovery';

/** The RFC 9728 document of `server`: `resource` is exactly the URL its tokens' `aud` must be. */
export function protectedResourceDocument(issuer: string, server: McpServerRegistration): Record<string, unknown> {
  return {
    resource: mcpServerUrl(issuer, server),
    authorization_servers: [issuer],
    scopes_supported: [...server.scopes],
    bearer_methods_supported: ['header'],
    resource_name: server.resourceName,
  };
}

/** One route per MCP server: `GET /.well-known/oauth-protected-resource<path>` → its document. */
export function protectedResourceRoutes(config: Pick<AuthorizationServerConfig, 'issuer' | 'mcpServers'>): [string, RouteHandler][] {
  return (config.mcpServers ?? []).map((server) => {
    const body = protectedResourceDocument(config.issuer, server);
    return [`GET ${protectedResourceMetadataPath(server)}`, async () => publicJsonResponse(200, body, DISCOVERY_MAX_AGE_SECS)];
  });
}
