/** Builders of JWT assertions for tests: real keys, real signatures, and the forgeries a server must refuse. */
import { randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, type CryptoKey, type JWTPayload } from 'jose';
import type { PublicJwk } from '../../lambdas/shared/manifest';

export interface TestKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly publicJwk: PublicJwk;
}

/** A fresh key pair with its public JWK (kid, alg, use: sig). */
export async function testKey(
  alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA' = 'ES256',
  kid = `key-${randomUUID().slice(0, 8)}`,
): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } as PublicJwk;
  return { kid, alg, privateKey, publicKey, publicJwk };
}

export interface AssertionOptions {
  readonly iss: string;
  readonly sub: string;
  readonly aud: string | string[];
  /** Epoch seconds "now" (the server's frozen clock). */
  readonly nowSecs: number;
  /** @default 60 */
  readonly lifetimeSecs?: number;
  /** Claims to add, replace, or (with undefined) remove. */
  readonly claims?: Record<string, unknown>;
}

/** Claims of a well-formed assertion: iss, sub, aud, iat, exp, jti, then `claims` overrides. */
export function assertionClaims(o: AssertionOptions): JWTPayload {
  const claims: Record<string, unknown> = {
    iss: o.iss,
    sub: o.sub,
    aud: o.aud,
    iat: o.nowSecs,
    exp: o.nowSecs + (o.lifetimeSecs ?? 60),
    jti: randomUUID(),
    ...o.claims,
  };
  return Object.fromEntries(Object.entries(claims).filter(([, v]) => v !== undefined));
}

/** An assertion signed with `key`. */
export function signAssertion(key: TestKey, o: AssertionOptions): Promise<string> {
  return new SignJWT(assertionClaims(o)).setProtectedHeader({ alg: key.alg, kid: key.kid }).sign(key.privateKey);
}

const b64u = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** `alg: none`: an unsecured JWT with an empty signature. */
export function unsignedAssertion(key: TestKey, o: AssertionOptions): string {
  return `${b64u({ alg: 'none', kid: key.kid })}.${b64u(assertionClaims(o))}.`;
}

/** HS256 "signed" with the public key's bytes as the HMAC secret: the classic RS/HS confusion forgery. */
export async function hmacWithPublicKey(key: TestKey, o: AssertionOptions): Promise<string> {
  const secret = new TextEncoder().encode(await exportSPKI(key.publicKey));
  return new SignJWT(assertionClaims(o)).setProtectedHeader({ alg: 'HS256', kid: key.kid }).sign(secret);
}
