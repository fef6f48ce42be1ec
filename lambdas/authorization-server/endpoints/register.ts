/**
 * Dynamic client registration (RFC 7591), opt-in, for MCP clients that do not yet use Client ID Metadata Documents:
 * anyone may register a public (`none`) or `private_key_jwt` client with user-delegated grants, validated as a metadata
 * document is. Bounded: 4 KiB of JSON, `registrationsPerHour` registry-wide (one window item per clock hour, updated by
 * a conditional write, which also lists that hour's registrations for `status`) of which one source address may take
 * a quarter (at least one), so a single caller cannot use up the hour for everyone; and a registration lives
 * `unusedExpirySecs` past its last use at the authorization endpoint (a TTL), so abandoned ones disappear.
 */
import type { DynamicClientRegistrationSettings } from '../../shared/client-registration-settings';
import { InvalidClientMetadataError, InvalidRequestError, TemporarilyUnavailableError } from '../../shared/errors';
import { bodyBytes, jsonResponse, mediaType, type RouteHandler } from '../../shared/http';
import type { Logger } from '../../shared/log';
import type { ClientRegistration } from '../../shared/manifest';
import type { Clock, StateItem, StateStore } from '../../shared/ports';
import { tableKey } from '../../shared/table-keys';
import { ClientMetadataError, clientMetadataRegistration } from '../client-metadata-documents';
import { nowSecs, randomToken, sha256url } from '../user-grants';

export const MAX_REGISTRATION_BYTES = 4 * 1024;
/** Prefix of dynamically registered client ids (they match `CLIENT_ID_PATTERN`; no declared client may start with it). */
export const REGISTERED_CLIENT_PREFIX = 'dcr-';
const WINDOW_SECS = 3600;
/** Attempts at the window's conditional write before answering `temporarily_unavailable`. */
const WINDOW_WRITE_ATTEMPTS = 5;

export type RegisteredClientItem = StateItem & { readonly registration: ClientRegistration; readonly createdAt: number };
export type RegistrationWindowItem = StateItem & {
  readonly count: number;
  /** Registrations per source address this hour, keyed by a hash of the address (no address is stored). */
  readonly bySource?: Readonly<Record<string, number>>;
  readonly clients: readonly { readonly clientId: string; readonly name: string; readonly createdAt: number }[];
};

export const registeredClientKey = (clientId: string): string => tableKey('registeredClient', clientId);
export const registrationWindowKey = (hourStartSecs: number): string => tableKey('registrationWindow', String(hourStartSecs));
export const isRegisteredClientId = (clientId: string): boolean => clientId.startsWith(REGISTERED_CLIENT_PREFIX);
/** The registrations one source address may make in an hour: a quarter of the registry's, at least one. */
export const registrationsPerSource = (perHour: number): number => Math.max(1, Math.floor(perHour / 4));

