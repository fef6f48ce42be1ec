/** Grant handlers by `grant_type`; a type missing here is answered `unsupported_grant_type`. */
import type { SupportedGrantType } from '../../shared/manifest';
import { JWT_BEARER_GRANT_TYPE } from '../../shared/oauth-syntax';
import { authorizationCodeGrant } from './authorization-code';
import { clientCredentialsGrant } from './client-credentials';
import type { Grant } from './grant';
import { jwtBearerGrant } from './jwt-bearer';
import { refreshTokenGrant } from './refresh-token';

export const GRANTS: ReadonlyMap<string, Grant> = new Map<SupportedGrantType, Grant>([
  ['client_credentials', clientCredentialsGrant],
  ['authorization_code', authorizationCodeGrant],
  ['refresh_token', refreshTokenGrant],
  [JWT_BEARER_GRANT_TYPE, jwtBearerGrant],
]);
