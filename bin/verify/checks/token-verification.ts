/** Check `token-verification`: the chosen client's token verifies as API Gateway's JWT authorizer verifies it. */
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { clientAudience, routeAudiences } from '../../../lambdas/shared/manifest-queries';
import type { VerifyContext } from '../verify-context';
import { attempt, errorText, row, type VerifyRow } from '../verify-report';

export async function checkTokenVerification(
  { issuer, manifest, primary }: Pick<VerifyContext, 'issuer' | 'manifest' | 'primary'>,
  /** The JWKS, when valid. */
  jwks: JSONWebKeySet | undefined,
): Promise<VerifyRow> {
  if (!primary || !jwks) return row('token-verification', primary?.client.name ?? '-', 'skip', primary ? 'no valid JWKS' : 'no token');
  const { client, token } = primary;
  return attempt('token-verification', client.name, async () => {
    const aud = clientAudience(manifest, issuer, client);
    const problem = await verificationProblem(token, jwks, issuer, aud);
    if (problem) return ['fail', problem];
    const accepting = manifest.routes.filter((r) => routeAudiences(manifest, issuer, r).includes(aud)).length;
    const detail =
      `RS256, kid ${jwks.keys[0].kid} (the JWKS's first), iss, exp; aud ${aud} (accepted by ${accepting} of ` +
      `${manifest.routes.length} route(s))`;
    return ['ok', detail];
  });
}

/** Checks a token as API Gateway's JWT authorizer would; the first problem, or undefined. */
async function verificationProblem(token: string, jwks: JSONWebKeySet, issuer: string, audience: string): Promise<string | undefined> {
  const header = decodeProtectedHeader(token);
  if (header.alg !== 'RS256') return `alg is ${String(header.alg)}, not RS256`;
  const first = jwks.keys[0].kid;
  if (header.kid !== first) {
    const published = jwks.keys.some((k) => k.kid === header.kid);
    return (
      `signed with kid ${String(header.kid)}, not the JWKS's first key ${first}` +
      (published ? '' : ': that key is not published in the JWKS at all')
    );
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(jwks), { algorithms: ['RS256'], issuer, requiredClaims: ['exp'] }));
  } catch (err) {
    return `does not verify against the JWKS: ${errorText(err)}`;
  }
  const aud = [payload.aud ?? []].flat();
  if (!aud.includes(audience)) return `aud is ${aud.join(' ') || 'absent'}, declared ${audience}`;
  return undefined;
}
