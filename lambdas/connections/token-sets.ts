/**
 * Token sets of third-party connections (the item: token-set-item.ts), and the one way to get a usable access token
 * from them: from this container's cache, else from the table, else renewed under the lease (token-renewal.ts). A token
 * is renewed ahead of expiry: 60 s before, or a quarter of its lifetime when that is shorter (token-cache.ts). While
 * another renewer holds the lease, callers poll (bounded, injected clock and sleep) and re-read. Health outcomes and
 * their errors: token-set-health.ts.
 */
import { randomUUID } from 'node:crypto';
import type * as oauth from 'oauth4webapi';
import { TOKEN_RENEWAL_MAX_WAIT_MS, TOKEN_RENEWAL_RETRY_DELAYS_MS } from '../shared/defaults';
import type { Logger } from '../shared/log';
import type { ConnectionRegistration } from '../shared/manifest';
import type { Cipher, Clock, EventPublisher, StateStore } from '../shared/ports';
import { TokenCache } from './token-cache';
import { acquireLease, renewUnderLease, type RenewalContext, type TokenSource } from './token-renewal';
import {
  backingOffError,
  needsConsentError,
  needsTrustError,
  notConnectedError,
  publishHealth,
  renewalTooSlowError,
} from './token-set-health';
import {
  connectedItem,
  sealRefreshToken,
  tokenSetKey,
  tokenSetStatus,
  type ConnectionToken,
  type TokenSetItem,
  type TokenSetStatus,
} from './token-set-item';

export interface TokenSetsOptions {
  readonly state: StateStore;
  readonly cipher: Cipher;
  readonly events: EventPublisher;
  readonly renew: TokenSource;
  readonly clock: Clock;
  /** Waits between polls and retries; tests inject one that only yields. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: Logger;
  /** Renew this long before expiry, in seconds, or a quarter of the token's lifetime when that is shorter. @default 60 */
  readonly skewSecs?: number;
  /** How long a renewer holds the lease, in ms (more than all its attempts take). @default 30000 */
  readonly leaseMs?: number;
  /** How long a caller waits for another renewer, in ms (summed poll intervals). @default `TOKEN_RENEWAL_MAX_WAIT_MS` (20 s) */
  readonly maxWaitMs?: number;
  /** Longest wait between two polls of another renewer's lease, in ms (the first waits a quarter of it). @default 100 */
  readonly pollMs?: number;
  /** Delays before the 2nd, 3rd… attempt on a transient failure, in ms. @default `TOKEN_RENEWAL_RETRY_DELAYS_MS` ([250, 1000]) */
  readonly retryDelaysMs?: readonly number[];
  /** Backoff after a renewal failed transiently (all attempts), doubling per consecutive failure, in ms. @default 5000 */
  readonly backoffInitialMs?: number;
  /** Longest backoff, in ms. @default 300000 (5 minutes) */
  readonly backoffMaxMs?: number;
  /** Token lifetime assumed when the provider sends no `expires_in`, in seconds. @default 3600 */
  readonly defaultExpiresInSecs?: number;
}

export interface GetTokenOptions {
  /** The access token the API just refused (401): renew unless the stored one is already another. */
  readonly rejected?: string;
}

export interface TokenSets {
  get(connection: ConnectionRegistration, subject: string | undefined, options?: GetTokenOptions): Promise<ConnectionToken>;
  /** Stores the token set a consent produced (replacing any earlier one of that subject). */
  storeConsent(connection: ConnectionRegistration, subject: string | undefined, tokens: oauth.TokenEndpointResponse): Promise<void>;
  status(connection: ConnectionRegistration, subject: string | undefined): Promise<TokenSetStatus>;
  /** Drops this container's cached token of the set (after a disconnect). */
  forget(connection: ConnectionRegistration, subject: string | undefined): void;
}

/** What the token sets of one container share: the renewal context, and how long a caller waits for another renewer. */
interface TokenSetsContext extends RenewalContext {
  readonly maxWaitMs: number;
  readonly pollMs: number;
}

