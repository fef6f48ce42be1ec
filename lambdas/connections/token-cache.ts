/**
 * The warm path of the token sets: access tokens this container already read, by token-set key (at most 1000, the
 * oldest dropped first). A token is handed out from here only while it is fresh: `skewMs` before it expires, it is
 * renewed instead.
 */
import type { Clock } from '../shared/ports';
import { tokenOf, type ConnectionToken, type TokenSetItem, type TokenSetWithToken } from './token-set-item';

const MAX_CACHED = 1000;

export class TokenCache {
  private readonly entries = new Map<string, ConnectionToken & { expiresAtMs: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly skewMs: number,
  ) {}

  /** Whether a token expiring at `expiresAtMs` is still handed out without renewal. */
  fresh(expiresAtMs: number | undefined): boolean {
    return expiresAtMs !== undefined && expiresAtMs - this.skewMs > this.clock();
  }

  /** The cached token of `pk`, if fresh and not the one the API just refused. */
  get(pk: string, rejected: string | undefined): ConnectionToken | undefined {
    const cached = this.entries.get(pk);
    if (cached && this.fresh(cached.expiresAtMs) && cached.access_token !== rejected) return publicToken(cached);
    return undefined;
  }

  /** Whether the stored `item` holds a token to hand out as it is. */
  usable(item: TokenSetItem | undefined, rejected: string | undefined): item is TokenSetWithToken {
    return !!item?.accessToken && this.fresh(item.accessTokenExpiresAt) && item.accessToken !== rejected;
  }

  /** Caches the token of `item` and returns it. */
  remember(pk: string, item: TokenSetWithToken): ConnectionToken {
    const token = { ...tokenOf(item), expiresAtMs: item.accessTokenExpiresAt };
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
