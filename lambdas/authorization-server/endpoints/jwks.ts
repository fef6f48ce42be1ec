/** The JWK Set (RFC 7517) verifiers, API Gateway's JWT authorizer among them, check our tokens against. */
import { publicJsonResponse, type RouteHandler } from '../../shared/http';
import type { PublishedKeys } from '../published-keys';

/** Short, so a verifier that honours it sees a rotated key within a minute. */
export const JWKS_MAX_AGE_SECS = 60;

/**
 * Every key of the published ring, the signer first (no private key, no Secrets Manager call). Without a published ring
 * (the bootstrap has not run yet), `jwks()` throws `TemporarilyUnavailableError` and the router answers 503 with
 * `Retry-After` and `Cache-Control: no-store`, so no verifier caches an empty set.
 */
export function createJwksEndpoint(publishedKeys: PublishedKeys): RouteHandler {
  return async () => publicJsonResponse(200, await publishedKeys.jwks(), JWKS_MAX_AGE_SECS);
}