export function createTokenSets(options: TokenSetsOptions): TokenSets {
  const { state, cipher, events, renew, clock, sleep, log } = options;
  const ctx: TokenSetsContext = {
    state,
    cipher,
    events,
    renew,
    clock,
    sleep,
    log,
    tokens: new TokenCache(clock, (options.skewSecs ?? 60) * 1000),
    leaseMs: options.leaseMs ?? 30_000,
    maxWaitMs: options.maxWaitMs ?? TOKEN_RENEWAL_MAX_WAIT_MS,
    pollMs: options.pollMs ?? 100,
    retryDelaysMs: options.retryDelaysMs ?? TOKEN_RENEWAL_RETRY_DELAYS_MS,
    backoffInitialMs: options.backoffInitialMs ?? 5_000,
    backoffMaxMs: options.backoffMaxMs ?? 300_000,
    defaultExpiresInMs: (options.defaultExpiresInSecs ?? 3600) * 1000,
  };
  /** Concurrent callers in one container share one load. */
  const inflight = new Map<string, Promise<ConnectionToken>>();

  return {
    async get(connection, subject, getOptions = {}) {
      const pk = tokenSetKey(connection.name, subject);
      const rejected = getOptions.rejected;
      const cached = ctx.tokens.get(pk, rejected);
      if (cached) return cached;
      const key = `${pk}\n${rejected ?? ''}`;
      let pending = inflight.get(key);
      if (!pending) {
        pending = load(ctx, pk, connection, subject, rejected).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      return pending;
    },
    storeConsent: (connection, subject, tokens) => storeConsent(ctx, connection, subject, tokens),
    forget(connection, subject) {
      ctx.tokens.forget(tokenSetKey(connection.name, subject));
    },
    async status(connection, subject) {
      return tokenSetStatus(connection.name, subject, await state.get<TokenSetItem>(tokenSetKey(connection.name, subject)), clock());
    },
  };
}

/** From the table: the stored token if usable, else a renewal (ours, or another's we wait for), or why there is none. */
async function load(
  ctx: TokenSetsContext,
  pk: string,
  connection: ConnectionRegistration,
  subject: string | undefined,
  rejected: string | undefined,
): Promise<ConnectionToken> {
  let waitedMs = 0;
  let waitMs = Math.max(1, Math.floor(ctx.pollMs / 4));
  for (;;) {
    const item = await ctx.state.get<TokenSetItem>(pk);
    if (!item && connection.grant === 'authorization_code') throw notConnectedError(connection, subject);
    if (item?.health === 'needs_consent') {
      throw needsConsentError(connection, subject, item.lastError ?? 'the grant was revoked');
    }
    if (item?.health === 'needs_trust') {
      // Tokens issued before the trust broke are not handed out; after the backoff one caller asks again.
      if (item.retryAfter !== undefined && item.retryAfter > ctx.clock()) {
        throw needsTrustError(connection, subject, item.lastError ?? 'the provider refused our assertion', item.retryAfter);
      }
    } else if (ctx.tokens.usable(item, rejected)) return ctx.tokens.remember(pk, item);
    if (item?.retryAfter !== undefined && item.retryAfter > ctx.clock()) {
      return backingOff(ctx, pk, connection, item as TokenSetItem & { retryAfter: number }, rejected);
    }
    const leased = item?.leaseUntil !== undefined && item.leaseUntil >= ctx.clock();
    if (!leased) {
      const renewal = { pk, connection, subject, item, owner: randomUUID(), rejected };
      if (await acquireLease(ctx, renewal)) return renewUnderLease(ctx, renewal);
    }
    if (waitedMs >= ctx.maxWaitMs) throw renewalTooSlowError(connection);
    await ctx.sleep(waitMs);
    waitedMs += waitMs;
    waitMs = Math.min(ctx.pollMs, waitMs * 2);
    // A renewal by someone else answers a 401 too: the token we were refused is no longer the stored one.
  }
}

/** During the backoff after a transient failure nobody renews: the last good token, or a 503 saying until when. */
function backingOff(
  ctx: TokenSetsContext,
  pk: string,
  connection: ConnectionRegistration,
  item: TokenSetItem & { retryAfter: number },
  rejected: string | undefined,
): ConnectionToken {
  const last = ctx.tokens.lastGood(pk, item, rejected);
  if (last) return last;
  throw backingOffError(connection, item);
}

/** Stores the token set a consent produced, replacing any earlier one of that subject. */
async function storeConsent(
  ctx: TokenSetsContext,
  connection: ConnectionRegistration,
  subject: string | undefined,
  tokens: oauth.TokenEndpointResponse,
): Promise<void> {
  const pk = tokenSetKey(connection.name, subject);
  const previous = await ctx.state.get<TokenSetItem>(pk);
  const refreshToken = await sealRefreshToken(ctx.cipher, pk, connection, tokens, undefined);
  const item = connectedItem({
    pk,
    connection,
    subject,
    tokens,
    previous: undefined,
    refreshToken,
    nowMs: ctx.clock(),
    defaultExpiresInMs: ctx.defaultExpiresInMs,
  });
  await ctx.state.put(item);
  ctx.tokens.forget(pk);
  ctx.log.info('token_set_consented', { connection: connection.name, subject, has_refresh_token: item.refreshToken !== undefined });
  await publishHealth(ctx, connection.name, subject, previous?.health, 'connected', 'consent');
}
