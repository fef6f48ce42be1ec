/**
 * The complete hand-off of an external client to a partner: everything their OAuth library needs (issuer, token
 * endpoint, client id and secret, how to authenticate, scopes, audience), as JSON or as environment variables.
 */
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import { serverUrl } from '../../lambdas/shared/routes';
import { shellQuote } from './common';

export interface Handoff {
  readonly issuer: string;
  readonly token_endpoint: string;
  readonly client_id: string;
  /** Absent for clients that authenticate without a shared secret (`private_key_jwt`, `none`). */
  readonly client_secret?: string;
  readonly token_endpoint_auth_method: string;
  readonly grant_types: readonly string[];
  /** Space-separated, as the token request's `scope` parameter. */
  readonly scope: string;
  /** The `aud` of the client's tokens. */
  readonly audience: string;
}

export function handoffOf(manifest: RegistryManifest, client: ClientRegistration, issuer: string, secret: string | undefined): Handoff {
  const base = issuer.replace(/\/+$/, '');
  return {
    issuer: base,
    token_endpoint: serverUrl(base, 'token'),
    client_id: client.clientId,
    ...(secret !== undefined ? { client_secret: secret } : {}),
    token_endpoint_auth_method: client.authMethod,
    grant_types: client.grantTypes,
    scope: client.scopes.join(' '),
    audience: client.audience ?? manifest.audience ?? base,
  };
}

/** `OAUTH_ISSUER=…` lines, single-quoted for POSIX shells (`set -a; . ./partner.env; set +a`) and dotenv files. */
export function handoffEnv(handoff: Handoff): string {
  const entries: [string, string | undefined][] = [
    ['OAUTH_ISSUER', handoff.issuer],
    ['OAUTH_TOKEN_ENDPOINT', handoff.token_endpoint],
    ['OAUTH_CLIENT_ID', handoff.client_id],
    ['OAUTH_CLIENT_SECRET', handoff.client_secret],
    ['OAUTH_TOKEN_ENDPOINT_AUTH_METHOD', handoff.token_endpoint_auth_method],
    ['OAUTH_GRANT_TYPES', handoff.grant_types.join(' ')],
    ['OAUTH_SCOPE', handoff.scope],
    ['OAUTH_AUDIENCE', handoff.audience],
  ];
  return entries
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([name, value]) => `${name}=${shellQuote(value)}\n`)
    .join('');
}
