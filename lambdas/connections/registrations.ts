/**
 * Where the connections function finds a connection's declaration: AWS, one Terraform-managed item per connection
 * in the registry's table (`connection#<name>`, JSON in `data`); local mode and tests, the manifest.
 */
import { connectionItemKey, type ConnectionRegistration, type RegistryManifest } from '../shared/manifest';
import type { StateStore } from '../shared/ports';

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
      const item = await state.get(connectionItemKey(name));
      if (typeof item?.data !== 'string') return undefined;
      const registration = JSON.parse(item.data) as ConnectionRegistration;
      // An item under another connection's key would hand out that connection's tokens: refuse it.
      if (registration.name !== name) throw new Error(`connection item ${connectionItemKey(name)} names another connection`);
      return registration;
    },
  };
}
