/**
 * Syntax rules of OAuth values that the constructs check at synth time and the handlers check at run time. Where
 * the rule is the same on both sides, it is written here once.
 */

/** RFC 7523 §2.1: the JWT bearer authorization grant. */
export const JWT_BEARER_GRANT_TYPE = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** RFC 7523 §2.2: `client_assertion_type` of `private_key_jwt` client authentication. */
export const CLIENT_ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`: printable ASCII except space, `"` and `\`. */
export const SCOPE_TOKEN_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+$/;

/** RFC 6749 §3.3: a `scope` parameter, scope-tokens separated by single spaces. */
export const SCOPE_PATTERN = /^[\x21\x23-\x5B\x5D-\x7E]+(?: [\x21\x23-\x5B\x5D-\x7E]+)*$/;

/** The longest `error_description` we send: past it, a description is cut (it may quote request data). */
export const ERROR_DESCRIPTION_MAX_CHARS = 400;

/**
 * `text` as an `error_description` (RFC 6749 §5.2: `1*( %x20-21 / %x23-5B / %x5D-7E )`): `"` becomes `'`, any other
 * character outside that set `?`, and at most `ERROR_DESCRIPTION_MAX_CHARS`. Descriptions quote request data (a
 * parameter, a path), so every error body and error redirect goes through here.
 */
export function errorDescription(text: string): string {
  const safe = text.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5B\x5D-\x7E]/g, '?');
  return safe.length <= ERROR_DESCRIPTION_MAX_CHARS ? safe : `${safe.slice(0, ERROR_DESCRIPTION_MAX_CHARS - 3)}...`;
}

/** A subject we store token sets for, or name in a JWT-bearer assertion: 1 to 256 printable ASCII characters. */
export const SUBJECT_PATTERN = /^[\x21-\x7E]{1,256}$/;

/** JWK members that only a private or symmetric key has (RFC 7518 §6.2.2, §6.3.2, §6.4; RFC 8037 §2). */
export const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Host names (as `URL.hostname` gives them) of this machine's loopback interface (RFC 8252 §7.3). */
export const LOOPBACK_HOSTS: readonly string[] = ['127.0.0.1', '[::1]', 'localhost'];

/** Plain `http:` is accepted only on this machine's loopback interface (local mode, tests, native apps). */
export function isLoopbackHttp(url: URL | string): boolean {
  const parsed = typeof url === 'string' ? safeUrl(url) : url;
  return parsed !== undefined && parsed.protocol === 'http:' && LOOPBACK_HOSTS.includes(parsed.hostname);
}

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

export interface UrlRules {
  /** Accept `http:` on a loopback host. @default false */
  readonly allowLoopbackHttp?: boolean;
  /** Accept a query string. @default true */
  readonly allowQuery?: boolean;
  /** Accept a fragment. @default false */
  readonly allowFragment?: boolean;
}

/**
 * Why `value` is not an acceptable URL under `rules` (https, no user info; loopback http, query, fragment as the
 * rules say), or `undefined` when it is. Callers put the reason in their own message.
 */
export function urlProblem(value: unknown, rules: UrlRules = {}): string | undefined {
  if (typeof value !== 'string') return 'it must be a string';
  const url = safeUrl(value);
  if (!url) return 'it is not an absolute URL';
  if (url.protocol !== 'https:' && !(rules.allowLoopbackHttp && isLoopbackHttp(url))) {
    return rules.allowLoopbackHttp ? 'it must be https (or http on a loopback host)' : 'it must be https';
  }
  if (url.username || url.password) return 'it must not hold credentials';
  if (url.search && rules.allowQuery === false) return 'it must have no query';
  if (value.includes('#') && !rules.allowFragment) return 'it must have no fragment';
  return undefined;
}
