/**
 * Local mode's request log: one short line per event on stderr, never a token or secret. Values are escaped (control
 * characters as `\n`, `\u001b`, …), so request data cannot start a line of its own or move the terminal's cursor; an
 * error shows as its message, and with `debug` (`OAUTH_REGISTRY_DEBUG=1`) its stack on the lines after.
 */
import type { Logger } from '../../lambdas/shared/log';

export interface ConsoleLoggerOptions {
  /** Print the stack of logged errors. @default OAUTH_REGISTRY_DEBUG is set */
  readonly debug?: boolean;
}

// C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character written as an escape (`\n`, `\u001b`). */
export function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => ESCAPES[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** The stack frames of `err` (the message is on the log line already, escaped), indented. */
function frames(err: Error): string[] {
  const stack = err.stack ?? '';
  const at = stack.indexOf('\n    at ');
  return at < 0
    ? []
    : [
        escapeControl(stack.slice(at + 1))
          .replace(/\\n/g, '\n')
          .replace(/^/gm, '  '),
      ];
}

function describe(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (typeof value === 'string') return value;
  return JSON.stringify(value, (_key, v: unknown) => (v instanceof Error ? `${v.name}: ${v.message}` : v)) ?? String(value);
}

export function consoleLogger(stream: NodeJS.WritableStream = process.stderr, options: ConsoleLoggerOptions = {}): Logger {
  const debug = options.debug ?? Boolean(process.env.OAUTH_REGISTRY_DEBUG);
  const write =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      const detail = Object.entries(fields)
        .map(([k, v]) => `${escapeControl(k)}=${escapeControl(describe(v))}`)
        .join(' ');
      const stacks = debug ? Object.values(fields).flatMap((v) => (v instanceof Error ? frames(v) : [])) : [];
      const line = `${new Date().toISOString().slice(11, 23)} ${level} ${escapeControl(msg)}${detail ? ` ${detail}` : ''}`;
      stream.write(`${[line, ...stacks].join('\n')}\n`);
    };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
