/** Grant handlers by `grant_type`: every supported type has one; any other type is answered `unsupported_grant_type`. */
import { JWT_BEARER_GRANT_TYPE } from '../../shared/oauth-syntax';
import { authorizationCodeGrant } from './authorization-code';
import { clientCredentialsGrant } from './client-credentials';
import type { GrantHandlers } from './grant-handler';
import { jwtBearerGrant } from './jwt-bearer';
import { refreshTokenGrant } from './refresh-token';

export const GRANT_HANDLERS: GrantHandlers = {
  client_credentials: clientCredentialsGrant,
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
  [JWT_BEARER_GRANT_TYPE]: jwtBearerGrant,
};
