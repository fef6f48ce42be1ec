/**
 * The tokens verify gets for itself: client_credentials with a client's shared secret (verify holds no private key).
 * Every secret, Basic credential and token it handles is added to `hidden`, which the report redacts.
 */
import { decodeJwt } from 'jose';
import { SHARED_SECRET_AUTH_METHODS, type ClientRegistration } from '../../lambdas/shared/manifest';
import type { Get } from './http-get';

/** An access token and the scopes it was granted. */
export interface IssuedToken {
  readonly token: string;
  readonly scopes: string[];
}

/** The token a run's checks share: the chosen client's. */
export interface PrimaryToken extends IssuedToken {
  readonly client: ClientRegistration;
}

export interface TokenSource {
  /** The token endpoint (the metadata's `token_endpoint`). */
  readonly endpoint: string;
  /** A client's token, requested once per run: every check asking for it shares the request (and its failure). */
  readonly of: (client: ClientRegistration) => Promise<IssuedToken>;
  /** A new token, with more token request parameters (e.g. `resource`). */
  readonly request: (client: ClientRegistration, extra: Record<string, string>) => Promise<IssuedToken>;
}

export interface TokenSourceOptions {
  readonly get: Get;
  readonly endpoint: string;
  /** A client's current secret (local state or Secrets Manager). */
  readonly secretOf: (client: ClientRegistration) => Promise<string>;
  /** Values the report must never show; every secret and token handled here is added. */
  readonly hidden: Set<string>;
}

export function tokenSource(options: TokenSourceOptions): TokenSource {
  const tokens = new Map<string, Promise<IssuedToken>>();
  const request = (client: ClientRegistration, extra: Record<string, string>) => fetchToken(options, client, extra);
  const of = (client: ClientRegistration) => {
    let found = tokens.get(client.name);
    if (!found) {
      found = request(client, {});
      tokens.set(client.name, found);
    }
    return found;
  };
  return { endpoint: options.endpoint, of, request };
}

/** A client verify can get a token for on its own: client_credentials with a shared secret, active. */
export const canGetOwnToken = (c: ClientRegistration): boolean =>
  c.active && c.grantTypes.includes('client_credentials') && c.secretId !== undefined && SHARED_SECRET_AUTH_METHODS.includes(c.authMethod);

async function fetchToken(
  { get, endpoint, secretOf, hidden }: TokenSourceOptions,
  client: ClientRegistration,
  extra: Record<string, string>,
): Promise<IssuedToken> {
  const secret = await secretOf(client);
  hidden.add(secret);
  const form = new URLSearchParams({ grant_type: 'client_credentials', ...extra });
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (client.authMethod === 'client_secret_post') {
    form.set('client_id', client.clientId);
    form.set('client_secret', secret);
  } else {
    const basic = Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(secret)}`).toString('base64');
    hidden.add(basic);
    headers.authorization = `Basic ${basic}`;
  }
  const response = await get(endpoint, { method: 'POST', headers, body: form.toString() });
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (typeof body.access_token === 'string') hidden.add(body.access_token);
  if (typeof body.refresh_token === 'string') hidden.add(body.refresh_token);
  if (response.status !== 200 || typeof body.access_token !== 'string') {
    const error = typeof body.error === 'string' ? ` ${body.error}` : '';
    const description = typeof body.error_description === 'string' ? `: ${body.error_description}` : '';
    throw new Error(`token request for ${client.name}: HTTP ${response.status}${error}${description}`);
  }
  if (String(body.token_type).toLowerCase() !== 'bearer') throw new Error(`token_type is ${String(body.token_type)}, not Bearer`);
  const scope = typeof body.scope === 'string' ? body.scope : String(decodeJwt(body.access_token).scope ?? '');
  return { token: body.access_token, scopes: scope.split(' ').filter(Boolean) };
}
