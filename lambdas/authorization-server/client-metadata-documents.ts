/**
 * Client ID Metadata Documents (the MCP authorization specification; draft-ietf-oauth-client-id-metadata-document): a
 * `client_id` that is an `https://` URL with a path names a JSON document holding the client's metadata. Opt-in
 * (`clientIdMetadataDocuments` on the registry). The document is fetched through the bounded fetch (size cap, deadline,
 * no redirects, no private address unless opted in) from port 443 only (another port: a host in `allowedHosts`, or
 * `allowPrivateNetwork`), cached per its `Cache-Control` within fixed bounds; a failure is cached the minimum too, so a
 * URL cannot be made to refetch on every request. It must describe a public (`none`) or `private_key_jwt` client (with
 * `jwks_uri`) whose `client_id` equals the URL exactly; its redirect URIs are matched exactly (the loopback port rule
 * aside). Anything else refuses the client.
 */
import { boundedFetch, type FetchLimits } from '../shared/bounded-fetch';
import type { ClientIdMetadataDocumentsSettings } from '../shared/client-registration-settings';
import type { ClientRegistration, SupportedGrantType } from '../shared/manifest';
import type { Clock } from '../shared/ports';

/** A document is small (a name, a few URIs): 5 KiB is generous, and keeps a hostile one cheap. */
export const CLIENT_METADATA_MAX_BYTES = 5 * 1024;
export const CLIENT_METADATA_TIMEOUT_MS = 3_000;
/** Cache bounds, whatever `Cache-Control` says: at least a minute (no refetch storm), at most a day (changes land). */
export const CLIENT_METADATA_MIN_CACHE_SECS = 60;
export const CLIENT_METADATA_MAX_CACHE_SECS = 86_400;
/** Entries kept per container; the oldest goes first. */
const CACHE_ENTRIES = 500;

/**
 * Why a client id URL is not a client: the message is shown on our own error page (never sent to a redirect URI);
 * `detail`, what the fetch met (an address, a status), goes to the log only.
 */
export class ClientMetadataError extends Error {
  override readonly name = 'ClientMetadataError';
  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}

const NOT_FETCHED = 'the client metadata document could not be fetched';

/** Whether `clientId` is meant as a metadata document URL: `https:`, a host, a path other than `/`. */
export function isClientIdUrl(clientId: string): boolean {
  return clientId.startsWith('https://');
}

/** The URL, if it may name a document: https, no credentials, no fragment, a path that is not `/`, no dot segments. */
function documentUrl(clientId: string): URL {
  let url: URL;
  try {
    url = new URL(clientId);
  } catch {
    throw new ClientMetadataError('client_id is not a valid URL');
  }
  if (url.protocol !== 'https:') throw new ClientMetadataError('client_id must be an https URL');
  if (url.username || url.password) throw new ClientMetadataError('client_id must not contain credentials');
  if (clientId.includes('#')) throw new ClientMetadataError('client_id must not contain a fragment');
  if (url.pathname === '/' || url.pathname === '') throw new ClientMetadataError('client_id must be a URL with a path, not the root');
  if (url.href !== clientId || /\/\.\.?(\/|$)/.test(clientId.slice(url.origin.length))) {
    throw new ClientMetadataError('client_id must be a URL in its normal form (no dot segments, lower-case scheme and host)');
  }
  return url;
}

export interface ClientMetadataResolver {
  /** The registration the document at `clientId` describes; throws `ClientMetadataError` saying why it is refused. */
  resolve(clientId: string): Promise<ClientRegistration>;
}

export interface ClientMetadataDeps {
  readonly settings: ClientIdMetadataDocumentsSettings;
  readonly clock: Clock;
  /**
   * The fetch for these limits. @default the bounded fetch. Only code can pass another (tests serving documents over
   * HTTPS on loopback with their own certificate); no configuration or environment variable can.
   */
  readonly fetchFor?: (limits: FetchLimits) => typeof fetch;
}

export function createClientMetadataResolver(deps: ClientMetadataDeps): ClientMetadataResolver {
  const { settings, clock } = deps;
  const limits: FetchLimits = {
    maxBytes: CLIENT_METADATA_MAX_BYTES,
    timeoutMs: CLIENT_METADATA_TIMEOUT_MS,
    allowPrivateNetwork: settings.allowPrivateNetwork === true,
  };
  const fetchDocument = (deps.fetchFor ?? boundedFetch)(limits);
  const cache = new Map<string, { outcome: ClientRegistration | ClientMetadataError; expiresAt: number }>();
  const remember = (clientId: string, outcome: ClientRegistration | ClientMetadataError, secs: number) => {
    cache.delete(clientId);
    if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(clientId, { outcome, expiresAt: clock() + secs * 1000 });
  };

  const fetchRegistration = async (clientId: string, url: URL): Promise<{ registration: ClientRegistration; cacheSecs: number }> => {
    let response: Response;
    try {
      response = await fetchDocument(url, { headers: { accept: 'application/json' }, redirect: 'manual' });
    } catch (err) {
      throw new ClientMetadataError(NOT_FETCHED, err instanceof Error ? err.message : String(err));
    }
    if (response.status !== 200) throw new ClientMetadataError(NOT_FETCHED, `it answered ${response.status}, not 200`);
    let document: unknown;
    try {
      document = JSON.parse(await response.text());
    } catch {
      throw new ClientMetadataError('the client metadata document is not JSON');
    }
    if ((document as { client_id?: unknown } | null)?.client_id !== clientId) {
      throw new ClientMetadataError('client_id in the document differs from the URL it was fetched from');
    }
    return {
      registration: clientMetadataRegistration(clientId, document, settings),
      cacheSecs: cacheSecs(response.headers.get('cache-control')),
    };
  };

  return {
    async resolve(clientId) {
      const url = documentUrl(clientId);
      if (settings.allowedHosts && !settings.allowedHosts.includes(url.hostname)) {
        throw new ClientMetadataError(`client metadata documents are not accepted from ${url.hostname}`);
      }
      if (url.port !== '' && !settings.allowedHosts?.includes(url.hostname) && !settings.allowPrivateNetwork) {
        throw new ClientMetadataError('client_id must be on the https port (443) unless its host is in allowedHosts');
      }
      const cached = cache.get(clientId);
      if (cached && cached.expiresAt > clock()) {
        if (cached.outcome instanceof ClientMetadataError) throw cached.outcome;
        return cached.outcome;
      }
      try {
        const { registration, cacheSecs: secs } = await fetchRegistration(clientId, url);
        remember(clientId, registration, secs);
        return registration;
      } catch (err) {
        if (err instanceof ClientMetadataError) remember(clientId, err, CLIENT_METADATA_MIN_CACHE_SECS);
        throw err;
      }
    },
  };
}

