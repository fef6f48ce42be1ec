/** verify's `client-keys` check: a private_key_jwt client's published keys, with a real registry announcing the method. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkClientKeys } from '../../bin/verify/checks/client-keys';
import type { ClientRegistration, RegistryManifest } from '../../lambdas/shared/manifest';
import { contextOf, exampleManifest, privateKeyJwtClient, sendJson, serve, startExample, type Served } from './fixture';

describe('verify check client-keys', () => {
  let registry: LocalRegistry;
  let keys: Served;
  let manifest: RegistryManifest;
  const partner = (jwksUri: string): ClientRegistration => ({ ...privateKeyJwtClient('PartnerEtl', jwksUri), clientId: 'partner-etl' });

  before(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'partner-1', use: 'sig', alg: 'RS256' };
    const privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'partner-1', use: 'sig', alg: 'RS256' };
    keys = await serve((_req, res, url) => {
      if (url.pathname === '/jwks.json') return sendJson(res, 200, { keys: [publicJwk] });
      if (url.pathname === '/leaked.json') return sendJson(res, 200, { keys: [privateJwk] });
      if (url.pathname === '/wrong-use.json') return sendJson(res, 200, { keys: [{ ...publicJwk, use: 'enc', alg: 'RSA-OAEP' }] });
      sendJson(res, 404, { message: 'Not Found' });
    });
    manifest = { ...exampleManifest(), clients: [...exampleManifest().clients, partner(`${keys.url}/jwks.json`)] };
    registry = await startExample({ manifest });
  });
  after(() => Promise.all([registry?.close(), keys?.close()]));

  it('ok on a registry announcing private_key_jwt and a partner publishing a public signing key', async () => {
    const row = await checkClientKeys(await contextOf(registry, manifest), partner(`${keys.url}/jwks.json`));
    assert.deepEqual(
      { ...row },
      {
        check: 'client-keys',
        target: 'PartnerEtl',
        result: 'ok',
        detail:
          `${keys.url}/jwks.json: 1 public signing key(s) (partner-1); the assertion exchange is not exercised ` +
          "(verify holds no partner's private key)",
      },
    );
  });

  it('fail on a private key published, a key for encryption, no key set, or a registry not announcing the method', async () => {
    const context = await contextOf(registry, manifest);
    const detail = async (path: string) => {
      const row = await checkClientKeys(context, partner(`${keys.url}${path}`));
      assert.equal(row.result, 'fail');
      return row.detail;
    };
    assert.equal(await detail('/leaked.json'), `${keys.url}/leaked.json: key partner-1 has private members`);
    assert.equal(
      await detail('/wrong-use.json'),
      `${keys.url}/wrong-use.json: key partner-1 is for enc, not sig; key partner-1 is for RSA-OAEP, which the registry does not ` +
        'accept (RS256, PS256, ES256, EdDSA)',
    );
    assert.equal(await detail('/missing.json'), `jwks_uri ${keys.url}/missing.json: HTTP 404`);

    const example = await startExample();
    try {
      const row = await checkClientKeys(await contextOf(example, exampleManifest()), partner(`${keys.url}/jwks.json`));
      assert.deepEqual(
        [row.result, row.detail],
        ['fail', 'the metadata does not list private_key_jwt in token_endpoint_auth_methods_supported'],
      );
    } finally {
      await example.close();
    }
  });
});
