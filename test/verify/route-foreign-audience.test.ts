/**
 * verify's `route-foreign-audience` check: a real token minted for another API is refused by a real registry's route,
 * and fails the row where the served route accepts that audience although the declaration does not name it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkRouteForeignAudience } from '../../bin/verify/checks/route-foreign-audience';
import { OTHER_API, OWN_AUDIENCE, contextOf, declaredManifest, exampleManifest, startExample, withToken } from './fixture';

describe('verify check route-foreign-audience', () => {
  let registry: LocalRegistry;
  let drifted: LocalRegistry;

  before(async () => {
    registry = await startExample({ manifest: declaredManifest() });
    const declared = declaredManifest();
    drifted = await startExample({
      manifest: { ...declared, routes: declared.routes.map((r) => ({ ...r, audiences: [OWN_AUDIENCE, OTHER_API] })) },
    });
  });
  after(() => Promise.all([registry?.close(), drifted?.close()]));

  it("ok on a registry: another API's token (aud it) gets 401", async () => {
    const context = await withToken(await contextOf(registry, declaredManifest()), 'AcmeMonitoring');
    const row = await checkRouteForeignAudience(context, declaredManifest().routes[0]);
    assert.deepEqual(
      { ...row },
      {
        check: 'route-foreign-audience',
        target: 'GET /v1/hello',
        result: 'ok',
        detail: `OtherApiJob's token (aud ${OTHER_API}): HTTP 401`,
      },
    );
  });

  it('fail where the served route accepts an audience its declaration does not name', async () => {
    const context = await withToken(await contextOf(drifted, declaredManifest()), 'AcmeMonitoring');
    const row = await checkRouteForeignAudience(context, declaredManifest().routes[0]);
    assert.equal(row.result, 'fail');
    assert.equal(
      row.detail,
      `OtherApiJob's token (aud ${OTHER_API}): HTTP 200; the route accepts an audience its declaration does not name ` +
        `(it accepts ${OWN_AUDIENCE})`,
    );
  });

  it('skip where every client that can get a token has an audience the route accepts', async () => {
    const context = await contextOf(registry, exampleManifest());
    const row = await checkRouteForeignAudience(context, exampleManifest().routes[0]);
    assert.deepEqual(
      [row.result, row.detail],
      ['skip', 'no client with client_credentials and a shared secret has an audience this route does not accept'],
    );
  });
});
