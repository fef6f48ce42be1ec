/**
 * What a token presented to revocation or introspection is: one of our access tokens (a JWT verified with our own
 * keys, not expired, not revoked, and when it names a refresh-token family in `fid`, that family live and not revoked)
 * or one of our refresh tokens (live, not rotated, family not revoked).
 */
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Clock, StateStore } from '../shared/ports';
import type { PublishedKeys } from './published-keys';
import { activeRefreshToken, familyKey, refreshKey, revokedJtiKey, type FamilyItem, type RefreshTokenItem } from './user-grants';

export type InspectedToken =
  | {
      readonly kind: 'access_token';
      readonly clientId: string;
      readonly claims: JWTPayload & { readonly jti: string; readonly exp: number };
    }
  | { readonly kind: 'refresh_token'; readonly clientId: string; readonly item: RefreshTokenItem; readonly family: FamilyItem };

export interface TokenInspector {
  /** The active token, or undefined (unknown, expired, revoked, rotated, malformed). */
  inspect(token: string): Promise<InspectedToken | undefined>;
  /** The family a refresh token belongs to, active or not (revocation of an already rotated token still revokes it). */
  refreshFamily(token: string): Promise<{ familyId: string; clientId: string } | undefined>;
}

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function createTokenInspector(deps: {
  readonly issuer: string;
  readonly publishedKeys: PublishedKeys;
  readonly state: StateStore;
  readonly clock: Clock;
}): TokenInspector {
  const verifyAccessToken = async (token: string) => {
    try {
      const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [...(await deps.publishedKeys.jwks()).keys] }), {
        issuer: deps.issuer,
        algorithms: ['RS256'],
        typ: 'at+jwt',
        currentDate: new Date(deps.clock()),
      });
      if (typeof payload.jti !== 'string' || typeof payload.exp !== 'number' || typeof payload.client_id !== 'string') return undefined;
      if (payload.fid !== undefined && typeof payload.fid !== 'string') return undefined;
      return payload as JWTPayload & { jti: string; exp: number; client_id: string; fid?: string };
    } catch {
      return undefined;
    }
  };

  /** Not revoked by `jti`, and its family (if it came from one) still live: revoking a family ends its access tokens. */
  const accessTokenLive = async (claims: { jti: string; fid?: string }): Promise<boolean> => {
    const [revoked, family] = await Promise.all([
      deps.state.get(revokedJtiKey(claims.jti)),
      claims.fid === undefined ? undefined : deps.state.get<FamilyItem>(familyKey(claims.fid)),
    ]);
    return !revoked && (claims.fid === undefined || (family !== undefined && !family.revoked));
  };

  return {
    async inspect(token) {
      if (JWT_SHAPE.test(token)) {
        const claims = await verifyAccessToken(token);
        if (!claims || !(await accessTokenLive(claims))) return undefined;
        return { kind: 'access_token', clientId: claims.client_id, claims };
      }
      const active = await activeRefreshToken(deps.state, token);
      return active && { kind: 'refresh_token', clientId: active.item.clientId, ...active };
    },
    async refreshFamily(token) {
      const item = await deps.state.get<RefreshTokenItem>(refreshKey(token));
      if (!item || !(await deps.state.get(familyKey(item.familyId)))) return undefined;
      return { familyId: item.familyId, clientId: item.clientId };
    },
  };
}
