/**
 * verify's `mcp-token` check: a real token asked for with the MCP server's URL as `resource` opens the MCP test app's
 * server (served locally); an authorization server that ignores `resource` fails the row.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SignJWT, generateKeyPair } from 'jose';
import { startLocalRegistry, type LocalRegistry } from '../../bin/local/local-registry';
import { checkMcpToken } from '../../bin/verify/checks/mcp-token';
import { timedGet } from '../../bin/verify/http-get';
import { tokenSource } from '../../bin/verify/tokens';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { MCP_APP_DIR, mcpAppManifest } from '../../testing/mcp-app';
import { contextOf, sendJson, serve, withToken, type Served } from './fixture';

describe('verify check mcp-token', () => {
  let manifest: RegistryManifest;
  let registry: LocalRegistry;
  let ignoring: Served;
  const requests: string[] = [];

  before(async () => {
    manifest = mcpAppManifest();
    registry = await startLocalRegistry({
      manifest,
      appDir: MCP_APP_DIR,
      stateDir: mkdtempSync(path.join(tmpdir(), 'verify-mcp-')),
      port: 0,
    });
    // An authorization server that ignores RFC 8707's `resource`: its tokens always carry its own audience.
    const { privateKey } = await generateKeyPair('RS256');
    ignoring = await serve((_req, res, url, body) => {
      requests.push(`${url.pathname} ${body}`);
      if (url.pathname !== '/oauth2/token') return sendJson(res, 404, { message: 'Not Found' });
      void new SignJWT({ scope: 'incidents.read' })
        .setProtectedHeader({ alg: 'RS256', kid: 'k' })
        .setIssuer(ignoring.url)
        .setAudience(ignoring.url)
        .setExpirationTime('5m')
        .sign(privateKey)
        .then((token) => sendJson(res, 200, { access_token: token, token_type: 'Bearer', scope: 'incidents.read' }));
    });
  });
  after(() => Promise.all([registry?.close(), ignoring?.close()]));

  it('ok on a registry: the token carries exactly the server URL and initialize is answered', async () => {
    const context = await withToken(await contextOf(registry, manifest), 'AcmeMonitoring');
    const row = await checkMcpToken(context, manifest.mcpServers![0]);
    const url = `${registry.issuer}/mcp`;
    assert.deepEqual(
      { ...row },
      {
        check: 'mcp-token',
        target: 'Incidents',
        result: 'ok',
        detail: `AcmeMonitoring's token for resource ${url} (aud exactly it): initialize answered HTTP 200 (expected not 401/403)`,
      },
    );
  });

  it('fail when the authorization server ignores resource; skip without a token', async () => {
    const get = timedGet(10_000);
    const client = manifest.clients[0];
    const tokens = tokenSource({ get, endpoint: `${ignoring.url}/oauth2/token`, secretOf: async () => 'secret', hidden: new Set() });
    const context = { issuer: ignoring.url, get, tokens, primary: { client, token: 'unused', scopes: ['incidents.read'] } };
    const row = await checkMcpToken(context, manifest.mcpServers![0]);
    assert.deepEqual([row.result, row.detail], ['fail', `resource=${ignoring.url}/mcp gave aud ${ignoring.url}`]);
    assert.deepEqual(requests, [`/oauth2/token grant_type=client_credentials&resource=${encodeURIComponent(`${ignoring.url}/mcp`)}`]);
    const { primary: _, ...tokenless } = context;
    assert.deepEqual(
      { ...(await checkMcpToken(tokenless, manifest.mcpServers![0])) },
      {
        check: 'mcp-token',
        target: 'Incidents',
        result: 'skip',
        detail: 'no token',
      },
    );
  });
});
