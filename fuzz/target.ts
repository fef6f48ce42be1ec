/**
 * What the fuzzer aims at: `npm start`'s server (the example app, synthesized for real) on a free loopback port, with
 * every surface switched on and every outside party on loopback too: an oidc-provider (testing/) is the upstream
 * sign-in provider and the third party of both connections (`Salesforce`, per user, and `Api`, client_credentials),
 * so no request the fuzzer causes leaves 127.0.0.1. Also a second authorization server and the connections handler
 * for in-process events (what Lambda would be given).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalRegistry, type LocalRegistry } from '../bin/local/local-registry';
import { localStatePaths } from '../bin/local/local-state';
import { createAuthorizationServer, type AuthorizationServer } from '../lambdas/authorization-server/server';
import { LocalSecretStore } from '../lambdas/shared/adapters/local-secret-store';
import { MemoryStateStore } from '../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../lambdas/shared/adapters/manifest-registration-store';
import { silentLogger, type Logger } from '../lambdas/shared/log';
import type { ConnectionRegistration, RegistryManifest } from '../lambdas/shared/manifest';
import { authMethodsUsed, grantTypesUsed, scopesUsed } from '../lambdas/shared/manifest-queries';
import { PUBLIC_KEY_RING_KEY } from '../lambdas/shared/public-key-ring';
import { SECRET_BASIC, startThirdParty, type ThirdParty } from '../testing/connections/third-party';
import { exampleManifest, freePort, repoRoot, WEB_CLIENT } from '../testing/example-app';

const UPSTREAM_SECRET_ID = 'incident-api/user-authentication';

export interface FuzzTarget {
  readonly registry: LocalRegistry;
  readonly port: number;
  readonly manifest: RegistryManifest;
  /** The same handlers in process, for events no HTTP request can produce. */
  readonly authorizationServer: AuthorizationServer;
  /** Every secret value the registry holds: none may appear in a response. */
  secretValues(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startTarget(options: { log?: Logger; stateDir?: string } = {}): Promise<FuzzTarget> {
  const example = exampleManifest();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const provider: ThirdParty = await startThirdParty({
    redirectUris: [`${base}/connections/Salesforce/callback`, `${base}/connections/Api/callback`, `${base}/oauth2/callback`],
  });
  const onProvider = (c: ConnectionRegistration): ConnectionRegistration => ({
    ...c,
    provider: { issuer: provider.issuer },
    apiBaseUrl: provider.apiBaseUrl,
    scopes: c.grant === 'client_credentials' ? ['api:read'] : ['openid', 'offline_access', 'api:read'],
  });
  const salesforce = example.connections!.find((c) => c.name === 'Salesforce')!;
  const manifest: RegistryManifest = {
    ...example,
    clients: [...example.clients, WEB_CLIENT],
    connections: [
      onProvider(salesforce),
      onProvider({
        ...salesforce,
        name: 'Api',
        grant: 'client_credentials',
        mode: 'shared',
        credentialsSecretId: `${example.namePrefix}/connections/Api`,
      }),
    ],
    userAuthentication: { issuer: provider.issuer, clientId: 'basic-client', scopes: ['openid'], secretId: UPSTREAM_SECRET_ID },
  };
  const stateDir = options.stateDir ?? mkdtempSync(path.join(tmpdir(), 'oauth-registry-fuzz-state-'));
  // What `credentials set-upstream-secret --local` and `connections set-credentials --local` do.
  const store = new LocalSecretStore(localStatePaths(stateDir).secrets);
  const credentials = JSON.stringify({ client_id: 'basic-client', client_secret: SECRET_BASIC });
  for (const secretId of [UPSTREAM_SECRET_ID, ...manifest.connections!.map((c) => c.credentialsSecretId)]) {
    store.createSecret(secretId, {}, { rotationEnabled: false });
    await store.putSecretValue(secretId, randomUUID(), secretId === UPSTREAM_SECRET_ID ? SECRET_BASIC : credentials, ['AWSCURRENT']);
  }
  const registry = await startLocalRegistry({ manifest, appDir: repoRoot, stateDir, port, log: options.log });
  // Its own state, with the public key ring local mode published (the JWKS and introspection read it).
  const state = new MemoryStateStore();
  await state.put((await registry.state.get(PUBLIC_KEY_RING_KEY))!);

  const authorizationServer = createAuthorizationServer({
    config: {
      issuer: registry.issuer,
      signingKeySecretId: manifest.signingKeySecretId,
      secretOverlapSecs: manifest.secretOverlapSecs,
      scopesSupported: scopesUsed(manifest.clients),
      authMethodsSupported: authMethodsUsed(manifest.clients),
      grantTypesSupported: grantTypesUsed(manifest.clients),
      userAuthentication: manifest.userAuthentication,
      cacheTtlSecs: 60,
    },
    secrets: registry.secrets,
    registrations: new ManifestRegistrationStore(manifest),
    state,
    log: silentLogger,
  });

  return {
    registry,
    port,
    manifest,
    authorizationServer,
    async secretValues() {
      const values = new Set<string>([SECRET_BASIC]);
      for (const id of registry.secrets.listSecrets()) {
        for (const stage of ['AWSCURRENT', 'AWSPREVIOUS', 'AWSPENDING'] as const) {
          const version = await registry.secrets.getSecretVersion(id, stage);
          if (version) for (const value of secretParts(version.value)) values.add(value);
        }
      }
      return [...values].filter((v) => v.length >= 16);
    },
    async close() {
      await registry.close();
      await provider.close();
    },
  };
}

/** The secret strings in a stored value: the value, or the private members of the JSON documents it holds. */
function secretParts(value: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    return [value];
  }
  const found: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [key, v] of Object.entries(node)) {
        if (typeof v === 'string' && ['client_secret', 'd', 'p', 'q', 'dp', 'dq', 'qi', 'k'].includes(key)) found.push(v);
        else visit(v);
      }
    }
  };
  visit(parsed);
  return found.length ? found : typeof parsed === 'string' ? [parsed] : [];
}
