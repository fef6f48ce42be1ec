/**
 * An MCP server's handler in a few lines: API Gateway's payload 2.0 event becomes a Web `Request`, your code answers
 * a Web `Response` (the MCP TypeScript SDK's `WebStandardStreamableHTTPServerTransport` does, stateless with JSON
 * responses), which becomes the integration's result. The caller's verified claims come along as the SDK's `AuthInfo`.
 * The SDK is your dependency, not ours: nothing here imports it.
 */
import type { ProtectedRouteClaims, ProtectedRouteEvent, ProtectedRouteResult } from './runtime-types';

/** The SDK's `AuthInfo` shape (`@modelcontextprotocol/sdk/server/auth/types.js`), filled from the gateway's claims. */
export interface McpAuthInfo {
  /** The bearer token the gateway verified. */
  readonly token: string;
  readonly clientId: string;
  readonly scopes: string[];
  /** `exp`, epoch seconds. */
  readonly expiresAt?: number;
  /** The token's audience: this MCP server's URL (RFC 8707). */
  readonly resource?: URL;
  /** `claims`: every verified claim, as the gateway passes them (strings); `subject`: who the token acts for. */
  readonly extra: { readonly claims: ProtectedRouteClaims; readonly subject?: string };
}

/** What `mcpHandler` hands your code with the request. */
export interface McpRequestContext {
  readonly authInfo: McpAuthInfo;
  readonly event: ProtectedRouteEvent;
}

/** Content types returned as text; anything else is base64-encoded (payload 2.0 bodies are strings). */
const TEXT_CONTENT = /^(text\/|application\/(json|.*\+json|javascript|xml|.*\+xml|x-www-form-urlencoded))|^$/i;

/** The Web `Request` of a payload 2.0 event (the URL's origin from `Host`; `https` unless `X-Forwarded-Proto` says otherwise). */
export function toWebRequest(event: ProtectedRouteEvent): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(event.headers)) if (value !== undefined) headers.set(name, value);
  if (event.cookies?.length) headers.set('cookie', event.cookies.join('; '));
  const proto = event.headers['x-forwarded-proto'] ?? 'https';
  const host = event.headers.host ?? event.requestContext.domainName ?? 'localhost';
  const url = `${proto}://${host}${event.rawPath}${event.rawQueryString ? `?${event.rawQueryString}` : ''}`;
  const method = event.requestContext.http.method;
  const hasBody = event.body !== undefined && method !== 'GET' && method !== 'HEAD';
  const body = hasBody ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64') : event.body) : undefined;
  return new Request(url, { method, headers, ...(body !== undefined ? { body } : {}) });
}

/** The payload 2.0 result of a Web `Response`: `Set-Cookie` as `cookies`, a non-text body base64-encoded. */
export async function fromWebResponse(response: Response): Promise<ProtectedRouteResult> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = TEXT_CONTENT.test(response.headers.get('content-type') ?? '');
  return {
    statusCode: response.status,
    headers,
    ...(cookies.length > 0 ? { cookies } : {}),
    body: text ? bytes.toString('utf8') : bytes.toString('base64'),
    isBase64Encoded: !text,
  };
}

/** The SDK's `AuthInfo` of the token that opened the route (claims as API Gateway passes them: strings). */
export function mcpAuthInfo(event: ProtectedRouteEvent): McpAuthInfo {
  const { claims } = event.requestContext.authorizer.jwt;
  const token = (event.headers.authorization ?? '').replace(/^Bearer\s+/i, '').trim();
  const exp = Number(claims.exp);
  // A single audience is a plain string; API Gateway writes a list as `[a b]`.
  const aud = typeof claims.aud === 'string' && !claims.aud.startsWith('[') ? claims.aud : undefined;
  return {
    token,
    clientId: String(claims.client_id ?? ''),
    scopes: String(claims.scope ?? '')
      .split(' ')
      .filter(Boolean),
    ...(Number.isFinite(exp) ? { expiresAt: exp } : {}),
    ...(aud !== undefined && URL.canParse(aud) ? { resource: new URL(aud) } : {}),
    extra: { claims, ...(claims.sub !== undefined ? { subject: String(claims.sub) } : {}) },
  };
}

/**
 * A Lambda handler for an MCP server (`registry.addMcpServer`): `answer` gets the request as a Web `Request` and the
 * caller's `authInfo`, and returns the Web `Response`:
 *
 * ```ts
 * export const handler = mcpHandler(async (request, { authInfo }) => {
 *   const server = new McpServer({ name: 'incidents', version: '1.0.0' });   // register tools…
 *   const transport = new WebStandardStreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
 *   await server.connect(transport);
 *   return transport.handleRequest(request, { authInfo });
 * });
 * ```
 */
export function mcpHandler(
  answer: (request: Request, context: McpRequestContext) => Promise<Response>,
): (event: ProtectedRouteEvent) => Promise<ProtectedRouteResult> {
  return async (event) => fromWebResponse(await answer(toWebRequest(event), { authInfo: mcpAuthInfo(event), event }));
}
