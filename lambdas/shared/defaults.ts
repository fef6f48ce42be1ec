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

/** Deadline of each document the registry fetches (key sets, discovery documents, token responses), in ms. */
export const DOCUMENT_FETCH_TIMEOUT_MS = 5_000;

/** Largest document the registry reads (key sets, discovery documents, token responses), in bytes. */
export const DOCUMENT_MAX_BYTES = 256 * 1024;

/**
 * Deadline of one attempt of an AWS call (a DynamoDB, Secrets Manager, KMS or EventBridge request), connection
 * included, in ms: in-region calls answer in tens of milliseconds; this covers a new TLS connection on a cold container.
 * The adapters' SDK clients enforce it (`adapters/aws-client-config.ts`).
 */
export const AWS_REQUEST_TIMEOUT_MS = 450;

/** Deadline of opening the connection of an attempt, in ms (within the attempt's deadline). */
export const AWS_CONNECTION_TIMEOUT_MS = 300;

/** Attempts of one AWS call: a transient failure or a timeout is retried once. */
export const AWS_MAX_ATTEMPTS = 2;

/** The SDK's wait before each retry, fixed (the default backoff waits up to a second after throttling), in ms. */
export const AWS_RETRY_DELAY_MS = 100;

/** Time allowed for one AWS call of a function, in ms, from the settings its SDK client enforces: 2 × 450 + 100. */
export const AWS_CALL_ALLOWANCE_MS = AWS_MAX_ATTEMPTS * AWS_REQUEST_TIMEOUT_MS + (AWS_MAX_ATTEMPTS - 1) * AWS_RETRY_DELAY_MS;

/**
 * The authorization server's longest request, the sign-in callback (`endpoints/callback.ts`), in ms: the upstream's
 * discovery and then its code exchange (a bounded document fetch each), and 7 AWS calls one after another (read and
 * claim the pending sign-in, the upstream client secret, the client's registration, the remembered consent, take the
 * request, store the code). 2 × 5 s + 7 × 1 s = 17 s.
 */
export const SIGN_IN_CALLBACK_BUDGET_MS = 2 * DOCUMENT_FETCH_TIMEOUT_MS + 7 * AWS_CALL_ALLOWANCE_MS;

/** What a provider's discovery may read, one after another: RFC 8414's document, then OpenID discovery's. */
export const PROVIDER_DISCOVERY_DOCUMENTS = 2;

/** Waits before each retry of a connection's token request that failed transiently (`token-sets.ts`), in ms. */
export const TOKEN_RENEWAL_RETRY_DELAYS_MS: readonly number[] = [250, 1000];

/** Longest a caller waits for another container's renewal of the same token set to finish (`token-sets.ts`), in ms. */
export const TOKEN_RENEWAL_MAX_WAIT_MS = 20_000;

/**
 * The longest a broker call (`getConnectionToken`) can take to answer, in ms, with the connections function's defaults:
 * the caller that renews the token set reads the provider's metadata when its container has none cached (a bounded
 * document fetch per discovery document), then asks the token endpoint once and once per retry delay, waiting those
 * delays. A caller finding another's renewal in progress waits at most `TOKEN_RENEWAL_MAX_WAIT_MS`, which is less.
 * 2 × 5 s + 3 × 5 s + 1.25 s = 26.25 s.
 */
export const BROKER_RENEWAL_BUDGET_MS =
  PROVIDER_DISCOVERY_DOCUMENTS * DOCUMENT_FETCH_TIMEOUT_MS +
  (TOKEN_RENEWAL_RETRY_DELAYS_MS.length + 1) * DOCUMENT_FETCH_TIMEOUT_MS +
  TOKEN_RENEWAL_RETRY_DELAYS_MS.reduce((total, ms) => total + ms, 0);
