/**
 * The MCP authorization flow end to end, with the official MCP TypeScript SDK as the client: it connects to an MCP
 * server declared with `addMcpServer` in local mode, gets 401, discovers the RFC 9728 document and the authorization
 * server's metadata, uses a Client ID Metadata Document (served over HTTPS on loopback with a certificate made here),
 * the user signs in at an upstream OpenID provider (oidc-provider) and consents, the code is redeemed for a token whose
 * `aud` is the MCP server, and `tools/list` and `tools/call` go through the emulated gateway.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { OAuthClientProvider } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { OAuthClientInformationMixed, OAuthClientMetadata, OAuthTokens } from '@modelcontextprotocol/sdk/shared/auth.js';
import { decodeJwt } from 'jose';
import { generate } from 'selfsigned';
import { startLocalRegistry, type LocalRegistry } from '../../bin/local/local-registry';
import { localStatePaths } from '../../bin/local/local-state';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import type { FetchLimits } from '../../lambdas/shared/bounded-fetch';
import { signIn as browserSignIn, upstreamOidcProvider } from '../../testing/browser-sign-in';
import { MCP_APP_DIR, mcpAppManifest } from '../../testing/mcp-app';

const UPSTREAM_CLIENT_ID = 'mcp-app';
const UPSTREAM_SECRET = 'upstream-secret-0123456789abcdef0123456789abcdef';
const USER = 'alice';
const REDIRECT_URI = 'http://127.0.0.1:53999/callback';

/** A fetch that trusts `ca` only (the test's own certificate), within the limits it is given; never used in production. */
function fetchTrusting(ca: string) {
  return (limits: FetchLimits): typeof fetch =>
    async (input: string | URL | Request) =>
      new Promise<Response>((resolve, reject) => {
        const req = httpsRequest(
          new URL(String(input instanceof Request ? input.url : input)),
          { ca, timeout: limits.timeoutMs },
          (res) => {
            const chunks: Buffer[] = [];
            let size = 0;
            res.on('data', (chunk: Buffer) => {
              size += chunk.length;
              if (size > limits.maxBytes) req.destroy(new Error('response too large'));
              else chunks.push(chunk);
            });
            res.on('end', () => {
              const headers = new Headers();
              for (const [name, value] of Object.entries(res.headers)) if (typeof value === 'string') headers.set(name, value);
              resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500, headers }));
            });
          },
        );
        req.on('error', reject);
        req.end();
      });
}

/** Follows `start` through sign-in and our consent page (testing/browser-sign-in.ts) to `landing`; returns both. */
async function signIn(start: URL, landing: string): Promise<{ location: URL; consentPage: string }> {
  const { location, consentPage } = await browserSignIn(start, { redirectUri: landing, user: USER });
  assert.ok(consentPage, 'our consent page was shown');
  return { location, consentPage };
}

