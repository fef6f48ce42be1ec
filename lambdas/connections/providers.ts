/**
 * The third-party provider as an OAuth client sees it (oauth4webapi): its metadata (discovered once and cached, or
 * declared), the credentials it issued us (from the connection's secret, cached), and the token requests we make.
 * Every request to the provider goes through the bounded fetch `server.ts` hands in (size cap, deadline, no redirects,
 * no private addresses unless allowed): a provider's discovery document and token responses are small documents.
 */
import { importJWK, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { PrivateAddressError, ResponseTooLargeError } from '../shared/bounded-fetch';
import { TtlCache } from '../shared/cache';
import { OPERATOR_CLI } from '../shared/config';
import { errorDetail } from '../shared/log';
import { connectionCredentialsNeeded, type ConnectionAuthMethod, type ConnectionRegistration } from '../shared/manifest';
import { isLoopbackHttp } from '../shared/oauth-syntax';
import type { Clock, SecretStore } from '../shared/ports';
import { ConnectionError, notConfigured, providerError, providerUnavailable } from './errors';

/** The CLI command that stores a connection's credentials. */
export const setCredentialsHint = (connection: string): string => `${OPERATOR_CLI} connections set-credentials ${connection}`;

/** The value of a connection's secret (JSON), as `set-credentials` stores it: the credentials the provider issued us. */
export interface ConnectionSecretValue {
  readonly client_id: string;
  readonly client_secret?: string;
  /** Our private key (a JWK with `d`) for `private_key_jwt` and JWT bearer assertions. */
  readonly private_jwk?: JWK;
}

/** Our private key, imported from `private_jwk`. */
export interface OurPrivateKey {
  readonly key: oauth.PrivateKey['key'];
  readonly alg: string;
  readonly kid?: string;
}

export interface ProviderClient {
  readonly as: oauth.AuthorizationServer;
  readonly client: oauth.Client;
  readonly auth: oauth.ClientAuth;
  /** Our private key, when the credentials hold one (`private_key_jwt`, JWT bearer). */
  readonly privateKey?: OurPrivateKey;
  /** Options for every oauth4webapi request: the bounded fetch, and plain HTTP only for loopback providers. */
  readonly options: () => oauth.TokenEndpointRequestOptions & oauth.DiscoveryRequestOptions;
}

export interface Providers {
  /** Metadata, client and client authentication for `connection` (cached; a failed load is retried next time). */
  client(connection: ConnectionRegistration): Promise<ProviderClient>;
}

export interface ProvidersOptions {
  readonly secrets: SecretStore;
  readonly clock: Clock;
  /** How long metadata and credentials stay cached, in ms. */
  readonly ttlMs: number;
  /**
   * The fetch of every request to `connection`'s provider (server.ts: `boundedFetch` with `DOCUMENT_LIMITS`, private
   * addresses allowed only where the connection's provider opts in, or in local mode).
   */
  readonly fetchFor: (connection: ConnectionRegistration) => typeof fetch;
}

export function createProviders(options: ProvidersOptions): Providers {
  const metadata = new TtlCache<string, oauth.AuthorizationServer>({ ttlMs: Math.max(options.ttlMs, 3_600_000), clock: options.clock });
  const credentials = new TtlCache<string, ConnectionSecretValue>({ ttlMs: options.ttlMs, clock: options.clock });

  const requestOptions = (connection: ConnectionRegistration, url: string) => () => ({
    ...(isLoopbackHttp(url) ? { [oauth.allowInsecureRequests]: true } : {}),
    [oauth.customFetch]: options.fetchFor(connection),
  });

  async function loadMetadata(connection: ConnectionRegistration): Promise<oauth.AuthorizationServer> {
    const provider = connection.provider;
    if ('tokenEndpoint' in provider) {
      return {
        // Without a declared issuer, the token endpoint's origin stands in (see Provider.endpoints).
        issuer: provider.issuer ?? new URL(provider.tokenEndpoint).origin,
        token_endpoint: provider.tokenEndpoint,
        ...(provider.authorizationEndpoint ? { authorization_endpoint: provider.authorizationEndpoint } : {}),
        ...(provider.revocationEndpoint ? { revocation_endpoint: provider.revocationEndpoint } : {}),
      };
    }
    // RFC 8414 first, then OpenID Connect Discovery (some providers serve only one of them).
    const issuer = new URL(provider.issuer);
    let firstError: unknown;
    // As many documents as `PROVIDER_DISCOVERY_DOCUMENTS` counts in the broker's budget.
    for (const algorithm of ['oauth2', 'oidc'] as const) {
      try {
        const response = await oauth.discoveryRequest(issuer, { algorithm, ...requestOptions(connection, provider.issuer)() });
        return await oauth.processDiscoveryResponse(issuer, response);
      } catch (err) {
        firstError ??= err;
        if (classifyProviderError(err) === 'transient') break; // down or slow: the other document will not help
      }
    }
    throw providerFailure(firstError, (reason) => `the metadata of ${connection.name}'s provider could not be read: ${reason}`);
  }

  async function loadCredentials(connection: ConnectionRegistration): Promise<ConnectionSecretValue> {
    const current = await options.secrets.getSecretVersion(connection.credentialsSecretId, 'AWSCURRENT');
    if (!current) {
      throw notConfigured(`connection ${connection.name} has no credentials yet: run \`${setCredentialsHint(connection.name)}\``);
    }
    return parseCredentials(connection, current.value);
  }

  return {
    async client(connection) {
      const [as, creds] = await Promise.all([
        metadata.get(connection.name, () => loadMetadata(connection)),
        credentials.get(connection.name, () => loadCredentials(connection)),
      ]);
      const privateKey = creds.private_jwk ? await importPrivateKey(creds.private_jwk) : undefined;
      return {
        as,
        client: { client_id: creds.client_id },
        auth: CLIENT_AUTH[connection.clientAuth](creds, privateKey),
        ...(privateKey ? { privateKey } : {}),
        options: requestOptions(connection, as.token_endpoint ?? as.issuer),
      };
    },
  };
}

function parseCredentials(connection: ConnectionRegistration, value: string): ConnectionSecretValue {
  const bad = (why: string) => notConfigured(`the credentials of connection ${connection.name} are malformed: ${why}`);
  let parsed: ConnectionSecretValue;
  try {
    parsed = JSON.parse(value) as ConnectionSecretValue;
  } catch {
    throw bad('not JSON');
  }
  if (typeof parsed.client_id !== 'string' || !parsed.client_id) throw bad('no client_id');
  const needed = connectionCredentialsNeeded(connection);
  if (needed.privateJwk && (typeof parsed.private_jwk !== 'object' || !parsed.private_jwk?.d)) {
    throw bad(`${connection.grant === 'jwt_bearer' ? 'the JWT bearer grant' : 'private_key_jwt'} needs a private JWK in private_jwk`);
  }
  if (needed.clientSecret && (typeof parsed.client_secret !== 'string' || !parsed.client_secret)) {
    throw bad(`${connection.clientAuth} needs a client_secret`);
  }
  return parsed;
}

async function importPrivateKey(jwk: JWK): Promise<OurPrivateKey> {
  const alg = jwk.alg ?? (jwk.kty === 'EC' ? 'ES256' : jwk.kty === 'OKP' ? 'EdDSA' : 'RS256');
  const key = (await importJWK({ ...jwk, alg }, alg)) as oauth.PrivateKey['key'];
  return { key, alg, ...(jwk.kid !== undefined ? { kid: jwk.kid } : {}) };
}

/** How we authenticate to the provider; `parseCredentials` has checked that what each needs is there. */
type ClientAuthOf = (creds: ConnectionSecretValue, key: OurPrivateKey | undefined) => oauth.ClientAuth;
const CLIENT_AUTH: Readonly<Record<ConnectionAuthMethod, ClientAuthOf>> = {
  client_secret_basic: (creds) => oauth.ClientSecretBasic(creds.client_secret!),
  client_secret_post: (creds) => oauth.ClientSecretPost(creds.client_secret!),
  private_key_jwt: (_, key) => oauth.PrivateKeyJwt({ key: key!.key, kid: key!.kid }),
  none: () => oauth.None(),
};

/** How a failed provider request should be treated. */
export type ProviderFailure =
  /** The grant is dead (revoked, expired, consent withdrawn): a person must consent again. */
  | 'invalid_grant'
  /** Worth retrying: network error, timeout, 5xx, `temporarily_unavailable`. */
  | 'transient'
  /** The provider refused us for a reason retrying will not fix (invalid_client, unauthorized_client…). */
  | 'rejected';

export function classifyProviderError(err: unknown): ProviderFailure {
  if (err instanceof oauth.ResponseBodyError) {
    if (err.error === 'invalid_grant') return 'invalid_grant';
    if (err.status >= 500 || err.error === 'temporarily_unavailable' || err.error === 'server_error') return 'transient';
    return 'rejected';
  }
  if (err instanceof ConnectionError) return err.code === 'provider_unavailable' ? 'transient' : 'rejected';
  // The bounded fetch's refusals: an oversized document or a private address will not change by retrying.
  if (err instanceof ResponseTooLargeError || err instanceof PrivateAddressError) return 'rejected';
  // A 401 with WWW-Authenticate (invalid_client): oauth4webapi throws before reading the body.
  if (err instanceof oauth.WWWAuthenticateChallengeError) return err.status >= 500 ? 'transient' : 'rejected';
  if (err instanceof oauth.OperationProcessingError) {
    const status = (err.cause as Response | undefined)?.status;
    return typeof status === 'number' && status >= 500 ? 'transient' : 'rejected';
  }
  // fetch's TypeError (connection refused, reset), AbortSignal.timeout's TimeoutError, DNS failures.
  return 'transient';
}

/** A provider failure in words: `reason` for callers, `detail` for the log only. Neither holds a secret. */
export interface ProviderErrorDescription {
  /** What callers are told (error bodies, consent pages, a token set's `lastError`): who failed and how, in short. */
  readonly reason: string;
  /** What only the log is told: the refused address, the library's complaint, the socket error. */
  readonly detail?: string;
}

/**
 * A short, secret-free description of a provider failure. `party` names who failed (the proxy says `the API`). The
 * specifics (an address our network resolved, a library's message, a socket error) go in `detail`, never `reason`.
 */
export function describeProviderError(err: unknown, party = 'the provider'): ProviderErrorDescription {
  if (err instanceof oauth.ResponseBodyError) {
    return { reason: `${party} answered ${err.status} ${err.error}${err.error_description ? `: ${err.error_description}` : ''}` };
  }
  if (err instanceof ConnectionError) return { reason: err.description, ...errorDetail(err) };
  if (err instanceof ResponseTooLargeError) return { reason: `${party}'s response was too large: ${err.message}` };
  if (err instanceof PrivateAddressError) {
    return { reason: `${party}'s address was refused: it is a loopback, private or link-local address`, detail: err.message };
  }
  if (err instanceof oauth.WWWAuthenticateChallengeError) {
    const error = err.cause.find((c) => c.parameters.error)?.parameters.error;
    return { reason: `${party} answered ${err.status} ${error ?? 'invalid_client'}: our client authentication was refused` };
  }
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')) {
    return { reason: `${party} did not answer in time` };
  }
  if (err instanceof oauth.OperationProcessingError) {
    const status = (err.cause as Response | undefined)?.status;
    if (typeof status === 'number' && status >= 500) return { reason: `${party} answered ${status}` };
    return { reason: `${party}'s response was not valid`, detail: err.message };
  }
  // fetch's TypeError (the bounded fetch's too): connection refused or reset, DNS failure.
  if (err instanceof TypeError) return { reason: `${party} could not be reached`, detail: withCause(err) };
  return { reason: `${party} request failed`, detail: err instanceof Error ? `${err.name}: ${withCause(err)}` : String(err) };
}

/** An error's message and its cause's (fetch says only `fetch failed`; its cause says `connect ECONNREFUSED …`). */
function withCause(err: Error): string {
  return err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message;
}

/**
 * The one mapping of a failed provider request to the error the caller gets: `provider_unavailable` (503) when
 * retrying may help (`classifyProviderError` says transient), else `provider_error` (502). `message` words the
 * description around `describeProviderError(err, party)`'s reason; its detail becomes the error's log-only `detail`.
 */
export function providerFailure(
  err: unknown,
  message: (reason: string, failure: ProviderFailure) => string,
  party?: string,
): ConnectionError {
  const failure = classifyProviderError(err);
  const { reason, detail } = describeProviderError(err, party);
  const description = message(reason, failure);
  return failure === 'transient' ? providerUnavailable(description, { detail }) : providerError(description, { detail });
}
