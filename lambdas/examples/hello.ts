import type { ProtectedRouteEvent, ProtectedRouteResult } from 'oauth-registry/runtime';

/**
 * The example protected route, `GET /v1/hello`. The JWT authorizer in front of it has already checked the token's
 * signature, issuer, audience, expiry and scopes; the handler only reads the verified claims it was given.
 */
export async function handler(event: ProtectedRouteEvent): Promise<ProtectedRouteResult> {
  const { claims, scopes } = event.requestContext.authorizer.jwt;
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: `hello, ${claims.client_id}`,
      client_id: claims.client_id,
      scopes:
        scopes ??
        String(claims.scope ?? '')
          .split(' ')
          .filter(Boolean),
    }),
  };
}
