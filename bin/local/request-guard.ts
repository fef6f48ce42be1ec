/**
 * What local mode refuses before any handler runs. The server listens on loopback, but any web page the developer
 * opens can still send it requests: through DNS rebinding (a hostile name that resolves to 127.0.0.1, so the page
 * reads the answers) or as a blind cross-site request (a form or `text/plain` POST, which needs no CORS preflight).
 *
 * 1. **Host**: only `127.0.0.1`, `localhost` or `[::1]` (or the host the server was bound to) with the server's port.
 *    A rebound page carries its own name in Host, so it is refused on every route (421).
 * 2. **Cross-origin, on local-only surfaces**: `/_local/…` (the token broker), the connections proxy and
 *    `POST /internal/introspect` (IAM-authorized in AWS, open here). In AWS a browser cannot reach them at all (they
 *    need SigV4, or do not exist), so locally a request carrying a foreign `Origin`, or a `Sec-Fetch-Site` other than
 *    `same-origin` / `none`, is refused (403) whatever its method. The OAuth endpoints are left alone: the token,
 *    revocation and introspection endpoints are called by browser apps with CORS (and by servers without Origin), the
 *    consent form is same-origin with its own CSRF token, and connect/callback are top-level navigations from other
 *    sites by design. Protected routes need a bearer token, which a browser never attaches by itself.
 * 3. **JSON only on `/_local/`**: a POST there must say `Content-Type: application/json` (415 otherwise), which a
 *    cross-site page can only send after a CORS preflight that local mode never grants. The one exception is the
 *    dashboard's Connect form (a plain HTML form cannot send JSON): it must instead carry our own `Origin`, which
 *    browsers always send with a form POST and a cross-site page cannot forge.
 * 4. **The dashboard (`GET /`) from this browser only**: a request with a foreign `Origin` or `Sec-Fetch-Site`
 *    `cross-site`/`same-site` (an `<img>` or `fetch` on another page) is refused (403): the report reads every state
 *    file, and no other site has anything to do there.
 * 5. **No page loads through the proxy**: a top-level navigation or a frame (`Sec-Fetch-Mode: navigate`,
 *    `Sec-Fetch-Dest` a document, frame or embed) to the connections proxy is refused (403), even typed into the
 *    address bar: the API's HTML would be a page of our origin. Its answers are also sandboxed (`proxy.ts`).
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { DASHBOARD_CONNECT_PATH } from './local-pages';

export interface Refusal {
  readonly status: number;
  readonly message: string;
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'];
/** Surfaces that no browser should ever reach (see 2. above). */
const PROXY_PATH = /^\/connections\/[^/]+\/proxy(\/|$)/;
const LOCAL_ONLY = [/^\/_local\//, PROXY_PATH, /^\/internal\/introspect$/];
/** `Sec-Fetch-Dest` values of a request that loads a page (or a frame of one), rather than data for a script. */
const PAGE_DESTINATIONS = new Set(['document', 'iframe', 'frame', 'embed', 'object', 'fencedframe']);
const JSON_TYPE = /^application\/json\s*(;|$)/i;

/** Refuses a request (see above), or returns undefined to let it through. */
export type RequestGuard = (req: IncomingMessage) => Refusal | undefined;

/** The request guard of a local server listening on `port` (and bound to `boundHost`, when not a loopback name). */
export function requestGuard(port: number, boundHost?: string): RequestGuard {
  const names = new Set(LOOPBACK_NAMES);
  if (boundHost) names.add(boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost);
  const hosts = new Set([...names].map((name) => `${name}:${port}`.toLowerCase()));
  const origins = new Set([...hosts].map((host) => `http://${host}`));

  return (req) => {
    const host = req.headers.host?.toLowerCase();
    if (!host || !hosts.has(host)) {
      return { status: 421, message: `Misdirected Request: this local server answers only to 127.0.0.1:${port} or localhost:${port}` };
    }
    const target = req.url ?? '';
    // Origin-form only (RFC 9112 §3.2.1): an absolute or `//authority` target would be resolved against another host.
    if (!target.startsWith('/') || target.startsWith('//')) return { status: 400, message: 'Bad Request' };
    // The path as the router will see it (dot segments, `%2e` and `\` resolved), not as written: `/./_local/…` is local-only too.
    const pathname = new URL(target, 'http://local').pathname;
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    const crossOrigin =
      (origin !== undefined && !origins.has(origin.toLowerCase())) || (site !== undefined && site !== 'same-origin' && site !== 'none');
    if (pathname === '/' && crossOrigin) return { status: 403, message: 'Forbidden: the dashboard refuses cross-site requests' };
    if (!LOCAL_ONLY.some((pattern) => pattern.test(pathname))) return undefined;

    if (crossOrigin) return { status: 403, message: 'Forbidden: local-only endpoints refuse cross-origin requests' };
    if (
      PROXY_PATH.test(pathname) &&
      (req.headers['sec-fetch-mode'] === 'navigate' || PAGE_DESTINATIONS.has(String(req.headers['sec-fetch-dest'])))
    ) {
      return { status: 403, message: 'Forbidden: the connections proxy is not for browsing (call it from code)' };
    }
    if (pathname === DASHBOARD_CONNECT_PATH) {
      if (origin === undefined) return { status: 403, message: 'Forbidden: the dashboard accepts only its own form (no Origin)' };
      return undefined;
    }
    if (pathname.startsWith('/_local/') && req.method === 'POST' && !JSON_TYPE.test(req.headers['content-type'] ?? '')) {
      return { status: 415, message: 'Unsupported Media Type: send Content-Type: application/json' };
    }
    return undefined;
  };
}

/** `CONNECT` (a proxy tunnel request): Node hands it to a `connect` listener or drops the connection; answer 405. */
export function refuseConnect(_req: IncomingMessage, socket: Duplex): void {
  socket.on('error', () => undefined);
  const body = JSON.stringify({ message: 'Method Not Allowed' });
  socket.end(
    'HTTP/1.1 405 Method Not Allowed\r\ncontent-type: application/json\r\n' +
      `content-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
  );
}
