/** Grant handlers by `grant_type`; a type missing here is answered `unsupported_grant_type`. */
import type { SupportedGrantType } from '../../shared/manifest';
import { clientCredentialsGrant } from './client-credentials';
import type { Grant } from './grant';

export const GRANTS: ReadonlyMap<string, Grant> = new Map<SupportedGrantType, Grant>([
  ['client_credentials', clientCredentialsGrant],
]);
