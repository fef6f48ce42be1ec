/** The JWK Set (RFC 7517) verifiers, API Gateway's JWT authorizer among them, check our tokens against. */
import { publicJsonResponse, type RouteHandler } from '../../shared/http';
import type { SigningKeys } from '../signing-keys';

/** Short, so a verifier that honours it sees a rotated key within a minute. */
export const JWKS_MAX_AGE_SECS = 60;

/**
 * Every key of the ring, the signer first. Without a key (the first value is not there yet), `jwks()` throws
 * `TemporarilyUnavailableError` and the router answers 503 with `Retry-After` and `Cache-Control: no-store`, so no
 * verifier caches an empty set.
 */
export function createJwksEndpoint(signingKeys: SigningKeys): RouteHandler {
  return async () => publicJsonResponse(200, await signingKeys.jwks(), JWKS_MAX_AGE_SECS);
}
