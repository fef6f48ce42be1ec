/** Access tokens: RFC 9068 JWTs (`typ: at+jwt`) signed RS256, the only algorithm API Gateway's JWT authorizer takes. */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { ClientRegistration } from '../shared/manifest';
import type { Clock } from '../shared/ports';
import type { SigningKeys } from './signing-keys';

/** The successful token response body (RFC 6749 §5.1). */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: 'Bearer';
  readonly expires_in: number;
  readonly scope?: string;
  /** Present for user-delegated grants (authorization_code, refresh_token). */
  readonly refresh_token?: string;
}

/** What differs when a token is issued for a user, or re-issued identically (refresh grace window). */
export interface IssueOptions {
  /** The user the token acts for. @default the client itself */
  readonly subject?: string;
  /** `iat`, epoch seconds. @default now */
  readonly issuedAtSecs?: number;
  /** @default a random UUID */
  readonly jti?: string;
  /**
   * The refresh-token family the token was issued from, as the private claim `fid`: introspection treats the token as
   * inactive once that family is revoked or gone (RFC 7009 §2.1). @default no `fid` (the token stands alone)
   */
  readonly familyId?: string;
  /** `aud`: the resource the client asked for (RFC 8707). @default the client's audience, else the registry's */
  readonly audience?: string;
}

export interface AccessTokenIssuer {
  /** Signs a token for `client` carrying `scope` (space-separated; empty means no scope claim). */
  issue(client: ClientRegistration, scope: string, options?: IssueOptions): Promise<TokenResponse>;
}

export function createAccessTokenIssuer(options: {
  readonly issuer: string;
  /** `aud` for a client registered without one. */
  readonly defaultAudience: string;
  readonly signingKeys: SigningKeys;
  readonly clock: Clock;
}): AccessTokenIssuer {
  return {
    async issue(client, scope, issueOptions = {}) {
      const key = await options.signingKeys.current();
      const iat = issueOptions.issuedAtSecs ?? Math.floor(options.clock() / 1000);
      const claims: Record<string, string> = { client_id: client.clientId };
      if (scope) claims.scope = scope;
      if (issueOptions.familyId !== undefined) claims.fid = issueOptions.familyId;
      const accessToken = await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: key.kid })
        .setIssuer(options.issuer)
        .setSubject(issueOptions.subject ?? client.clientId)
        .setAudience(issueOptions.audience ?? (client.audience || options.defaultAudience))
        .setIssuedAt(iat)
        .setExpirationTime(iat + client.accessTokenTtlSecs)
        .setJti(issueOptions.jti ?? randomUUID())
        .sign(key.privateKey);
      const response: TokenResponse = { access_token: accessToken, token_type: 'Bearer', expires_in: client.accessTokenTtlSecs };
      return scope ? { ...response, scope } : response;
    },
  };
}
