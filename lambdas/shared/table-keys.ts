/**
 * The partition keys of the registry's one DynamoDB table: every item kind, its prefix, and who writes it.
 * Registrations (`client#`, `connection#`) are Terraform-managed and read-only at run time; everything else is state
 * the functions write (the public key ring, `jwks#`, the rotation function). Both `lib/` (IAM conditions, docs) and the
 * handlers read this one list.
 */
export const KEY_PREFIX = {
  /** A client's registration (Terraform item; JSON in `data`). */
  client: 'client#',
  /** A third-party connection's registration (Terraform item; JSON in `data`). */
  connection: 'connection#',
  /** An authorization code, by the SHA-256 of its value. */
  code: 'code#',
  /** A refresh-token family (one consent's chain of refresh tokens). */
  family: 'family#',
  /** A refresh token, by the SHA-256 of its value. */
  refreshToken: 'rt#',
  /** A revoked access token's `jti`, until the token would have expired. */
  revokedJti: 'revoked#',
  /** A pending authorization request while the user signs in and consents. */
  authRequest: 'authreq#',
  /** A remembered consent (subject, client, scope). */
  consent: 'consent#',
  /** A used `private_key_jwt` client assertion's `jti` (single use). */
  assertionJti: 'jti#',
  /** A used JWT-bearer grant assertion's `jti` (single use). */
  bearerJti: 'bearer-jti#',
  /** A client's token count in one minute (`tokensPerMinute`), by client id and minute. */
  rateLimit: 'ratelimit#',
  /** A connection's token set (per subject, or `_shared`). */
  tokenSet: 'tokenset#',
  /** A pending third-party consent, by its `state`. */
  consentState: 'consentstate#',
  /** A used consent link's `jti` (single use). */
  consentLink: 'consentlink#',
  /** A dynamically registered client (RFC 7591), until unused for the registry's expiry. */
  registeredClient: 'dcr#',
  /** One hour's dynamic registrations: their count (the rate bound) and who registered, for `status`. */
  registrationWindow: 'dcr-window#',
  /** The signing keys' public ring (one item): what the JWKS publishes; written by the rotation function only. */
  publicKeys: 'jwks#',
} as const;

export type KeyKind = keyof typeof KEY_PREFIX;

/** Item kinds Terraform writes; no function may write them. */
export const REGISTRATION_KEY_KINDS: readonly KeyKind[] = ['client', 'connection'];

/** `tableKey('code', hash)` → `code#<hash>`; several parts are joined with `#`. */
export function tableKey(kind: KeyKind, ...parts: readonly string[]): string {
  return `${KEY_PREFIX[kind]}${parts.join('#')}`;
}
