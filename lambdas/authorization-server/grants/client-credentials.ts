/** Client credentials grant (RFC 6749 §4.4): the authenticated client gets a token for itself. */
import { resolveScope } from '../scope';
import type { Grant } from './grant';

export const clientCredentialsGrant: Grant = async ({ params, client, tokens, resources }) => {
  const scope = resolveScope(params.get('scope'), client.scopes);
  return tokens.issue(client, scope, { audience: resources.audienceFor(client, params.get('resource')) });
};
