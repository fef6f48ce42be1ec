/**
 * The CORS policy of the registry's HTTP API (`corsAllowedOrigins`): what API Gateway's `cors_configuration` is set
 * to, and what local mode answers the same way (`bin/local/cors.ts`). API Gateway applies it to the whole API: the
 * token, revocation, introspection, discovery and JWKS endpoints, and the protected routes too (they still need a
 * bearer token; no cookie is ever sent, credentials are not allowed).
 */

import { isLoopbackHttp } from './oauth-syntax';

/** Methods a cross-origin script may use: the OAuth endpoints need no other. */
export const CORS_ALLOW_METHODS: readonly string[] = ['GET', 'POST'];
/** Request headers a cross-origin script may send (client authentication, the form's or a JSON body's type, DPoP). */
export const CORS_ALLOW_HEADERS: readonly string[] = ['authorization', 'content-type', 'dpop'];
/** Response headers a script may read besides the safelisted ones (the token endpoint's challenges and back-off). */
export const CORS_EXPOSE_HEADERS: readonly string[] = ['www-authenticate', 'retry-after'];
/** Seconds a browser may cache a preflight answer. */
export const CORS_MAX_AGE_SECS = 600;

/**
 * Why `value` is not an origin the registry accepts (`https://host[:port]`, or `http:` on a loopback host for local
 * development; serialized as browsers send it: lower case, no path, no trailing slash), or undefined when it is.
 */
export function originProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'it must be a string';
  if (value === '*' || value.includes('*')) return 'it must name one origin (no wildcard: list each origin)';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'it is not an origin like https://app.example.com';
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url)) return 'it must be https (or http on a loopback host)';
  if (url.origin !== value) return `it must be an origin only, exactly as a browser sends it (${url.origin})`;
  return undefined;
}
