/** verify's `route-no-token` check: a route refuses a request without a token, on a real registry and an open server. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkRouteNoToken } from '../../bin/verify/checks/route-no-token';
import { timedGet } from '../../bin/verify/http-get';
import { PATH_PLACEHOLDER } from '../../bin/verify/route-request';
import { exampleManifest, sendJson, serve, startExample, type Served } from './fixture';

describe('verify check route-no-token', () => {
  const get = timedGet(10_000);
  let registry: LocalRegistry;
  let open: Served;
  const seen: string[] = [];

  before(async () => {
    registry = await startExample();
    // A gateway whose route lost its authorizer: it lets every request through to the handler.
    open = await serve((req, res, url) => {
      seen.push(`${req.method} ${url.pathname} ${req.headers.authorization ?? 'no token'}`);
      sendJson(res, 200, { hello: 'anyone' });
    });
  });
  after(() => Promise.all([registry?.close(), open?.close()]));

  it('ok on a registry: 401 without a token', async () => {
    const row = await checkRouteNoToken({ issuer: registry.issuer, get }, exampleManifest().routes[0]);
    assert.deepEqual({ ...row }, { check: 'route-no-token', target: 'GET /v1/hello', result: 'ok', detail: 'GET /v1/hello: HTTP 401' });
  });

  it('fail on a route that answers without a token (path variables filled, ANY sent as GET)', async () => {
    const route = { ...exampleManifest().routes[0], routeKey: 'ANY /v1/incidents/{id}/{proxy+}' };
    const row = await checkRouteNoToken({ issuer: open.url, get }, route);
    assert.deepEqual([row.result, row.detail], ['fail', 'HTTP 200 without a token (expected 401)']);
    assert.deepEqual(seen, [`GET /v1/incidents/${PATH_PLACEHOLDER}/${PATH_PLACEHOLDER} no token`]);
  });
});
