/**
 * Token sets of third-party connections, in the state table (`tokenset#<connection>#<subject or _shared>`), and the
 * one way to get a usable access token from them.
 *
 * - The refresh token is stored encrypted (`Cipher`, context naming the connection and token set).
 * - A token is renewed 60 s before it expires. One renewer at a time per token set: a lease taken by a conditional
 *   update on `leaseUntil`; the others poll (bounded, injected clock and sleep) and re-read.
 * - The renewed set replaces the old one in one conditional write (lease still ours), so the old refresh token is
 *   only given up once the new one is stored; nothing is written unless the provider's response was valid.
 * - Health: `connected`, `needs_consent` (invalid_grant: the record is kept and marked), `needs_trust` (invalid_grant
 *   to a JWT bearer assertion: the provider no longer trusts our key or subject; nobody asks again before `retryAfter`,
 *   backing off as for transient errors, so a trust repaired at the provider heals by itself), `error` (transient: retried
 *   a few times, then `retryAfter` is stored (exponential backoff, capped) and until then callers get the last good
 *   token while it is valid, without anyone taking a new lease); `refreshing` is reported while a lease is live. A
 *   change of the stored health publishes a `Connection Health Changed` event.
 * - The lease is released on every path out of a renewal, failures of the cipher or the store included.
 */
import { randomUUID } from 'node:crypto';
import type * as oauth from 'oauth4webapi';
import type { Logger } from '../shared/log';
import type { ConnectionRegistration } from '../shared/manifest';
import type { Cipher, Clock, EventPublisher, StateItem, StateStore } from '../shared/ports';
import { ConnectionError, invalidRequest } from './errors';
import { classifyProviderError, describeProviderError, type ProviderFailure } from './providers';

export type StoredHealth = 'connected' | 'needs_consent' | 'needs_trust' | 'error';
export type Health = StoredHealth | 'refreshing';

/** Key prefix of every token set of `connection` (a perUser connection has one per subject). */
export const tokenSetPrefix = (connection: string): string => `tokenset#${connection}#`;

/** The stored form of a token set. Times in ms since the epoch. */
export interface TokenSetItem extends StateItem {
  readonly connection: string;
  readonly subject?: string;
  readonly health: StoredHealth;
  readonly accessToken?: string;
  readonly tokenType?: string;
  readonly accessTokenExpiresAt?: number;
  readonly scope?: string;
  /** The refresh token, encrypted. */
  readonly refreshToken?: string;
  readonly lastError?: string;
  /** Consecutive transient renewal failures. */
  readonly failures?: number;
  /** After a transient failure: nobody renews before this time (ms). */
  readonly retryAfter?: number;
  readonly leaseUntil?: number;
  readonly leaseOwner?: string;
  readonly updatedAt: number;
}

/** What the broker hands out. `expires_at` in seconds since the epoch. */
export interface ConnectionToken {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_at: number;
}

/** A connection's state as `status` shows it (no token in it). */
export interface TokenSetStatus {
  readonly connection: string;
  readonly subject?: string;
  readonly health: Health | 'not_connected';
  readonly expiresAt?: number;
  readonly scope?: string;
  readonly hasRefreshToken: boolean;
  readonly lastError?: string;
  /** After a transient failure: the next renewal attempt is not before this time (seconds since the epoch). */
  readonly retryAfter?: number;
}

/** What a renewal is for: the stored refresh token (authorization_code), the token set's subject (JWT bearer). */
export interface RenewalRequest {
  readonly refreshToken?: string;
  readonly subject?: string;
}

/** Gets fresh tokens from the provider: by refresh token, or by the connection's own grant (client_credentials, JWT bearer). */
export type TokenSource = (connection: ConnectionRegistration, request: RenewalRequest) => Promise<oauth.TokenEndpointResponse>;

export interface TokenSetsOptions {
  readonly state: StateStore;
  readonly cipher: Cipher;
  readonly events: EventPublisher;
  readonly renew: TokenSource;
  readonly clock: Clock;
  /** Waits between polls and retries; tests inject one that only yields. */
  readonly sleep: (ms: number) => Promise<void>;
  readonly log: Logger;
  /** A consent link for `needs_consent` errors; absent when links cannot be signed here. */
  readonly consentUrl?: (connection: string, subject: string | undefined) => Promise<string | undefined>;
  /** Renew this long before expiry, in seconds. @default 60 */
  readonly skewSecs?: number;
  /** How long a renewer holds the lease, in ms (more than all its attempts take). @default 30000 */
  readonly leaseMs?: number;
  /** How long a caller waits for another renewer, in ms (summed poll intervals). @default 20000 */
  readonly maxWaitMs?: number;
  /** Longest wait between two polls of another renewer's lease, in ms (the first waits a quarter of it). @default 100 */
  readonly pollMs?: number;
  /** Delays before the 2nd, 3rd… attempt on a transient failure, in ms. @default [250, 1000] */
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
}

