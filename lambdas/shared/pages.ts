/** HTML pages and redirects of every browser-facing endpoint (authorize, callback, consent, connection consent). */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

/** Pages carry no script and may not be framed (clickjacking of the consent buttons). */
const PAGE_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
};

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A complete HTML page; `body` must already be escaped. */
export function htmlPage(statusCode: number, title: string, body: string, cookies?: string[]): APIGatewayProxyStructuredResultV2 {
  const html =
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${escapeHtml(title)}</title><style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}` +
    `button{font-size:1rem;padding:.5rem 1.25rem;margin-right:.5rem}</style></head><body>${body}</body></html>`;
  return { statusCode, headers: { ...PAGE_HEADERS }, body: html, ...(cookies?.length ? { cookies } : {}) };
}

/**
 * The page shown when the request cannot be answered at the client's redirect URI (unknown client, redirect URI not
 * registered, expired sign-in): RFC 6749 §4.1.2.1 forbids redirecting then.
 */
export function errorPage(statusCode: number, error: string, description: string): APIGatewayProxyStructuredResultV2 {
  return htmlPage(
    statusCode,
    'Sign-in error',
    `<h1>Sign-in error</h1><p><strong>${escapeHtml(error)}</strong>: ${escapeHtml(description)}</p>`,
  );
}

/** A 302/303 to `location` (already validated), with no-store and optional cookies. */
export function redirect(location: string, cookies?: string[], statusCode = 302): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' },
    body: '',
    ...(cookies?.length ? { cookies } : {}),
  };
}
