/**
 * Authorization code grant (RFC 6749 §4.1.3 with PKCE, RFC 7636 §4.6). The code must have been issued to this client
 * for this redirect URI, and the verifier must hash to its challenge. Then ONE conditional write turns the code item
 * into its redemption record, naming the access token and refresh-token family about to be issued (their ids are drawn
 * before the write), and only then are they issued. Of concurrent redemptions exactly one makes that write; every other
 * one, like any later one, finds the record and revokes what it names (RFC 6749 §4.1.2, RFC 9700 §4.2.4), the family
 * even if the winner has not created it yet. A binding that does not match leaves the code as it was.
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
  revokeFamilyBeforeStart,
  sha256url,
  startFamily,
  type CodeItem,
  type CodeRedemption,
  type RedeemedCodeItem,
} from '../user-grants';
import type { GrantHandler, GrantRequest } from './grant-handler';

// code-verifier = 43*128unreserved (RFC 7636 §4.1)
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const INVALID_CODE = 'authorization code is invalid, expired or already used';

export const authorizationCodeGrant: GrantHandler = async (request) => {
  const { params, client, state } = request;
  const code = requiredParam(params, 'code');
  const redirectUri = requiredParam(params, 'redirect_uri');
  const verifier = requiredParam(params, 'code_verifier');
  if (!CODE_VERIFIER.test(verifier)) throw new InvalidRequestError('code_verifier must be 43 to 128 unreserved characters');

  const stored = await state.get<CodeItem | RedeemedCodeItem>(codeKey(code));
  if (!stored || isRedeemed(stored)) return refuseReplay(state, stored);
  checkBinding(stored, client, redirectUri, verifier);
  const audience = request.resources.audienceForGrant(client, stored.resource, params.get('resource'));
  const redemption = planRedemption(request);
  if (!(await claimCode(state, code, redemption))) return refuseReplay(state, await state.get<RedeemedCodeItem>(codeKey(code)));
  return issueForCode(request, stored, redemption, audience);
};

const isRedeemed = (item: CodeItem | RedeemedCodeItem): item is RedeemedCodeItem => item.redeemed === true;

function checkBinding(code: CodeItem, client: ClientRegistration, redirectUri: string, verifier: string): void {
  // The same description for another client's code as for an unknown one: nothing to learn by trying.
  if (code.clientId !== client.clientId) throw new InvalidGrantError(INVALID_CODE);
  if (code.redirectUri !== redirectUri) throw new InvalidGrantError('redirect_uri differs from the authorization request');
  if (sha256url(verifier) !== code.codeChallenge) throw new InvalidGrantError('code_verifier does not match the code_challenge');
}

/** What this redemption will issue, decided before it claims the code so the record can name it. */
function planRedemption({ client, clock }: GrantRequest): CodeRedemption {
  const now = nowSecs(clock);
  const refreshes = client.grantTypes.includes('refresh_token');
  return {
    redeemed: true,
    jti: randomToken(16),
    ...(refreshes ? { familyId: randomToken(16) } : {}),
    issuedAt: now,
    accessTokenExp: now + client.accessTokenTtlSecs,
    // Kept as long as anything it issued can live, so a late replay still revokes it.
    expiresAt: now + Math.max(client.accessTokenTtlSecs, refreshes ? refreshPolicy(client).absoluteSecs : 0),
  };
}

/** The one conditional write that redeems the code: true for exactly one of any concurrent redemptions. */
function claimCode(state: StateStore, code: string, redemption: CodeRedemption): Promise<boolean> {
  return state.update(codeKey(code), redemption, {
    kind: 'and',
    conditions: [{ kind: 'exists' }, { kind: 'missing', attribute: 'redeemed' }],
  });
}

/** A code that is unknown, expired or already redeemed; when redeemed, what it issued is revoked first. */
async function refuseReplay(state: StateStore, stored: CodeItem | RedeemedCodeItem | undefined): Promise<never> {
  if (stored && isRedeemed(stored)) {
    await Promise.all([
      stored.familyId ? revokeFamilyBeforeStart(state, stored.familyId, stored.expiresAt) : undefined,
      revokeAccessToken(state, stored.jti, stored.accessTokenExp),
    ]);
  }
  throw new InvalidGrantError(INVALID_CODE);
}

/** Issues what the redemption record names: the access token, and the refresh-token family when the client may refresh. */
async function issueForCode(request: GrantRequest, code: CodeItem, redemption: CodeRedemption, audience: string): Promise<TokenResponse> {
  const { client, state, clock, tokens } = request;
  const { jti, familyId, issuedAt } = redemption;
  const response = await tokens.issue(client, code.scope, {
    subject: code.sub,
    jti,
    issuedAtSecs: issuedAt,
    audience,
    ...(familyId ? { familyId } : {}),
  });
  if (!familyId) return response;
  const grant = { familyId, sub: code.sub, scope: code.scope, ...(code.resource !== undefined ? { resource: code.resource } : {}) };
  const refreshToken = await startFamily(state, clock, client, grant);
  return { ...response, refresh_token: refreshToken };
}
