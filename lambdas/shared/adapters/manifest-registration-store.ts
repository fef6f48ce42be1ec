/** `RegistrationStore` over a registry manifest (local mode reads the manifest `cdktf synth` wrote). */
import { readFileSync } from 'node:fs';
import type { ClientRegistration, RegistryManifest } from '../manifest';
import type { RegistrationStore } from '../ports';

/** Serves the clients a manifest declares. */
export class ManifestRegistrationStore implements RegistrationStore {
  private readonly clients: ReadonlyMap<string, ClientRegistration>;

  constructor(manifest: Pick<RegistryManifest, 'clients'>) {
    this.clients = new Map(manifest.clients.map((c) => [c.clientId, c]));
  }

  /** Reads a manifest file (`cdktf.out/stacks/<stack>/oauth-registry.<id>.json`). */
  static fromFile(path: string): ManifestRegistrationStore {
    return new ManifestRegistrationStore(JSON.parse(readFileSync(path, 'utf8')) as RegistryManifest);
  }

  async getClient(clientId: string): Promise<ClientRegistration | undefined> {
    return this.clients.get(clientId);
  }
}
