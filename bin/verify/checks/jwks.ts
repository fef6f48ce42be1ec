/** Check `jwks`: the JWKS at the metadata's `jwks_uri` holds what API Gateway's JWT authorizer needs, and no secret. */
import type { JSONWebKeySet, JWK } from 'jose';
import { PRIVATE_JWK_MEMBERS } from '../../../lambdas/shared/oauth-syntax';
import type { VerifyContext } from '../verify-context';
import { attempt, type VerifyRow } from '../verify-report';

/** The row; `jwks`: the key set when it is valid (the checks of its next key and of the token read it). */
export async function checkJwks({
  discovered,
  get,
}: Pick<VerifyContext, 'discovered' | 'get'>): Promise<{ row: VerifyRow; jwks?: JSONWebKeySet }> {
  const jwksUri = String(discovered.jwks_uri);
  let jwks: JSONWebKeySet | undefined;
  const row = await attempt('jwks', jwksUri, async () => {
    const response = await get(jwksUri);
    if (response.status !== 200) return ['fail', `HTTP ${response.status}`];
    const body = (await response.json()) as { keys?: unknown };
    const problems = jwksProblems(body);
    if (problems.length > 0) return ['fail', problems.join('; ')];
    jwks = body as JSONWebKeySet;
    const bits = jwks.keys.map((k) => modulusBits(k)).join(', ');
    return ['ok', `${jwks.keys.length} RSA key(s) with kid, modulus ${bits} bits; current ${jwks.keys[0].kid}`];
  });
  return { row, ...(jwks ? { jwks } : {}) };
}

/** What is wrong with a JWK Set as a gateway needs it; empty when nothing is. */
export function jwksProblems(body: { keys?: unknown }): string[] {
  if (!Array.isArray(body.keys) || body.keys.length === 0) return ['no keys'];
  const problems: string[] = [];
  body.keys.forEach((key: JWK, i) => {
    const name = typeof key.kid === 'string' && key.kid ? key.kid : `#${i}`;
    if (typeof key.kid !== 'string' || !key.kid) problems.push(`key #${i} has no kid`);
    if (key.kty !== 'RSA') problems.push(`key ${name} is ${String(key.kty)}, not RSA`);
    else if (modulusBits(key) < 2048) problems.push(`key ${name} has a ${modulusBits(key)}-bit modulus (minimum 2048)`);
    if (PRIVATE_JWK_MEMBERS.some((member) => member in key)) problems.push(`key ${name} has private members`);
  });
  return problems;
}

/** Bits of an RSA JWK's modulus (`n`, base64url, leading zero bytes not counted). */
export function modulusBits(key: JWK): number {
  const bytes = Buffer.from(String(key.n ?? ''), 'base64url');
  let start = 0;
  while (start < bytes.length && bytes[start] === 0) start++;
  if (start === bytes.length) return 0;
  return (bytes.length - start - 1) * 8 + (32 - Math.clz32(bytes[start]));
}
