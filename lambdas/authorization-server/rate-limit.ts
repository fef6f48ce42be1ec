/**
 * Per-client rate limits at the token endpoint (`tokensPerMinute`): a fixed one-minute window per client, counted in a
 * table item `ratelimit#<client id>#<minute>` that expires a minute after its window. Only authenticated requests
 * count, so nobody can spend another client's budget without its credentials; a refused request changes nothing.
 * A confidential client's request is counted before its grant runs (one conditional increment). A public client
 * authenticates with its client_id alone, so anyone could spend its budget with bogus grants: only tokens actually
 * issued count (the window is read before the grant, incremented after it succeeds), so concurrent requests may pass
 * the limit by as many as are in flight. A client may get up to twice its limit across a window boundary (fixed windows).
 */
import { ServerError, TooManyRequestsError } from '../shared/errors';
import type { Logger } from '../shared/log';
import type { ClientRegistration } from '../shared/manifest';
import type { Clock, Counters } from '../shared/ports';
import { tableKey } from '../shared/table-keys';

const WINDOW_MS = 60_000;

export interface RateLimiter {
  /**
   * Before the grant: throws `TooManyRequestsError` when `client` has used its tokens of this minute; counts a
   * confidential client's request.
   */
  admit(client: ClientRegistration): Promise<void>;
  /** After the grant succeeded: counts a public client's token (its failed grants never count). */
  issued(client: ClientRegistration): Promise<void>;
}

export function createRateLimiter(deps: { readonly counters?: Counters; readonly clock: Clock; readonly log: Logger }): RateLimiter {
  const windowOf = (client: ClientRegistration) => {
    if (deps.counters === undefined) {
      deps.log.error('rate_limit_unavailable', { client_id: client.clientId });
      throw new ServerError();
    }
    const now = deps.clock();
    const window = Math.floor(now / WINDOW_MS);
    const windowEndMs = (window + 1) * WINDOW_MS;
    return {
      counters: deps.counters,
      key: tableKey('rateLimit', client.clientId, String(window)),
      expiresAt: Math.ceil(windowEndMs / 1000) + 60,
      retryAfterSecs: Math.max(1, Math.ceil((windowEndMs - now) / 1000)),
    };
  };
  const refuse = (limit: number, retryAfterSecs: number): never => {
    throw new TooManyRequestsError(`this client may get ${limit} tokens a minute; retry after ${retryAfterSecs} s`, retryAfterSecs);
  };
  return {
    async admit(client) {
      const limit = client.tokensPerMinute;
      if (limit === undefined) return;
      const { counters, key, expiresAt, retryAfterSecs } = windowOf(client);
      if (client.authMethod === 'none') {
        if ((await counters.count(key, 'count')) >= limit) refuse(limit, retryAfterSecs);
        return;
      }
      if ((await counters.increment(key, 'count', { below: limit, expiresAt })) === undefined) refuse(limit, retryAfterSecs);
    },
    async issued(client) {
      if (client.tokensPerMinute === undefined || client.authMethod !== 'none') return;
      const { counters, key, expiresAt } = windowOf(client);
      // The tokens are issued already: counted whatever the count, so the next request of the window is refused.
      await counters.increment(key, 'count', { below: Number.MAX_SAFE_INTEGER, expiresAt });
    },
  };
}
