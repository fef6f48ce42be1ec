/**
 * A connection's token set as the state table stores it (`tokenset#<connection>#<subject or _shared>`): the item, its
 * keys, what the broker hands out of it, and what `status` shows of it. The refresh token is stored encrypted
 * (`Cipher`, context naming the connection and token set).
 */
import type * as oauth from 'oauth4webapi' with { 'resolution-mode': 'import' };
import type { ConnectionRegistration } from '../shared/manifest';
import type { Cipher, StateItem } from '../shared/ports';
import { tableKey } from '../shared/table-keys';

export type StoredHealth = 'connected' | 'needs_consent' | 'needs_trust' | 'error';
export type Health = StoredHealth | 'refreshing';

/** The stored form of a token set. Times in ms since the epoch. */
export interface TokenSetItem extends StateItem {
  readonly connection: string;
  readonly subject?: string;
  readonly health: StoredHealth;
  readonly accessToken?: string;
  readonly tokenType?: string;
  readonly accessTokenExpiresAt?: number;
  /** When the access token was received: its lifetime decides how early it is renewed (token-cache.ts). */
  readonly accessTokenIssuedAt?: number;
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

/** A token set holding an access token (its expiry with it). */
export type TokenSetWithToken = TokenSetItem & { readonly accessToken: string; readonly accessTokenExpiresAt: number };

/** Key prefix of every token set of `connection` (a perUser connection has one per subject). */
export const tokenSetPrefix = (connection: string): string => tableKey('tokenSet', connection, '');

export const tokenSetKey = (connection: string, subject: string | undefined): string =>
  tableKey('tokenSet', connection, subject ?? '_shared');

/** What the broker hands out. `expires_at` in seconds since the epoch. */
export interface ConnectionToken {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_at: number;
}

/** The token of a set that holds one. */
export function tokenOf(item: TokenSetWithToken): ConnectionToken {
  return {
    access_token: item.accessToken,
    expires_at: Math.floor(item.accessTokenExpiresAt / 1000),
    token_type: item.tokenType ?? 'Bearer',
  };
}

/** A connection's state as `status` shows it (no token in it). */
export interface TokenSetStatus {
  readonly connection: string;
  readonly subject?: string;
  readonly health: Health | 'not_connected';
  /** Expiry of the access token handed out (seconds since the epoch); none while the set needs consent or trust. */
  readonly expiresAt?: number;
  readonly scope?: string;
  readonly hasRefreshToken: boolean;
  readonly lastError?: string;
  /** After a transient failure: the next renewal attempt is not before this time (seconds since the epoch). */
  readonly retryAfter?: number;
}

/** What `status` shows of a stored token set (or its absence) at `nowMs`: health, expiry, last error; never a token. */
export function tokenSetStatus(
  connection: string,
  subject: string | undefined,
  item: TokenSetItem | undefined,
  nowMs: number,
): TokenSetStatus {
  if (!item) return { connection, subject, health: 'not_connected', hasRefreshToken: false };
  const leased = item.leaseUntil !== undefined && item.leaseUntil >= nowMs;
  // A set that needs consent (or trust) hands out no token, whatever the expiry of the one it still holds.
  const handsOut = item.health !== 'needs_consent' && item.health !== 'needs_trust';
  return {
    connection,
    subject,
    health: leased ? 'refreshing' : item.health,
    expiresAt: handsOut && item.accessTokenExpiresAt !== undefined ? Math.floor(item.accessTokenExpiresAt / 1000) : undefined,
    scope: item.scope,
    hasRefreshToken: item.refreshToken !== undefined,
    lastError: item.lastError,
    retryAfter: item.retryAfter !== undefined && item.retryAfter > nowMs ? Math.floor(item.retryAfter / 1000) : undefined,
  };
}

/** What a provider's token response becomes once stored. */
export interface ConnectedItemInput {
  readonly pk: string;
  readonly connection: ConnectionRegistration;
  readonly subject: string | undefined;
  readonly tokens: oauth.TokenEndpointResponse;
  /** The set it replaces: its scope is kept when the provider names none. */
  readonly previous: TokenSetItem | undefined;
  /** Already encrypted (or the previous one kept, or none). */
  readonly refreshToken: string | undefined;
  readonly nowMs: number;
  /** Lifetime assumed when the provider sends no `expires_in`, in ms. */
  readonly defaultExpiresInMs: number;
}

/** The stored form of a provider's token response: health `connected`. */
export function connectedItem(input: ConnectedItemInput): TokenSetWithToken {
  const { tokens, previous, refreshToken, nowMs } = input;
  const expiresInMs = typeof tokens.expires_in === 'number' ? tokens.expires_in * 1000 : input.defaultExpiresInMs;
  return {
    pk: input.pk,
    connection: input.connection.name,
    ...(input.subject !== undefined ? { subject: input.subject } : {}),
    health: 'connected',
    accessToken: tokens.access_token,
    tokenType: normalizeTokenType(tokens.token_type),
    accessTokenExpiresAt: nowMs + expiresInMs,
    accessTokenIssuedAt: nowMs,
    ...(tokens.scope !== undefined ? { scope: tokens.scope } : previous?.scope !== undefined ? { scope: previous.scope } : {}),
    ...(refreshToken ? { refreshToken } : {}),
    updatedAt: nowMs,
  };
}

/** `bearer` → `Bearer` (RFC 6750 is case-insensitive; APIs are not always). */
function normalizeTokenType(type: string | undefined): string {
  return !type || type.toLowerCase() === 'bearer' ? 'Bearer' : type;
}

const encryptionContext = (pk: string, connection: string) => ({
  'oauth-registry:connection': connection,
  'oauth-registry:token-set': pk,
});

/** The refresh token to store: the new one encrypted, or (a provider that does not rotate) the one we had. */
export async function sealRefreshToken(
  cipher: Cipher,
  pk: string,
  connection: ConnectionRegistration,
  tokens: oauth.TokenEndpointResponse,
  previous: TokenSetItem | undefined,
): Promise<string | undefined> {
  return tokens.refresh_token ? cipher.encrypt(tokens.refresh_token, encryptionContext(pk, connection.name)) : previous?.refreshToken;
}

/** A stored refresh token of the token set `pk`, decrypted. */
export function unsealRefreshToken(cipher: Cipher, pk: string, connection: ConnectionRegistration, sealed: string): Promise<string> {
  return cipher.decrypt(sealed, encryptionContext(pk, connection.name));
}
