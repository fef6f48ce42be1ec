/**
 * Token revocation (RFC 7009), for authenticated clients: a refresh token revokes its whole family; an access token's
 * `jti` is recorded revoked until it expires. Only the client a token was issued to can revoke it. Unknown, invalid
 * and other clients' tokens get the same 200 (§2.2), so the endpoint tells nothing about tokens one does not hold.
 */
import { OAuthError, errorResponse } from '../shared/errors';
import { jsonResponse, type RouteHandler } from '../shared/http';
import type { Logger } from '../shared/log';
import type { StateStore } from '../shared/ports';
import { readAuthenticatedForm } from './authenticated-form';
import type { ClientAuthenticator } from './client-auth';
import type { TokenInspector } from './token-inspector';
import { requiredParam, revokeAccessToken, revokeFamily } from './user-grants';

export function createRevocationEndpoint(deps: {
  readonly authenticate: ClientAuthenticator;
  readonly inspector: TokenInspector;
  readonly state: StateStore;
  readonly log: Logger;
}): RouteHandler {
  return async (event) => {
    try {
      const { params, client } = await readAuthenticatedForm(event, deps.authenticate);
      const token = requiredParam(params, 'token');
      const family = await deps.inspector.refreshFamily(token);
      if (family?.clientId === client.clientId) {
        await revokeFamily(deps.state, family.familyId);
        deps.log.info('token_revoked', { client_id: client.clientId, token_type: 'refresh_token' });
        return revoked();
      }
      const inspected = family ? undefined : await deps.inspector.inspect(token);
      if (inspected?.kind === 'access_token' && inspected.clientId === client.clientId) {
        await revokeAccessToken(deps.state, inspected.claims.jti, inspected.claims.exp);
        deps.log.info('token_revoked', { client_id: client.clientId, token_type: 'access_token' });
      }
      return revoked();
    } catch (err) {
      if (err instanceof OAuthError && err.status < 500) deps.log.warn('revocation_denied', { error: err.error });
      return errorResponse(err, deps.log);
    }
  };
}

/** RFC 7009 §2.2: 200, and the body is ignored; an empty JSON object keeps strict clients happy. */
const revoked = () => jsonResponse(200, {});
