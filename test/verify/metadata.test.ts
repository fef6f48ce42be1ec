/** verify's `metadata` check: both metadata documents, against a real local registry and a misconfigured server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkMetadata } from '../../bin/verify/checks/metadata';
import { timedGet } from '../../bin/verify/http-get';
import { sendJson, serve, startExample, type Served } from './fixture';

describe('verify check metadata', () => {
  const get = timedGet(10_000);
  let registry: LocalRegistry;
  let broken: Served;

  before(async () => {
    registry = await startExample();
    // A server whose two documents disagree on jwks_uri; any other path answers 404.
    broken = await serve((req, res, url) => {
      const base = `http://${req.headers.host}`;
      const document = { issuer: base, token_endpoint: `${base}/oauth2/token`, jwks_uri: `${base}/.well-known/jwks.json` };
      if (url.pathname === '/.well-known/openid-configuration') return sendJson(res, 200, document);
      if (url.pathname === '/.well-known/oauth-authorization-server') return sendJson(res, 200, { ...document, jwks_uri: `${base}/other` });
      sendJson(res, 404, { message: 'Not Found' });
    });
  });
  after(() => Promise.all([registry?.close(), broken?.close()]));

  it('ok on a registry: both documents name its issuer and the same endpoints; the first is handed on', async () => {
    const { rows, discovered } = await checkMetadata({ issuer: registry.issuer, get });
    assert.deepEqual(
      rows.map((r) => [r.check, r.target, r.result, r.detail]),
      ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'].map((path) => [
        'metadata',
        path,
        'ok',
        `issuer ${registry.issuer}; token_endpoint and jwks_uri present`,
      ]),
    );
    assert.equal(discovered?.token_endpoint, `${registry.issuer}/oauth2/token`);
  });

  it('fail where the documents disagree, name another issuer, or are missing', async () => {
    const disagreeing = await checkMetadata({ issuer: broken.url, get });
    assert.deepEqual(
      disagreeing.rows.map((r) => [r.result, r.detail]),
      [
        ['ok', `issuer ${broken.url}; token_endpoint and jwks_uri present`],
        ['fail', 'jwks_uri differs between the two documents'],
      ],
    );
    // Expecting the registry's issuer from the broken server: both documents name another one.
    const foreign = await checkMetadata({
      issuer: registry.issuer,
      get: (url, init) => get(url.replace(registry.issuer, broken.url), init),
    });
    assert.deepEqual(
      foreign.rows.map((r) => r.result),
      ['fail', 'fail'],
    );
    assert.match(foreign.rows[0].detail, /^issuer is "http:\/\/127\.0\.0\.1:\d+", expected http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(foreign.discovered, undefined);
    const missing = await checkMetadata({ issuer: `${broken.url}/nothing`, get });
    assert.deepEqual(
      missing.rows.map((r) => [r.result, r.detail]),
      [
        ['fail', 'HTTP 404'],
        ['fail', 'HTTP 404'],
      ],
    );
    assert.equal(missing.discovered, undefined);
  });
});