/** An MCP client's OAuth state, in memory; the authorization URL it is sent to is kept for the test's browser. */
class MemoryOAuthProvider implements OAuthClientProvider {
  authorizationUrl?: URL;
  information?: OAuthClientInformationMixed;
  saved?: OAuthTokens;
  verifier = '';
  constructor(readonly clientMetadataUrl: string | undefined) {}
  get redirectUrl() {
    return REDIRECT_URI;
  }
  get clientMetadata(): OAuthClientMetadata {
    return {
      client_name: 'E2E MCP client',
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() {
    return this.information;
  }
  saveClientInformation(information: OAuthClientInformationMixed) {
    this.information = information;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokens) {
    this.saved = tokens;
  }
  redirectToAuthorization(url: URL) {
    this.authorizationUrl = url;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
}

const listen = (server: Server | HttpsServer) =>
  new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

describe('MCP SDK client → addMcpServer in local mode, authorized by the registry', () => {
  let upstreamServer: Server;
  let documentServer: HttpsServer;
  let registry: LocalRegistry;
  let clientId: string;
  let mcpUrl: string;

  before(async () => {
    upstreamServer = createServer();
    const upstreamIssuer = `http://127.0.0.1:${await listen(upstreamServer)}`;
    const pems = await generate([{ name: 'commonName', value: '127.0.0.1' }], {
      keySize: 2048,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }] }],
    });
    documentServer = createHttpsServer({ key: pems.private, cert: pems.cert });
    clientId = `https://127.0.0.1:${await listen(documentServer)}/mcp-client.json`;
    documentServer.on('request', (req, res) => {
      if (req.url !== '/mcp-client.json') return void res.writeHead(404).end();
      const document = {
        client_id: clientId,
        client_name: 'E2E MCP client',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
      };
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' }).end(JSON.stringify(document));
    });

    const manifest = mcpAppManifest(upstreamIssuer);
    const stateDir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-state-'));
    const store = new LocalSecretStore(localStatePaths(stateDir).secrets);
    store.createSecret(manifest.userAuthentication!.secretId, {}, { rotationEnabled: false });
    await store.putSecretValue(manifest.userAuthentication!.secretId, randomUUID(), UPSTREAM_SECRET, ['AWSCURRENT']);
    registry = await startLocalRegistry({
      manifest,
      appDir: MCP_APP_DIR,
      stateDir,
      port: 0,
      clientMetadataFetchFor: fetchTrusting(pems.cert),
    });
    mcpUrl = `${registry.issuer}/mcp`;

    upstreamServer.on(
      'request',
      await upstreamOidcProvider(upstreamIssuer, [
        { clientId: UPSTREAM_CLIENT_ID, secret: UPSTREAM_SECRET, callbackUrl: `${registry.issuer}/oauth2/callback` },
      ]),
    );
  });

  after(async () => {
    await registry?.close();
    for (const server of [upstreamServer, documentServer]) {
      server?.closeAllConnections();
      await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    }
  });

  /** 401 → RFC 9728 → metadata → (CIMD or DCR) → sign-in and consent → code → token for the server → tools. */
  async function connectAndCall(auth: MemoryOAuthProvider, expectedClientId: (id: string) => boolean) {
    const first = new Client({ name: 'e2e', version: '1.0.0' });
    await assert.rejects(first.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: auth })), /Unauthorized/);
    const authorizationUrl = auth.authorizationUrl!;
    assert.ok(authorizationUrl, 'the SDK was sent to our authorization endpoint');
    assert.equal(authorizationUrl.origin + authorizationUrl.pathname, `${registry.issuer}/oauth2/authorize`);
    assert.ok(expectedClientId(authorizationUrl.searchParams.get('client_id')!), authorizationUrl.searchParams.get('client_id')!);
    assert.equal(authorizationUrl.searchParams.get('resource'), mcpUrl);

    const { location, consentPage } = await signIn(authorizationUrl, REDIRECT_URI);
    assert.match(consentPage, /E2E MCP client/);
    assert.match(consentPage, /<strong>127\.0\.0\.1:53999<\/strong>/, 'the consent page names where the code goes');
    assert.ok(consentPage.includes(`<strong>Incidents</strong> at <code>${mcpUrl}</code>`), 'and the MCP server the token is for');
    assert.equal(location.searchParams.get('iss'), registry.issuer);
    const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: auth });
    await transport.finishAuth(location.searchParams.get('code')!);
    assert.equal(decodeJwt(auth.saved!.access_token).aud, mcpUrl);

    const client = new Client({ name: 'e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(mcpUrl), { authProvider: auth }));
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['add', 'whoami']);
      const who = await client.callTool({ name: 'whoami', arguments: {} });
      const { subject } = JSON.parse((who.content as { text: string }[])[0].text) as { subject: string };
      assert.match(subject, new RegExp(`\\|${USER}$`), 'the tool sees the signed-in user');
      assert.deepEqual((await client.callTool({ name: 'add', arguments: { a: 1, b: 2 } })).content, [{ type: 'text', text: '3' }]);
    } finally {
      await client.close();
    }
  }

  it('through a Client ID Metadata Document: 401, RFC 9728, metadata, sign-in and consent, code, token for the server, tools', async () => {
    await connectAndCall(new MemoryOAuthProvider(clientId), (id) => id === clientId);
  });

  it('through dynamic client registration, for a client without a metadata document', async () => {
    const auth = new MemoryOAuthProvider(undefined);
    await connectAndCall(auth, (id) => /^dcr-/.test(id));
    assert.equal(auth.information?.client_secret, undefined, 'a public client: no secret was issued');
  });
});
