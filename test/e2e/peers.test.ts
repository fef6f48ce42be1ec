/**
 * Peers no one here wrote get tokens from the local server using discovery, and call the protected route.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { startExample } from './fixture';

describe('external clients against the local server', () => {
  let registry: LocalRegistry;
  before(async () => {
    registry = await startExample();
  });
  after(() => registry.close());

  const acme = () => registry.credentials.AcmeMonitoring;
  const reporting = () => registry.credentials.ReportingJob;

  it('openid-client discovers the server and completes client_credentials (client_secret_basic)', async () => {
    const config = await client.discovery(new URL(registry.issuer), acme().client_id, acme().client_secret, client.ClientSecretBasic(), {
      execute: [client.allowInsecureRequests],
    });
    assert.equal(config.serverMetadata().token_endpoint, `${registry.issuer}/oauth2/token`);
    const tokens = await client.clientCredentialsGrant(config, { scope: 'incidents.read' });
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'incidents.read');
    assert.ok(tokens.expires_in! > 0 && tokens.expires_in! <= 900);

    const { payload, protectedHeader } = await jwtVerify(
      tokens.access_token,
      createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!)),
      {
        issuer: registry.issuer,
        algorithms: ['RS256'],
        typ: 'at+jwt',
      },
    );
    assert.equal(protectedHeader.alg, 'RS256');
    assert.ok(protectedHeader.kid);
    assert.equal(payload.client_id, acme().client_id);
    assert.equal(payload.sub, acme().client_id);
    assert.equal(payload.scope, 'incidents.read');
    assert.ok(payload.jti && payload.iat && payload.exp);
  });

  it('oauth4webapi discovers the server and completes client_credentials (client_secret_post)', async () => {
    const issuer = new URL(registry.issuer);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
    );
    const c: oauth.Client = { client_id: reporting().client_id };
    const response = await oauth.clientCredentialsGrantRequest(
      as,
      c,
      oauth.ClientSecretPost(reporting().client_secret),
      new URLSearchParams(),
      {
        [oauth.allowInsecureRequests]: true,
      },
    );
    const tokens = await oauth.processClientCredentialsResponse(as, c, response);
    assert.equal(tokens.scope, 'reports.read');
    assert.equal(tokens.expires_in, 300);
    // oauth4webapi validates RFC 9068 access tokens the way a resource server would.
    const request = new Request('http://resource.example/', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const claims = await oauth.validateJwtAccessToken(as, request, registry.issuer, {
      [oauth.allowInsecureRequests]: true,
    });
    assert.equal(claims.client_id, reporting().client_id);
  });

  describe('GET /v1/hello behind the JWT authorizer', () => {
    const hello = (authorization?: string) => fetch(`${registry.url}/v1/hello`, { headers: authorization ? { authorization } : {} });

    it('answers 401 without a token', async () => {
      const response = await hello();
      assert.equal(response.status, 401);
      assert.deepEqual(await response.json(), { message: 'Unauthorized' });
    });

    it('answers 401 for a token that is not ours', async () => {
      const response = await hello('Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
      assert.equal(response.status, 401);
    });

    it('answers 403 for a token without incidents.read', async () => {
      const issuer = new URL(registry.issuer);
      const as = await oauth.processDiscoveryResponse(
        issuer,
        await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true }),
      );
      const c = { client_id: reporting().client_id };
      const tokens = await oauth.processClientCredentialsResponse(
        as,
        c,
        await oauth.clientCredentialsGrantRequest(as, c, oauth.ClientSecretPost(reporting().client_secret), new URLSearchParams(), {
          [oauth.allowInsecureRequests]: true,
        }),
      );
      const response = await hello(`Bearer ${tokens.access_token}`);
      assert.equal(response.status, 403);
      assert.deepEqual(await response.json(), { message: 'Forbidden' });
    });

    it('answers 200 with incidents.read and shows the verified claims to the handler', async () => {
      const config = await client.discovery(new URL(registry.issuer), acme().client_id, acme().client_secret, client.ClientSecretBasic(), {
        execute: [client.allowInsecureRequests],
      });
      const tokens = await client.clientCredentialsGrant(config);
      assert.equal(tokens.scope, 'incidents.read incidents.write');
      const response = await hello(`Bearer ${tokens.access_token}`);
      assert.equal(response.status, 200);
      assert.deepEqual(await response.json(), {
        message: `hello, ${acme().client_id}`,
        client_id: acme().client_id,
        scopes: ['incidents.read', 'incidents.write'],
      });
    });
  });
});
