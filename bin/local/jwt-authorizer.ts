/**
 * Local stand-in for API Gateway's JWT authorizer on protected routes: the same checks, the same responses.
 *
 * API Gateway takes the token from `Authorization` (with or without `Bearer `), fetches the issuer's JWKS, accepts
 * RSA signatures only, checks `iss`, `exp`/`nbf`, that `aud` (or `client_id` when `aud` is absent) is one of the
 * route's audiences (each route has its own authorizer configuration: audience is a boundary), and that the `scope`
 * (or `scp`) claim holds at least one of the route's scopes; then hands the claims, as strings, to the integration in
 * `requestContext.authorizer.jwt`.
 *
 * Like the gateway, it keeps the JWKS it fetched for up to two hours (`jwksCacheSecs`), on its own clock, so a key
 * that signs before it was published long enough fails here as it would in AWS; `refetchOnUnknownKid: false` models
 * a gateway that does not refetch when a token names a key it does not know.
 */
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import { GATEWAY_JWKS_CACHE_SECS } from '../../lambdas/shared/key-schedule';
import type { Clock } from '../../lambdas/shared/ports';

export interface AuthorizerConfig {
  readonly issuer: string;
  readonly jwksUri: string;
  /** Seconds a fetched JWKS is used before it is fetched again. @default 7200 (API Gateway's worst case) */
  readonly jwksCacheSecs?: number;
  /** Fetch the JWKS again (at most once a minute) when a token names a kid the cached one lacks. @default true */
  readonly refetchOnUnknownKid?: boolean;
  /** @default Date.now */
  readonly clock?: Clock;
  /** How the JWKS is fetched. @default a GET of `jwksUri` (a non-200 answer is an error and nothing is cached) */
  readonly fetchJwks?: () => Promise<JSONWebKeySet>;
}

/** What one route's authorizer demands: any of `audiences` in `aud`, and any of `scopes` (none: any token). */
export interface RouteAuthorization {
  readonly audiences: readonly string[];
  readonly scopes: readonly string[];
}

/** Shortest time between two refetches for unknown kids, as jose's remote key sets do. */
const UNKNOWN_KID_COOLDOWN_MS = 60_000;

export type AuthorizerDecision =
  | { readonly allow: true; readonly claims: Record<string, string>; readonly scopes: string[] }
  | { readonly allow: false; readonly status: 401 | 403; readonly message: 'Unauthorized' | 'Forbidden'; readonly wwwAuthenticate: string };

/** Decides one request to a protected route from its `Authorization` header and the route's demands. */
export type JwtAuthorizer = (authorization: string | undefined, route: RouteAuthorization) => Promise<AuthorizerDecision>;

export function createJwtAuthorizer(config: AuthorizerConfig): JwtAuthorizer {
  const clock = config.clock ?? Date.now;
  const jwks = createCachedJwks(config, clock);

  return async function authorize(authorization: string | undefined, route: RouteAuthorization): Promise<AuthorizerDecision> {
    const token = authorization?.replace(/^Bearer\s+/i, '').trim();
    if (!token) return deny(401, 'Bearer');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: config.issuer,
        algorithms: ['RS256', 'RS384', 'RS512'],
        currentDate: new Date(clock()),
      }));
    } catch (err) {
      return deny(401, `Bearer error="invalid_token", error_description="${describe(err)}"`);
    }
    const audiences = payload.aud === undefined ? [String(payload.client_id ?? '')] : [payload.aud].flat();
    if (!audiences.some((aud) => route.audiences.includes(aud))) {
      return deny(401, 'Bearer error="invalid_token", error_description="the token audience is not accepted"');
    }
    const tokenScopes = String(payload.scope ?? payload.scp ?? '')
      .split(' ')
      .filter(Boolean);
    if (route.scopes.length > 0 && !route.scopes.some((scope) => tokenScopes.includes(scope))) {
      return deny(403, `Bearer error="insufficient_scope", scope="${route.scopes.join(' ')}"`);
    }
    return { allow: true, claims: claimsAsStrings(payload), scopes: tokenScopes };
  };
}

type KeyLookup = ReturnType<typeof createLocalJWKSet>;

/** A key lookup for `jwtVerify` over a JWKS fetched on demand and kept `jwksCacheSecs` by `clock`. */
function createCachedJwks(config: AuthorizerConfig, clock: Clock): KeyLookup {
  const cacheMs = (config.jwksCacheSecs ?? GATEWAY_JWKS_CACHE_SECS) * 1000;
  const fetchJwks = config.fetchJwks ?? (() => fetchJwksOver(config.jwksUri));
  let cached: { lookup: KeyLookup; fetchedAt: number } | undefined;
  let lastUnknownKidRefetch = -Infinity;

  const load = async () => {
    const fetchedAt = clock();
    cached = { lookup: createLocalJWKSet(await fetchJwks()), fetchedAt };
    return cached.lookup;
  };
  return (async (header, token) => {
    const lookup = cached && clock() - cached.fetchedAt < cacheMs ? cached.lookup : await load();
    try {
      return await lookup(header, token);
    } catch (err) {
      const unknownKid = (err as { code?: string }).code === 'ERR_JWKS_NO_MATCHING_KEY';
      if (!unknownKid || config.refetchOnUnknownKid === false || clock() - lastUnknownKidRefetch < UNKNOWN_KID_COOLDOWN_MS) throw err;
      lastUnknownKidRefetch = clock();
      return (await load())(header, token);
    }
  }) as KeyLookup;
}

async function fetchJwksOver(jwksUri: string): Promise<JSONWebKeySet> {
  const response = await fetch(jwksUri, { headers: { accept: 'application/json' } });
  if (response.status !== 200) throw new Error(`JWKS fetch answered ${response.status}`);
  return (await response.json()) as JSONWebKeySet;
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
