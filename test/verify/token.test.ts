/** verify's `token` check: a real client_credentials token from a local registry, and the refusals it must report. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import type { LocalRegistry } from '../../bin/local/local-registry';
import { checkToken } from '../../bin/verify/checks/token';
import { contextOf, exampleManifest, startExample } from './fixture';

describe('verify check token', () => {
  let registry: LocalRegistry;

  before(async () => {
    registry = await startExample();
  });
  after(() => registry?.close());

  it('ok on a registry: the first client with a shared secret gets a token, handed on; its secret and token are hidden', async () => {
    const context = await contextOf(registry, exampleManifest());
    const { row, primary } = await checkToken(context, undefined);
    const endpoint = `${registry.issuer}/oauth2/token`;
    assert.deepEqual(
      { ...row },
      {
        check: 'token',
        target: 'AcmeMonitoring',
        result: 'ok',
        detail: `client_credentials at ${endpoint} (client_secret_basic); scope: incidents.read incidents.write`,
      },
    );
    assert.equal(primary?.client.name, 'AcmeMonitoring');
    assert.equal(decodeJwt(primary.token).aud, registry.issuer);
    assert.ok(context.hidden.has(primary.token) && context.hidden.has(registry.credentials.AcmeMonitoring.client_secret));
    const chosen = await checkToken(context, 'ReportingJob');
    assert.equal(chosen.row.detail, `client_credentials at ${endpoint} (client_secret_post); scope: reports.read`);
  });

  it('fail when the registry refuses the secret (a stale one), or the named client cannot get a token', async () => {
    const stale = await contextOf(registry, exampleManifest(), { secretOf: async () => 'a-secret-the-registry-never-issued' });
    const refused = await checkToken(stale, undefined);
    assert.equal(refused.row.result, 'fail');
    assert.match(refused.row.detail, /^token request for AcmeMonitoring: HTTP 401 invalid_client/);
    assert.equal(refused.primary, undefined);

    const context = await contextOf(registry, exampleManifest());
    const unknown = await checkToken(context, 'Nobody');
    assert.deepEqual(
      [unknown.row.target, unknown.row.result, unknown.row.detail],
      ['Nobody', 'fail', 'no client named "Nobody" (clients: AcmeMonitoring, ReportingJob)'],
    );
    const inactive = await checkToken({ ...context, manifest: { ...exampleManifest(), clients: [] } }, undefined);
    assert.deepEqual(
      [inactive.row.target, inactive.row.result, inactive.row.detail],
      ['-', 'skip', 'no active client has client_credentials and a shared secret'],
    );
  });
});
