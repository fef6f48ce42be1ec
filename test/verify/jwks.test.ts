/** verify's `jwks` check: the JWKS a gateway reads, from a real local registry and from a server leaking key parts. */
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair } from 'jose';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkJwks } from '../../bin/verify/checks/jwks';
import { timedGet } from '../../bin/verify/http-get';
import { sendJson, serve, startExample, type Served } from './fixture';

describe('verify check jwks', () => {
  const get = timedGet(10_000);
  let registry: LocalRegistry;
  let broken: Served;

  before(async () => {
    registry = await startExample();
    const leaked = { ...(await exportJWK((await generateKeyPair('RS256', { extractable: true })).privateKey)), kid: 'leaked' };
    // jose refuses to make a short RSA key; node:crypto still does.
    const short = { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' }), kid: 'short' };
    broken = await serve((_req, res, url) => {
      if (url.pathname === '/leaking') return sendJson(res, 200, { keys: [leaked, short] });
      if (url.pathname === '/empty') return sendJson(res, 200, { keys: [] });
      sendJson(res, 404, { message: 'Not Found' });
    });
  });
  after(() => Promise.all([registry?.close(), broken?.close()]));

  it("ok on a registry's JWKS: RSA keys of 2048 bits with a kid, the current first; the set is handed on", async () => {
    const jwksUri = `${registry.issuer}/.well-known/jwks.json`;
    const { row, jwks } = await checkJwks({ discovered: { jwks_uri: jwksUri }, get });
    assert.equal(row.result, 'ok', row.detail);
    assert.equal(row.target, jwksUri);
    assert.equal(row.detail, `2 RSA key(s) with kid, modulus 2048, 2048 bits; current ${jwks?.keys[0].kid}`);
    assert.equal(jwks?.keys.length, 2);
  });

  it('fail on private members, a short modulus, no keys, or no JWKS; nothing handed on', async () => {
    const check = (path: string) => checkJwks({ discovered: { jwks_uri: `${broken.url}${path}` }, get });
    const leaking = await check('/leaking');
    assert.deepEqual(
      [leaking.row.result, leaking.row.detail, leaking.jwks],
      ['fail', 'key leaked has private members; key short has a 1024-bit modulus (minimum 2048)', undefined],
    );
    assert.deepEqual([(await check('/empty')).row.result, (await check('/empty')).row.detail], ['fail', 'no keys']);
    assert.deepEqual([(await check('/missing')).row.result, (await check('/missing')).row.detail], ['fail', 'HTTP 404']);
  });
});
