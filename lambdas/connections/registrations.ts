/**
 * Where the connections function finds a connection's declaration: AWS, one Terraform-managed item per connection
 * in the registry's table (`connection#<name>`, JSON in `data`), cached per container; local mode and tests, the
 * manifest. And what a declaration accepts as a subject.
 */
import { TtlCache } from '../shared/cache';
import type { Logger } from '../shared/log';
import { connectionItemKey, type ConnectionRegistration, type RegistryManifest } from '../shared/manifest';
import { SUBJECT_PATTERN } from '../shared/oauth-syntax';
import type { Clock, StateStore } from '../shared/ports';
import { invalidRequest } from './errors';

export interface ConnectionRegistrations {
  get(name: string): Promise<ConnectionRegistration | undefined>;
}

/** The connections a manifest declares. */
export function manifestConnections(manifest: Pick<RegistryManifest, 'connections'>): ConnectionRegistrations {
  const byName = new Map((manifest.connections ?? []).map((c) => [c.name, c]));
  return { get: async (name) => byName.get(name) };
}

export interface TableConnectionsOptions {
  /** How long a registration (or its absence) stays cached, in ms: the config's `cacheTtlSecs`. */
  readonly ttlMs: number;
  /** @default Date.now */
  readonly clock?: Clock;
  /** Where a failed reload served from the cache is reported. */
  readonly log?: Logger;
}

/**
 * The connections of the registry's table, read through the state store and cached for `ttlMs` (as the authorization
 * server caches its clients), so broker calls, proxy requests and consents do not read DynamoDB each time. An unknown
 * name is cached as absent too; a failed reload serves the last good answer (`TtlCache`).
 */
export function tableConnections(state: StateStore, options: TableConnectionsOptions): ConnectionRegistrations {
  const cache = new TtlCache<string, ConnectionRegistration | undefined>({
    ttlMs: options.ttlMs,
    clock: options.clock,
    log: options.log,
    name: 'connection-registrations',
  });
  const load = async (name: string): Promise<ConnectionRegistration | undefined> => {
    const key = connectionItemKey(name);
    const item = await state.get(key);
    if (typeof item?.data !== 'string') return undefined;
    const registration = JSON.parse(item.data) as ConnectionRegistration;
    // An item under another connection's key would hand out that connection's tokens: refuse it.
    if (registration.name !== name) throw new Error(`connection item ${key} names another connection`);
    return registration;
  };
  return { get: (name) => cache.get(name, load) };
}

/**
 * Checks the subject against the connection's mode: `perUser` needs one (part of a key and of links: printable, no
 * whitespace, at most 256 characters), `shared` takes none.
 */
export function checkSubject(connection: ConnectionRegistration, subject: unknown): string | undefined {
  if (connection.mode === 'shared') {
    if (subject !== undefined && subject !== null && subject !== '') {
      throw invalidRequest(`connection ${connection.name} is shared: it takes no subject`);
    }
    return undefined;
  }
  if (typeof subject !== 'string' || !SUBJECT_PATTERN.test(subject)) {
    throw invalidRequest(`connection ${connection.name} is per user: give a subject (1 to 256 printable characters, no spaces)`);
  }
  return subject;
}
