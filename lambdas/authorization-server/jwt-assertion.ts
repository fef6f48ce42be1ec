/**
 * JWT assertions (RFC 7521, RFC 7523 §3), as `private_key_jwt` client authentication and the JWT bearer grant use
 * them: signed with a key we trust for the signer (a JWK Set inline, or fetched from a URL and cached), algorithms
 * pinned to asymmetric ones, `aud` our token endpoint or issuer, `exp` required and at most five minutes away, and
 * `jti` single use (recorded in the state store until the assertion could no longer be accepted anyway).
 */
import { createHash } from 'node:crypto';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  errors,
  jwtVerify,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { boundedFetch, DOCUMENT_LIMITS } from '../shared/bounded-fetch';
import { TtlCache } from '../shared/cache';
import type { Logger } from '../shared/log';
import { ASSERTION_SIGNING_ALGORITHMS, type AssertionKeys } from '../shared/manifest';
import type { Clock, StateStore } from '../shared/ports';

/** Longest an assertion may still be valid for when we receive it (RFC 7523 §3 asks for a limited lifetime). */
export const MAX_ASSERTION_LIFETIME_SECS = 300;
/** Leeway for the signer's clock on `exp`, `nbf` and `iat`. */
export const ASSERTION_CLOCK_TOLERANCE_SECS = 30;
/** Longest `jti` accepted (it becomes part of a state-store key). */
export const MAX_JTI_LENGTH = 256;
/** How long a key set stays cached per signer; a remote one also refetches on an unknown `kid` (jose, 30 s cooldown). */
export const ASSERTION_KEYS_CACHE_MS = 10 * 60_000;
/** Time allowed for fetching a remote JWK Set. */
export const JWKS_FETCH_TIMEOUT_MS = 3000;

/** Stable codes of assertion failures, to match on (like jose's `ERR_JWT_EXPIRED`). */
export type AssertionErrorCode =
  /** Malformed, algorithm refused, no trusted key matches, signature wrong, or the keys could not be fetched. */
  | 'ERR_ASSERTION_UNVERIFIED'
  /** Signed by a trusted key, but a claim is missing or wrong (`iss`, `sub`, `aud`, `nbf`, `jti`). */
  | 'ERR_ASSERTION_CLAIM_INVALID'
  | 'ERR_ASSERTION_EXPIRED'
  /** `exp` is further away than `MAX_ASSERTION_LIFETIME_SECS`. */
  | 'ERR_ASSERTION_LIFETIME'
  /** This `jti` was accepted before. */
  | 'ERR_ASSERTION_REPLAYED';

/**
 * Why an assertion was refused. `signatureVerified` tells whether the message may be shown to the presenter; `detail`
 * (what jose or the key fetch said about an unverified one) is for the log only.
 */
export class AssertionError extends Error {
  constructor(
    readonly code: AssertionErrorCode,
    message: string,
    /** True once a trusted key verified the signature: only then do details reveal nothing to a forger. */
    readonly signatureVerified: boolean,
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'AssertionError';
  }
}

/** What a particular kind of assertion must satisfy. */
export interface AssertionExpectations {
  /** The keys that may have signed it. */
  readonly keys: AssertionKeys;
  /** Whose keys these are (a client id); key sets are cached per owner. */
  readonly keysOwner: string;
  /** The exact `iss` expected. */
  readonly issuer: string;
  /** The exact `sub` expected; unset: any non-empty string. */
  readonly subject?: string;
  /** State-store key recording an accepted `jti`. */
  readonly replayKey: (jti: string) => string;
}

export interface VerifiedAssertion {
  readonly subject: string;
  readonly jti: string;
  /** `exp`, epoch seconds. */
  readonly expiresAt: number;
  readonly claims: JWTPayload;
}

export interface AssertionVerifier {
  /** Verifies `jwt` and records its `jti`; throws `AssertionError` when it must be refused. */
  verify(jwt: string, expect: AssertionExpectations): Promise<VerifiedAssertion>;
}

export interface AssertionVerifierOptions {
  readonly state: StateStore;
  readonly clock: Clock;
  /** Accepted `aud` values: the token endpoint URL and the issuer. */
  readonly audiences: readonly string[];
  readonly log: Logger;
  /** Fetch every `jwksUri` even on a loopback, private or link-local address (local mode). @default false */
  readonly allowPrivateNetwork?: boolean;
}

const CLAIM_FAILURES: Readonly<Record<string, AssertionErrorCode>> = {
  [errors.JWTExpired.code]: 'ERR_ASSERTION_EXPIRED',
  [errors.JWTClaimValidationFailed.code]: 'ERR_ASSERTION_CLAIM_INVALID',
};

