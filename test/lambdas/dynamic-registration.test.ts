/**
 * Dynamic client registration (RFC 7591) at the handler level: public or private_key_jwt clients only, 4 KiB at most,
 * a bound per hour, registrations that expire when unused (and live on while used), listed for `status`.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { recentRegistrations } from '../../lambdas/authorization-server/endpoints/register';
import { issueCode } from '../../lambdas/authorization-server/user-grants';
import type { DynamicClientRegistrationSettings } from '../../lambdas/shared/client-registration-settings';
import { apiEvent, header, jsonBody, structured, tokenEvent } from '../../testing/events';
import { ISSUER, createHarness, type Harness } from './fixtures';

const SETTINGS: DynamicClientRegistrationSettings = {
  registrationsPerHour: 3,
  unusedExpirySecs: 30 * 86_400,
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 600,
};
const REDIRECT = 'http://127.0.0.1/callback';
const VERIFIER = 'v'.repeat(43);
const USER_AUTH = { issuer: 'https://login.example.test', clientId: 'x', scopes: ['openid'], secretId: 's' };
const MCP_SERVER = { name: 'Mcp', path: '/mcp', scopes: ['incidents.read'], resourceName: 'Mcp' };

let h: Harness;
beforeEach(async () => {
  h = await createHarness({ config: { dynamicClientRegistration: SETTINGS, userAuthentication: USER_AUTH, mcpServers: [MCP_SERVER] } });
});

/** Registers from `sourceIp`: by default a new address each call, so only the hourly bound applies. */
let addresses = 0;
async function register(metadata: unknown, harness = h, sourceIp = `203.0.113.${++addresses % 250}`) {
  const body = typeof metadata === 'string' ? metadata : JSON.stringify(metadata);
  const event = apiEvent({ method: 'POST', path: '/oauth2/register', headers: { 'content-type': 'application/json' }, body });
  const result = await harness.server.handle({
    ...event,
    requestContext: { ...event.requestContext, http: { ...event.requestContext.http, sourceIp } },
  });
  return { status: structured(result).statusCode, body: jsonBody(result), result };
}
const client = (overrides: Record<string, unknown> = {}) => ({ client_name: 'Some MCP client', redirect_uris: [REDIRECT], ...overrides });

/** Signs `clientId`'s user in (a code as the consent step issues it) and redeems it as a public client. */
async function useClient(clientId: string, extra: Record<string, string> = {}) {
  const code = await issueCode(h.state, h.clock.now, {
    ...(extra.resource ? { resource: extra.resource } : {}),
    clientId,
    redirectUri: 'http://127.0.0.1:40000/callback',
    codeChallenge: createHash('sha256').update(VERIFIER).digest('base64url'),
    scope: 'incidents.read',
    sub: 'https://login.example.test|alice',
  });
  const form = {
    grant_type: 'authorization_code',
    code,
    redirect_uri: 'http://127.0.0.1:40000/callback',
    code_verifier: VERIFIER,
    client_id: clientId,
    ...extra,
  };
  const result = await h.server.handle(tokenEvent(form));
  return { status: structured(result).statusCode, body: jsonBody(result) };
}

