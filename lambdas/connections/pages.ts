/**
 * The small HTML pages a person sees during consent (success, or what went wrong and what to do), built on the one
 * page module every browser-facing endpoint uses (its headers: CSP with frame-ancestors 'none', X-Frame-Options,
 * nosniff, no-referrer, no-store).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { escapeHtml, htmlPage } from '../shared/pages';

export { redirect } from '../shared/pages';

/** A page with a title and paragraphs (plain text, escaped here). */
export function messagePage(
  statusCode: number,
  title: string,
  paragraphs: readonly string[],
  cookies?: string[],
): APIGatewayProxyStructuredResultV2 {
  const body = paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n');
  return htmlPage(statusCode, title, `<h1>${escapeHtml(title)}</h1>\n${body}`, cookies);
}
