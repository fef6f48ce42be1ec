/**
 * Runtime defaults, each written once: the constructs emit them, the handlers fall back to them, the docs quote them.
 */

/** Seconds registrations, client secrets and signing keys stay cached in a warm function. */
export const CACHE_TTL_SECS = 60;

/** Default lifetime of access tokens, in seconds (15 minutes). */
export const ACCESS_TOKEN_TTL_SECS = 900;

/** Longest access-token lifetime a registry or client may set, in seconds (one day). */
export const MAX_ACCESS_TOKEN_TTL_SECS = 86_400;

/** Default signing-key rotation period, in days. */
export const SIGNING_KEY_ROTATION_DAYS = 30;

/** Default time the previous client secret keeps working after a rotation, in hours. */
export const CLIENT_SECRET_OVERLAP_HOURS = 24;
export const CLIENT_SECRET_OVERLAP_SECS = CLIENT_SECRET_OVERLAP_HOURS * 3600;

/** Default idle lifetime of a refresh token (unused for this long, it expires), in seconds: 14 days. */
export const REFRESH_TOKEN_IDLE_TTL_SECS = 14 * 86_400;

/** Default absolute lifetime of a refresh-token family, in seconds: 90 days. */
export const REFRESH_TOKEN_ABSOLUTE_TTL_SECS = 90 * 86_400;

/**
 * Default seconds after a rotation during which a retry with the old refresh token gets the same new pair, as long as
 * the new refresh token has not been used: a response lost on the way (closed socket, killed process) then costs a
 * retry, not the user's grant.
 */
export const REFRESH_TOKEN_REUSE_GRACE_SECS = 30;
