/**
 * Authorization code grant (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.6): the code is taken once, atomically; it must
 * have been issued to this client for this redirect URI, and the verifier must hash to its challenge. A second
 * redemption fails and revokes what the first issued (RFC 6749 §4.1.2).
 */
import { InvalidGrantError, InvalidRequestError } from '../../shared/errors';
import type { ClientRegistration } from '../../shared/manifest';
import type { StateStore } from '../../shared/ports';
import type { TokenResponse } from '../access-token';
import {
  codeKey,
  nowSecs,
  randomToken,
  refreshPolicy,
  requiredParam,
  revokeAccessToken,
  revokeFamily,
  sha256url,
  startFamily,
  type CodeItem,
  type RedeemedCodeItem,
} from '../user-grants';
import type { Grant, GrantRequest } from './grant';

// code-verifier = 43*128unreserved (RFC 7636 §4.1)
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const INVALID_CODE = 'authorization code is invalid, expired or already used';

export const authorizationCodeGrant: Grant = async (request) => {
  const { params, client, state } = request;
  const code = requiredParam(params, 'code');
  const redirectUri = requiredParam(params, 'redirect_uri');
  const verifier = requiredParam(params, 'code_verifier');
  if (!CODE_VERIFIER.test(verifier)) throw new InvalidRequestError('code_verifier must be 43 to 128 unreserved characters');

  const taken = await takeCode(state, code);
  checkBinding(taken, client, redirectUri, verifier);
  return issueForCode(request, code, taken);
};

/** Deletes the code (one of any concurrent redemptions gets it); a used code revokes what it issued. */
async function takeCode(state: StateStore, code: string): Promise<CodeItem> {
  const taken = await state.delete<CodeItem>(codeKey(code), { kind: 'missing', attribute: 'redeemed' });
  if (taken) return taken;
  const redeemed = await state.get<RedeemedCodeItem>(codeKey(code));
  if (redeemed?.redeemed) {
    await Promise.all([
      redeemed.familyId ? revokeFamily(state, redeemed.familyId) : undefined,
      revokeAccessToken(state, redeemed.jti, redeemed.accessTokenExp),
    ]);
  }
  throw new InvalidGrantError(INVALID_CODE);
}

function checkBinding(taken: CodeItem, client: ClientRegistration, redirectUri: string, verifier: string): void {
  // The same description for another client's code as for an unknown one: nothing to learn by trying.
  if (taken.clientId !== client.clientId) throw new InvalidGrantError(INVALID_CODE);
  if (taken.redirectUri !== redirectUri) throw new InvalidGrantError('redirect_uri differs from the authorization request');
  if (sha256url(verifier) !== taken.codeChallenge) throw new InvalidGrantError('code_verifier does not match the code_challenge');
}

/** Issues the access token (and a refresh-token family when the client may refresh), leaving a redemption record. */
async function issueForCode(request: GrantRequest, code: string, taken: CodeItem): Promise<TokenResponse> {
  const { client, state, clock, tokens } = request;
  const jti = randomToken(16);
  const refreshes = client.grantTypes.includes('refresh_token');
  const familyId = refreshes ? randomToken(16) : undefined;
  const now = nowSecs(clock);
  const record: RedeemedCodeItem = {
    pk: codeKey(code),
    redeemed: true,
    ...(familyId ? { familyId } : {}),
    jti,
    accessTokenExp: now + client.accessTokenTtlSecs,
    // Kept as long as anything it issued can live, so a late replay still revokes it.
    expiresAt: now + Math.max(client.accessTokenTtlSecs, refreshes ? refreshPolicy(client).absoluteSecs : 0),
  };
  await state.put(record);
  const response = await tokens.issue(client, taken.scope, { subject: taken.sub, jti, issuedAtSecs: now });
  if (!familyId) return response;
  const refreshToken = await startFamily(state, clock, client, { familyId, sub: taken.sub, scope: taken.scope });
  return { ...response, refresh_token: refreshToken };
}
