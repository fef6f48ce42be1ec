/** Builders of API Gateway v2 (HTTP API, payload 2.0) events and readers of handler results, for handler tests. */
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export interface EventOptions {
  readonly method?: string;
  readonly path?: string;
  /** @default `${method} ${path}` */
  readonly routeKey?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly query?: string;
}

/** An HTTP API event as API Gateway sends it to a Lambda integration. */
export function apiEvent(options: EventOptions = {}): APIGatewayProxyEventV2 {
  const method = options.method ?? 'GET';
  const path = options.path ?? '/';
  const headers = Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    version: '2.0',
    routeKey: options.routeKey ?? `${method} ${path}`,
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'test-request',
      routeKey: options.routeKey ?? `${method} ${path}`,
      stage: '$default',
      time: '01/Jan/2025:00:00:00 +0000',
      timeEpoch: 1_735_689_600_000,
    },
    body: options.body,
    isBase64Encoded: options.isBase64Encoded ?? false,
  };
}

/** `Authorization: Basic` value for RFC 6749 §2.3.1 (each part form-urlencoded, then base64). */
export function basicAuth(clientId: string, clientSecret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(clientId)}:${encode(clientSecret)}`).toString('base64')}`;
}

export interface TokenEventOptions {
  /** Client id and secret sent as `client_secret_basic`. */
  readonly basic?: readonly [string, string];
  readonly headers?: Record<string, string>;
  /** @default 'application/x-www-form-urlencoded'; null sends no Content-Type. */
  readonly contentType?: string | null;
  readonly isBase64Encoded?: boolean;
}

/** A `POST /oauth2/token` event with a form body (an object, or a raw string to send as is). */
export function tokenEvent(form: Record<string, string> | string, options: TokenEventOptions = {}): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = { ...options.headers };
  const contentType = options.contentType === undefined ? 'application/x-www-form-urlencoded' : options.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  if (options.basic) headers.authorization = basicAuth(...options.basic);
  let body = typeof form === 'string' ? form : new URLSearchParams(form).toString();
  if (options.isBase64Encoded) body = Buffer.from(body).toString('base64');
  return apiEvent({ method: 'POST', path: '/oauth2/token', headers, body, isBase64Encoded: options.isBase64Encoded });
}

/** The structured result (handlers here never return the bare-string form). */
export function structured(result: APIGatewayProxyResultV2): APIGatewayProxyStructuredResultV2 {
  if (typeof result === 'string') throw new Error('expected a structured result');
  return result;
}

/** The result's JSON body. */
export function jsonBody<T = Record<string, unknown>>(result: APIGatewayProxyResultV2): T {
  return JSON.parse(structured(result).body ?? 'null') as T;
}

/** A response header, looked up case-insensitively. */
export function header(result: APIGatewayProxyResultV2, name: string): string | undefined {
  const headers = structured(result).headers ?? {};
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name.toLowerCase());
  return key === undefined ? undefined : String(headers[key]);
}
