/**
 * State of user-delegated access in the `StateStore`: authorization codes, refresh-token families and revoked access
 * token ids. Codes and refresh tokens are stored under the SHA-256 of their value, never the value itself.
 *
 * Keys: `code#<sha256(code)>`, `family#<id>`, `rt#<sha256(token)>`, `revoked#<jti>`.
 */
import { createHash, randomBytes } from 'node:crypto';
import { REFRESH_TOKEN_ABSOLUTE_TTL_SECS, REFRESH_TOKEN_IDLE_TTL_SECS, REFRESH_TOKEN_REUSE_GRACE_SECS } from '../shared/defaults';
import { InvalidRequestError } from '../shared/errors';
import type { ClientRegistration } from '../shared/manifest';
import type { Clock, StateItem, StateStore } from '../shared/ports';
import { tableKey } from '../shared/table-keys';

/** Seconds an authorization code can be redeemed (RFC 6749 §4.1.2 recommends at most 10 minutes). */
export const CODE_TTL_SECS = 60;

/** An unguessable token: `bytes` random bytes, base64url (32 bytes = 256 bits). */
export const randomToken = (bytes = 32): string => randomBytes(bytes).toString('base64url');
export const sha256url = (value: string): string => createHash('sha256').update(value).digest('base64url');
export const nowSecs = (clock: Clock): number => Math.floor(clock() / 1000);

export const codeKey = (code: string): string => tableKey('code', sha256url(code));
export const refreshKey = (token: string): string => tableKey('refreshToken', sha256url(token));
export const familyKey = (familyId: string): string => tableKey('family', familyId);
export const revokedJtiKey = (jti: string): string => tableKey('revokedJti', jti);

/** What an authorization code is bound to. */
export interface CodeGrantData {
  readonly clientId: string;
  readonly redirectUri: string;
  /** PKCE S256 challenge (RFC 7636). */
  readonly codeChallenge: string;
  readonly scope: string;
  /** The user: `${upstreamIssuer}|${upstreamSub}`. */
  readonly sub: string;
  /** The resource (RFC 8707) the user granted access to; absent: the client's default audience. */
  readonly resource?: string;
}

export type CodeItem = StateItem & CodeGrantData;

/** What redeeming a code writes into its item, naming what it issues, so a second redemption can revoke it. */
export type CodeRedemption = {
  readonly redeemed: true;
  /** The access token's `jti`. */
  readonly jti: string;
  /** The refresh-token family, when the client may refresh. */
  readonly familyId?: string;
  /** The access token's `iat`. */
  readonly issuedAt: number;
  readonly accessTokenExp: number;
  readonly expiresAt: number;
};

/** A redeemed code: its item, turned by the redeeming write into the record of what it issued. */
export type RedeemedCodeItem = CodeItem & CodeRedemption;

/** A user's grant to one client, from sign-in until revoked or `expiresAt` (the absolute lifetime). */
export type FamilyItem = StateItem & {
  readonly clientId: string;
  readonly sub: string;
  readonly scope: string;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly revoked?: boolean;
};

/** One refresh token of a family; `expiresAt` is its idle expiry (never past the family's). */
export type RefreshTokenItem = StateItem & {
  readonly familyId: string;
  readonly clientId: string;
  readonly sub: string;
  readonly scope: string;
  /** The resource granted at authorization (RFC 8707); absent: the client's default audience. */
  readonly resource?: string;
  /** Secret input of the successor's value: only a holder of this token and the server can compute it. */
  readonly salt: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
  readonly rotatedAt?: number;
};

/** Stores a new single-use code for `data`; returns its value. */
export async function issueCode(state: StateStore, clock: Clock, data: CodeGrantData): Promise<string> {
  const code = randomToken();
  const item: CodeItem = { pk: codeKey(code), expiresAt: nowSecs(clock) + CODE_TTL_SECS, ...data };
  if (!(await state.put(item, { kind: 'notExists' }))) throw new Error('authorization code collision');
  return code;
}