/** Subjects are part of a key and of links: printable, no whitespace, at most 256 characters. */
const SUBJECT_PATTERN = /^[\x21-\x7E]{1,256}$/;

export const tokenSetKey = (connection: string, subject: string | undefined): string =>
  `${tokenSetPrefix(connection)}${subject ?? '_shared'}`;

/** Checks the subject against the connection's mode: `perUser` needs one, `shared` takes none. */
export function checkSubject(connection: ConnectionRegistration, subject: unknown): string | undefined {
  if (connection.mode === 'shared') {
    if (subject !== undefined && subject !== null && subject !== '') {
      throw invalidRequest(`connection ${connection.name} is shared: it takes no subject`);
    }
    return undefined;
  }
  if (typeof subject !== 'string' || !SUBJECT_PATTERN.test(subject)) {
    throw invalidRequest(`connection ${connection.name} is per user: give a subject (1 to 256 printable characters, no spaces)`);
  }
  return subject;
}

const MAX_CACHED = 1000;

export function createTokenSets(options: TokenSetsOptions): TokenSets {
  const { state, cipher, events, clock, sleep, log } = options;
  const skewMs = (options.skewSecs ?? 60) * 1000;
  const leaseMs = options.leaseMs ?? 30_000;
  const maxWaitMs = options.maxWaitMs ?? 20_000;
  const pollMs = options.pollMs ?? 100;
  const retryDelaysMs = options.retryDelaysMs ?? [250, 1000];
  const backoffInitialMs = options.backoffInitialMs ?? 5_000;
  const backoffMaxMs = options.backoffMaxMs ?? 300_000;
  const backoffMs = (failures: number) => Math.min(backoffMaxMs, backoffInitialMs * 2 ** Math.min(failures - 1, 30));
  const defaultExpiresInMs = (options.defaultExpiresInSecs ?? 3600) * 1000;

  /** Warm path: tokens this container already read, by token-set key. */
  const cache = new Map<string, ConnectionToken & { expiresAtMs: number }>();
  /** Concurrent callers in one container share one load. */
  const inflight = new Map<string, Promise<ConnectionToken>>();

  const encryptionContext = (pk: string, connection: string) => ({ 'oauth-registry:connection': connection, 'oauth-registry:token-set': pk });

  const fresh = (expiresAtMs: number | undefined) => expiresAtMs !== undefined && expiresAtMs - skewMs > clock();

  function usable(item: TokenSetItem | undefined, rejected: string | undefined): item is TokenSetItem & { accessToken: string } {
    return !!item?.accessToken && fresh(item.accessTokenExpiresAt) && item.accessToken !== rejected;
  }

  function remember(pk: string, item: TokenSetItem & { accessToken: string }): ConnectionToken {
    const token = {
      access_token: item.accessToken,
      token_type: item.tokenType ?? 'Bearer',
      expires_at: Math.floor(item.accessTokenExpiresAt! / 1000),
      expiresAtMs: item.accessTokenExpiresAt!,
    };
    cache.delete(pk);
    cache.set(pk, token);
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
    return publicToken(token);
  }

  /** The stored form of `tokens`; `refreshToken` is already encrypted (or the previous one kept, or none). */
  function toItem(
    pk: string,
    connection: ConnectionRegistration,
    subject: string | undefined,
    tokens: oauth.TokenEndpointResponse,
    previous: TokenSetItem | undefined,
    refreshToken: string | undefined,
  ): TokenSetItem {
    const now = clock();
    return {
      pk,
      connection: connection.name,
      ...(subject !== undefined ? { subject } : {}),
      health: 'connected',
      accessToken: tokens.access_token,
      tokenType: normalizeTokenType(tokens.token_type),
      accessTokenExpiresAt: now + (typeof tokens.expires_in === 'number' ? tokens.expires_in * 1000 : defaultExpiresInMs),
      ...(tokens.scope !== undefined ? { scope: tokens.scope } : previous?.scope !== undefined ? { scope: previous.scope } : {}),
      ...(refreshToken ? { refreshToken } : {}),
      updatedAt: now,
    };
  }

  async function publishHealth(connection: string, subject: string | undefined, from: Health | undefined, to: StoredHealth, reason?: string) {
    if (from === to) return;
    log.info('connection_health_changed', { connection, subject, from: from ?? 'not_connected', to, reason });
    try {
      await events.publish('Connection Health Changed', { connection, subject, from: from ?? 'not_connected', to, reason });
    } catch (err) {
      log.warn('health_event_not_published', { connection, error: err instanceof Error ? err.name : String(err) });
    }
  }

  async function needsConsent(connection: ConnectionRegistration, subject: string | undefined, why: string): Promise<ConnectionError> {
    const url = await options.consentUrl?.(connection.name, subject).catch(() => undefined);
    const how = `oauth-registry connect ${connection.name}${subject !== undefined ? ` --subject ${subject}` : ''}`;
    return new ConnectionError(409, 'needs_consent', `connection ${connection.name} needs consent again (${why}): open the consent link or run \`${how}\``, url);
  }

  function needsTrust(connection: ConnectionRegistration, subject: string | undefined, why: string, retryAfter: number): ConnectionError {
    const who = subject !== undefined ? ` for subject ${subject}` : '';
    return new ConnectionError(
      409,
      'needs_trust',
      `connection ${connection.name}: the provider refused our JWT bearer assertion${who} (${why}): it must trust our public key and the asserted issuer and subject; after fixing that at the provider (or \`oauth-registry connections set-credentials ${connection.name}\` with the key it trusts) the next attempt is not before ${new Date(retryAfter).toISOString()}`,
    );
  }

  async function acquire(pk: string, connection: ConnectionRegistration, subject: string | undefined, item: TokenSetItem | undefined, owner: string): Promise<boolean> {
    const now = clock();
    const lease = { leaseUntil: now + leaseMs, leaseOwner: owner };
    if (!item) {
      // Only a grant we can run ourselves (client_credentials, JWT bearer) starts a token set without a person.
      return state.put({ pk, connection: connection.name, ...(subject !== undefined ? { subject } : {}), health: 'connected', updatedAt: now, ...lease }, { kind: 'notExists' });
    }
    return state.update(pk, lease, {
      kind: 'and',
      conditions: [
        { kind: 'exists' },
        { kind: 'or', conditions: [{ kind: 'missing', attribute: 'leaseUntil' }, { kind: 'lessThan', attribute: 'leaseUntil', value: now }] },
      ],
    });
  }

  /** The refresh token to store: the new one encrypted, or (a provider that does not rotate) the one we had. */
  async function sealRefreshToken(pk: string, connection: ConnectionRegistration, tokens: oauth.TokenEndpointResponse, previous: TokenSetItem | undefined) {
    return tokens.refresh_token ? cipher.encrypt(tokens.refresh_token, encryptionContext(pk, connection.name)) : previous?.refreshToken;
  }

  async function obtainWithRetry(connection: ConnectionRegistration, request: RenewalRequest): Promise<oauth.TokenEndpointResponse> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await options.renew(connection, request);
      } catch (err) {
        const failure = classifyProviderError(err);
        if (failure !== 'transient' || attempt >= retryDelaysMs.length) throw err;
        log.warn('token_renewal_retry', { connection: connection.name, attempt: attempt + 1, reason: describeProviderError(err) });
        await sleep(retryDelaysMs[attempt]!);
      }
    }
  }

  /** Holding the lease: get new tokens, store them. The lease is released on every way out. */
  async function renew(pk: string, connection: ConnectionRegistration, subject: string | undefined, item: TokenSetItem | undefined, owner: string): Promise<ConnectionToken> {
    const ownLease = { kind: 'equals', attribute: 'leaseOwner', value: owner } as const;
    let held = true;
    /** Writes `changes` and gives up the lease in the same conditional update. */
    const release = async (changes: Partial<TokenSetItem>) => {
      await state.update(pk, { ...changes, leaseUntil: undefined, leaseOwner: undefined, updatedAt: clock() }, ownLease);
      held = false;
    };
    try {
      let refreshToken: string | undefined;
      if (connection.grant === 'authorization_code') {
        if (!item?.refreshToken) {
          await release({ health: 'needs_consent', lastError: 'no refresh token' });
          await publishHealth(connection.name, subject, item?.health, 'needs_consent', 'no refresh token');
          throw await needsConsent(connection, subject, 'the access token expired and the provider gave no refresh token');
        }
        refreshToken = await cipher.decrypt(item.refreshToken, encryptionContext(pk, connection.name));
      }
      let tokens: oauth.TokenEndpointResponse;
      try {
        tokens = await obtainWithRetry(connection, { refreshToken, subject });
      } catch (err) {
        return await failed(pk, connection, subject, item, err, release);
      }
      let sealed: string | undefined;
      let lost = false;
      try {
        sealed = await sealRefreshToken(pk, connection, tokens, item);
      } catch (err) {
        // The provider has already rotated the refresh token: the old one is dead and the new one cannot be kept.
        lost = true;
        log.error('refresh_token_lost', { connection: connection.name, subject, error: err instanceof Error ? err.name : String(err) });
      }
      const renewed = toItem(pk, connection, subject, tokens, item, sealed);
      const next: TokenSetItem = lost ? { ...renewed, health: 'error', lastError: REFRESH_TOKEN_LOST } : renewed;
      const stored = await state.put(next, ownLease);
      held = false;
      if (!stored) {
        // Someone replaced the set meanwhile (a new consent, or a renewer after our lease ran out): theirs stays.
        log.warn('token_set_lease_lost', { connection: connection.name, subject });
      } else {
        log.info('token_set_renewed', { connection: connection.name, subject, grant: connection.grant });
        await publishHealth(connection.name, subject, item?.health, next.health, next.lastError);
      }
      return remember(pk, next as TokenSetItem & { accessToken: string });
    } finally {
      if (held) {
        await state
          .update(pk, { leaseUntil: undefined, leaseOwner: undefined, updatedAt: clock() }, ownLease)
          .catch((err: unknown) => log.warn('token_set_lease_not_released', { connection: connection.name, subject, error: err instanceof Error ? err.name : String(err) }));
      }
    }
  }

  async function failed(
    pk: string,
    connection: ConnectionRegistration,
    subject: string | undefined,
    item: TokenSetItem | undefined,
    err: unknown,
    release: (changes: Partial<TokenSetItem>) => Promise<void>,
  ): Promise<ConnectionToken> {
    const failure: ProviderFailure = classifyProviderError(err);
    const reason = describeProviderError(err);
    log.warn('token_renewal_failed', { connection: connection.name, subject, failure, reason });
    cache.delete(pk);
    if (failure === 'invalid_grant' && connection.grant === 'authorization_code') {
      await release({ health: 'needs_consent', lastError: reason, failures: undefined, retryAfter: undefined });
      await publishHealth(connection.name, subject, item?.health, 'needs_consent', reason);
      throw await needsConsent(connection, subject, reason);
    }
    if (failure === 'invalid_grant' && connection.grant === 'jwt_bearer') {
      const failures = (item?.failures ?? 0) + 1;
      const retryAfter = clock() + backoffMs(failures);
      await release({ health: 'needs_trust', lastError: reason, failures, retryAfter });
      await publishHealth(connection.name, subject, item?.health, 'needs_trust', reason);
      throw needsTrust(connection, subject, reason, retryAfter);
    }
    const failures = failure === 'transient' ? (item?.failures ?? 0) + 1 : undefined;
    const retryAfter = failures !== undefined ? clock() + backoffMs(failures) : undefined;
    await release({ health: 'error', lastError: reason, failures, retryAfter });
    await publishHealth(connection.name, subject, item?.health, 'error', reason);
    if (failure === 'transient') {
      const last = lastGoodToken(pk, item, undefined);
      if (last) return last;
    }
    if (err instanceof ConnectionError) throw err; // already says what to do (set credentials, provider down)
    throw failure === 'transient'
      ? new ConnectionError(503, 'provider_unavailable', `connection ${connection.name}: ${reason}; try again later`)
      : new ConnectionError(502, 'provider_error', `connection ${connection.name}: ${reason}`);
  }

  /** The last good token, while it really is still valid (we renew ahead of expiry), unless the API just refused it. */
  function lastGoodToken(pk: string, item: TokenSetItem | undefined, rejected: string | undefined): ConnectionToken | undefined {
    if (!item?.accessToken || item.accessToken === rejected || item.accessTokenExpiresAt === undefined || item.accessTokenExpiresAt <= clock()) return undefined;
    return remember(pk, item as TokenSetItem & { accessToken: string });
  }

  /** During the backoff after a transient failure nobody renews: the last good token, or a 503 saying until when. */
  function backingOff(pk: string, connection: ConnectionRegistration, item: TokenSetItem & { retryAfter: number }, rejected: string | undefined): ConnectionToken {
    const last = lastGoodToken(pk, item, rejected);
    if (last) return last;
    const until = new Date(item.retryAfter).toISOString();
    throw new ConnectionError(503, 'provider_unavailable', `connection ${connection.name}: ${item.lastError ?? 'the provider failed'}; the next attempt is not before ${until}`);
  }

  async function load(pk: string, connection: ConnectionRegistration, subject: string | undefined, rejected: string | undefined): Promise<ConnectionToken> {
    let waitedMs = 0;
    let waitMs = Math.max(1, Math.floor(pollMs / 4));
    for (;;) {
      const item = await state.get<TokenSetItem>(pk);
      if (!item && connection.grant === 'authorization_code') {
        throw new ConnectionError(404, 'not_connected', `connection ${connection.name} has no token set${subject !== undefined ? ` for subject ${subject}` : ''}: consent first (oauth-registry connect ${connection.name}${subject !== undefined ? ` --subject ${subject}` : ''})`, await options.consentUrl?.(connection.name, subject).catch(() => undefined));
      }
      if (item?.health === 'needs_consent') throw await needsConsent(connection, subject, item.lastError ?? 'the grant was revoked');
      if (item?.health === 'needs_trust') {
        // Tokens issued before the trust broke are not handed out; after the backoff one caller asks again.
        if (item.retryAfter !== undefined && item.retryAfter > clock()) throw needsTrust(connection, subject, item.lastError ?? 'the provider refused our assertion', item.retryAfter);
      } else if (usable(item, rejected)) return remember(pk, item);
      if (item?.retryAfter !== undefined && item.retryAfter > clock()) return backingOff(pk, connection, item as TokenSetItem & { retryAfter: number }, rejected);
      const leased = item?.leaseUntil !== undefined && item.leaseUntil >= clock();
      if (!leased) {
        const owner = randomUUID();
        if (await acquire(pk, connection, subject, item, owner)) return renew(pk, connection, subject, item, owner);
      }
      if (waitedMs >= maxWaitMs) {
        throw new ConnectionError(503, 'provider_unavailable', `connection ${connection.name}: another renewal is taking too long; try again later`);
      }
      await sleep(waitMs);
      waitedMs += waitMs;
      waitMs = Math.min(pollMs, waitMs * 2);
      // A renewal by someone else answers a 401 too: the token we were refused is no longer the stored one.
    }
  }

  return {
    async get(connection, subject, getOptions = {}) {
      const pk = tokenSetKey(connection.name, subject);
      const rejected = getOptions.rejected;
      const cached = cache.get(pk);
      if (cached && fresh(cached.expiresAtMs) && cached.access_token !== rejected) return publicToken(cached);
      const key = `${pk}\n${rejected ?? ''}`;
      let pending = inflight.get(key);
      if (!pending) {
        pending = load(pk, connection, subject, rejected).finally(() => inflight.delete(key));
        inflight.set(key, pending);
      }
      return pending;
    },

    async storeConsent(connection, subject, tokens) {
      const pk = tokenSetKey(connection.name, subject);
      const previous = await state.get<TokenSetItem>(pk);
      const item = toItem(pk, connection, subject, tokens, undefined, await sealRefreshToken(pk, connection, tokens, undefined));
      await state.put(item);
      cache.delete(pk);
      log.info('token_set_consented', { connection: connection.name, subject, has_refresh_token: item.refreshToken !== undefined });
      await publishHealth(connection.name, subject, previous?.health, 'connected', 'consent');
    },

    async status(connection, subject) {
      return tokenSetStatus(connection.name, subject, await state.get<TokenSetItem>(tokenSetKey(connection.name, subject)), clock());
    },
  };
}

