/**
 * Redirect URI matching (RFC 9700 §4.1.3, OAuth 2.1): the presented URI equals a registered one character for
 * character, with one exception: on a loopback `http:` URI (`127.0.0.1`, `[::1]`, `localhost`) the port may differ,
 * because a native app or CLI listens on whatever port the operating system gives it (RFC 8252 §7.3, RFC 9700 §2.1).
 * Scheme, host, path and query still match exactly; nothing is normalised.
 */

// `http://<loopback host>[:<port>]` followed by the path, the query, or nothing. Exact spelling: lower-case scheme
// and host, as registered URIs are compared without normalisation.
const LOOPBACK_AUTHORITY = /^(http:\/\/(?:127\.0\.0\.1|\[::1\]|localhost))(?::(\d{1,5}))?(?=[/?]|$)/;

/** `uri` without the port of its loopback authority; undefined when it is not a loopback `http:` URI with a valid port. */
function withoutLoopbackPort(uri: string): string | undefined {
  const match = LOOPBACK_AUTHORITY.exec(uri);
  if (!match) return undefined;
  const port = match[2];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65_535)) return undefined;
  return match[1] + uri.slice(match[0].length);
}

/** Whether `presented` may stand for `registered`. */
export function redirectUriMatches(registered: string, presented: string): boolean {
  if (registered === presented) return true;
  const base = withoutLoopbackPort(registered);
  return base !== undefined && base === withoutLoopbackPort(presented);
}

/** Whether `presented` matches one of the client's registered redirect URIs. */
export const isRegisteredRedirectUri = (registered: readonly string[], presented: string): boolean =>
  registered.some((uri) => redirectUriMatches(uri, presented));