export function createAssertionVerifier(options: AssertionVerifierOptions): AssertionVerifier {
  const { state, clock, log } = options;
  const keySets = new TtlCache<string, JWTVerifyGetKey>({ ttlMs: ASSERTION_KEYS_CACHE_MS, clock });

  const keysOf = (expect: AssertionExpectations): Promise<JWTVerifyGetKey> => {
    const { keys } = expect;
    const allowPrivateNetwork = options.allowPrivateNetwork === true || keys.allowPrivateNetwork === true;
    const source = keys.jwksUri !== undefined ? `uri:${allowPrivateNetwork}:${keys.jwksUri}` : `jwks:${fingerprint(keys.jwks)}`;
    return keySets.get(`${expect.keysOwner}\n${source}`, async () => keySet(keys, allowPrivateNetwork));
  };

  const checkSignatureAndClaims = async (jwt: string, expect: AssertionExpectations): Promise<JWTPayload> => {
    try {
      const { payload } = await jwtVerify(jwt, await keysOf(expect), {
        algorithms: [...ASSERTION_SIGNING_ALGORITHMS],
        issuer: expect.issuer,
        ...(expect.subject !== undefined ? { subject: expect.subject } : {}),
        audience: [...options.audiences],
        requiredClaims: ['iss', 'sub', 'aud', 'exp', 'jti'],
        currentDate: new Date(clock()),
        clockTolerance: ASSERTION_CLOCK_TOLERANCE_SECS,
      });
      return payload;
    } catch (err) {
      const code = err instanceof errors.JOSEError ? CLAIM_FAILURES[err.code] : undefined;
      const reason = err instanceof Error ? err.message : String(err);
      if (code) throw new AssertionError(code, `assertion ${reason}`, true);
      if (!(err instanceof errors.JOSEError)) log.warn('assertion_keys_unavailable', { keys_owner: expect.keysOwner, error: reason });
      // The presenter hears only that no trusted key signed it; the log hears why (jose's code, or the fetch's failure).
      const detail =
        err instanceof errors.JOSEError ? `${err.code}: ${reason}` : `the keys of ${expect.keysOwner} could not be had: ${reason}`;
      throw new AssertionError('ERR_ASSERTION_UNVERIFIED', 'assertion is not signed by a trusted key', false, detail);
    }
  };

  return {
    async verify(jwt, expect) {
      const claims = await checkSignatureAndClaims(jwt, expect);
      const { sub, jti, exp } = claims as { sub: unknown; jti: unknown; exp: number };
      if (typeof sub !== 'string' || sub === '') {
        throw new AssertionError('ERR_ASSERTION_CLAIM_INVALID', 'assertion "sub" claim must be a non-empty string', true);
      }
      if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH) {
        const message = `assertion "jti" claim must be a string of 1 to ${MAX_JTI_LENGTH} characters`;
        throw new AssertionError('ERR_ASSERTION_CLAIM_INVALID', message, true);
      }
      const nowSecs = Math.floor(clock() / 1000);
      if (exp - nowSecs > MAX_ASSERTION_LIFETIME_SECS + ASSERTION_CLOCK_TOLERANCE_SECS) {
        const message = `assertion "exp" claim is more than ${MAX_ASSERTION_LIFETIME_SECS} seconds away`;
        throw new AssertionError('ERR_ASSERTION_LIFETIME', message, true);
      }
      // Kept until the assertion would be refused as expired anyway (exp plus the leeway), then TTL removes it.
      const fresh = await state.put({ pk: expect.replayKey(jti), expiresAt: exp + ASSERTION_CLOCK_TOLERANCE_SECS }, { kind: 'notExists' });
      if (!fresh) throw new AssertionError('ERR_ASSERTION_REPLAYED', 'assertion "jti" has already been used', true);
      return { subject: sub, jti, expiresAt: exp, claims };
    },
  };
}

/**
 * A jose key resolver over the keys of a registration. A remote set is fetched through `boundedFetch`: at most
 * `DOCUMENT_LIMITS.maxBytes` are read (a huge key set cannot grow the function's memory), no redirect is followed, and
 * a private address is refused unless allowed.
 */
function keySet(keys: AssertionKeys, allowPrivateNetwork: boolean): JWTVerifyGetKey {
  if (keys.jwksUri !== undefined) {
    return createRemoteJWKSet(new URL(keys.jwksUri), {
      timeoutDuration: JWKS_FETCH_TIMEOUT_MS,
      cacheMaxAge: ASSERTION_KEYS_CACHE_MS,
      [customFetch]: boundedFetch({ ...DOCUMENT_LIMITS, timeoutMs: JWKS_FETCH_TIMEOUT_MS, allowPrivateNetwork }),
    });
  }
  return createLocalJWKSet(keys.jwks as unknown as JSONWebKeySet);
}

const fingerprint = (jwks: unknown): string => createHash('sha256').update(JSON.stringify(jwks)).digest('base64url');