/** Seconds to keep a document: its `max-age` (none or `no-store`: the minimum), within the fixed bounds. */
export function cacheSecs(cacheControl: string | null): number {
  const directives = (cacheControl ?? '').toLowerCase();
  const maxAge = /(?:^|[,\s])max-age=(\d+)/.exec(directives);
  const asked = /no-store|no-cache/.test(directives) || !maxAge ? 0 : Number(maxAge[1]);
  return Math.min(CLIENT_METADATA_MAX_CACHE_SECS, Math.max(CLIENT_METADATA_MIN_CACHE_SECS, asked));
}

const SECRET_METHODS = new Set(['client_secret_basic', 'client_secret_post', 'client_secret_jwt']);
const USER_GRANTS: readonly SupportedGrantType[] = ['authorization_code', 'refresh_token'];

/**
 * The registration of client `clientId` that `document` (RFC 7591 client metadata: a metadata document, or a dynamic
 * registration request) describes: public or `private_key_jwt`, user-delegated grants only. Throws saying what is wrong.
 */
export function clientMetadataRegistration(
  clientId: string,
  document: unknown,
  settings: Pick<ClientIdMetadataDocumentsSettings, 'scopes' | 'accessTokenTtlSecs' | 'allowPrivateNetwork'>,
): ClientRegistration {
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    throw new ClientMetadataError('the client metadata is not a JSON object');
  }
  const doc = document as Record<string, unknown>;
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (doc.client_secret !== undefined || doc.client_secret_expires_at !== undefined || SECRET_METHODS.has(String(method))) {
    throw new ClientMetadataError('such a client cannot use a shared secret: use none or private_key_jwt');
  }
  if (method !== 'none' && method !== 'private_key_jwt') {
    throw new ClientMetadataError(`token_endpoint_auth_method ${JSON.stringify(method)} is not supported`);
  }
  const jwksUri = doc.jwks_uri;
  if (method === 'private_key_jwt' && (typeof jwksUri !== 'string' || !jwksUri.startsWith('https://'))) {
    throw new ClientMetadataError('private_key_jwt needs an https jwks_uri in the client metadata');
  }
  const redirectUris = doc.redirect_uris;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0 || redirectUris.length > 20 || !redirectUris.every(validRedirectUri)) {
    throw new ClientMetadataError('redirect_uris must list 1 to 20 https URIs (http only on a loopback host), without fragments');
  }
  const grants = doc.grant_types ?? ['authorization_code'];
  if (
    !Array.isArray(grants) ||
    !grants.includes('authorization_code') ||
    grants.some((g) => !USER_GRANTS.includes(g as SupportedGrantType))
  ) {
    throw new ClientMetadataError('grant_types may only be authorization_code and refresh_token, and must include authorization_code');
  }
  const responseTypes = doc.response_types ?? ['code'];
  if (!Array.isArray(responseTypes) || responseTypes.some((t) => t !== 'code')) {
    throw new ClientMetadataError('response_types may only be code');
  }
  const name = (typeof doc.client_name === 'string' ? displayName(doc.client_name) : '') || fallbackName(clientId);
  return {
    name,
    clientId,
    grantTypes: grants as SupportedGrantType[],
    authMethod: method,
    scopes: [...settings.scopes],
    accessTokenTtlSecs: settings.accessTokenTtlSecs,
    active: true,
    redirectUris: redirectUris as string[],
    ...(method === 'private_key_jwt'
      ? { jwksUri: jwksUri as string, ...(settings.allowPrivateNetwork ? { jwksUriAllowPrivateNetwork: true } : {}) }
      : {}),
  };
}

/**
 * C0 and C1 controls and the bidi embeddings, overrides and isolates (U+202A-202E, U+2066-2069): a name shown to users
 * with them could break lines or read reversed ("Trusted App" spelled to look like another).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE_NAME_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** A client's own name, made safe to show: unsafe characters removed, trimmed, at most 100 characters. */
export function displayName(claimed: string): string {
  return claimed.replace(UNSAFE_NAME_CHARACTERS, '').trim().slice(0, 100);
}

/** The name of a client that gives none: a document's host, else (a dynamic registration) its client id. */
function fallbackName(clientId: string): string {
  return isClientIdUrl(clientId) ? new URL(clientId).host : clientId;
}

function validRedirectUri(uri: unknown): boolean {
  if (typeof uri !== 'string' || uri.length > 2000 || uri.includes('#')) return false;
  try {
    const url = new URL(uri);
    if (url.protocol === 'https:') return true;
    return url.protocol === 'http:' && ['127.0.0.1', '[::1]', 'localhost'].includes(url.hostname);
  } catch {
    return false;
  }
}
