/**
 * Errors of the connections function, with stable codes callers match on (`needs_consent`, `unknown_connection`…).
 * The HTTP routes turn them into JSON (proxy) or HTML (consent pages); the broker returns them as values.
 */
export type ConnectionErrorCode =
  | 'invalid_request'
  | 'unknown_connection'
  | 'not_connected'
  | 'needs_consent'
  | 'needs_trust'
  | 'provider_error'
  | 'provider_unavailable'
  | 'not_configured'
  | 'server_error';

export class ConnectionError extends Error {
  constructor(
    readonly status: number,
    readonly code: ConnectionErrorCode,
    readonly description: string,
    /** A fresh consent link, when a person must consent (again) before tokens can be had. */
    readonly consentUrl?: string,
  ) {
    super(description);
    this.name = 'ConnectionError';
  }
}

export const invalidRequest = (description: string) => new ConnectionError(400, 'invalid_request', description);
export const unknownConnection = (name: string) =>
  new ConnectionError(404, 'unknown_connection', `no connection named ${JSON.stringify(name)}`);

/** The wire form of an error: what the broker returns and the proxy sends. Never internals. */
export interface ConnectionErrorBody {
  readonly error: ConnectionErrorCode;
  readonly error_description: string;
  readonly consent_url?: string;
}

export function errorBody(err: unknown): ConnectionErrorBody {
  const e = err instanceof ConnectionError ? err : new ConnectionError(500, 'server_error', 'the connection could not be served');
  return { error: e.code, error_description: e.description, ...(e.consentUrl ? { consent_url: e.consentUrl } : {}) };
}

export const statusOf = (err: unknown): number => (err instanceof ConnectionError ? err.status : 500);

/** HTTP status of each error code, for the wire forms that carry no status (local broker endpoint). */
export const STATUS_BY_CODE: Readonly<Record<ConnectionErrorCode, number>> = {
  invalid_request: 400,
  unknown_connection: 404,
  not_connected: 404,
  needs_consent: 409,
  needs_trust: 409,
  provider_error: 502,
  provider_unavailable: 503,
  not_configured: 503,
  server_error: 500,
};
