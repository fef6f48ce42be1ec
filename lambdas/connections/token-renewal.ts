/**
 * Renewing a token set under its lease. One renewer at a time per token set: the lease is taken by a conditional
 * update on `leaseUntil` (`acquireLease`); the others wait and re-read (token-sets.ts).
 * - The renewed set replaces the old one in one conditional write (lease still ours), so the old refresh token is
 *   only given up once the new one is stored; nothing is written unless the provider's response was valid.
 * - Transient failures are retried a few times, then `retryAfter` is stored (exponential backoff, capped).
 * - The lease is released on every path out of a renewal, failures of the cipher or the store included.
 */
import type * as oauth from 'oauth4webapi';
import type { ConnectionRegistration } from '../shared/manifest';
import type { Cipher, Clock, Condition, StateStore } from '../shared/ports';
import { ConnectionError } from './errors';
import { classifyProviderError, describeProviderError } from './providers';
import type { TokenCache } from './token-cache';
import {
  needsConsentError,
  needsTrustError,
  publishHealth,
  REFRESH_TOKEN_LOST,
  renewalFailedError,
  type HealthContext,
} from './token-set-health';
import {
  connectedItem,
  sealRefreshToken,
  unsealRefreshToken,
  type ConnectionToken,
  type TokenSetItem,
  type TokenSetWithToken,
} from './token-set-item';

/** What a renewal is for: the stored refresh token (authorization_code), the token set's subject (JWT bearer). */
export interface RenewalRequest {
  readonly refreshToken?: string;
  readonly subject?: string;
}

/** Gets fresh tokens from the provider: by refresh token, or by the connection's own grant (client_credentials, JWT bearer). */
export type TokenSource = (connection: ConnectionRegistration, request: RenewalRequest) => Promise<oauth.TokenEndpointResponse>;

/** What renewals share, built once by `createTokenSets` (defaults applied). */
export interface RenewalContext extends HealthContext {
  readonly state: StateStore;
  readonly cipher: Cipher;
  readonly renew: TokenSource;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly tokens: TokenCache;
  readonly leaseMs: number;
  readonly retryDelaysMs: readonly number[];
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly defaultExpiresInMs: number;
}

/** One renewal: the token set (as read before the lease was taken) and who holds its lease. */
export interface Renewal {
  readonly pk: string;
  readonly connection: ConnectionRegistration;
  readonly subject: string | undefined;
  readonly item: TokenSetItem | undefined;
  readonly owner: string;
  /** The access token an API just refused (401): never handed back as the last good token. */
  readonly rejected?: string;
}

/** Backoff after `failures` consecutive transient failures, doubling from `backoffInitialMs` up to `backoffMaxMs`. */
const backoffMs = (ctx: RenewalContext, failures: number): number =>
  Math.min(ctx.backoffMaxMs, ctx.backoffInitialMs * 2 ** Math.min(failures - 1, 30));

/** Takes the lease of `r.item` (or creates the set holding it): false when someone else holds it. */
export async function acquireLease(ctx: RenewalContext, r: Renewal): Promise<boolean> {
  const now = ctx.clock();
  const lease = { leaseUntil: now + ctx.leaseMs, leaseOwner: r.owner };
  if (!r.item) {
    // Only a grant we can run ourselves (client_credentials, JWT bearer) starts a token set without a person.
    const subject = r.subject !== undefined ? { subject: r.subject } : {};
    const started = { pk: r.pk, connection: r.connection.name, ...subject, health: 'connected', updatedAt: now, ...lease };
    return ctx.state.put(started, { kind: 'notExists' });
  }
  const expired: Condition = { kind: 'lessThan', attribute: 'leaseUntil', value: now };
  return ctx.state.update(r.pk, lease, {
    kind: 'and',
    conditions: [{ kind: 'exists' }, { kind: 'or', conditions: [{ kind: 'missing', attribute: 'leaseUntil' }, expired] }],
  });
}

/** A lease taken by `acquireLease`, until it is released or replaced by the renewed set. */
class Lease {
  private held = true;
  readonly condition: Condition;

  constructor(
    private readonly ctx: RenewalContext,
    private readonly r: Renewal,
  ) {
    this.condition = { kind: 'equals', attribute: 'leaseOwner', value: r.owner };
  }

  /** Writes `changes` and gives up the lease in the same conditional update. */
  async release(changes: Partial<TokenSetItem>): Promise<void> {
    await this.ctx.state.update(this.r.pk, { ...changes, ...this.gone() }, this.condition);
    this.held = false;
  }

  /** Stores the renewed set in place of the leased one: false when someone replaced it meanwhile. */
  async replace(next: TokenSetItem): Promise<boolean> {
    const stored = await this.ctx.state.put(next, this.condition);
    this.held = false;
    return stored;
  }

  /** On every way out: gives the lease up if still held; a failure to do so is only logged. */
  async end(): Promise<void> {
    if (!this.held) return;
    const { connection, subject } = this.r;
    await this.ctx.state
      .update(this.r.pk, this.gone(), this.condition)
      .catch((err: unknown) =>
        this.ctx.log.warn('token_set_lease_not_released', { connection: connection.name, subject, error: errorName(err) }),
      );
  }

  private gone() {
    return { leaseUntil: undefined, leaseOwner: undefined, updatedAt: this.ctx.clock() };
  }
}

