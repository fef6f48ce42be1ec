/**
 * The example app (`main.ts`) as tests and the fuzzer use it: the repo root, its manifest synthesized for real (once
 * per process), the user-facing web client they add to it, and a free loopback port.
 */
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pickRegistry, readManifests, synthesizeApp } from '../bin/local/synth';
import type { ClientRegistration, RegistryManifest } from '../lambdas/shared/manifest';

export const repoRoot = path.resolve(__dirname, '..');

let synthesized: RegistryManifest | undefined;

/** The manifest of the example app, synthesized for real (once per process). */
export function exampleManifest(): RegistryManifest {
  if (!synthesized) {
    const outdir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-synth-'));
    synthesizeApp(path.join(repoRoot, 'main.ts'), outdir);
    synthesized = pickRegistry(readManifests(outdir)).manifest;
  }
  return synthesized;
}

/** The loopback redirect URI of WEB_CLIENT. */
export const WEB_REDIRECT_URI = 'http://127.0.0.1:53682/callback';

/** A confidential web app that signs users in (authorization code + refresh tokens), added to the example app. */
export const WEB_CLIENT: ClientRegistration = {
  name: 'WebApp',
  clientId: 'web-app',
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'client_secret_basic',
  scopes: ['incidents.read', 'incidents.write'],
  accessTokenTtlSecs: 600,
  active: true,
  secretId: 'incident-api/clients/WebApp',
  secretRotationDays: 90,
  redirectUris: [WEB_REDIRECT_URI],
};

/** A loopback port nothing listens on (free when this returns; bound by whoever asks next). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
