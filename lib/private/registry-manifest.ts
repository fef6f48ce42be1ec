/**
 * The registry's manifest: everything it declares, without secrets, as the runtime and local mode read it. It is
 * written next to the synthesized stack (`oauth-registry.<Id>.json`).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { TerraformStack, Token } from 'cdktf';
import { addCustomSynthesis } from 'cdktf/lib/synthesize/synthesizer';
import { manifestFileName, type ClientRegistration, type RegistryManifest, type RouteRegistration } from '../../lambdas/shared/manifest';
import { secretNames } from '../../lambdas/shared/names';
import type { IOAuthRegistry } from '../registry-interface';
import { resolveTokens } from './resolve';

/** The manifest of `registry`, whose `audience` prop is `audience`; tokens are resolved to literals. */
export function registryManifest(registry: IOAuthRegistry, audience: string | undefined): RegistryManifest {
  const literal = (value: string): string => (Token.isUnresolved(value) ? String(resolveTokens(registry, value)) : value);
  const { namePrefix, userAuthentication, connections } = registry;
  return {
    version: 1,
    registryPath: registry.node.path,
    namePrefix,
    ...(audience !== undefined ? { audience: literal(audience) } : {}),
    accessTokenTtlSecs: registry.accessTokenTtlSecs,
    secretOverlapSecs: registry.secretOverlapSecs,
    signingKeySecretId: secretNames.signingKey(namePrefix),
    signingKeyRotationDays: registry.signingKeyRotationDays,
    clients: registry.externalClients.map((c): ClientRegistration =>
      c.registration.audience === undefined ? c.registration : { ...c.registration, audience: literal(c.registration.audience) },
    ),
    routes: [
      ...registry.protectedRoutes.map((r): RouteRegistration =>
        r.registration.audiences === undefined ? r.registration : { ...r.registration, audiences: r.registration.audiences.map(literal) },
      ),
      ...registry.mcpServers.flatMap((s) => s.routeRegistrations),
    ],
    ...(registry.dataRoutes.length > 0
      ? {
          dataRoutes: registry.dataRoutes.map((r) =>
            r.registration.audiences === undefined
              ? r.registration
              : { ...r.registration, audiences: r.registration.audiences.map(literal) },
          ),
        }
      : {}),
    ...(registry.mcpServers.length > 0 ? { mcpServers: registry.mcpServers.map((s) => s.registration) } : {}),
    ...(registry.dynamicClientRegistrationSettings() ? { dynamicClientRegistration: registry.dynamicClientRegistrationSettings() } : {}),
    ...(registry.clientIdMetadataDocumentsSettings() ? { clientIdMetadataDocuments: registry.clientIdMetadataDocumentsSettings() } : {}),
    ...(connections.length > 0 ? { connections: connections.map((c) => c.registration) } : {}),
    ...(userAuthentication
      ? {
          userAuthentication: {
            issuer: literal(userAuthentication.issuer),
            clientId: literal(userAuthentication.clientId),
            scopes: [...userAuthentication.scopes],
            secretId: secretNames.userAuthentication(namePrefix),
            ...(userAuthentication.allowPrivateNetwork ? { allowPrivateNetwork: true } : {}),
          },
        }
      : {}),
    ...(registry.corsAllowedOrigins.length > 0 ? { corsAllowedOrigins: [...registry.corsAllowedOrigins] } : {}),
  };
}

/** Writes `manifest()` (the registry's) into the stack's output directory when the app synthesizes. */
export function writeManifestOnSynth(registry: IOAuthRegistry, manifest: () => RegistryManifest): void {
  addCustomSynthesis(registry, {
    onSynthesize: (session) => {
      const stack = TerraformStack.of(registry);
      const dir = path.join(session.outdir, session.manifest.forStack(stack).workingDirectory);
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, manifestFileName(registry.node.id)), `${JSON.stringify(manifest(), null, 2)}\n`);
    },
  });
}
