/**
 * `registry.addMcpServer` in local mode, synthesized for real from `testing/apps/mcp-app.ts`: its RFC 9728 document,
 * its routes behind the emulated JWT authorizer (only tokens whose audience is the server's URL), and the official
 * MCP SDK client calling `tools/list` and `tools/call` through them with such a token.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { decodeJwt } from 'jose';
import { renderDashboard } from '../../bin/commands/operator-html';
import { collectOperatorReport, formatRegistrySections } from '../../bin/commands/operator-report';
import { startLocalRegistry, type LocalRegistry } from '../../bin/local/local-registry';
import { verifyRegistry } from '../../bin/verify/checks';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { MCP_APP_DIR, mcpAppManifest } from '../../testing/mcp-app';
import { basic, tokenRequest } from './fixture';

describe('an MCP server declared with addMcpServer, in local mode', () => {
  let registry: LocalRegistry;
  let manifest: RegistryManifest;
  let mcpUrl: string;

  const tokenFor = async (resource?: string): Promise<string> => {
    const { client_id, client_secret } = registry.credentials.AcmeMonitoring;
    const form = { grant_type: 'client_credentials', ...(resource ? { resource } : {}) };
    const { status, body } = await tokenRequest(registry, form, { authorization: basic(client_id, client_secret) });
    assert.equal(status, 200, JSON.stringify(body));
    return String(body.access_token);
  };
  const initialize = (token?: string) =>
    fetch(mcpUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
      }),
    });

  before(async () => {
    manifest = mcpAppManifest();
    registry = await startLocalRegistry({
      manifest,
      appDir: MCP_APP_DIR,
      stateDir: mkdtempSync(path.join(tmpdir(), 'oauth-registry-state-')),
      port: 0,
    });
    mcpUrl = `${registry.issuer}/mcp`;
  });
  after(() => registry?.close());

  it('serves its RFC 9728 document at /.well-known/oauth-protected-resource/mcp', async () => {
    const response = await fetch(`${registry.issuer}/.well-known/oauth-protected-resource/mcp`);
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), {
      resource: mcpUrl,
      authorization_servers: [registry.issuer],
      scopes_supported: ['incidents.read'],
      bearer_methods_supported: ['header'],
      resource_name: 'Incidents',
    });
  });

  it('answers 401 without a token, as the gateway does', async () => {
    const response = await initialize();
    assert.equal(response.status, 401);
    assert.deepEqual(await response.json(), { message: 'Unauthorized' });
  });

  it('refuses a token for the registry (401), and opens with a token whose aud is the server URL', async () => {
    const registryToken = await tokenFor();
    assert.equal(decodeJwt(registryToken).aud, registry.issuer);
    assert.equal((await initialize(registryToken)).status, 401);

    const mcpToken = await tokenFor(mcpUrl);
    assert.equal(decodeJwt(mcpToken).aud, mcpUrl);
    const response = await initialize(mcpToken);
    assert.equal(response.status, 200);
    const body = (await response.json()) as { result: { serverInfo: { name: string } } };
    assert.equal(body.result.serverInfo.name, 'incidents');
  });

  it("refuses the MCP server's token at another route (401): audience is a boundary both ways", async () => {
    const response = await fetch(`${registry.issuer}/v1/hello`, { headers: { authorization: `Bearer ${await tokenFor(mcpUrl)}` } });
    assert.equal(response.status, 401);
    const hello = await fetch(`${registry.issuer}/v1/hello`, { headers: { authorization: `Bearer ${await tokenFor()}` } });
    assert.equal(hello.status, 200);
  });

  it('the MCP SDK client lists and calls tools through the emulated gateway, with the claims at hand', async () => {
    const token = await tokenFor(mcpUrl);
    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcpUrl), { requestInit: { headers: { authorization: `Bearer ${token}` } } }),
    );
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['add', 'whoami']);
      const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 40 } });
      assert.deepEqual(sum.content, [{ type: 'text', text: '42' }]);
      const who = await client.callTool({ name: 'whoami', arguments: {} });
      const text = (who.content as { text: string }[])[0].text;
      assert.deepEqual(JSON.parse(text), { subject: registry.credentials.AcmeMonitoring.client_id, scopes: ['incidents.read'] });
    } finally {
      await client.close();
    }
  });

  it('status and the dashboard show the MCP server, its URL (its only audience) and its RFC 9728 document', async () => {
    const report = await collectOperatorReport(manifest, {
      secrets: registry.secrets,
      connections: [],
      source: 'local',
      issuer: registry.issuer,
    });
    const text = formatRegistrySections(report);
    assert.match(text, new RegExp(`Incidents +${mcpUrl} +incidents\\.read +${registry.issuer}/\\.well-known/oauth-protected-resource/mcp`));
    assert.match(text, new RegExp(`POST /mcp +incidents\\.read`));
    const html = renderDashboard(report, { live: false });
    assert.match(html, /<h2>MCP servers \(1\)<\/h2>/);
    assert.ok(html.includes(`<code>${mcpUrl}</code>`));
  });

  it('verify checks the MCP server: its RFC 9728 document, a token for it opening it, a registry token refused', async () => {
    const report = await verifyRegistry({
      issuer: registry.issuer,
      manifest,
      secretOf: async (c) => registry.credentials[c.name].client_secret,
    });
    const rowsOf = (check: string) => report.rows.filter((r) => r.check === check);
    assert.deepEqual(
      rowsOf('mcp-metadata').map((r) => [r.target, r.result]),
      [['Incidents', 'ok']],
    );
    assert.deepEqual(
      rowsOf('mcp-token').map((r) => [r.target, r.result]),
      [['Incidents', 'ok']],
    );
    const registryTokenAtMcp = rowsOf('route-token').find((r) => r.target === 'POST /mcp');
    assert.equal(registryTokenAtMcp?.result, 'ok');
    assert.match(registryTokenAtMcp.detail, /HTTP 401 \(expected 401/);
    assert.equal(report.summary.passed, true, JSON.stringify(report.rows.filter((r) => r.result === 'fail')));
  });
});