export function createRegistrationEndpoint(deps: {
  readonly settings?: DynamicClientRegistrationSettings;
  readonly state: StateStore;
  readonly clock: Clock;
  readonly log: Logger;
}): RouteHandler {
  return async (event) => {
    const { settings } = deps;
    if (!settings) return jsonResponse(404, { error: 'not_found', error_description: 'dynamic client registration is not enabled' });
    if (mediaType(event) !== 'application/json') throw new InvalidRequestError('Content-Type must be application/json');
    const bytes = bodyBytes(event);
    if (bytes.length > MAX_REGISTRATION_BYTES)
      throw new InvalidClientMetadataError(`client metadata is over ${MAX_REGISTRATION_BYTES} bytes`);
    let metadata: unknown;
    try {
      metadata = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new InvalidClientMetadataError('client metadata is not JSON');
    }
    const clientId = `${REGISTERED_CLIENT_PREFIX}${randomToken(16)}`;
    let registration: ClientRegistration;
    try {
      registration = clientMetadataRegistration(clientId, metadata, settings);
    } catch (err) {
      if (err instanceof ClientMetadataError) throw new InvalidClientMetadataError(err.message);
      throw err;
    }
    const now = nowSecs(deps.clock);
    const source = sha256url(event.requestContext.http.sourceIp).slice(0, 22);
    await takeWindowSlot(deps.state, settings, now, source, { clientId, name: registration.name, createdAt: now });
    const item: RegisteredClientItem = {
      pk: registeredClientKey(clientId),
      registration,
      createdAt: now,
      expiresAt: now + settings.unusedExpirySecs,
    };
    await deps.state.put(item, { kind: 'notExists' });
    deps.log.info('client_registered', { client_id: clientId, auth_method: registration.authMethod });
    return jsonResponse(201, {
      client_id: clientId,
      client_id_issued_at: now,
      client_name: registration.name,
      redirect_uris: registration.redirectUris,
      grant_types: registration.grantTypes,
      response_types: ['code'],
      token_endpoint_auth_method: registration.authMethod,
      ...(registration.jwksUri ? { jwks_uri: registration.jwksUri } : {}),
      scope: registration.scopes.join(' '),
    });
  };
}

/** Counts a registration in this hour's window, refusing past the bound; each write is conditional on the count read. */
async function takeWindowSlot(
  state: StateStore,
  settings: DynamicClientRegistrationSettings,
  now: number,
  source: string,
  entry: RegistrationWindowItem['clients'][number],
): Promise<void> {
  const start = now - (now % WINDOW_SECS);
  const pk = registrationWindowKey(start);
  for (let attempt = 0; attempt < WINDOW_WRITE_ATTEMPTS; attempt++) {
    const window = await state.get<RegistrationWindowItem>(pk);
    const fromSource = window?.bySource?.[source] ?? 0;
    if (window && (window.count >= settings.registrationsPerHour || fromSource >= registrationsPerSource(settings.registrationsPerHour))) {
      throw new TemporarilyUnavailableError('too many client registrations this hour; try again later', start + WINDOW_SECS - now);
    }
    // Kept a day, so `status` can show the last day's registrations.
    const next: RegistrationWindowItem = {
      pk,
      count: (window?.count ?? 0) + 1,
      bySource: { ...window?.bySource, [source]: fromSource + 1 },
      clients: [...(window?.clients ?? []), entry],
      expiresAt: start + WINDOW_SECS + 86_400,
    };
    const written = window
      ? await state.put(next, { kind: 'equals', attribute: 'count', value: window.count })
      : await state.put(next, { kind: 'notExists' });
    if (written) return;
  }
  throw new TemporarilyUnavailableError('client registration is busy; try again', 1);
}

/** The registration of a dynamically registered client, its expiry pushed back when a day of it has passed. */
export async function registeredClient(
  state: StateStore,
  clock: Clock,
  settings: DynamicClientRegistrationSettings | undefined,
  clientId: string,
): Promise<ClientRegistration | undefined> {
  if (!settings) return undefined;
  const item = await state.get<RegisteredClientItem>(registeredClientKey(clientId));
  if (!item) return undefined;
  const now = nowSecs(clock);
  const renewed = now + settings.unusedExpirySecs;
  if (renewed - (item.expiresAt ?? 0) > 86_400) await state.update(item.pk, { expiresAt: renewed });
  return item.registration;
}

/** The registrations of the last day, newest window first (24 reads, no scan): what `status` shows. */
export async function recentRegistrations(state: StateStore, nowMs: number): Promise<RegistrationWindowItem['clients']> {
  const now = Math.floor(nowMs / 1000);
  const start = now - (now % WINDOW_SECS);
  const windows = await Promise.all(
    Array.from({ length: 24 }, (_, i) => state.get<RegistrationWindowItem>(registrationWindowKey(start - i * WINDOW_SECS))),
  );
  return windows.flatMap((w) => [...(w?.clients ?? [])].reverse());
}
