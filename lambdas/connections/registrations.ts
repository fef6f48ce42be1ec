/**
 * Where the connections function finds a connection's declaration: AWS, one Terraform-managed item per connection
 * in the registry's table (`connection#<name>`, JSON in `data`); local mode and tests, the manifest. And what a
 * declaration accepts as a subject.
 */
import type { ConnectionRegistration, RegistryManifest } from '../shared/manifest';
import { SUBJECT_PATTERN } from '../shared/oauth-syntax';
import type { StateStore } from '../shared/ports';
import { tableKey } from '../shared/table-keys';
import { invalidRequest } from './errors';

export interface ConnectionRegistrations {
  get(name: string): Promise<ConnectionRegistration | undefined>;
}

/** The connections a manifest declares. */
export function manifestConnections(manifest: Pick<RegistryManifest, 'connections'>): ConnectionRegistrations {
  const byName = new Map((manifest.connections ?? []).map((c) => [c.name, c]));
  return { get: async (name) => byName.get(name) };
}

/** The connections of the registry's table, read through the state store. */
export function tableConnections(state: StateStore): ConnectionRegistrations {
  return {
    async get(name) {
      const key = tableKey('connection', name);
      const item = await state.get(key);
      if (typeof item?.data !== 'string') return undefined;
      const registration = JSON.parse(item.data) as ConnectionRegistration;
      // An item under another connection's key would hand out that connection's tokens: refuse it.
      if (registration.name !== name) throw new Error(`connection item ${key} names another connection`);
      return registration;
    },
  };
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
