/**
 * Shared fixture for end-to-end tests: the example app (`main.ts`) synthesized once per test file, and a local
 * registry serving it on a free port with its own state directory.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalRegistry, type LocalRegistry, type LocalRegistryOptions } from '../../bin/local/local-registry';
import { exampleManifest, repoRoot } from '../../testing/example-app';

export { exampleManifest, repoRoot };

export function startExample(overrides: Partial<LocalRegistryOptions> = {}): Promise<LocalRegistry> {
  return startLocalRegistry({
    manifest: exampleManifest(),
    appDir: repoRoot,
    stateDir: mkdtempSync(path.join(tmpdir(), 'oauth-registry-state-')),
    port: 0,
    ...overrides,
  });
}

export function basic(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** POSTs a form to the token endpoint; returns status, headers and parsed JSON body. */
export async function tokenRequest(
  registry: LocalRegistry,
  form: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(`${registry.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof form === 'string' ? form : new URLSearchParams(form).toString(),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
}
