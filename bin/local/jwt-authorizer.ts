/**
 * Local stand-in for API Gateway's JWT authorizer on protected routes: the same checks, the same responses.
 *
 * API Gateway takes the token from `Authorization` (with or without `Bearer `), fetches the issuer's JWKS, accepts
 * RSA signatures only, checks `iss`, `exp`/`nbf`, that `aud` (or `client_id` when `aud` is absent) is one of the
 * route's audiences (each route has its own authorizer configuration: audience is a boundary), and that the `scope`
 * (or `scp`) claim holds at least one of the route's scopes; then hands the claims, as strings, to the integration in
 * `requestContext.authorizer.jwt`.
 */
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { CACHE_TTL_SECS } from '../../lambdas/shared/defaults';

export interface AuthorizerConfig {
  readonly issuer: string;
  readonly jwksUri: string;
}

/** What one route's authorizer demands: any of `audiences` in `aud`, and any of `scopes` (none: any token). */
export interface RouteAuthorization {
  readonly audiences: readonly string[];
  readonly scopes: readonly string[];
}

export type AuthorizerDecision =
  | { readonly allow: true; readonly claims: Record<string, string>; readonly scopes: string[] }
  | { readonly allow: false; readonly status: 401 | 403; readonly message: 'Unauthorized' | 'Forbidden'; readonly wwwAuthenticate: string };

export function createJwtAuthorizer(config: AuthorizerConfig) {
  // Short cool-down so a key rotated in another terminal is picked up at its first token.
  const jwks = createRemoteJWKSet(new URL(config.jwksUri), { cooldownDuration: 1_000, cacheMaxAge: CACHE_TTL_SECS * 1000 });

  return async function authorize(authorization: string | undefined, route: RouteAuthorization): Promise<AuthorizerDecision> {
    const token = authorization?.replace(/^Bearer\s+/i, '').trim();
    if (!token) return deny(401, 'Bearer');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, { issuer: config.issuer, algorithms: ['RS256', 'RS384', 'RS512'] }));
    } catch (err) {
      return deny(401, `Bearer error="invalid_token", error_description="${describe(err)}"`);
    }
    const audiences = payload.aud === undefined ? [String(payload.client_id ?? '')] : [payload.aud].flat();
    if (!audiences.some((aud) => route.audiences.includes(aud))) {
      return deny(401, 'Bearer error="invalid_token", error_description="the token audience is not accepted"');
    }
    const tokenScopes = String(payload.scope ?? payload.scp ?? '').split(' ').filter(Boolean);
    if (route.scopes.length > 0 && !route.scopes.some((scope) => tokenScopes.includes(scope))) {
      return deny(403, `Bearer error="insufficient_scope", scope="${route.scopes.join(' ')}"`);
    }
    return { allow: true, claims: claimsAsStrings(payload), scopes: tokenScopes };
  };
}

function deny(status: 401 | 403, wwwAuthenticate: string): AuthorizerDecision {
  return { allow: false, status, message: status === 401 ? 'Unauthorized' : 'Forbidden', wwwAuthenticate };
}

function describe(err: unknown): string {
  const code = (err as { code?: string }).code;
  if (code === 'ERR_JWT_EXPIRED') return 'the token has expired';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') return 'the token has an invalid claim';
  return 'the token could not be verified';
}

/** API Gateway passes claims as strings; arrays appear as `[a b]`. */
function claimsAsStrings(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [name, value] of Object.entries(payload)) {
    claims[name] = Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return claims;
}
