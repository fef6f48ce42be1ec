/**
 * API Gateway's CORS for HTTP APIs, emulated for local mode (`corsAllowedOrigins`): a preflight (`OPTIONS` with
 * `Origin` and `Access-Control-Request-Method`) is answered here, whatever the path, before any route; every other
 * request from an allowed origin gets `Access-Control-Allow-Origin` on its response. An origin not in the list gets
 * no CORS header at all, so the browser keeps the response from the script.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CORS_ALLOW_HEADERS, CORS_ALLOW_METHODS, CORS_EXPOSE_HEADERS, CORS_MAX_AGE_SECS } from '../../lambdas/shared/cors';

export interface LocalCors {
  /** Answers a preflight and returns true; otherwise adds the CORS headers the response needs and returns false. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export function localCors(allowedOrigins: readonly string[] | undefined): LocalCors | undefined {
  if (!allowedOrigins?.length) return undefined;
  const allowed = new Set(allowedOrigins);
  return {
    handle(req, res) {
      const origin = req.headers.origin;
      const preflight = req.method === 'OPTIONS' && origin !== undefined && req.headers['access-control-request-method'] !== undefined;
      const known = origin !== undefined && allowed.has(origin);
      if (known) {
        res.setHeader('access-control-allow-origin', origin);
        res.setHeader('vary', 'origin');
      }
      if (!preflight) {
        if (known) res.setHeader('access-control-expose-headers', CORS_EXPOSE_HEADERS.join(','));
        return false;
      }
      if (known) {
        res.setHeader('access-control-allow-methods', CORS_ALLOW_METHODS.join(','));
        res.setHeader('access-control-allow-headers', CORS_ALLOW_HEADERS.join(','));
        res.setHeader('access-control-max-age', String(CORS_MAX_AGE_SECS));
      }
      res.writeHead(204).end();
      return true;
    },
  };
}
