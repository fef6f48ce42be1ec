/** The small HTML pages a person sees during consent: success, or what went wrong and what to do. */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

const HTML_HEADERS: Readonly<Record<string, string>> = {
  'Content-Type': 'text/html; charset=utf-8',
  'Cache-Control': 'no-store',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A page with a title and paragraphs (plain text, escaped here). */
export function htmlPage(statusCode: number, title: string, paragraphs: readonly string[]): APIGatewayProxyStructuredResultV2 {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  return {
    statusCode,
    headers: { ...HTML_HEADERS },
    body:
      `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>` +
      '<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5}</style></head>\n' +
      `<body><h1>${escapeHtml(title)}</h1>\n${body}\n</body></html>\n`,
  };
}

/** A redirect that leaks nothing through caches or the Referer header. */
export function redirect(location: string): APIGatewayProxyStructuredResultV2 {
  return { statusCode: 302, headers: { Location: location, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' }, body: '' };
}
