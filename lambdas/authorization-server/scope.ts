/** The `scope` request parameter (RFC 6749 §3.3). */
import { InvalidScopeError } from '../shared/errors';
import { SCOPE_PATTERN } from '../shared/oauth-syntax';

/** Why a scope outside `allowed` is refused, by default: the client's registration does not include it. */
export const NOT_ALLOWED_FOR_CLIENT = 'scope not allowed for this client';

/**
 * The scope to grant: the requested scopes (deduplicated, in request order) when all are in `allowed`, or all of
 * `allowed` when none were requested. The token endpoint passes the client's scopes; a refresh (RFC 6749 §6, which may
 * narrow the grant, never widen it) passes what the user granted, with its own `refusal`.
 */
export function resolveScope(requested: string | undefined, allowed: readonly string[], refusal = NOT_ALLOWED_FOR_CLIENT): string {
  if (requested === undefined) return allowed.join(' ');
  if (!SCOPE_PATTERN.test(requested)) throw new InvalidScopeError('scope is not a space-separated list of scope tokens');
  const tokens = [...new Set(requested.split(' '))];
  const refused = tokens.filter((token) => !allowed.includes(token));
  if (refused.length > 0) throw new InvalidScopeError(`${refusal}: ${refused.join(' ')}`);
  return tokens.join(' ');
}
