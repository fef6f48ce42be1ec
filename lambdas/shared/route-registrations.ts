/** The routes a registry serves with your handlers: protected routes and MCP servers (in the manifest). */

/** A route of the registry's HTTP API that requires one of `scopes` in a token we issued. */
export interface RouteRegistration {
  /** API Gateway route key, e.g. `GET /v1/hello`. */
  readonly routeKey: string;
  /** Any-of scopes, as the JWT authorizer's `authorization_scopes`. */
  readonly scopes: readonly string[];
  /** The user's Lambda handler: source file (relative to the app's directory) and exported function name. */
  readonly handler: { readonly entry: string; readonly exportName: string };
  /**
   * The `aud` values this route's JWT authorizer accepts (a token passes when one of its audiences is listed). Unset:
   * only the registry's own audience (`RegistryManifest.audience`, else the issuer). Audience is a boundary: a token
   * minted for another API (a client declared with its own `audience`) opens only the routes that name that audience.
   * Declared, the list replaces the default (list the registry's own audience too to keep accepting it); synth
   * refuses an empty list.
   */
  readonly audiences?: readonly string[];
  /** An MCP server's route (`addMcpServer`): its only audience is `<issuer><resourcePath>`, the server's URL. */
  readonly resourcePath?: string;
}

/** A Streamable HTTP MCP server on the registry's API (`registry.addMcpServer`), an OAuth protected resource. */
export interface McpServerRegistration {
  /** The construct id. */
  readonly name: string;
  /** Its path on the API (`/mcp`): its URL, the only audience its tokens may carry, is `<issuer><path>`. */
  readonly path: string;
  /** Any-of scopes its routes demand (RFC 9728 `scopes_supported`). */
  readonly scopes: readonly string[];
  /** RFC 9728 `resource_name`, shown to people. */
  readonly resourceName: string;
}
