/** API Gateway v2 (HTTP API, payload format 2.0) event helpers. */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Headers every response carrying tokens or OAuth errors must have (RFC 6749 §5.1). */
export const NO_STORE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'application/json',
  'Cache-Control': 'no-store',
  Pragma: 'no-cache',
};

/**
 * A request header, matched case-insensitively. API Gateway lowercases names and joins repeated headers with commas;
 * a local adapter may not lowercase, so both spellings are looked up.
 */
export function getHeader(event: Pick<APIGatewayProxyEventV2, 'headers'>, name: string): string | undefined {
  const headers = event.headers ?? {};
  const lower = name.toLowerCase();
  if (headers[lower] !== undefined) return headers[lower];
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === lower) return value;
  }
  return undefined;
}

/** The request body as bytes, base64-decoded when API Gateway flagged it (binary or non-text content types). */
export function bodyBytes(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined || event.body === null) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The request body as UTF-8 text. */
export function decodeBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): string {
  return bodyBytes(event).toString('utf8');
}

/** The media type of `Content-Type`, lowercased and without parameters (`charset` etc.), or undefined. */
export function mediaType(event: Pick<APIGatewayProxyEventV2, 'headers'>): string | undefined {
  const value = getHeader(event, 'content-type');
  if (value === undefined) return undefined;
  return value.split(';', 1)[0].trim().toLowerCase() || undefined;
}

/**
 * `METHOD /path` of the request: the matched route key, or, for the `$default` route or a hand-built event, the method
 * and raw path.
 */
export function routeKeyOf(event: APIGatewayProxyEventV2): string {
  const key = event.routeKey;
  if (key && key !== '$default') return key;
  return `${event.requestContext?.http?.method ?? 'GET'} ${event.rawPath ?? '/'}`;
}

/** A JSON response; `no-store` headers by default, overridable per key (discovery sets a public Cache-Control). */
export function jsonResponse(
  statusCode: number,
  body: unknown,
  headers: Readonly<Record<string, string>> = {},
): APIGatewayProxyStructuredResultV2 {
  return { statusCode, headers: { ...NO_STORE_HEADERS, ...headers }, body: JSON.stringify(body) };
}

/** One endpoint of a function's internal router. */
export type RouteHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

/** A JSON response shared caches may keep for `maxAgeSecs` (metadata, public keys). */
export function publicJsonResponse(statusCode: number, body: unknown, maxAgeSecs: number): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { 'Content-Type': 'application/json', 'Cache-Control': `public, max-age=${maxAgeSecs}` },
    body: JSON.stringify(body),
  };
}