/** A client's refresh-token lifetimes, defaults applied. */
export function refreshPolicy(client: ClientRegistration): { idleSecs: number; absoluteSecs: number; graceSecs: number } {
  return {
    idleSecs: client.refreshTokenIdleTtlSecs ?? REFRESH_TOKEN_IDLE_TTL_SECS,
    absoluteSecs: client.refreshTokenAbsoluteTtlSecs ?? REFRESH_TOKEN_ABSOLUTE_TTL_SECS,
    graceSecs: client.refreshTokenReuseGraceSecs ?? REFRESH_TOKEN_REUSE_GRACE_SECS,
  };
}

/** Starts a family for a user's grant to `client` and returns its first refresh token. */
export async function startFamily(
  state: StateStore,
  clock: Clock,
  client: ClientRegistration,
  grant: { readonly familyId: string; readonly sub: string; readonly scope: string; readonly resource?: string },
): Promise<string> {
  const now = nowSecs(clock);
  const { idleSecs, absoluteSecs } = refreshPolicy(client);
  const family: FamilyItem = {
    pk: familyKey(grant.familyId),
    clientId: client.clientId,
    sub: grant.sub,
    scope: grant.scope,
    createdAt: now,
    expiresAt: now + absoluteSecs,
  };
  // A replay of the code that started this family may have revoked it already (revokeFamilyBeforeStart): it stays so.
  const started =
    (await state.put(family, { kind: 'notExists' })) ||
    (await state.put({ ...family, revoked: true }, { kind: 'equals', attribute: 'revoked', value: true }));
  if (!started) throw new Error('refresh-token family collision');
  const token = randomToken();
  const item: RefreshTokenItem = {
    pk: refreshKey(token),
    familyId: grant.familyId,
    clientId: client.clientId,
    sub: grant.sub,
    scope: grant.scope,
    ...(grant.resource !== undefined ? { resource: grant.resource } : {}),
    salt: randomToken(16),
    issuedAt: now,
    expiresAt: Math.min(now + idleSecs, family.expiresAt),
  };
  await state.put(item, { kind: 'notExists' });
  return token;
}

/** The token that replaces `token`: fixed by the token and its stored salt, so concurrent rotations agree on it. */
export const successorOf = (token: string, item: RefreshTokenItem): string => sha256url(`rotate:${item.salt}:${token}`);

/** Revokes every refresh token of a family (they all check it on use and introspection). */
export async function revokeFamily(state: StateStore, familyId: string): Promise<void> {
  await state.update(familyKey(familyId), { revoked: true });
}

/**
 * Revokes a family that may not exist yet: the redemption that names it creates it just after claiming its code, so a
 * concurrent replay can get here first. Then a revoked placeholder (until `expiresAt`) makes `startFamily` create it
 * revoked.
 */
export async function revokeFamilyBeforeStart(state: StateStore, familyId: string, expiresAt: number): Promise<void> {
  if (await state.update(familyKey(familyId), { revoked: true })) return;
  if (await state.put({ pk: familyKey(familyId), revoked: true, expiresAt }, { kind: 'notExists' })) return;
  await revokeFamily(state, familyId); // created between the two writes above
}

/** Records an access token's `jti` as revoked until the token would have expired anyway. */
export async function revokeAccessToken(state: StateStore, jti: string, exp: number): Promise<void> {
  await state.put({ pk: revokedJtiKey(jti), expiresAt: exp });
}

/** The live refresh token with this value and its family, when both are usable by anyone (not rotated, not revoked). */
export async function activeRefreshToken(
  state: StateStore,
  token: string,
): Promise<{ item: RefreshTokenItem; family: FamilyItem } | undefined> {
  const item = await state.get<RefreshTokenItem>(refreshKey(token));
  if (!item || item.rotatedAt !== undefined) return undefined;
  const family = await state.get<FamilyItem>(familyKey(item.familyId));
  if (!family || family.revoked) return undefined;
  return { item, family };
}

/** A required form parameter. */
export function requiredParam(params: ReadonlyMap<string, string>, name: string): string {
  const value = params.get(name);
  if (value === undefined) throw new InvalidRequestError(`${name} is required`);
  return value;
}
