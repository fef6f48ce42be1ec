/** The MCP test app (`testing/apps/mcp-app.ts`) as tests use it: synthesized for real, and where its handlers live. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pickRegistry, readManifests, synthesizeApp } from '../bin/local/synth';
import type { RegistryManifest } from '../lambdas/shared/manifest';
import { repoRoot } from './example-app';

/** Where the MCP test app lives: its handler entries are relative to it. */
export const MCP_APP_DIR = path.join(repoRoot, 'testing', 'apps');

/** The manifest of the MCP test app, synthesized for real; `upstream`: its user sign-in issuer. */
export function mcpAppManifest(upstream?: string): RegistryManifest {
  const outdir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-mcp-synth-'));
  const previous = process.env.MCP_APP_UPSTREAM_ISSUER;
  if (upstream) process.env.MCP_APP_UPSTREAM_ISSUER = upstream;
  try {
    synthesizeApp(path.join(MCP_APP_DIR, 'mcp-app.ts'), outdir);
  } finally {
    if (previous === undefined) delete process.env.MCP_APP_UPSTREAM_ISSUER;
    else process.env.MCP_APP_UPSTREAM_ISSUER = previous;
  }
  return pickRegistry(readManifests(outdir)).manifest;
}
