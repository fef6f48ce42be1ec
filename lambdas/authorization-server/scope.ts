/** The `scope` request parameter (RFC 6749 §3.3). */
import { InvalidScopeError } from '../shared/errors';

// scope = scope-token *( SP scope-token ); scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
const SCOPE = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/**
 * The scope to grant: the requested scopes (deduplicated, in request order) when all are the client's, or all of the
 * client's scopes when none were requested.
 */
export function resolveScope(requested: string | undefined, allowed: readonly string[]): string {
  if (requested === undefined) return allowed.join(' ');
  if (!SCOPE.test(requested)) throw new InvalidScopeError('scope is not a space-separated list of scope tokens');
  const tokens = [...new Set(requested.split(' '))];
  const refused = tokens.filter((token) => !allowed.includes(token));
  if (refused.length > 0) throw new InvalidScopeError(`scope not allowed for this client: ${refused.join(' ')}`);
  return tokens.join(' ');
}
