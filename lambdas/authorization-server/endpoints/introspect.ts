/**
 * Token introspection (RFC 7662). The client-authenticated endpoint answers `active: true` only to the client the
 * token was issued to; the IAM-authorized internal endpoint (API Gateway checks SigV4 before the request arrives)
 * answers for any of our tokens. Inactive tokens get `{ "active": false }` and nothing else (§2.2).
 */
import { InvalidClientError } from '../../shared/errors';
import { jsonResponse, type RouteHandler } from '../../shared/http';
import type { Logger } from '../../shared/log';
import type { ClientAuthenticator } from '../client-auth';
import type { InspectedToken, TokenInspector } from '../token-inspector';
import { requiredParam } from '../user-grants';
import { oauthEndpoint, readAuthenticatedForm, readTokenRequest } from './form-endpoint';

/** The RFC 7662 §2.2 response members for an active token. */
export function introspectionBody(token: InspectedToken, issuer: string): Record<string, unknown> {
  if (token.kind === 'access_token') {
    const { scope, client_id, sub, aud, exp, iat, jti } = token.claims as Record<string, unknown>;
    return { active: true, token_type: 'Bearer', scope, client_id, sub, aud, iss: issuer, exp, iat, jti };
  }
  const { item, family } = token;
  return {
    active: true,
    token_type: 'refresh_token',
    scope: item.scope,
    client_id: item.clientId,
    sub: item.sub,
    iss: issuer,
    iat: item.issuedAt,
    exp: Math.min(item.expiresAt, family.expiresAt),
  };
}

const inactive = () => jsonResponse(200, { active: false });

export function createIntrospectionEndpoint(deps: {
  readonly issuer: string;
  readonly authenticate: ClientAuthenticator;
  readonly inspector: TokenInspector;
  readonly log: Logger;
}): RouteHandler {
  return oauthEndpoint({ log: deps.log, denied: 'introspection_denied' }, async (event) => {
    const { params, client } = await readAuthenticatedForm(event, deps.authenticate);
    // RFC 7662 §2.1 wants the caller authorized: a public client's id alone proves nothing.
    if (client.authMethod === 'none') throw new InvalidClientError('introspection requires client authentication');
    const token = await deps.inspector.inspect(requiredParam(params, 'token'));
    if (!token || token.clientId !== client.clientId) return inactive();
    return jsonResponse(200, introspectionBody(token, deps.issuer));
  });
}

/** `POST /internal/introspect`: the caller was authorized by IAM at the gateway (local mode serves it without). */
export function createInternalIntrospectionEndpoint(deps: {
  readonly issuer: string;
  readonly inspector: TokenInspector;
  readonly log: Logger;
}): RouteHandler {
  return oauthEndpoint({ log: deps.log }, async (event) => {
    const token = await deps.inspector.inspect(requiredParam(readTokenRequest(event), 'token'));
    return token ? jsonResponse(200, introspectionBody(token, deps.issuer)) : inactive();
  });
}