/** What `status` shows of a stored token set (or its absence) at `nowMs`: health, expiry, last error; never a token. */
export function tokenSetStatus(connection: string, subject: string | undefined, item: TokenSetItem | undefined, nowMs: number): TokenSetStatus {
  if (!item) return { connection, subject, health: 'not_connected', hasRefreshToken: false };
  const leased = item.leaseUntil !== undefined && item.leaseUntil >= nowMs;
  return {
    connection,
    subject,
    health: leased ? 'refreshing' : item.health,
    expiresAt: item.accessTokenExpiresAt !== undefined ? Math.floor(item.accessTokenExpiresAt / 1000) : undefined,
    scope: item.scope,
    hasRefreshToken: item.refreshToken !== undefined,
    lastError: item.lastError,
    retryAfter: item.retryAfter !== undefined && item.retryAfter > nowMs ? Math.floor(item.retryAfter / 1000) : undefined,
  };
}

const REFRESH_TOKEN_LOST =
  'the provider rotated the refresh token and the new one could not be encrypted, so it was not stored: consent again before the access token expires';

const publicToken = (t: ConnectionToken): ConnectionToken => ({ access_token: t.access_token, expires_at: t.expires_at, token_type: t.token_type });

/** `bearer` → `Bearer` (RFC 6750 is case-insensitive; APIs are not always). */
function normalizeTokenType(type: string | undefined): string {
  return !type || type.toLowerCase() === 'bearer' ? 'Bearer' : type;
}