/** Holding the lease: get new tokens, store them. The lease is released on every way out. */
export async function renewUnderLease(ctx: RenewalContext, r: Renewal): Promise<ConnectionToken> {
  const { pk, connection, subject, item } = r;
  const lease = new Lease(ctx, r);
  try {
    let refreshToken: string | undefined;
    if (connection.grant === 'authorization_code') {
      if (!item?.refreshToken) {
        await lease.release({ health: 'needs_consent', lastError: 'no refresh token' });
        await publishHealth(ctx, connection.name, subject, item?.health, 'needs_consent', 'no refresh token');
        throw needsConsentError(connection, subject, 'the access token expired and the provider gave no refresh token');
      }
      refreshToken = await unsealRefreshToken(ctx.cipher, pk, connection, item.refreshToken);
    }
    let tokens: oauth.TokenEndpointResponse;
    try {
      tokens = await obtainWithRetry(ctx, connection, { refreshToken, subject });
    } catch (err) {
      return await recordFailure(ctx, r, lease, err);
    }
    return await storeRenewal(ctx, r, lease, tokens);
  } finally {
    await lease.end();
  }
}

async function obtainWithRetry(
  ctx: RenewalContext,
  connection: ConnectionRegistration,
  request: RenewalRequest,
): Promise<oauth.TokenEndpointResponse> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await ctx.renew(connection, request);
    } catch (err) {
      const failure = classifyProviderError(err);
      if (failure !== 'transient' || attempt >= ctx.retryDelaysMs.length) throw err;
      ctx.log.warn('token_renewal_retry', { connection: connection.name, attempt: attempt + 1, ...describeProviderError(err) });
      await ctx.sleep(ctx.retryDelaysMs[attempt]);
    }
  }
}

/** The provider's new tokens replace the leased set (unless someone replaced it meanwhile: theirs stays). */
async function storeRenewal(ctx: RenewalContext, r: Renewal, lease: Lease, tokens: oauth.TokenEndpointResponse): Promise<ConnectionToken> {
  const { pk, connection, subject, item } = r;
  let sealed: string | undefined;
  let lost = false;
  try {
    sealed = await sealRefreshToken(ctx.cipher, pk, connection, tokens, item);
  } catch (err) {
    // The provider has already rotated the refresh token: the old one is dead and the new one cannot be kept.
    lost = true;
    ctx.log.error('refresh_token_lost', { connection: connection.name, subject, error: errorName(err) });
  }
  const renewed = connectedItem({
    pk,
    connection,
    subject,
    tokens,
    previous: item,
    refreshToken: sealed,
    nowMs: ctx.clock(),
    defaultExpiresInMs: ctx.defaultExpiresInMs,
  });
  const next: TokenSetWithToken = lost ? { ...renewed, health: 'error', lastError: REFRESH_TOKEN_LOST } : renewed;
  if (!(await lease.replace(next))) {
    // Someone replaced the set meanwhile (a new consent, or a renewer after our lease ran out): theirs stays.
    ctx.log.warn('token_set_lease_lost', { connection: connection.name, subject });
  } else {
    ctx.log.info('token_set_renewed', { connection: connection.name, subject, grant: connection.grant });
    await publishHealth(ctx, connection.name, subject, item?.health, next.health, next.lastError);
  }
  return ctx.tokens.remember(pk, next);
}

/** Records a failed renewal in the set (health, backoff) and answers: the last good token, or the error to throw. */
async function recordFailure(ctx: RenewalContext, r: Renewal, lease: Lease, err: unknown): Promise<ConnectionToken> {
  const { pk, connection, subject, item } = r;
  const failure = classifyProviderError(err);
  const described = describeProviderError(err);
  const { reason } = described;
  ctx.log.warn('token_renewal_failed', { connection: connection.name, subject, failure, ...described });
  ctx.tokens.forget(pk);
  if (failure === 'invalid_grant' && connection.grant === 'authorization_code') {
    await lease.release({ health: 'needs_consent', lastError: reason, failures: undefined, retryAfter: undefined });
    await publishHealth(ctx, connection.name, subject, item?.health, 'needs_consent', reason);
    throw needsConsentError(connection, subject, reason);
  }
  if (failure === 'invalid_grant' && connection.grant === 'jwt_bearer') {
    const failures = (item?.failures ?? 0) + 1;
    const retryAfter = ctx.clock() + backoffMs(ctx, failures);
    await lease.release({ health: 'needs_trust', lastError: reason, failures, retryAfter });
    await publishHealth(ctx, connection.name, subject, item?.health, 'needs_trust', reason);
    throw needsTrustError(connection, subject, reason, retryAfter);
  }
  const failures = failure === 'transient' ? (item?.failures ?? 0) + 1 : undefined;
  const retryAfter = failures !== undefined ? ctx.clock() + backoffMs(ctx, failures) : undefined;
  await lease.release({ health: 'error', lastError: reason, failures, retryAfter });
  await publishHealth(ctx, connection.name, subject, item?.health, 'error', reason);
  if (failure === 'transient') {
    const last = ctx.tokens.lastGood(pk, item, r.rejected);
    if (last) return last;
  }
  if (err instanceof ConnectionError) throw err; // already says what to do (set credentials, provider down)
  throw renewalFailedError(connection, err);
}

const errorName = (err: unknown): string => (err instanceof Error ? err.name : String(err));
