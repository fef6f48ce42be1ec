/** verify's `route-callable` check: some declared client can call each route (audience and scope), on a real registry. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkRouteCallable } from '../../bin/verify/checks/route-callable';
import { contextOf, exampleManifest, startExample } from './fixture';

describe('verify check route-callable', () => {
  let registry: LocalRegistry;

  before(async () => {
    registry = await startExample();
  });
  after(() => registry?.close());

  it('ok on a registry: a client has an audience the route accepts and one of its scopes', async () => {
    const context = await contextOf(registry, exampleManifest());
    assert.deepEqual(
      { ...checkRouteCallable(context, exampleManifest().routes[0]) },
      {
        check: 'route-callable',
        target: 'GET /v1/hello',
        result: 'ok',
        detail: 'AcmeMonitoring: an audience it accepts and one of its scopes',
      },
    );
  });

  it('fail on a route no client can call: an audience no client has, or a scope no client holds', async () => {
    const context = await contextOf(registry, exampleManifest());
    const hello = exampleManifest().routes[0];
    const foreign = checkRouteCallable(context, { ...hello, audiences: ['https://nobody.example'] });
    assert.deepEqual(
      [foreign.result, foreign.detail],
      ['fail', 'no client has both an audience it accepts (https://nobody.example) and one of its scopes'],
    );
    const unheld = checkRouteCallable(context, { ...hello, scopes: ['incidents.delete'] });
    assert.deepEqual(
      [unheld.result, unheld.detail],
      ['fail', `no client has both an audience it accepts (${registry.issuer}) and one of its scopes`],
    );
  });
});
