/**
 * verify's `connection` check: a real registry serving the example's Salesforce connection, with each token-set
 * health; a registry that does not serve the connection fails the row.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { LocalRegistry } from '../../bin/local/local-registry';
import type { ConnectionHealthRow } from '../../bin/shared/connection-health';
import { checkConnection } from '../../bin/verify/checks/connection';
import { contextOf, exampleManifest, sendJson, serve, startExample, type Served } from './fixture';

describe('verify check connection', () => {
  let registry: LocalRegistry;
  let undeployed: Served;
  const health = (...states: Array<[ConnectionHealthRow['health'], string?]>): ConnectionHealthRow[] =>
    states.map(([h, lastError], i) => ({
      connection: 'Salesforce',
      subject: `user-${i}`,
      health: h,
      hasRefreshToken: true,
      grant: 'authorization_code',
      mode: 'perUser',
      ...(lastError ? { lastError } : {}),
    }));

  before(async () => {
    registry = await startExample();
    undeployed = await serve((_req, res) => sendJson(res, 404, { message: 'Not Found' }));
  });
  after(() => Promise.all([registry?.close(), undeployed?.close()]));

  const salesforce = () => exampleManifest().connections!.find((c) => c.name === 'Salesforce')!;
  const check = async (connectionHealth?: ConnectionHealthRow[] | { unreadable: string }) =>
    checkConnection(await contextOf(registry, exampleManifest(), connectionHealth ? { connectionHealth } : {}), salesforce());

  it('ok on a registry: routes served, the redirect URI, every token set connected (or health not asked)', async () => {
    const redirect = `redirect URI ${registry.issuer}/connections/Salesforce/callback`;
    assert.deepEqual(
      { ...(await check()) },
      { check: 'connection', target: 'Salesforce', result: 'ok', detail: `routes served; ${redirect}` },
    );
    const connected = await check(health(['connected'], ['connected']));
    assert.deepEqual([connected.result, connected.detail], ['ok', `routes served; ${redirect}; health connected ×2`]);
    const waiting = await check(health(['connected'], ['needs_consent']));
    assert.deepEqual(
      [waiting.result, waiting.detail],
      ['warn', `routes served; ${redirect}; health connected ×1, needs_consent ×1; a person must consent (oauth-registry connect)`],
    );
    const unreadable = await check({ unreadable: 'no AWS credentials' });
    assert.deepEqual([unreadable.result, unreadable.detail], ['warn', `routes served; ${redirect}; health not read: no AWS credentials`]);
  });

  it('fail on a token set in error, or a connection not served', async () => {
    const failing = await check(health(['connected'], ['error', 'the provider answered 500']));
    assert.equal(failing.result, 'fail');
    assert.match(failing.detail, /; health connected ×1, error ×1; last error: the provider answered 500$/);
    const context = await contextOf(registry, exampleManifest());
    const missing = await checkConnection({ ...context, issuer: undeployed.url }, salesforce());
    assert.deepEqual(
      [missing.result, missing.detail],
      ['fail', 'GET /connections/Salesforce/connect without a link: HTTP 404 (expected 400: is it deployed?)'],
    );
  });
});
