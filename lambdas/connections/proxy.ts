/**
 * `ANY /connections/{name}/proxy/{proxy+}` (AWS_IAM authorization): forwards the request to the connection's
 * `apiBaseUrl` with its access token. Paths that would leave the base are refused (400); the caller's
 * Authorization, `x-amz-*` and hop-by-hop headers (also those its `Connection` header names) are dropped, and so are
 * the API's hop-by-hop headers; a 401 from the API gets one retry with a renewed token, never
 * with the refused one (when no other token can be had, the caller gets the renewal's error, saying so).
 * `perUser` connections take the subject in the `X-OAuth-Registry-Subject` header.
 *
 * The API's answer is read through a bounded fetch (`PROXY_LIMITS`: no redirects followed, a deadline covering the
 * body, a size cap) and must fit in Lambda's response payload (6 MB, JSON-encoded, base64 for binary bodies): a
 * larger one is answered `provider_error` (502) saying so, never a crash or a truncated body.
 *
 * The answer is served on the registry's origin, so it is made inert there: `Content-Security-Policy: sandbox` (an
 * HTML page from the API runs no script with our origin: it could otherwise read tokens from same-origin endpoints)
 * and `X-Content-Type-Options: nosniff`, replacing whatever the API sent.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ResponseTooLargeError } from '../shared/bounded-fetch';
import { bodyBytes, getHeader, jsonResponse } from '../shared/http';
import { errorDetail } from '../shared/log';
import { connectionPath } from '../shared/routes';
import { connectionOf, type ConnectionsContext } from './context';
import { ConnectionError, errorBody, invalidRequest, noApiBaseUrl, providerError, statusOf } from './errors';
import { providerFailure } from './providers';
import { checkSubject } from './registrations';
import type { ConnectionToken } from './token-set-item';

export const SUBJECT_HEADER = 'x-oauth-registry-subject';

/** Lambda's synchronous response payload limit: the proxy's whole answer, JSON-encoded, must fit in it. */
export const LAMBDA_RESPONSE_LIMIT_BYTES = 6 * 1024 * 1024;

/**
 * Limits of the proxy's requests to a connection's API: bodies up to Lambda's response limit are read (a larger one
 * could not be returned anyway), and the deadline leaves the 29 s function room for a token renewal and the one retry.
 */
export const PROXY_LIMITS = { maxBytes: LAMBDA_RESPONSE_LIMIT_BYTES, timeoutMs: 10_000 } as const;

const tooLarge = () =>
  providerError(
    `the API's response is larger than the proxy can return (${LAMBDA_RESPONSE_LIMIT_BYTES / 1024 / 1024} MB, Lambda's response ` +
      'payload limit): ask for less (a page, a range), or call the API with a token from getConnectionToken',
  );

/** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded in either direction. */
const HOP_BY_HOP_HEADERS = [
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
];
/** Request headers not forwarded to the provider: hop-by-hop, plus what is ours to set. */
const DROPPED_REQUEST_HEADERS = new Set([
  ...HOP_BY_HOP_HEADERS,
  'authorization',
  'host',
  'content-length',
  'cookie',
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
  'x-real-ip',
  SUBJECT_HEADER,
]);
/** Response headers not returned to the caller: hop-by-hop, plus content-length, content-encoding and set-cookie. */
const DROPPED_RESPONSE_HEADERS = new Set([...HOP_BY_HOP_HEADERS, 'content-length', 'content-encoding', 'set-cookie']);
/** Set on every proxied answer, over the API's own: its content is the API's, its origin ours. */
export const PROXY_RESPONSE_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': 'sandbox',
  'x-content-type-options': 'nosniff',
};

/**
 * Whether header `name` (lower case) of a message stays out of the next hop: one of `dropped`, or named by the
 * message's `Connection` header (RFC 9110 §7.6.1: those are hop-by-hop for this message).
 */
function hopFilter(dropped: ReadonlySet<string>, connection: string | null | undefined): (name: string) => boolean {
  const named = new Set((connection ?? '').split(',').map((token) => token.trim().toLowerCase()));
  return (name) => dropped.has(name) || named.has(name);
}
const TEXT_CONTENT = /^(text\/|application\/([\w.+-]*json|[\w.+-]*xml|x-www-form-urlencoded|javascript))/i;

/**
 * The provider URL for `rawRest` (the still-encoded path after `/proxy/`) under `base`, or a 400 error when it
 * would leave the base: dot segments (also percent-encoded, also double-encoded, also with `;` parameters:
 * `..;`), backslashes, absolute URLs, protocol-relative paths, another origin.
 */
export function resolveProxyTarget(base: string, rawRest: string, rawQuery: string): URL {
  const refuse = () => invalidRequest('the path leaves the API base URL of this connection');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawRest);
  } catch {
    throw invalidRequest('the path is not valid percent-encoding');
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(decoded) || decoded.startsWith('/') || decoded.includes('\\')) throw refuse();
  // `..;/x`: servlet containers drop path parameters (`;…`) before resolving dot segments.
  if (decoded.split('/').some((segment) => isDotSegment(segment.split(';')[0]))) throw refuse();
  // eslint-disable-next-line no-control-regex -- control characters are exactly what a path must not hold
  if (/%(2e|2f|5c)/i.test(decoded) || /[\0-\x1f]/.test(decoded)) throw refuse();
  const baseUrl = new URL(base.endsWith('/') ? base : `${base}/`);
  const target = new URL(rawRest, baseUrl);
  if (target.origin !== baseUrl.origin || !target.pathname.startsWith(baseUrl.pathname)) throw refuse();
  target.search = rawQuery ? `?${rawQuery}` : '';
  return target;
}

