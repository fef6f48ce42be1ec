/** Local mode's request log: one short line per request on stderr, never a token or secret. */
import type { Logger } from '../../lambdas/shared/log';

export function consoleLogger(stream: NodeJS.WritableStream = process.stderr): Logger {
  const write =
    (level: string) =>
    (msg: string, fields: Record<string, unknown> = {}) => {
      const detail = Object.entries(fields)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      stream.write(`${new Date().toISOString().slice(11, 23)} ${level} ${msg}${detail ? ` ${detail}` : ''}\n`);
    };
  return { info: write('info'), warn: write('warn'), error: write('error') };
}
