/**
 * Peers no one here wrote authenticate with `private_key_jwt` against the local server, and exchange a user assertion
 * with the JWT bearer grant: the registry is declared with the constructs, its manifest served by local mode.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { startLocalRegistry, type LocalRegistry } from '../../bin/local/local-registry';
import { CLIENT_ASSERTION_TYPE } from '../../lambdas/authorization-server/client-assertion';
import { JWT_BEARER_GRANT_TYPE } from '../../lambdas/shared/manifest';
import { ClientAuth, GrantType } from '../../lib';
import { signAssertion, testKey, type TestKey } from '../helpers/assertions';
import { fixture } from '../lib/helpers';
import { repoRoot, tokenRequest } from './fixture';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

describe('private_key_jwt and the JWT bearer grant against the local server', () => {
  let registry: LocalRegistry;
  let clientKey: TestKey;
  let idpKey: TestKey;

  before(async () => {
    [clientKey, idpKey] = await Promise.all([testKey('ES256', 'partner-es'), testKey('RS256', 'idp-rs')]);
    const { registry: construct } = fixture({ namePrefix: 'pkjwt' });
    construct.addExternalClient('Partner', {
      clientId: 'partner-app',
      authMethod: ClientAuth.privateKeyJwt({ jwks: { keys: [clientKey.publicJwk] } }),
      grantTypes: [GrantType.CLIENT_CREDENTIALS, GrantType.JWT_BEARER],
      jwtBearer: { issuer: 'https://login.partner.example', jwks: { keys: [idpKey.publicJwk] } },
      scopes: ['incidents.read', 'incidents.write'],
    });
    construct.addExternalClient('Legacy', { clientId: 'legacy-app', scopes: ['incidents.read'] });
    registry = await startLocalRegistry({
      manifest: construct.manifest(),
      appDir: repoRoot,
      stateDir: mkdtempSync(path.join(tmpdir(), 'oauth-registry-pkjwt-')),
      port: 0,
    });
  });
  after(() => registry?.close());

  const discover = async () => {
    const issuer = new URL(registry.issuer);
    return oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
  };
  const nowSecs = () => Math.floor(Date.now() / 1000);

  it('creates no local secret for the private_key_jwt client', () => {
    assert.deepEqual(Object.keys(registry.credentials), ['Legacy']);
  });

  it('advertises private_key_jwt and its algorithms in discovery', async () => {
    const as = await discover();
    assert.deepEqual(as.token_endpoint_auth_methods_supported, ['client_secret_basic', 'private_key_jwt']);
    assert.deepEqual(as.token_endpoint_auth_signing_alg_values_supported, ['RS256', 'PS256', 'ES256', 'EdDSA']);
  });

  it('oauth4webapi PrivateKeyJwt completes client_credentials', async () => {
    const as = await discover();
    const c: oauth.Client = { client_id: 'partner-app' };
    const auth = oauth.PrivateKeyJwt({ key: clientKey.privateKey, kid: clientKey.kid });
    const response = await oauth.clientCredentialsGrantRequest(as, c, auth, new URLSearchParams({ scope: 'incidents.read' }), insecure);
    const tokens = await oauth.processClientCredentialsResponse(as, c, response);
    assert.equal(tokens.token_type, 'bearer');
    assert.equal(tokens.scope, 'incidents.read');
    const request = new Request('http://resource.example/', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const claims = await oauth.validateJwtAccessToken(as, request, registry.issuer, insecure);
    assert.equal(claims.client_id, 'partner-app');
    assert.equal(claims.sub, 'partner-app');
  });

  /** openid-client configured from our discovery document, authenticating with the partner's private key. */
  const discoverAsPartner = () =>
    client.discovery(
      new URL(registry.issuer),
      'partner-app',
      undefined,
      client.PrivateKeyJwt({ key: clientKey.privateKey, kid: clientKey.kid }),
      {
        execute: [client.allowInsecureRequests],
      },
    );

  it('openid-client PrivateKeyJwt completes client_credentials', async () => {
    const config = await discoverAsPartner();
    const tokens = await client.clientCredentialsGrant(config, { scope: 'incidents.write' });
    assert.equal(tokens.scope, 'incidents.write');
    assert.ok(tokens.expires_in! > 0);
  });

  it('openid-client exchanges a user assertion (JWT bearer grant) for a token acting for the user', async () => {
    const config = await discoverAsPartner();
    const assertion = await signAssertion(idpKey, {
      iss: 'https://login.partner.example',
      sub: 'alice',
      aud: registry.issuer,
      nowSecs: nowSecs(),
    });
    const tokens = await client.genericGrantRequest(config, JWT_BEARER_GRANT_TYPE, { assertion, scope: 'incidents.read' });
    // oauth4webapi validates the result the way a resource server would.
    const as = await discover();
    const request = new Request('http://resource.example/', { headers: { authorization: `Bearer ${tokens.access_token}` } });
    const claims = await oauth.validateJwtAccessToken(as, request, registry.issuer, insecure);
    assert.equal(claims.sub, 'https://login.partner.example|alice');
    assert.equal(claims.client_id, 'partner-app');
    assert.equal(claims.scope, 'incidents.read');
  });

  it('issues exactly one token to 50 parallel requests replaying one client assertion', async () => {
    const assertion = await signAssertion(clientKey, {
      iss: 'partner-app',
      sub: 'partner-app',
      aud: `${registry.issuer}/oauth2/token`,
      nowSecs: nowSecs(),
    });
    const form = { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
    const results = await Promise.all(Array.from({ length: 50 }, () => tokenRequest(registry, form)));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    const refused = results.filter((r) => r.status !== 200);
    assert.equal(refused.length, 49);
    for (const r of refused) {
      assert.equal(r.status, 401);
      assert.deepEqual(r.body, { error: 'invalid_client', error_description: "client assertion 'jti' has already been used" });
    }
  });
});
