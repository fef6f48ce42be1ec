/**
 * Token revocation (RFC 7009), for authenticated clients: a refresh token revokes its whole family; an access token's
 * `jti` is recorded revoked until it expires. Only the client a token was issued to can revoke it. Unknown, invalid
 * and other clients' tokens get the same 200 (§2.2), so the endpoint tells nothing about tokens one does not hold.
 */
import { jsonResponse, type RouteHandler } from '../../shared/http';
import type { Logger } from '../../shared/log';
import type { StateStore } from '../../shared/ports';
import type { ClientAuthenticator } from '../client-auth';
import type { TokenInspector } from '../token-inspector';
import { requiredParam, revokeAccessToken, revokeFamily } from '../user-grants';
import { oauthEndpoint, readAuthenticatedForm } from './form-endpoint';

export function createRevocationEndpoint(deps: {
  readonly authenticate: ClientAuthenticator;
  readonly inspector: TokenInspector;
  readonly state: StateStore;
  readonly log: Logger;
}): RouteHandler {
  return oauthEndpoint({ log: deps.log, denied: 'revocation_denied' }, async (event) => {
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
  });
}

/** RFC 7009 §2.2: 200, and the body is ignored; an empty JSON object keeps strict clients happy. */
const revoked = () => jsonResponse(200, {});
