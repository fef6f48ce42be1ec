/**
 * Bad input at the token endpoint, through real HTTP on the local server: the RFC 6749 §5.2 error, the right status,
 * no-store, and never a 5xx for a client's mistake.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { basic, exampleManifest, startExample, tokenRequest } from './fixture';

describe('token endpoint rejects bad input over HTTP', () => {
  let registry: LocalRegistry;
  before(async () => {
    const manifest = exampleManifest();
    // The example app plus a deactivated copy of AcmeMonitoring, to prove an inactive client gets no token.
    const acme = manifest.clients.find((c) => c.name === 'AcmeMonitoring')!;
    registry = await startExample({
      manifest: {
        ...manifest,
        clients: [
          ...manifest.clients,
          { ...acme, name: 'Retired', clientId: 'retired-client', secretId: `${acme.secretId}-retired`, active: false },
        ],
      },
    });
  });
  after(() => registry.close());

  const acmeBasic = () => basic(registry.credentials.AcmeMonitoring.client_id, registry.credentials.AcmeMonitoring.client_secret);

  async function expectError(response: Awaited<ReturnType<typeof tokenRequest>>, status: number, error: string): Promise<void> {
    assert.equal(response.status, status, JSON.stringify(response.body));
    assert.equal(response.body.error, error);
    assert.equal(typeof response.body.error_description, 'string');
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    assert.equal(response.body.access_token, undefined);
    if (status === 401) assert.match(response.headers.get('www-authenticate') ?? '', /^Basic realm=/);
  }

  it('missing grant_type → 400 invalid_request', async () => {
    await expectError(await tokenRequest(registry, { scope: 'incidents.read' }, { authorization: acmeBasic() }), 400, 'invalid_request');
  });

  it('duplicate grant_type → 400 invalid_request', async () => {
    await expectError(
      await tokenRequest(registry, 'grant_type=client_credentials&grant_type=client_credentials', { authorization: acmeBasic() }),
      400,
      'invalid_request',
    );
  });

  it('unknown grant_type → 400 unsupported_grant_type', async () => {
    await expectError(
      await tokenRequest(registry, { grant_type: 'password' }, { authorization: acmeBasic() }),
      400,
      'unsupported_grant_type',
    );
  });

  it('wrong secret → 401 invalid_client', async () => {
    const { client_id } = registry.credentials.AcmeMonitoring;
    await expectError(
      await tokenRequest(registry, { grant_type: 'client_credentials' }, { authorization: basic(client_id, 'wrong') }),
      401,
      'invalid_client',
    );
  });

  it('unknown client → 401 invalid_client', async () => {
    await expectError(
      await tokenRequest(registry, { grant_type: 'client_credentials' }, { authorization: basic('nobody', 'x') }),
      401,
      'invalid_client',
    );
  });

  it('inactive client with its right secret → 401 invalid_client', async () => {
    const { client_id, client_secret } = registry.credentials.Retired;
    await expectError(
      await tokenRequest(registry, { grant_type: 'client_credentials' }, { authorization: basic(client_id, client_secret) }),
      401,
      'invalid_client',
    );
  });

  it('two authentication methods at once → 401 invalid_client', async () => {
    const { client_id, client_secret } = registry.credentials.AcmeMonitoring;
    await expectError(
      await tokenRequest(registry, { grant_type: 'client_credentials', client_id, client_secret }, { authorization: acmeBasic() }),
      401,
      'invalid_client',
    );
  });

  it('a client_secret_basic client sending its secret in the body → 401 invalid_client', async () => {
    const { client_id, client_secret } = registry.credentials.AcmeMonitoring;
    await expectError(await tokenRequest(registry, { grant_type: 'client_credentials', client_id, client_secret }), 401, 'invalid_client');
  });

  it("scope outside the client's → 400 invalid_scope", async () => {
    await expectError(
      await tokenRequest(
        registry,
        { grant_type: 'client_credentials', scope: 'incidents.read reports.read' },
        { authorization: acmeBasic() },
      ),
      400,
      'invalid_scope',
    );
  });

  it('non-form body → 400 invalid_request', async () => {
    await expectError(
      await tokenRequest(registry, JSON.stringify({ grant_type: 'client_credentials' }), {
        authorization: acmeBasic(),
        'content-type': 'application/json',
      }),
      400,
      'invalid_request',
    );
  });

  it('oversized body → 400 invalid_request', async () => {
    await expectError(
      await tokenRequest(registry, { grant_type: 'client_credentials', padding: 'x'.repeat(64 * 1024) }, { authorization: acmeBasic() }),
      400,
      'invalid_request',
    );
  });

  it('bad Basic encoding → 400 invalid_request', async () => {
    await expectError(
      await tokenRequest(registry, { grant_type: 'client_credentials' }, { authorization: 'Basic %%%not-base64' }),
      400,
      'invalid_request',
    );
    await expectError(
      await tokenRequest(
        registry,
        { grant_type: 'client_credentials' },
        { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` },
      ),
      400,
      'invalid_request',
    );
  });

  it('after all of that, the client still gets a token (nothing was lost)', async () => {
    const response = await tokenRequest(registry, { grant_type: 'client_credentials' }, { authorization: acmeBasic() });
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.body.token_type, 'Bearer');
  });
});
