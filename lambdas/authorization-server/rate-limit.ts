/**
 * Per-client rate limits at the token endpoint (`tokensPerMinute`): a fixed one-minute window per client, counted by
 * one conditional increment of a table item `ratelimit#<client id>#<minute>` that expires a minute after its window.
 * Only authenticated requests count, so nobody can spend another client's budget without its credentials; a refused
 * request changes nothing. A client may get up to twice its limit across a window boundary (fixed windows).
 */
import { ServerError, TooManyRequestsError } from '../shared/errors';
import type { Logger } from '../shared/log';
import type { ClientRegistration } from '../shared/manifest';
import type { Clock, Counters } from '../shared/ports';
import { tableKey } from '../shared/table-keys';

const WINDOW_MS = 60_000;

/** Throws `TooManyRequestsError` when `client` has used its tokens of this minute; counts one otherwise. */
export type RateLimiter = (client: ClientRegistration) => Promise<void>;

export function createRateLimiter(deps: { readonly counters?: Counters; readonly clock: Clock; readonly log: Logger }): RateLimiter {
  return async (client) => {
    const limit = client.tokensPerMinute;
    if (limit === undefined) return;
    if (deps.counters === undefined) {
      deps.log.error('rate_limit_unavailable', { client_id: client.clientId });
      throw new ServerError();
    }
    const now = deps.clock();
    const window = Math.floor(now / WINDOW_MS);
    const windowEndMs = (window + 1) * WINDOW_MS;
    const counted = await deps.counters.increment(tableKey('rateLimit', client.clientId, String(window)), 'count', {
      below: limit,
      expiresAt: Math.ceil(windowEndMs / 1000) + 60,
    });
    if (counted !== undefined) return;
    const retryAfterSecs = Math.max(1, Math.ceil((windowEndMs - now) / 1000));
    throw new TooManyRequestsError(`this client may get ${limit} tokens a minute; retry after ${retryAfterSecs} s`, retryAfterSecs);
  };
}