describe('dynamic client registration', () => {
  it('registers a public client (no secret) that can then redeem a code', async () => {
    const { status, body } = await register(client());
    assert.equal(status, 201);
    assert.match(String(body.client_id), /^dcr-[A-Za-z0-9_-]{22}$/);
    assert.equal(body.token_endpoint_auth_method, 'none');
    assert.equal(body.client_secret, undefined);
    assert.deepEqual(body.redirect_uris, [REDIRECT]);
    const used = await useClient(String(body.client_id));
    assert.equal(used.status, 200, JSON.stringify(used.body));
    assert.equal(decodeJwt(String(used.body.access_token)).client_id, body.client_id);
  });

  it("gets tokens for the MCP server only: the only one without resource, never the registry's audience", async () => {
    const clientId = String((await register(client())).body.client_id);
    const used = await useClient(clientId);
    assert.equal(used.status, 200, JSON.stringify(used.body));
    assert.equal(decodeJwt(String(used.body.access_token)).aud, `${ISSUER}/mcp`);
    const registry = await useClient(clientId, { resource: ISSUER });
    assert.equal(registry.status, 400);
    assert.equal(registry.body.error, 'invalid_target');
  });

  it('names no default resource when there are two MCP servers: invalid_target', async () => {
    const other = { ...MCP_SERVER, name: 'Other', path: '/other-mcp', resourceName: 'Other' };
    h = await createHarness({
      config: { dynamicClientRegistration: SETTINGS, userAuthentication: USER_AUTH, mcpServers: [MCP_SERVER, other] },
    });
    const clientId = String((await register(client())).body.client_id);
    const used = await useClient(clientId);
    assert.equal(used.status, 400);
    assert.equal(used.body.error, 'invalid_target');
    const named = await useClient(clientId, { resource: `${ISSUER}/other-mcp` });
    assert.equal(named.status, 200, JSON.stringify(named.body));
  });

  it('strips control characters and bidi overrides from client_name; without a name the client id stands in', async () => {
    const spoofed = await register(client({ client_name: '\u202eppA detsurT\u202c\u0007\n\u0085 Tools\u2066' }));
    assert.equal(spoofed.status, 201);
    assert.equal(spoofed.body.client_name, 'ppA detsurT Tools');
    const unnamed = await register(client({ client_name: '\u202e\u0000 ' }));
    assert.equal(unnamed.status, 201, JSON.stringify(unnamed.body));
    assert.equal(unnamed.body.client_name, unnamed.body.client_id);
    const nameless = await register({ redirect_uris: [REDIRECT] });
    assert.equal(nameless.status, 201, JSON.stringify(nameless.body));
  });

  it('refuses a shared secret, a secret method, other grants, bad redirect URIs and oversize metadata', async () => {
    for (const metadata of [
      client({ token_endpoint_auth_method: 'client_secret_basic' }),
      client({ client_secret: 'x' }),
      client({ grant_types: ['client_credentials'] }),
      client({ redirect_uris: ['http://app.example/cb'] }),
      client({ redirect_uris: [] }),
      client({ padding: 'x'.repeat(5000) }),
      'not json',
      [],
    ]) {
      const { status, body } = await register(metadata);
      assert.equal(status, 400, JSON.stringify(metadata).slice(0, 80));
      assert.equal(body.error, 'invalid_client_metadata');
    }
  });

  it('accepts at most registrationsPerHour per clock hour (503 with Retry-After), then again the next hour', async () => {
    h.clock.nowMs = Date.UTC(2025, 0, 1, 10, 0, 0);
    for (let i = 0; i < 3; i++) assert.equal((await register(client(), h, `203.0.113.${10 + i}`)).status, 201);
    const refused = await register(client(), h, '203.0.113.20');
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error, 'temporarily_unavailable');
    assert.equal(header(refused.result, 'retry-after'), '3600');
    h.clock.advance(3600);
    assert.equal((await register(client())).status, 201);
    const recent = await recentRegistrations(h.state, h.clock.now());
    assert.equal(recent.length, 4, 'status lists the last day of registrations');
    assert.equal(recent[0].name, 'Some MCP client');
  });

  it('lets one source address take a quarter of the hour (at least one), so it cannot use up the hour for others', async () => {
    h = await createHarness({
      config: {
        dynamicClientRegistration: { ...SETTINGS, registrationsPerHour: 8 },
        userAuthentication: USER_AUTH,
        mcpServers: [MCP_SERVER],
      },
    });
    h.clock.nowMs = Date.UTC(2025, 0, 1, 10, 0, 0);
    for (let i = 0; i < 2; i++) assert.equal((await register(client(), h, '198.51.100.7')).status, 201);
    const refused = await register(client(), h, '198.51.100.7');
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error, 'temporarily_unavailable');
    for (let i = 0; i < 2; i++) assert.equal((await register(client(), h, '198.51.100.8')).status, 201, 'another address still registers');
    h.clock.advance(3600);
    assert.equal((await register(client(), h, '198.51.100.7')).status, 201, 'the next hour, again');
  });

  it('expires a registration left unused, and keeps one in use alive', async () => {
    const unused = String((await register(client())).body.client_id);
    const used = String((await register(client())).body.client_id);
    h.clock.advance(20 * 86_400);
    assert.equal((await useClient(used)).status, 200);
    h.clock.advance(11 * 86_400);
    assert.equal((await useClient(unused)).body.error, 'invalid_client', 'unused for 31 days: gone');
    assert.equal((await useClient(used)).status, 200, 'used 11 days ago: alive');
  });

  it('is closed (404) unless the registry opens it; metadata names the endpoint only when open', async () => {
    const closed = await createHarness();
    assert.equal((await register(client(), closed)).status, 404);
    const metadata = async (harness: Harness) =>
      jsonBody(await harness.server.handle(apiEvent({ path: '/.well-known/oauth-authorization-server' })));
    assert.equal((await metadata(h)).registration_endpoint, `${ISSUER}/oauth2/register`);
    assert.equal((await metadata(closed)).registration_endpoint, undefined);
  });
});
