/**
 * A remote MCP server (Streamable HTTP) on the registry's API, protected as the MCP authorization specification asks:
 * its routes (POST, GET, DELETE on its path) accept only tokens whose audience is the server's own URL (RFC 8707), and
 * its OAuth Protected Resource Metadata (RFC 9728) is served at `/.well-known/oauth-protected-resource<path>`.
 */
import { Apigatewayv2Route } from '@cdktf/provider-aws/lib/apigatewayv2-route';
import { Construct } from 'constructs';
import type { McpServerRegistration, RouteRegistration } from '../lambdas/shared/manifest';
import { mcpServerUrl, protectedResourceMetadataPath } from '../lambdas/shared/manifest-queries';
import { RESERVED_PATH_PREFIXES } from '../lambdas/shared/routes';
import type { ScopeLike } from './client-options';
import type { IGrantable, IGrantPrincipal } from './grant';
import { routeToFunction } from './private/function-routes';
import type { RegistryFunction } from './private/registry-function';
import { routeScopes } from './private/route-checks';
import { vacantScope } from './private/unique-child';
import { handlerFunction, validateHandler, type RouteHandlerProps } from './protected-route';
import type { IOAuthRegistry } from './registry-interface';

/** The methods of the Streamable HTTP transport: POST (messages), GET (a server stream), DELETE (end a session). */
export const MCP_METHODS = ['POST', 'GET', 'DELETE'] as const;

/** What you declare about an MCP server (`registry.addMcpServer(id, options)`). */
export interface McpServerOptions {
  /** Its path on the registry's API: one or more plain segments, e.g. `/mcp` or `/tools/mcp`. @default '/mcp' */
  readonly path?: string;
  /** Your handler (see `mcpHandler` in `oauth-registry/runtime`). */
  readonly handler: RouteHandlerProps;
  /** Any-of scopes a token needs (RFC 9728 `scopes_supported`). At least one. */
  readonly scopes: readonly ScopeLike[];
  /** RFC 9728 `resource_name`, shown to people by MCP clients. @default the construct id */
  readonly resourceName?: string;
}

export interface McpServerProps extends McpServerOptions {
  readonly registry: IOAuthRegistry;
}

/** One segment: letters, digits, `-`, `_`, `.` (not a dot segment); no parameters, no trailing slash. */
const MCP_PATH = /^(\/(?!\.{1,2}(?:\/|$))[A-Za-z0-9._-]+)+$/;

/** An MCP server behind its own JWT authorizer (audience: its URL), served by your bundled handler. */
export class McpServer extends Construct implements IGrantable {
  /** The server's URL: what MCP clients connect to, its RFC 9728 `resource`, the only `aud` it accepts. */
  public readonly url: string;
  public readonly path: string;
  /** Where its RFC 9728 document is served. */
  public readonly metadataUrl: string;
  public readonly registration: McpServerRegistration;
  /** Its routes as local mode serves them (also in the manifest's `routes`). */
  public readonly routeRegistrations: readonly RouteRegistration[];
  public readonly handler: RegistryFunction;
  /** The API Gateway routes: POST, GET and DELETE on the path, then the RFC 9728 document's. */
  public readonly routes: readonly Apigatewayv2Route[];

  constructor(scope: Construct, id: string, props: McpServerProps) {
    super(
      vacantScope(scope, id, (existing) => `duplicate MCP server "${id}" (${existing.node.path} is declared twice)`),
      id,
    );
    const { registry } = props;
    const where = `MCP server "${id}"`;
    const serverPath = props.path ?? '/mcp';
    if (typeof serverPath !== 'string' || !MCP_PATH.test(serverPath)) {
      throw new Error(
        `${where}: path must be one or more plain segments such as "/mcp" (no parameters), got ${JSON.stringify(serverPath)}`,
      );
    }
    if (RESERVED_PATH_PREFIXES.some((prefix) => `${serverPath}/`.startsWith(prefix))) {
      throw new Error(`${where}: path "${serverPath}" is under a path the registry serves itself (${RESERVED_PATH_PREFIXES.join(', ')})`);
    }
    const taken = registry.mcpServers.find((s) => s.path === serverPath);
    if (taken) throw new Error(`${where}: path "${serverPath}" is already MCP server "${taken.node.id}"`);
    const scopes = routeScopes(where, props.scopes);
    const exportName = validateHandler(where, props.handler);
    const resourceName = props.resourceName ?? id;
    if (typeof resourceName !== 'string' || resourceName.trim() === '' || resourceName.length > 200) {
      throw new Error(`${where}: resourceName must be 1 to 200 characters, got ${JSON.stringify(resourceName)}`);
    }

    this.path = serverPath;
    this.url = mcpServerUrl(registry.issuer, { path: serverPath });
    this.metadataUrl = `${registry.issuer}${protectedResourceMetadataPath({ path: serverPath })}`;
    this.registration = { name: id, path: serverPath, scopes, resourceName };
    this.routeRegistrations = MCP_METHODS.map((method) => ({
      routeKey: `${method} ${serverPath}`,
      scopes,
      handler: { entry: props.handler.entry, exportName },
      resourcePath: serverPath,
    }));

    this.handler = handlerFunction(this, registry, id, props.handler, `MCP server ${id} (${serverPath})`);
    // Its only audience is its own URL: a token for the registry, a route or another MCP server does not open it.
    const authorizer = registry.authorizerFor([this.url]);
    const { routes } = routeToFunction(this, {
      api: registry.api,
      handler: this.handler,
      integrationId: 'Integration',
      routes: MCP_METHODS.map((method) => ({
        id: `${method.charAt(0)}${method.slice(1).toLowerCase()}Route`,
        routeKey: `${method} ${serverPath}`,
        authorization: { authorizationType: 'JWT', authorizerId: authorizer.id, authorizationScopes: scopes },
      })),
      permissionId: 'InvokePermission',
      sourceArn: `${registry.api.executionArn}/*/*${serverPath}`,
    });
    // The RFC 9728 document is the authorization server's to answer (it knows the issuer and the scopes), unauthenticated.
    const metadataRoute = new Apigatewayv2Route(this, 'MetadataRoute', {
      apiId: registry.api.id,
      routeKey: `GET ${protectedResourceMetadataPath({ path: serverPath })}`,
      target: `integrations/${registry.serverIntegration.id}`,
    });
    this.routes = [...routes, metadataRoute];
    registry.addOutput(this, 'Url', `mcp-${id}-url`, this.url, `URL of MCP server ${id}`);
    registry.registerMcpServer(this);
  }

  /** Grants (`connection.grantTokenAccess(mcpServer)`…) go to the handler's role, inline policy and environment. */
  public get grantPrincipal(): IGrantPrincipal {
    return this.handler;
  }
}
