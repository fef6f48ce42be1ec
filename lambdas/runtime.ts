/**
 * `oauth-registry/runtime`: what your handlers import at run time. Nothing here imports cdktf, constructs or a
 * provider, so a handler's bundle stays small (the AWS SDK is left to the Lambda runtime).
 *
 * - `getConnectionToken(name, { subject })`: a fresh access token of a third-party connection, from the broker.
 * - `connectionFetch(name, path, init)`: call the provider's API through the registry's proxy (SigV4-signed).
 * - `ProtectedRouteEvent` / `ProtectedRouteClaims`: the event API Gateway hands a protected route's handler.
 * - `mcpHandler(answer)`: an MCP server's handler (`registry.addMcpServer`) as Web `Request` in, `Response` out.
 */
export { ConnectionTokenError, getConnectionToken, type ConnectionToken, type GetConnectionTokenOptions } from './connections/client';
export type { ConnectionErrorCode } from './connections/errors';
export {
  connectionFetch,
  connectionProxyUrl,
  PROXY_SUBJECT_HEADER,
  signRequest,
  type AwsCredentials,
  type ConnectionFetchOptions,
  type SignRequestInput,
} from './connections/proxy-client';
import { ENV } from './shared/names';

/** The environment variable `getConnectionToken` reads: the name of the registry's connections function (the broker). */
export const CONNECTIONS_FUNCTION_ENV = ENV.CONNECTIONS_FUNCTION;

/** The environment variable `connectionFetch` reads: the registry's URL (its issuer). */
export const PROXY_BASE_URL_ENV = ENV.ISSUER;

export type { ProtectedRouteClaims, ProtectedRouteEvent, ProtectedRouteResult } from './runtime-types';
export { fromWebResponse, mcpAuthInfo, mcpHandler, toWebRequest, type McpAuthInfo, type McpRequestContext } from './mcp-handler';
