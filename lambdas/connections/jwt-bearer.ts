/**
 * The JWT bearer grant at a third-party provider (RFC 7523 §2.1): we sign an assertion about the subject with our
 * private key (the connection's `private_jwk`) and exchange it for tokens. No consent: the provider trusts our key.
 * Claims (RFC 7523 §3): `iss` (declared, else our client id), `sub` (declared for shared connections, else the
 * subject the broker was asked for), `aud` (declared, else the provider's token endpoint), `iat`, a short `exp`,
 * a random `jti`.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import type { ConnectionRegistration } from '../shared/manifest';
import { JWT_BEARER_GRANT_TYPE } from '../shared/oauth-syntax';
import type { Clock } from '../shared/ports';
import { notConfigured } from './errors';
import type { OurPrivateKey, ProviderClient } from './providers';

/** Assertion lifetime when the registration names none (manifests are always written with one). */
const DEFAULT_LIFETIME_SECS = 60;

export interface AssertionClaims {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string;
}

/** `iss`, `sub` and `aud` of the assertion for `subject` (undefined for shared connections). */
export function assertionClaims(p: ProviderClient, connection: ConnectionRegistration, subject: string | undefined): AssertionClaims {
  const declared = connection.assertion;
  const sub = declared?.subject ?? subject;
  if (sub === undefined) {
    throw notConfigured(
      `connection ${connection.name} uses the JWT bearer grant but asserts no subject: ` +
        'declare ConnectionGrant.jwtBearer({ subject }) or use perUser mode',
    );
  }
  return { iss: declared?.issuer ?? p.client.client_id, sub, aud: declared?.audience ?? p.as.token_endpoint ?? p.as.issuer };
}

/** A signed assertion: `claims` plus `iat`, `exp` and a random `jti`. */
export async function signAssertion(key: OurPrivateKey, claims: AssertionClaims, lifetimeSecs: number, nowMs: number): Promise<string> {
  const iat = Math.floor(nowMs / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: key.alg, typ: 'JWT', ...(key.kid !== undefined ? { kid: key.kid } : {}) })
    .setIssuer(claims.iss)
    .setSubject(claims.sub)
    .setAudience(claims.aud)
    .setIssuedAt(iat)
    .setExpirationTime(iat + lifetimeSecs)
    .setJti(randomUUID())
    .sign(key.key);
}

/** One JWT bearer token request for `subject`, authenticated to the provider as the connection declares. */
export async function jwtBearerGrant(
  p: ProviderClient,
  connection: ConnectionRegistration,
  subject: string | undefined,
  clock: Clock,
): Promise<oauth.TokenEndpointResponse> {
  if (!p.privateKey) {
    throw notConfigured(`connection ${connection.name} uses the JWT bearer grant: its credentials need private_jwk`);
  }
  const lifetimeSecs = connection.assertion?.lifetimeSecs ?? DEFAULT_LIFETIME_SECS;
  const assertion = await signAssertion(p.privateKey, assertionClaims(p, connection, subject), lifetimeSecs, clock());
  const parameters: Record<string, string> = { ...connection.tokenParams, assertion };
  if (connection.scopes.length > 0) parameters.scope = connection.scopes.join(' ');
  const response = await oauth.genericTokenEndpointRequest(p.as, p.client, p.auth, JWT_BEARER_GRANT_TYPE, parameters, p.options());
  return oauth.processGenericTokenEndpointResponse(p.as, p.client, response);
}
