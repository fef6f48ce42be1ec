/**
 * Validation helpers shared by the constructs. Each throws an Error whose message shows the offending value,
 * and each lets unresolved tokens through (their value is only known at deploy time).
 */
import { createHash } from 'node:crypto';
import { Token } from 'cdktf';
import type { IConstruct } from 'constructs';
import { isPrivateAddress } from '../../lambdas/shared/bounded-fetch';
import { ASSERTION_SIGNING_ALGORITHMS, CLIENT_ID_PATTERN, LOCAL_MODE_CONTEXT } from '../../lambdas/shared/manifest';
import { PRIVATE_JWK_MEMBERS, SCOPE_TOKEN_PATTERN, urlProblem, type UrlRules } from '../../lambdas/shared/oauth-syntax';

/** Throws unless `value` is an integer in `[min, max]` (tokens pass). */
export function validateIntRange(what: string, value: number, min: number, max: number): number {
  if (Token.isUnresolved(value)) return value;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${what} must be an integer between ${min} and ${max}, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** Name prefixes end up in secret names, function names, table names: lower-kebab, short. */
export const NAME_PREFIX_PATTERN = /^[a-z0-9-]{1,32}$/;

export function validateNamePrefix(value: string): string {
  if (Token.isUnresolved(value)) {
    throw new Error('namePrefix must be a literal string known at synth time, got an unresolved token');
  }
  if (!NAME_PREFIX_PATTERN.test(value)) {
    throw new Error(`namePrefix must match ${NAME_PREFIX_PATTERN} (lower-case letters, digits, "-"), got "${value}"`);
  }
  return value;
}

/** `MyRegistry` → `my-registry`; `OAuth2 Server` → `oauth2-server`. */
export function toKebab(id: string): string {
  return id
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Lower-hex sha256 of `input`, truncated to `length` characters. */
export function shortHash(input: string, length = 8): string {
  return createHash('sha256').update(input).digest('hex').slice(0, length);
}

/** Fits `name` into `max` characters, replacing the tail with a hash of the whole name when it is too long. */
export function fitName(name: string, max: number): string {
  if (name.length <= max) return name;
  const hash = shortHash(name, 8);
  return `${name.slice(0, max - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/** A scope-token (RFC 6749 §3.3, `SCOPE_TOKEN_PATTERN`), known at synth time. */
export function validateScope(where: string, scope: string): string {
  if (Token.isUnresolved(scope)) {
    throw new Error(`${where}: scopes must be literal strings known at synth time, got an unresolved token`);
  }
  if (typeof scope !== 'string' || !SCOPE_TOKEN_PATTERN.test(scope)) {
    throw new Error(
      `${where}: scope ${JSON.stringify(scope)} is not a valid RFC 6749 scope-token ` +
        '(printable ASCII, no space, no double quote, no backslash)',
    );
  }
  return scope;
}

/** Retention values CloudWatch Logs accepts (`PutRetentionPolicy`), in days. */
export const CLOUDWATCH_RETENTION_DAYS: readonly number[] = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

export function validateLogRetentionDays(value: number): number {
  if (Token.isUnresolved(value)) return value;
  if (!CLOUDWATCH_RETENTION_DAYS.includes(value)) {
    throw new Error(
      `logRetentionDays must be one of CloudWatch's values (${CLOUDWATCH_RETENTION_DAYS.join(', ')}), got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/** A client id, as the token endpoint will accept it (`CLIENT_ID_PATTERN`, shared with the runtime). */
export function validateClientId(value: string): string {
  if (Token.isUnresolved(value)) {
    throw new Error('clientId must be a literal string known at synth time, got an unresolved token');
  }
  if (!CLIENT_ID_PATTERN.test(value)) {
    throw new Error(`clientId must match ${CLIENT_ID_PATTERN} (URL-safe, 1 to 128 characters), got "${value}"`);
  }
  return value;
}

/**
 * Throws `<what> <reason>, got "<value>"` unless `value` is a URL that `urlProblem` accepts under `rules`. Callers
 * decide about tokens first.
 */
export function validateUrl(what: string, value: string, rules: UrlRules): string {
  const problem = urlProblem(value, rules);
  if (problem !== undefined) throw new Error(`${what} ${problem.replace(/^it /, '')}, got ${JSON.stringify(value)}`);
  return value;
}

/**
 * An issuer given as its discovery document's URL (`…/.well-known/openid-configuration`, OpenID Connect Discovery §4;
 * `/.well-known/oauth-authorization-server…`, RFC 8414 §3) fails at runtime, when the well-known suffix is appended
 * to it: refuse it at synth, naming the issuer to pass instead.
 */
export function refuseDiscoveryDocumentUrl(what: string, url: string): void {
  if (Token.isUnresolved(url)) return;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return; // the URL rules say what is wrong with it
  }
  const oidc = /\/\.well-known\/openid-configuration\/?$/.exec(parsed.pathname);
  const rfc8414 = /^\/\.well-known\/oauth-authorization-server(\/.*)?$/.exec(parsed.pathname);
  if (!oidc && !rfc8414) return;
  const path = oidc ? parsed.pathname.slice(0, oidc.index) : (rfc8414![1] ?? '').replace(/\/+$/, '');
  throw new Error(
    `${what} is the URL of a discovery document, not an issuer: pass the issuer ${JSON.stringify(`${parsed.origin}${path}`)} ` +
      `(the registry appends the well-known path itself), got ${JSON.stringify(url)}`,
  );
}

/** Characters Secrets Manager allows in a secret name, which embeds the client's construct id. */
export const SECRET_NAME_SEGMENT_PATTERN = /^[A-Za-z0-9_+=.@-]{1,64}$/;

const ROUTE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'ANY'] as const;
const PATH_SEGMENT = /^(?:[A-Za-z0-9._~:@!$&'()*,;=-]+|\{[A-Za-z_][A-Za-z0-9_]*\}|\{[A-Za-z_][A-Za-z0-9_]*\+\})$/;

export interface ParsedRouteKey {
  readonly method: (typeof ROUTE_METHODS)[number];
  readonly path: string;
}

/** Parses an API Gateway HTTP API route key `METHOD /path` (path variables `{id}`, greedy `{proxy+}` last). */
export function parseRouteKey(routeKey: string): ParsedRouteKey {
  const fail = (why: string): never => {
    throw new Error(`route key must be "METHOD /path" (e.g. "GET /v1/incidents/{id}"); ${why}, got ${JSON.stringify(routeKey)}`);
  };
  if (typeof routeKey !== 'string' || Token.isUnresolved(routeKey)) return fail('it must be a literal string');
  const match = /^([A-Z]+) (\/\S*)$/.exec(routeKey);
  if (!match) return fail('expected one method, one space, then a path starting with "/"');
  const [, method, path] = match as unknown as [string, string, string];
  if (!(ROUTE_METHODS as readonly string[]).includes(method)) {
    return fail(`method "${method}" is not one of ${ROUTE_METHODS.join(', ')}`);
  }
  if (path !== '/') {
    const segments = path.slice(1).split('/');
    segments.forEach((segment, i) => {
      if (!PATH_SEGMENT.test(segment)) fail(`path segment "${segment}" is not valid`);
      if (segment.endsWith('+}') && i !== segments.length - 1) fail(`greedy variable "${segment}" must be the last segment`);
    });
  }
  return { method: method as ParsedRouteKey['method'], path };
}

/** Key types that can verify the asymmetric algorithms assertions are pinned to. */
const ASYMMETRIC_KTYS = ['RSA', 'EC', 'OKP'] as const;

/**
 * Checks the public keys registered for a client or a trusted issuer: exactly one of `jwks` (public asymmetric keys
 * only: a private member is an error naming the kid) or `jwksUri` (a literal https URL).
 */
export function validateKeys(where: string, keys: { readonly jwks?: unknown; readonly jwksUri?: unknown }): void {
  if ((keys.jwks === undefined) === (keys.jwksUri === undefined)) {
    throw new Error(`${where}: give exactly one of jwks or jwksUri, got ${keys.jwks === undefined ? 'neither' : 'both'}`);
  }
  if (keys.jwksUri !== undefined) validateJwksUri(where, keys.jwksUri);
  else validateJwks(where, keys.jwks);
}

/** A `jwks_uri` is fetched by the server: https only; a query or fragment is the publisher's business. */
const JWKS_URI_RULES: UrlRules = { allowQuery: true, allowFragment: true };

function validateJwksUri(where: string, uri: unknown): void {
  if (typeof uri !== 'string' || Token.isUnresolved(uri)) {
    throw new Error(`${where}: jwksUri must be a literal https URL known at synth time, got ${JSON.stringify(uri)}`);
  }
  if (urlProblem(uri, JWKS_URI_RULES) !== undefined) {
    throw new Error(`${where}: jwksUri must be an https URL without credentials, got "${uri}"`);
  }
}

function validateJwks(where: string, jwks: unknown): void {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys) || keys.length === 0) {
    throw new Error(`${where}: jwks must be a JWK Set with at least one key ({ keys: [...] }), got ${JSON.stringify(jwks)}`);
  }
  keys.forEach((key: unknown, index) => {
    const jwk = (typeof key === 'object' && key !== null ? key : {}) as Record<string, unknown>;
    const name = typeof jwk.kid === 'string' ? `key "${jwk.kid}"` : `key #${index} (no kid)`;
    const secretMembers = PRIVATE_JWK_MEMBERS.filter((member) => jwk[member] !== undefined);
    if (secretMembers.length > 0) {
      throw new Error(`${where}: jwks ${name} holds private key material (${secretMembers.join(', ')}); register the public key only`);
    }
    if (!(ASYMMETRIC_KTYS as readonly unknown[]).includes(jwk.kty)) {
      throw new Error(`${where}: jwks ${name} must be a public ${ASYMMETRIC_KTYS.join(', ')} key, got kty ${JSON.stringify(jwk.kty)}`);
    }
    if (jwk.alg !== undefined && !(ASSERTION_SIGNING_ALGORITHMS as readonly unknown[]).includes(jwk.alg)) {
      throw new Error(`${where}: jwks ${name} has alg ${JSON.stringify(jwk.alg)}; use one of ${ASSERTION_SIGNING_ALGORITHMS.join(', ')}`);
    }
  });
}

/** Why the host of `url` is one a deployed registry will not fetch from (loopback, private, link-local), or undefined. */
export function privateHostProblem(url: string): string | undefined {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return undefined; // the URL's own validation reports it
  }
  if (host === 'localhost' || host.endsWith('.localhost')) return 'a loopback host';
  if (isPrivateAddress(host)) return 'a loopback, private or link-local address';
  return undefined;
}

/**
 * Refuses, at synth, a URL the registry fetches whose host is a loopback, private or link-local address (the instance
 * metadata service, internal services: server-side request forgery), unless the operator opted this URL in
 * (`allowPrivateNetwork: true` next to it) or local mode is synthesizing (`LOCAL_MODE_CONTEXT`). A name that resolves
 * to such an address is refused at fetch time (the runtime checks every resolved address).
 */
export function validatePublicHost(scope: IConstruct, what: string, url: string | undefined, allowPrivateNetwork?: boolean): void {
  if (url === undefined || Token.isUnresolved(url) || allowPrivateNetwork === true) return;
  if (scope.node.tryGetContext(LOCAL_MODE_CONTEXT) === true) return;
  const problem = privateHostProblem(url);
  if (problem === undefined) return;
  throw new Error(
    `${what} is on ${problem}, which a deployed registry does not fetch from; if that host is meant to be reached ` +
      `from the registry's functions, set allowPrivateNetwork: true next to the URL, got ${JSON.stringify(url)}`,
  );
}
