/**
 * Consent links: `GET /connections/<name>/connect?link=<JWT>`. The JWT is HS256 over the registry's link key
 * (`<namePrefix>/connections/link-key`, generated and rotated by the rotation function), names the connection
 * (`aud`) and subject (`sub`), lives 10 minutes and is single use (its `jti` is taken once in the state table).
 */
import { randomUUID } from 'node:crypto';
import { SignJWT, errors as joseErrors, importJWK, jwtVerify, type JWK } from 'jose';
import { TtlCache } from '../shared/cache';
import type { Clock, SecretStore, StateStore } from '../shared/ports';
import { connectionPath } from '../shared/routes';
import { tableKey } from '../shared/table-keys';
import { invalidRequest } from './errors';

/** Lifetime of a consent link. */
export const CONSENT_LINK_TTL_SECS = 600;
const LINK_TYP = 'oauth-registry-consent+jwt';

export const consentLinkAudience = (connection: string): string => `oauth-registry:connections/${connection}`;

/** Keys a link may be signed with: the current one, and the previous during rotation's overlap. */
async function linkKeys(secrets: SecretStore, secretId: string): Promise<JWK[]> {
  const versions = await Promise.all([secrets.getSecretVersion(secretId, 'AWSCURRENT'), secrets.getSecretVersion(secretId, 'AWSPREVIOUS')]);
  return versions.filter((v) => v !== undefined).map((v) => JSON.parse(v.value) as JWK);
}

export interface SignLinkOptions {
  readonly secrets: SecretStore;
  readonly secretId: string;
  /** Base URL of the registry's API (the issuer), no trailing slash. */
  readonly baseUrl: string;
  readonly connection: string;
  readonly subject?: string;
  readonly clock?: Clock;
}

/** A fresh consent link (what `oauth-registry connect` prints). */
export async function signConsentLink(options: SignLinkOptions): Promise<string> {
  const [key] = await linkKeys(options.secrets, options.secretId);
  if (!key) {
    throw new Error(`the link key ${options.secretId} has no value yet (has the registry been deployed, or local mode started once?)`);
  }
  const now = Math.floor((options.clock ?? Date.now)() / 1000);
  const jwt = new SignJWT({})
    .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: LINK_TYP })
    .setAudience(consentLinkAudience(options.connection))
    .setJti(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + CONSENT_LINK_TTL_SECS);
  if (options.subject !== undefined) jwt.setSubject(options.subject);
  const token = await jwt.sign(await importJWK(key, 'HS256'));
  return `${options.baseUrl.replace(/\/+$/, '')}${connectionPath(options.connection, 'connect')}?link=${token}`;
}

export interface ConsentLinks {
  sign(connection: string, subject: string | undefined): Promise<string>;
  /** Verifies a link for `connection` and takes its `jti` (single use); returns the subject it names. */
  redeem(link: string, connection: string): Promise<{ subject?: string }>;
}

export function createConsentLinks(deps: {
  secrets: SecretStore;
  secretId: string;
  baseUrl: string;
  state: StateStore;
  clock: Clock;
  ttlMs: number;
}): ConsentLinks {
  const keys = new TtlCache<string, JWK[]>({ ttlMs: deps.ttlMs, clock: deps.clock });
  const invalid = (why: string) => invalidRequest(`this consent link ${why}; ask for a new one (oauth-registry connect)`);

  async function verify(link: string, connection: string) {
    for (const jwk of await keys.get(deps.secretId, () => linkKeys(deps.secrets, deps.secretId))) {
      try {
        const { payload } = await jwtVerify(link, await importJWK(jwk, 'HS256'), {
          algorithms: ['HS256'],
          typ: LINK_TYP,
          audience: consentLinkAudience(connection),
          currentDate: new Date(deps.clock()),
          requiredClaims: ['jti', 'exp', 'iat'],
        });
        return payload;
      } catch (err) {
        if (err instanceof joseErrors.JWTExpired) throw invalid('has expired');
        if (err instanceof joseErrors.JWTClaimValidationFailed) throw invalid('is not for this connection');
        // Signature or format: try the other key.
      }
    }
    throw invalid('is not valid');
  }

  return {
    sign: (connection, subject) =>
      signConsentLink({ secrets: deps.secrets, secretId: deps.secretId, baseUrl: deps.baseUrl, connection, subject, clock: deps.clock }),
    async redeem(link, connection) {
      const payload = await verify(link, connection);
      const taken = await deps.state.put(
        { pk: tableKey('consentLink', payload.jti!), connection, expiresAt: payload.exp! },
        { kind: 'notExists' },
      );
      if (!taken) throw invalid('was already used');
      return payload.sub !== undefined ? { subject: payload.sub } : {};
    },
  };
}
