/**
 * verify's `route-token` check: the chosen client's real token gets what the declaration says, on a real registry
 * (a protected route and a data route), and fails where the served route has drifted from the declaration.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readDataRecords } from '../../bin/local/local-data-routes';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkRouteToken } from '../../bin/verify/checks/route-token';
import type { RegistryManifest } from '../../lambdas/shared/manifest';
import { contextOf, exampleManifest, startExample, withToken } from './fixture';

const INCIDENTS = 'POST /v1/incidents';

describe('verify check route-token', () => {
  let registry: LocalRegistry;
  let drifted: LocalRegistry;
  let manifest: RegistryManifest;

  before(async () => {
    const example = exampleManifest();
    manifest = { ...example, dataRoutes: [{ routeKey: INCIDENTS, scopes: ['incidents.write'], target: { kind: 'queue' } }] };
    registry = await startExample({ manifest });
    // Served with a scope the declaration does not give /v1/hello: ReportingJob's token gets through.
    drifted = await startExample({ manifest: { ...example, routes: example.routes.map((r) => ({ ...r, scopes: ['reports.read'] })) } });
  });
  after(() => Promise.all([registry?.close(), drifted?.close()]));

  const hello = () => manifest.routes[0];
  const incidents = () => manifest.dataRoutes![0];

  it('ok on a registry: through with audience and scope, 403 without the scope', async () => {
    const acme = await withToken(await contextOf(registry, manifest), 'AcmeMonitoring');
    const through = await checkRouteToken(acme, hello());
    assert.deepEqual(
      [through.result, through.detail],
      ['ok', "AcmeMonitoring's token: HTTP 200 (expected not 401/403: audience and scope accepted)"],
    );
    const reporting = await withToken(await contextOf(registry, manifest), 'ReportingJob');
    const refused = await checkRouteToken(reporting, hello());
    assert.deepEqual(
      [refused.result, refused.detail],
      ['ok', "ReportingJob's token: HTTP 403 (expected 403: scope reports.read meets none of incidents.read)"],
    );
  });

  it('a data route: skip (nothing sent) unless --call-unsafe-routes, then ok with the test record delivered', async () => {
    const acme = await withToken(await contextOf(registry, manifest), 'AcmeMonitoring');
    const skipped = await checkRouteToken(acme, incidents());
    assert.deepEqual(
      [skipped.result, skipped.detail],
      ['skip', 'POST would deliver a test record to its queue: pass --call-unsafe-routes to call it with a token'],
    );
    assert.equal(readDataRecords(registry.dataDir, INCIDENTS).length, 0);
    const called = await checkRouteToken({ ...acme, callUnsafeRoutes: true }, incidents());
    assert.deepEqual(
      [called.result, called.detail],
      ['ok', "AcmeMonitoring's token: HTTP 200 (expected 200, a test record delivered: audience and scope accepted)"],
    );
    assert.equal(readDataRecords(registry.dataDir, INCIDENTS).length, 1);
  });

  it('fail where the served route lets through a token the declaration refuses', async () => {
    const reporting = await withToken(await contextOf(drifted, exampleManifest()), 'ReportingJob');
    const row = await checkRouteToken(reporting, hello());
    assert.deepEqual(
      [row.result, row.detail],
      ['fail', "ReportingJob's token: HTTP 200 (expected 403: scope reports.read meets none of incidents.read)"],
    );
  });

  it('skip without a token', async () => {
    const row = await checkRouteToken(await contextOf(registry, manifest), hello());
    assert.deepEqual([row.result, row.detail], ['skip', 'no token']);
  });
});
