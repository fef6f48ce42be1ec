/**
 * Audience is a boundary (local mode's JWT authorizer emulation): a route accepts the audiences it declares, else only
 * the registry's own; a token minted for another API (a client declared with its own `audience`) opens no other route.
 * Real tokens from the local token endpoint, real requests to the routes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { LocalRegistry } from '../../bin/local/local-registry';
import type { ClientRegistration, RegistryManifest, RouteRegistration } from '../../lambdas/shared/manifest';
import { basic, exampleManifest, startExample, tokenRequest } from './fixture';

const OTHER_API = 'https://other-api.example';

const OTHER_CLIENT: ClientRegistration = {
  name: 'OtherApiJob',
  clientId: 'other-api-job',
  grantTypes: ['client_credentials'],
  authMethod: 'client_secret_basic',
  scopes: ['incidents.read'],
  audience: OTHER_API,
  accessTokenTtlSecs: 300,
  active: true,
  secretId: 'incident-api/clients/OtherApiJob',
  secretRotationDays: 90,
};

const handler = { entry: 'lambdas/examples/hello.ts', exportName: 'handler' };
const OTHER_ROUTE: RouteRegistration = { routeKey: 'GET /v2/other', scopes: ['incidents.read'], handler, audiences: [OTHER_API] };

describe('local JWT authorizer: audiences per route', () => {
  let registry: LocalRegistry;

  const tokenFor = async (name: string): Promise<string> => {
    const { client_id, client_secret } = registry.credentials[name];
    const form = { grant_type: 'client_credentials' };
    const { status, body } = await tokenRequest(registry, form, { authorization: basic(client_id, client_secret) });
    assert.equal(status, 200, JSON.stringify(body));
    return String(body.access_token);
  };
  const call = (path: string, token: string) => fetch(`${registry.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

  before(async () => {
    const example = exampleManifest();
    const manifest: RegistryManifest = {
      ...example,
      clients: [...example.clients, OTHER_CLIENT],
      routes: [...example.routes, OTHER_ROUTE],
    };
    registry = await startExample({ manifest });
  });
  after(() => registry.close());

  it('a token minted for another API is refused (401) on a route that does not name its audience', async () => {
    const token = await tokenFor('OtherApiJob');
    assert.equal(decodeJwt(token).aud, OTHER_API);
    const response = await call('/v1/hello', token);
    assert.equal(response.status, 401);
    assert.match(response.headers.get('www-authenticate') ?? '', /invalid_token.*audience is not accepted/);
  });

  it('the route that names that audience accepts it', async () => {
    const response = await call('/v2/other', await tokenFor('OtherApiJob'));
    assert.equal(response.status, 200);
    assert.equal(((await response.json()) as { client_id: string }).client_id, OTHER_CLIENT.clientId);
  });

  it("a route without audiences accepts the registry's own audience (the issuer here)", async () => {
    const token = await tokenFor('AcmeMonitoring');
    assert.equal(decodeJwt(token).aud, registry.issuer);
    assert.equal((await call('/v1/hello', token)).status, 200);
  });

  it("a declared list replaces the default: the registry's own audience is refused where the route names others only", async () => {
    assert.equal((await call('/v2/other', await tokenFor('AcmeMonitoring'))).status, 401);
  });
});
