/**
 * Structured logging: one JSON object per line, which CloudWatch Logs Insights can query by field.
 * Callers pass client ids and outcomes only; never a token, secret, code or key.
 */
import { CLIENT_SECRET_PATTERN } from './client-secret';
import { CLIENT_ID_PATTERN } from './manifest';

export type LogFields = Readonly<Record<string, unknown>>;

/** What handlers log through; injected so tests can stay silent or capture lines. */
export interface Logger {
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
}

type Level = 'info' | 'warn' | 'error';

/** A logger writing JSON lines (`{"level","msg",...fields}`) to `write` (default: stdout via console.log). */
export function createJsonLogger(write: (line: string) => void = (line) => console.log(line), base: LogFields = {}): Logger {
  const emit = (level: Level, msg: string, fields?: LogFields): void => {
    // `level` and `msg` lead each line and are re-applied last, so a stray field cannot replace them.
    write(JSON.stringify(Object.assign({ level, msg }, base, fields, { level, msg }), errorReplacer));
  };
  return {
    info: (msg, fields) => emit('info', msg, fields),
    warn: (msg, fields) => emit('warn', msg, fields),
    error: (msg, fields) => emit('error', msg, fields),
  };
}

/**
 * The log fields naming a client id that a request sent, before anyone knows it is one: `{ client_id }` only when it
 * has the syntax of a client id (`CLIENT_ID_PATTERN`) and not the shape of a generated secret. A client that puts
 * its secret in `client_id` (`<id>:<secret>`, or Basic credentials in the wrong order) must not write it to the log.
 */
export function sentClientId(value: string | undefined): LogFields {
  if (value === undefined) return {};
  if (CLIENT_ID_PATTERN.test(value) && !CLIENT_SECRET_PATTERN.test(value)) return { client_id: value };
  return { client_id_withheld: 'not a client id, or shaped like a secret' };
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = { info() {}, warn() {}, error() {} };

/** Longest `detail` logged: an upstream's answer can be long, and a log line need not hold all of it. */
export const MAX_LOGGED_DETAIL_CHARS = 1000;

/**
 * What an error knows beyond its public description. Here, not in `errors.ts`, so the public `.d.ts` of the runtime
 * (connection errors) reaches no handler type.
 */
export interface ErrorDetail {
  /** For the log only, never sent: the specifics behind the description (an upstream's answer, an address, a key's kid). */
  readonly detail?: string;
}

/**
 * The log field of an error's log-only `detail` (`OAuthError`, `ConnectionError`, `ClientMetadataError`): `{ detail }`,
 * or no field when it has none. For log lines that name the error by its code rather than log the error itself.
 */
export function errorDetail(err: unknown): LogFields {
  const detail = (err as { detail?: unknown } | null | undefined)?.detail;
  return err instanceof Error && typeof detail === 'string' ? { detail: detail.slice(0, MAX_LOGGED_DETAIL_CHARS) } : {};
}

// Errors serialize as `{}` by default; keep name, message and a log-only `detail`, never the stack (it can quote request data).
function errorReplacer(_key: string, value: unknown): unknown {
  return value instanceof Error ? { name: value.name, message: value.message, ...errorDetail(value) } : value;
}
