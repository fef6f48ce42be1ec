/**
 * Refresh token grant (RFC 6749 §6) with rotation (RFC 9700 §4.14.2): every use returns a new refresh token and
 * retires the old one. Which request rotates is decided by one conditional write of the successor (its value is fixed
 * by the old token), so of concurrent uses exactly one wins. A later use of the old token is a retry (its answer was
 * lost, or requests raced) while the successor is unused and the grace window (default 30 s) lasts: it gets the same
 * pair. Otherwise it is reuse (RFC 9700 §4.14.2): someone else holds the token, and the whole family is revoked.
 */
import { InvalidGrantError } from '../../shared/errors';
import type { TokenResponse } from '../access-token';
import { resolveScope } from '../scope';
import {
  familyKey,
  nowSecs,
  refreshKey,
  refreshPolicy,
  requiredParam,
  revokeFamily,
  sha256url,
  successorOf,
  type FamilyItem,
  type RefreshTokenItem,
} from '../user-grants';
import type { GrantHandler, GrantRequest } from './grant-handler';

const INVALID_TOKEN = 'refresh token is invalid, expired or revoked';

export const refreshTokenGrant: GrantHandler = async (request) => {
  const { params, client, state } = request;
  const presented = requiredParam(params, 'refresh_token');
  const item = await state.get<RefreshTokenItem>(refreshKey(presented));
  if (!item || item.clientId !== client.clientId) throw new InvalidGrantError(INVALID_TOKEN);
  const family = await state.get<FamilyItem>(familyKey(item.familyId));
  if (!family || family.revoked) throw new InvalidGrantError(INVALID_TOKEN);
  // RFC 6749 §6: the request may narrow the granted scope, never widen it; none requested keeps all of it.
  const scope = resolveScope(params.get('scope'), item.scope ? item.scope.split(' ') : [], 'scope exceeds what the user granted');
  // RFC 8707 §2.2: the same resource as granted, or none; never another.
  request.resources.audienceForGrant(client, item.resource, params.get('resource'));

  const successor = successorOf(presented, item);
  // One instant for the successor's `issuedAt` and the new access token's `iat`, so answers in the grace window match.
  const now = nowSecs(request.clock);
  if (await writeSuccessor(request, item, family, successor, now)) {
    await state.update(refreshKey(presented), { rotatedAt: now });
    return issuePair(request, item, scope, successor, now);
  }
  return answerReuse(request, item, scope, successor);
};

/** Creates the successor's item unless it exists: true for the one request that rotates. */
function writeSuccessor(
  request: GrantRequest,
  item: RefreshTokenItem,
  family: FamilyItem,
  successor: string,
  now: number,
): Promise<boolean> {
  const next: RefreshTokenItem = {
    pk: refreshKey(successor),
    familyId: item.familyId,
    clientId: item.clientId,
    sub: item.sub,
    scope: item.scope,
    ...(item.resource !== undefined ? { resource: item.resource } : {}),
    salt: sha256url(`salt:${item.salt}:${successor}`).slice(0, 22),
    issuedAt: now,
    expiresAt: Math.min(now + refreshPolicy(request.client).idleSecs, family.expiresAt),
  };
  return request.state.put(next, { kind: 'notExists' });
}

/**
 * The token was already rotated: the same pair to a retry (within the grace window, successor never used), else reuse,
 * which revokes the family. Once the successor was used, its holder is the client: whoever still presents the old one
 * is not.
 */
async function answerReuse(request: GrantRequest, item: RefreshTokenItem, scope: string, successor: string): Promise<TokenResponse> {
  const { state, clock, client } = request;
  const rotated = await state.get<RefreshTokenItem>(refreshKey(successor));
  const { graceSecs } = refreshPolicy(client);
  if (rotated && rotated.rotatedAt === undefined && graceSecs > 0 && nowSecs(clock) - rotated.issuedAt <= graceSecs) {
    return issuePair(request, item, scope, successor, rotated.issuedAt);
  }
  await revokeFamily(state, item.familyId);
  throw new InvalidGrantError('refresh token was already used; every token of this grant is revoked');
}

/**
 * The new pair. The access token's `iat` and `jti` derive from the rotation, and RS256 signatures are deterministic,
 * so requests answered within the grace window get the very same access token too.
 */
async function issuePair(
  request: GrantRequest,
  item: RefreshTokenItem,
  scope: string,
  successor: string,
  issuedAtSecs: number,
): Promise<TokenResponse> {
  const jti = sha256url(`jti:${successor}:${scope}`).slice(0, 22);
  const audience = request.resources.audienceForGrant(request.client, item.resource, undefined);
  const response = await request.tokens.issue(request.client, scope, {
    subject: item.sub,
    issuedAtSecs,
    jti,
    familyId: item.familyId,
    audience,
  });
  return { ...response, refresh_token: successor };
}
