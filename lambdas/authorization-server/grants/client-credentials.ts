/** Client credentials grant (RFC 6749 §4.4): the authenticated client gets a token for itself. */
import { resolveScope } from '../scope';
import type { GrantHandler } from './grant-handler';

export const clientCredentialsGrant: GrantHandler = async ({ params, client, tokens, resources }) => {
  const scope = resolveScope(params.get('scope'), client.scopes);
  return tokens.issue(client, scope, { audience: resources.audienceFor(client, params.get('resource')) });
};
