/**
 * The warm path of the token sets: access tokens this container already read, by token-set key (at most 1000, the
 * oldest dropped first). A token is handed out, from here or from the table, only while it is fresh (`renewAheadMs`):
 * a share of its lifetime before it expires, it is renewed instead.
 */
import type { Clock } from '../shared/ports';
import { tokenOf, type ConnectionToken, type TokenSetItem, type TokenSetWithToken } from './token-set-item';

const MAX_CACHED = 1000;

/**
 * How long before expiry a token is renewed: `skewMs` (60 s by default), but at most a quarter of its lifetime.
 * A fixed 60 s would make every token that lives 60 s or less stale at birth, renewed on every call (one provider
 * request per broker call; with rotating refresh tokens, one rotation per call). A quarter keeps three quarters of
 * the lifetime in use (at most 4 renewals per 3 lifetimes) and still hands out no token with less than a quarter of
 * its life left (11 s of a 45 s token) for clock skew and the caller's own request. A stored set without its issue
 * time (written before it was kept) gets the fixed `skewMs`.
 */
export function renewAheadMs(skewMs: number, expiresAtMs: number, issuedAtMs: number | undefined): number {
  if (issuedAtMs === undefined) return skewMs;
  return Math.min(skewMs, Math.max(0, expiresAtMs - issuedAtMs) / 4);
}

export class TokenCache {
  private readonly entries = new Map<string, ConnectionToken & { expiresAtMs: number; issuedAtMs?: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly skewMs: number,
  ) {}

  /** Whether a token expiring at `expiresAtMs` (issued at `issuedAtMs`) is still handed out without renewal. */
  fresh(expiresAtMs: number | undefined, issuedAtMs: number | undefined): boolean {
    return expiresAtMs !== undefined && expiresAtMs - renewAheadMs(this.skewMs, expiresAtMs, issuedAtMs) > this.clock();
  }

  /** The cached token of `pk`, if fresh and not the one the API just refused. */
  get(pk: string, rejected: string | undefined): ConnectionToken | undefined {
    const cached = this.entries.get(pk);
    if (cached && this.fresh(cached.expiresAtMs, cached.issuedAtMs) && cached.access_token !== rejected) return publicToken(cached);
    return undefined;
  }

  /** Whether the stored `item` holds a token to hand out as it is. */
  usable(item: TokenSetItem | undefined, rejected: string | undefined): item is TokenSetWithToken {
    return !!item?.accessToken && this.fresh(item.accessTokenExpiresAt, item.accessTokenIssuedAt) && item.accessToken !== rejected;
  }

  /** Caches the token of `item` and returns it. */
  remember(pk: string, item: TokenSetWithToken): ConnectionToken {
    const token = { ...tokenOf(item), expiresAtMs: item.accessTokenExpiresAt, issuedAtMs: item.accessTokenIssuedAt };
    this.entries.delete(pk);
    this.entries.set(pk, token);
    if (this.entries.size > MAX_CACHED) this.entries.delete(this.entries.keys().next().value as string);
    return publicToken(token);
  }

  forget(pk: string): void {
    this.entries.delete(pk);
  }

  /** The last good token, while it really is still valid (we renew ahead of expiry), unless the API just refused it. */
  lastGood(pk: string, item: TokenSetItem | undefined, rejected: string | undefined): ConnectionToken | undefined {
    if (!item?.accessToken || item.accessToken === rejected) return undefined;
    if (item.accessTokenExpiresAt === undefined || item.accessTokenExpiresAt <= this.clock()) return undefined;
    return this.remember(pk, item as TokenSetWithToken);
  }
}

const publicToken = (t: ConnectionToken): ConnectionToken => ({
  access_token: t.access_token,
  expires_at: t.expires_at,
  token_type: t.token_type,
});
