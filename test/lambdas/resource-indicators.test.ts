/**
 * Resource indicators (RFC 8707) at the handler level: a registered resource becomes exactly the token's `aud`, on
 * every grant; an unknown resource or two of them are `invalid_target`; a code or refresh token keeps the resource
 * granted at authorization (naming it again is fine, another one is refused: no widening).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { pendingKey, type PendingItem } from '../../lambdas/authorization-server/endpoints/authorization-flow';
import { createAuthorizeEndpoint } from '../../lambdas/authorization-server/endpoints/authorize';
import { createResourceIndicators } from '../../lambdas/authorization-server/resource-indicators';
import { issueCode } from '../../lambdas/authorization-server/user-grants';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { silentLogger } from '../../lambdas/shared/log';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type ClientRegistration } from '../../lambdas/shared/manifest';
import { apiEvent, header, jsonBody, structured, tokenEvent } from '../../testing/events';
import { CLIENTS, ISSUER, createHarness, type Harness } from './fixtures';

const MCP_URL = `${ISSUER}/mcp`;
const ROUTE_AUDIENCE = 'https://reports.example.test';
const REDIRECT = 'https://app.example.test/cb';
const VERIFIER = 'v'.repeat(43);
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const SUB = 'https://login.example.test|alice';

const WEB: ClientRegistration & { secretId: string } = {
  name: 'Web',
  clientId: 'web-client',
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'client_secret_basic',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 600,
  active: true,
  secretId: 'test/clients/Web',
  secretRotationDays: 90,
  redirectUris: [REDIRECT],
};

let h: Harness;
let webSecret: string;
let basicSecret: string;

beforeEach(async () => {
  h = await createHarness({
    registrations: new ManifestRegistrationStore({ clients: [...Object.values(CLIENTS), WEB] }),
    config: { resources: [ROUTE_AUDIENCE], mcpServers: [{ name: 'Mcp', path: '/mcp', scopes: ['incidents.read'], resourceName: 'Mcp' }] },
  });
  h.secrets.createSecret(WEB.secretId, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: WEB.clientId });
  await h.rotate(WEB.secretId);
  webSecret = await h.secretOf(WEB);
  basicSecret = await h.secretOf(CLIENTS.basic);
});

async function token(form: Record<string, string> | string, client: ClientRegistration = CLIENTS.basic) {
  const secret = client === WEB ? webSecret : basicSecret;
  const result = await h.server.handle(tokenEvent(form, { basic: [client.clientId, secret] }));
  return { status: structured(result).statusCode, body: jsonBody(result), cacheControl: header(result, 'cache-control') };
}

const audOf = (body: Record<string, unknown>) => decodeJwt(body.access_token as string).aud;

describe('client_credentials with resource', () => {
  it("gives aud = exactly the requested resource: an MCP server URL, the client's own audience", async () => {
    for (const resource of [MCP_URL, CLIENTS.basic.audience!]) {
      const { status, body } = await token({ grant_type: 'client_credentials', resource });
      assert.equal(status, 200);
      assert.equal(audOf(body), resource);
    }
  });

  it("refuses another API's audience (a route's declared audience, the registry's) with invalid_target: not this client's", async () => {
    for (const resource of [ROUTE_AUDIENCE, ISSUER]) {
      const { status, body } = await token({ grant_type: 'client_credentials', resource });
      assert.equal(status, 400, resource);
      assert.equal(body.error, 'invalid_target');
      assert.match(String(body.error_description), /not one this client may obtain/);
    }
  });

  it('keeps the client audience without a resource', async () => {
    const { body } = await token({ grant_type: 'client_credentials' });
    assert.equal(audOf(body), CLIENTS.basic.audience);
  });

  it('refuses an unknown resource with invalid_target, and issues nothing', async () => {
    for (const resource of [`${ISSUER}/other`, `${MCP_URL}/`, 'https://evil.example/mcp', 'not a uri']) {
      const { status, body, cacheControl } = await token({ grant_type: 'client_credentials', resource });
      assert.equal(status, 400, resource);
      assert.equal(body.error, 'invalid_target');
      assert.equal(body.access_token, undefined);
      assert.equal(cacheControl, 'no-store');
    }
  });

  it('refuses two resources with invalid_target, even two registered ones', async () => {
    const form = `grant_type=client_credentials&resource=${encodeURIComponent(MCP_URL)}&resource=${encodeURIComponent(ROUTE_AUDIENCE)}`;
    const { status, body } = await token(form);
    assert.equal(status, 400);
    assert.equal(body.error, 'invalid_target');
  });
});

describe('authorization_code and refresh_token with resource', () => {
  const code = (resource?: string) =>
    issueCode(h.state, h.clock.now, {
      clientId: WEB.clientId,
      redirectUri: REDIRECT,
      codeChallenge: CHALLENGE,
      scope: 'incidents.read',
      sub: SUB,
      ...(resource !== undefined ? { resource } : {}),
    });
  const redeem = (value: string, form: Record<string, string> = {}) =>
    token({ grant_type: 'authorization_code', code: value, redirect_uri: REDIRECT, code_verifier: VERIFIER, ...form }, WEB);
  const refresh = (refreshToken: string, form: Record<string, string> = {}) =>
    token({ grant_type: 'refresh_token', refresh_token: refreshToken, ...form }, WEB);

  it('binds the code, and every refreshed token, to the resource granted at authorization', async () => {
    const first = await redeem(await code(MCP_URL), { resource: MCP_URL });
    assert.equal(first.status, 200);
    assert.equal(audOf(first.body), MCP_URL);
    const second = await refresh(first.body.refresh_token as string);
    assert.equal(second.status, 200);
    assert.equal(audOf(second.body), MCP_URL, 'no resource on refresh: the granted one');
    const third = await refresh(second.body.refresh_token as string, { resource: MCP_URL });
    assert.equal(third.status, 200);
    assert.equal(audOf(third.body), MCP_URL);
  });

  it('refuses a refresh that widens to another resource, and the token still works after', async () => {
    const { body } = await redeem(await code(MCP_URL));
    for (const resource of [ROUTE_AUDIENCE, ISSUER, 'https://unknown.example']) {
      const widened = await refresh(body.refresh_token as string, { resource });
      assert.equal(widened.status, 400, resource);
      assert.equal(widened.body.error, 'invalid_target');
    }
    const fine = await refresh(body.refresh_token as string);
    assert.equal(fine.status, 200, 'a refused widening does not use the refresh token up');
  });

  it('refuses a token request naming another resource than the code was granted for', async () => {
    const value = await code(MCP_URL);
    const other = await redeem(value, { resource: ROUTE_AUDIENCE });
    assert.equal(other.status, 400);
    assert.equal(other.body.error, 'invalid_target');
    const ok = await redeem(value);
    assert.equal(ok.status, 200, 'the refused request did not use the code up');
  });

  it('a code without resource gives the default audience, and cannot be widened to an MCP server', async () => {
    const widened = await redeem(await code(), { resource: MCP_URL });
    assert.equal(widened.body.error, 'invalid_target');
    const { body } = await redeem(await code());
    assert.equal(audOf(body), ISSUER);
    assert.equal((await refresh(body.refresh_token as string, { resource: MCP_URL })).body.error, 'invalid_target');
  });
});

describe('runtime-registered clients (client metadata documents, dynamic registration)', () => {
  const mcp = { name: 'Mcp', path: '/mcp', scopes: [], resourceName: 'Mcp' };
  const runtimeClients = [{ clientId: 'https://app.example.test/client.json' }, { clientId: 'dcr-AAAAAAAAAAAAAAAAAAAAAA' }];

  it("get the only MCP server without resource, and never the registry's audience", () => {
    const resources = createResourceIndicators({ issuer: ISSUER, mcpServers: [mcp] });
    for (const client of runtimeClients) {
      assert.equal(resources.audienceFor(client, undefined), MCP_URL);
      assert.equal(resources.audienceForGrant(client, undefined, undefined), MCP_URL);
      assert.throws(() => resources.audienceFor(client, ISSUER), { error: 'invalid_target' });
    }
  });

  it('must name the MCP server when there is not exactly one', () => {
    for (const mcpServers of [[], [mcp, { ...mcp, name: 'Two', path: '/two' }]]) {
      const resources = createResourceIndicators({ issuer: ISSUER, mcpServers });
      for (const client of runtimeClients) assert.throws(() => resources.audienceFor(client, undefined), { error: 'invalid_target' });
    }
  });
});

describe('authorize with resource', () => {
  let pendingId = '';
  const authorize = createAuthorizeEndpoint({
    issuer: ISSUER,
    get state() {
      return h.state;
    },
    get clock() {
      return h.clock.now;
    },
    registrations: new ManifestRegistrationStore({ clients: [WEB] }),
    upstream: {
      authorizationUrl: async ({ state }) => ((pendingId = state), 'https://login.example.test/authorize'),
      finish: () => Promise.reject(new Error('unused')),
    },
    resources: createResourceIndicators({ issuer: ISSUER, mcpServers: [{ name: 'Mcp', path: '/mcp', scopes: [], resourceName: 'Mcp' }] }),
    log: silentLogger,
  });
  const query = (extra: string) =>
    `response_type=code&client_id=${WEB.clientId}&redirect_uri=${encodeURIComponent(REDIRECT)}&code_challenge=${CHALLENGE}` +
    `&code_challenge_method=S256&state=s1${extra}`;
  const send = async (extra: string) => structured(await authorize(apiEvent({ path: '/oauth2/authorize', query: query(extra) })));

  it('keeps a registered resource with the pending request', async () => {
    const result = await send(`&resource=${encodeURIComponent(MCP_URL)}`);
    assert.equal(result.statusCode, 302);
    const pending = await h.state.get<PendingItem>(pendingKey(pendingId));
    assert.equal(pending?.resource, MCP_URL);
  });

  for (const [name, extra] of [
    ['an unknown resource', `&resource=${encodeURIComponent('https://evil.example/mcp')}`],
    ['two resources', `&resource=${encodeURIComponent(MCP_URL)}&resource=${encodeURIComponent(ISSUER)}`],
  ] as const) {
    it(`answers ${name} with invalid_target at the redirect URI, with iss and state`, async () => {
      const result = await send(extra);
      assert.equal(result.statusCode, 303);
      const location = new URL(String(result.headers?.location ?? result.headers?.Location));
      assert.equal(location.origin + location.pathname, REDIRECT);
      assert.equal(location.searchParams.get('error'), 'invalid_target');
      assert.equal(location.searchParams.get('iss'), ISSUER);
      assert.equal(location.searchParams.get('state'), 's1');
    });
  }
});
