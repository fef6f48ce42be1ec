/**
 * One error model for every endpoint: `OAuthError` values carry the RFC 6749 §5.2 error code, and `errorResponse`
 * turns any throw into an API Gateway v2 response. Unknown throws become `server_error` without internals.
 *
 * An error has two texts, as oidc-provider keeps `error_description` apart from its log-only detail: `description`
 * is sent to the client; `detail` (what an upstream, a fetch, AWS or a key check said) goes to the log only.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { jsonResponse } from './http';
import { errorDetail, type ErrorDetail, type Logger } from './log';

export type { ErrorDetail } from './log';
import { errorDescription } from './oauth-syntax';

/**
 * Error codes of RFC 6749 §5.2 (plus `server_error` and `temporarily_unavailable` from §4.1.2.1), the `error` member of
 * an error response.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'invalid_client_metadata'
  | 'server_error'
  | 'temporarily_unavailable'
  // Not an RFC 6749 code (it defines no 429): the per-client rate limit, as Auth0 names it.
  | 'too_many_requests';

/** Realm of the `WWW-Authenticate` challenge sent with `invalid_client`. */
export const AUTH_REALM = 'oauth-registry';
export const WWW_AUTHENTICATE_BASIC = `Basic realm="${AUTH_REALM}"`;

/**
 * An OAuth error response waiting to be sent: HTTP status, RFC error code, human-readable description (made safe by
 * `errorDescription`: RFC 6749 §5.2's characters, a length cap) and, for the log only, `detail`.
 */
export class OAuthError extends Error {
  /** Stable code to match on (same value as `error`). */
  readonly code: OAuthErrorCode;
  readonly headers: Readonly<Record<string, string>>;
  /** The `error_description` sent to the client. */
  readonly description: string;
  /** Logged with the error (`errorResponse`, the endpoints' denial line), never sent. */
  readonly detail?: string;

  constructor(
    readonly status: number,
    readonly error: OAuthErrorCode,
    description: string,
    options: ErrorDetail & { readonly headers?: Readonly<Record<string, string>> } = {},
  ) {
    super(errorDescription(description));
    this.description = this.message;
    this.name = 'OAuthError';
    this.code = error;
    this.headers = options.headers ?? {};
    if (options.detail !== undefined) this.detail = options.detail;
  }
}

/** The request is malformed: missing or repeated parameter, wrong content type, bad encoding. */
export class InvalidRequestError extends OAuthError {
  constructor(description: string, options?: ErrorDetail) {
    super(400, 'invalid_request', description, options);
  }
}

/** Client authentication failed; always 401 with a Basic challenge (RFC 6749 §5.2). */
export class InvalidClientError extends OAuthError {
  constructor(description: string, options: ErrorDetail = {}) {
    super(401, 'invalid_client', description, { ...options, headers: { 'WWW-Authenticate': WWW_AUTHENTICATE_BASIC } });
  }
}

/** The grant (code, refresh token, assertion) is invalid, expired or revoked. */
export class InvalidGrantError extends OAuthError {
  constructor(description: string, options?: ErrorDetail) {
    super(400, 'invalid_grant', description, options);
  }
}

/** The authenticated client may not use this grant type. */
export class UnauthorizedClientError extends OAuthError {
  constructor(description: string, options?: ErrorDetail) {
    super(400, 'unauthorized_client', description, options);
  }
}

/** The server does not implement this grant type. */
export class UnsupportedGrantTypeError extends OAuthError {
  constructor(description: string, options?: ErrorDetail) {
    super(400, 'unsupported_grant_type', description, options);
  }
}

/** The requested scope is malformed or exceeds what the client was registered for. */
export class InvalidScopeError extends OAuthError {
  constructor(description: string, options?: ErrorDetail) {
    super(400, 'invalid_scope', description, options);
  }
}

/** The requested resource (RFC 8707 §2) is unknown, malformed, more than one, or not granted. */
export class InvalidTargetError extends OAuthError {
  constructor(description: string, options?: ErrorDetail) {
    super(400, 'invalid_target', description, options);
  }
}

/** A dynamic registration's metadata is invalid or not allowed (RFC 7591 §3.2.2). */
export class InvalidClientMetadataError extends OAuthError {
  constructor(description: string, options?: ErrorDetail) {
    super(400, 'invalid_client_metadata', description, options);
  }
}

/** Something on our side failed; the description never says what. */
export class ServerError extends OAuthError {
  constructor(description = 'the server could not complete the request', options?: ErrorDetail) {
    super(500, 'server_error', description, options);
  }
}

/** A dependency is not ready (no signing key yet): 503 with `Retry-After`, so clients retry rather than give up. */
export class TemporarilyUnavailableError extends OAuthError {
  constructor(description: string, retryAfterSecs: number, options: ErrorDetail = {}) {
    super(503, 'temporarily_unavailable', description, { ...options, headers: { 'Retry-After': String(retryAfterSecs) } });
  }
}

/**
 * A client asked for more tokens than its `tokensPerMinute`: 429 (RFC 6585 §4) with `Retry-After` (seconds until
 * its window ends) and an RFC 6749 §5.2-style body; `too_many_requests` is not an RFC 6749 code, as no 429 is there.
 */
export class TooManyRequestsError extends OAuthError {
  constructor(description: string, retryAfterSecs: number, options: ErrorDetail = {}) {
    super(429, 'too_many_requests', description, { ...options, headers: { 'Retry-After': String(retryAfterSecs) } });
  }
}

/**
 * Turns any throw into an RFC 6749 §5.2 response; unexpected errors are logged (name, message, detail) and hidden. The
 * body holds the public description only, never `detail`.
 */
export function errorResponse(err: unknown, log: Logger): APIGatewayProxyStructuredResultV2 {
  const oauth = err instanceof OAuthError ? err : undefined;
  if (oauth instanceof TemporarilyUnavailableError)
    log.warn('temporarily_unavailable', { error: oauth.description, ...errorDetail(oauth) });
  else if (!oauth || oauth.status >= 500) log.error('unexpected_error', { error: err instanceof Error ? err : String(err) });
  const e = oauth ?? new ServerError();
  return jsonResponse(e.status, { error: e.error, error_description: e.description }, e.headers);
}
