/** Check `metadata`: both metadata documents (OpenID Discovery and RFC 8414) name the issuer and the same endpoints. */
import { SERVER_ROUTES, routePath } from '../../../lambdas/shared/routes';
import type { VerifyContext } from '../verify-context';
import { attempt, type VerifyRow } from '../verify-report';

const METADATA_PATHS = [routePath(SERVER_ROUTES.openidConfiguration), routePath(SERVER_ROUTES.authorizationServerMetadata)];

/** A row per document; `discovered`: the first valid one, which the other checks read (absent: none is). */
export async function checkMetadata({
  issuer,
  get,
}: Pick<VerifyContext, 'issuer' | 'get'>): Promise<{ rows: VerifyRow[]; discovered?: Record<string, unknown> }> {
  const rows: VerifyRow[] = [];
  const valid: Record<string, unknown>[] = [];
  for (const path of METADATA_PATHS) {
    const row = await attempt('metadata', path, async () => {
      const response = await get(`${issuer}${path}`);
      if (response.status !== 200) return ['fail', `HTTP ${response.status}`];
      const document = (await response.json()) as Record<string, unknown>;
      const problems = metadataProblems(document, issuer, valid[0]);
      if (problems.length > 0) return ['fail', problems.join('; ')];
      valid.push(document);
      return ['ok', `issuer ${issuer}; token_endpoint and jwks_uri present`];
    });
    rows.push(row);
  }
  return { rows, ...(valid[0] ? { discovered: valid[0] } : {}) };
}

/** What is wrong with a metadata document; empty when nothing is. */
export function metadataProblems(document: Record<string, unknown>, issuer: string, other?: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (document.issuer !== issuer) problems.push(`issuer is ${JSON.stringify(document.issuer)}, expected ${issuer}`);
  for (const member of ['token_endpoint', 'jwks_uri'] as const) {
    const value = document[member];
    if (typeof value !== 'string' || !/^https?:\/\//.test(value)) problems.push(`${member} missing`);
    else if (other && other[member] !== value) problems.push(`${member} differs between the two documents`);
  }
  return problems;
}