const isDotSegment = (segment: string): boolean => segment === '.' || segment === '..';

/** The proxy route; `fetchImpl` is the bounded fetch of API requests (server.ts: `PROXY_LIMITS`). */
export function createProxyEndpoint(ctx: ConnectionsContext, fetchImpl: typeof fetch) {
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const connection = await connectionOf(ctx, event);
      if (!connection.apiBaseUrl) throw noApiBaseUrl(`connection ${connection.name} declares no apiBaseUrl to proxy to`);
      const subject = checkSubject(connection, getHeader(event, SUBJECT_HEADER));
      const prefix = `${connectionPath(connection.name, 'proxy')}/`;
      const rawPath = event.rawPath ?? '';
      if (!rawPath.startsWith(prefix)) throw invalidRequest('the path must be under /connections/<name>/proxy/');
      const target = resolveProxyTarget(connection.apiBaseUrl, rawPath.slice(prefix.length), event.rawQueryString ?? '');

      const send = (token: ConnectionToken) => forward(fetchImpl, event, target, token);
      const first = await ctx.tokenSets.get(connection, subject);
      let response = await send(first);
      if (response.status === 401) {
        await response.arrayBuffer();
        ctx.log.info('proxy_retry_after_401', { connection: connection.name, subject });
        response = await send(await renewedAfter401(() => ctx.tokenSets.get(connection, subject, { rejected: first.access_token })));
      }
      return await toResult(response);
    } catch (err) {
      if (!(err instanceof ConnectionError)) ctx.log.error('proxy_error', { error: err instanceof Error ? err : String(err) });
      // The body says what failed; what only the log may hear (an address, a socket error) is logged here.
      else if (err.detail !== undefined) ctx.log.warn('proxy_refused', { error: err.code, ...errorDetail(err) });
      return jsonResponse(statusOf(err), errorBody(err));
    }
  };
}

/** Another token than the one the API refused, or the renewal's error (same code), saying the API refused the token. */
async function renewedAfter401(renew: () => Promise<ConnectionToken>): Promise<ConnectionToken> {
  try {
    return await renew();
  } catch (err) {
    if (!(err instanceof ConnectionError)) throw err;
    const description = `the API refused the access token (401) and no new one could be had: ${err.description}`;
    throw ConnectionError.of(err.code, description, { detail: err.detail });
  }
}

async function forward(fetchImpl: typeof fetch, event: APIGatewayProxyEventV2, target: URL, token: ConnectionToken): Promise<Response> {
  const headers = new Headers();
  const dropped = hopFilter(DROPPED_REQUEST_HEADERS, getHeader(event, 'connection'));
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    const lower = name.toLowerCase();
    // `x-amz-*`: the caller's SigV4 signature and AWS's own headers (`x-amzn-trace-id`), none of the API's business.
    if (value === undefined || dropped(lower) || lower.startsWith('x-amz')) continue;
    headers.set(lower, value);
  }
  headers.set('authorization', `${token.token_type} ${token.access_token}`);
  const method = event.requestContext?.http?.method ?? 'GET';
  const body = method === 'GET' || method === 'HEAD' ? undefined : bodyBytes(event);
  try {
    return await fetchImpl(target, {
      method,
      headers,
      body: body && body.length > 0 ? body : undefined,
      // A redirect could carry the token elsewhere: hand it back to the caller instead of following it.
      redirect: 'manual',
    });
  } catch (err) {
    if (err instanceof ResponseTooLargeError) throw tooLarge();
    throw providerFailure(err, (reason) => reason, 'the API');
  }
}

async function toResult(response: Response): Promise<APIGatewayProxyStructuredResultV2> {
  const headers: Record<string, string> = {};
  const dropped = hopFilter(DROPPED_RESPONSE_HEADERS, response.headers.get('connection'));
  response.headers.forEach((value, name) => {
    if (!dropped(name)) headers[name] = value;
  });
  Object.assign(headers, PROXY_RESPONSE_HEADERS);
  const bytes = Buffer.from(await response.arrayBuffer());
  const text = TEXT_CONTENT.test(response.headers.get('content-type') ?? '');
  const result = {
    statusCode: response.status,
    headers,
    body: text ? bytes.toString('utf8') : bytes.toString('base64'),
    isBase64Encoded: !text,
  };
  // What Lambda would refuse to return. A binary body is 4 * ceil(n / 3) bytes in base64 (JSON leaves it as is); JSON
  // escaping makes a text body at most 6 times longer (`\u0000`): only a body that could pass the limit is measured.
  const bodyBound = text ? 6 * bytes.length : 4 * Math.ceil(bytes.length / 3);
  const mayExceed = Buffer.byteLength(JSON.stringify({ ...result, body: '' })) + bodyBound > LAMBDA_RESPONSE_LIMIT_BYTES;
  if (mayExceed && Buffer.byteLength(JSON.stringify(result)) > LAMBDA_RESPONSE_LIMIT_BYTES) throw tooLarge();
  return result;
}
