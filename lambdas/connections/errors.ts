/**
 * Errors of the connections function, with stable codes callers match on (`needs_consent`, `unknown_connection`…).
 * The HTTP routes turn them into JSON (proxy) or HTML (consent pages); the broker returns them as values.
 *
 * Each code has one HTTP status, in `STATUS_BY_CODE`; an error is made only by the factories below, so its status
 * always comes from that table.
 */
import type { ErrorDetail } from '../shared/log';
import { errorDescription } from '../shared/oauth-syntax';

export type ConnectionErrorCode =
  | 'invalid_request'
  | 'unknown_connection'
  | 'not_connected'
  | 'needs_consent'
  | 'needs_trust'
  | 'provider_error'
  | 'provider_unavailable'
  | 'not_configured'
  | 'no_api_base_url'
  | 'server_error';

/** HTTP status of each error code: what the routes answer, and for the wire forms that carry none (local broker). */
export const STATUS_BY_CODE: Readonly<Record<ConnectionErrorCode, number>> = {
  invalid_request: 400,
  unknown_connection: 404,
  /** No token set yet for this connection (or subject): a person must consent first. */
  not_connected: 404,
  needs_consent: 409,
  needs_trust: 409,
  /** The provider (or the API behind the proxy) answered with an error that retrying will not fix. */
  provider_error: 502,
  /** The provider (or the API behind the proxy) failed or did not answer: try again later. */
  provider_unavailable: 503,
  /** The operator has yet to set something up (credentials not set, or not usable): try again once it is done. */
  not_configured: 503,
  /** The connection is declared without `apiBaseUrl`: there is no API to proxy to, now or later. */
  no_api_base_url: 404,
  server_error: 500,
};

export class ConnectionError extends Error {
  /** The HTTP status of `code` (from `STATUS_BY_CODE`). */
  readonly status: number;

  /** What went wrong, made safe by `errorDescription` (it may quote a provider's answer or request data). */
  readonly description: string;

  /** For the log only, never in a body or page: the specifics behind the description (an address, a library's message). */
  readonly detail?: string;

  private constructor(
    readonly code: ConnectionErrorCode,
    description: string,
    options: ErrorDetail,
  ) {
    super(errorDescription(description));
    this.description = this.message;
    this.name = 'ConnectionError';
    this.status = STATUS_BY_CODE[code];
    if (options.detail !== undefined) this.detail = options.detail;
  }

  /** The one way to make an error: its status is the table's for `code`. */
  static of(code: ConnectionErrorCode, description: string, options: ErrorDetail = {}): ConnectionError {
    return new ConnectionError(code, description, options);
  }
}

const plain = (code: ConnectionErrorCode) => (description: string, options?: ErrorDetail) => ConnectionError.of(code, description, options);

export const invalidRequest = plain('invalid_request');
export const unknownConnection = (name: string) => ConnectionError.of('unknown_connection', `no connection named ${JSON.stringify(name)}`);
export const notConnected = plain('not_connected');
export const needsConsent = plain('needs_consent');
export const needsTrust = plain('needs_trust');
export const providerError = plain('provider_error');
export const providerUnavailable = plain('provider_unavailable');
export const notConfigured = plain('not_configured');
export const noApiBaseUrl = plain('no_api_base_url');
const serverError = plain('server_error');

/** The wire form of an error: what the broker returns and the proxy sends. Never internals, never `detail`. */
export interface ConnectionErrorBody {
  readonly error: ConnectionErrorCode;
  readonly error_description: string;
  /** Only from the broker, only when its caller asked for one (`consentLink`): a link for the subject to consent. */
  readonly consent_url?: string;
}

export function errorBody(err: unknown): ConnectionErrorBody {
  const e = err instanceof ConnectionError ? err : serverError('the connection could not be served');
  return { error: e.code, error_description: e.description };
}

export const statusOf = (err: unknown): number => (err instanceof ConnectionError ? err.status : STATUS_BY_CODE.server_error);
