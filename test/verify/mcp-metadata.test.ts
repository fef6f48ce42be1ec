/** verify's `mcp-metadata` check: an MCP server's RFC 9728 document, from the MCP test app served locally and a stale server. */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startLocalRegistry, type LocalRegistry } from '../../bin/local/local-registry';
import { checkMcpMetadata } from '../../bin/verify/checks/mcp-metadata';
import { timedGet } from '../../bin/verify/http-get';
import type { McpServerRegistration } from '../../lambdas/shared/manifest';
import { MCP_APP_DIR, mcpAppManifest } from '../../testing/mcp-app';
import { sendJson, serve, type Served } from './fixture';

describe('verify check mcp-metadata', () => {
  const get = timedGet(10_000);
  let registry: LocalRegistry;
  let server: McpServerRegistration;
  let stale: Served;

  before(async () => {
    const manifest = mcpAppManifest();
    server = manifest.mcpServers![0];
    registry = await startLocalRegistry({
      manifest,
      appDir: MCP_APP_DIR,
      stateDir: mkdtempSync(path.join(tmpdir(), 'verify-mcp-')),
      port: 0,
    });
    // A document left from an older deployment: another resource, another authorization server.
    stale = await serve((_req, res, url) => {
      if (url.pathname === '/.well-known/oauth-protected-resource/mcp') {
        return sendJson(res, 200, { resource: 'https://old.example/mcp', authorization_servers: ['https://old.example'] });
      }
      sendJson(res, 404, { message: 'Not Found' });
    });
  });
  after(() => Promise.all([registry?.close(), stale?.close()]));

  it('ok on a registry: the document names exactly the server URL and the registry as its authorization server', async () => {
    const row = await checkMcpMetadata({ issuer: registry.issuer, get }, server);
    const url = `${registry.issuer}/mcp`;
    assert.deepEqual(
      { ...row },
      {
        check: 'mcp-metadata',
        target: 'Incidents',
        result: 'ok',
        detail: `${registry.issuer}/.well-known/oauth-protected-resource/mcp: resource ${url}, authorization server ${registry.issuer}`,
      },
    );
  });

  it('fail on a document naming another resource and server, or none served', async () => {
    const row = await checkMcpMetadata({ issuer: stale.url, get }, server);
    assert.deepEqual(
      [row.result, row.detail],
      ['fail', `resource is "https://old.example/mcp", not ${stale.url}/mcp; authorization_servers does not name ${stale.url}`],
    );
    const missing = await checkMcpMetadata({ issuer: stale.url, get }, { ...server, path: '/other' });
    assert.deepEqual([missing.result, missing.detail], ['fail', `${stale.url}/.well-known/oauth-protected-resource/other: HTTP 404`]);
  });
});
