/**
 * One error model: every connection error's HTTP status is its code's, from `STATUS_BY_CODE`. Pins the statuses
 * settled when the inline ones disagreed with the table: a connection declared without `apiBaseUrl` is a permanent
 * fact of its registration (`no_api_base_url`, 404), credentials the operator has not set yet are `not_configured`
 * (503), and an API behind the proxy that cannot be reached or does not answer is `provider_unavailable` (503).
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import * as errors from '../../lambdas/connections/errors';
import { STATUS_BY_CODE, type ConnectionError, type ConnectionErrorCode } from '../../lambdas/connections/errors';
import { tokenSetKey, type TokenSetItem } from '../../lambdas/connections/token-set-item';
import { CONNECTION_ROUTES } from '../../lambdas/shared/routes';
import { connection, startHarness, type Harness } from '../../testing/connections/harness';
import { apiEvent, jsonBody } from '../../testing/events';

const listen = async (server: Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};

describe('connection error statuses', () => {
  let ours: Harness;
  let hanging: Server;
  let hangingUrl: string;
  let deadUrl: string;

  const proxy = (name: string) =>
    ours.server.handle(apiEvent({ method: 'GET', path: `/connections/${name}/proxy/x`, routeKey: CONNECTION_ROUTES.proxy }));

  /** A shared connection to `apiBaseUrl` holding a valid access token, so the proxy needs no provider. */
  async function connectedTo(name: string, apiBaseUrl: string | undefined): Promise<void> {
    await ours.add(connection(name, { ...(apiBaseUrl ? { apiBaseUrl } : {}) }));
    const now = ours.clock.now();
    const item: TokenSetItem = {
      pk: tokenSetKey(name, undefined),
      connection: name,
      health: 'connected',
      accessToken: 'at',
      tokenType: 'Bearer',
      accessTokenExpiresAt: now + 3_600_000,
      updatedAt: now,
    };
    await ours.state.put(item);
  }

  before(async () => {
    // The harness's generous deadline (3 s), not a short one: on a busy machine a live API must not time out.
    ours = await startHarness();
    hanging = createServer(() => {}); // accepts, never answers
    hangingUrl = await listen(hanging);
    const dead = createServer();
    deadUrl = await listen(dead);
    await new Promise<void>((resolve) => dead.close(() => resolve()));
  });
  after(async () => {
    await ours.close();
    hanging.closeAllConnections();
    await new Promise<void>((resolve) => hanging.close(() => resolve()));
  });

  it('the table: one status per code, the settled ones included', () => {
    assert.equal(STATUS_BY_CODE.no_api_base_url, 404);
    assert.equal(STATUS_BY_CODE.not_configured, 503);
    assert.equal(STATUS_BY_CODE.provider_unavailable, 503);
    assert.equal(STATUS_BY_CODE.provider_error, 502);
  });

  it("every factory makes an error whose status is its code's", () => {
    const made: ConnectionError[] = [
      errors.invalidRequest('x'),
      errors.unknownConnection('x'),
      errors.notConnected('x'),
      errors.needsConsent('x'),
      errors.needsTrust('x'),
      errors.providerError('x'),
      errors.providerUnavailable('x'),
      errors.notConfigured('x'),
      errors.noApiBaseUrl('x'),
    ];
    for (const err of made) assert.equal(err.status, STATUS_BY_CODE[err.code], err.code);
    assert.equal(errors.statusOf(new Error('internal')), STATUS_BY_CODE.server_error);
    assert.equal(errors.errorBody(new Error('internal')).error, 'server_error');
  });

  it('a connection declared without apiBaseUrl: 404 no_api_base_url', async () => {
    await connectedTo('NoApi', undefined);
    const result = await proxy('NoApi');
    assert.equal(result.statusCode, 404);
    assert.deepEqual(jsonBody(result), {
      error: 'no_api_base_url',
      error_description: 'connection NoApi declares no apiBaseUrl to proxy to',
    });
  });

  it('credentials not set yet: not_configured, 503 on the wire (broker and proxy)', async () => {
    await ours.add(
      connection('Unset', { provider: { tokenEndpoint: `${deadUrl}/token` }, grant: 'client_credentials', apiBaseUrl: deadUrl }),
    );
    const result = await ours.server.invoke({ action: 'token', connection: 'Unset' });
    assert.ok('error' in result);
    assert.equal(result.error, 'not_configured');
    assert.equal(STATUS_BY_CODE[result.error], 503);
    const proxied = await proxy('Unset');
    assert.equal(proxied.statusCode, 503);
    assert.equal(jsonBody(proxied).error, 'not_configured');
  });

  it('an API that cannot be reached: 503 provider_unavailable', async () => {
    await connectedTo('DeadApi', deadUrl);
    const result = await proxy('DeadApi');
    assert.equal(result.statusCode, 503);
    assert.deepEqual(jsonBody(result), { error: 'provider_unavailable', error_description: 'the API could not be reached' });
    // The socket's own words (which address, which errno) reach the log only.
    const logged = ours.logs.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l.msg === 'proxy_refused');
    assert.equal(logged.length, 1);
    assert.equal(logged[0].error, 'provider_unavailable');
    assert.match(String(logged[0].detail), /^fetch failed: .*ECONNREFUSED/);
  });

  it('an API that does not answer in time: 503 provider_unavailable', async () => {
    await connectedTo('SlowApi', hangingUrl);
    const result = await proxy('SlowApi');
    assert.equal(result.statusCode, 503);
    assert.deepEqual(jsonBody(result), { error: 'provider_unavailable', error_description: 'the API did not answer in time' });
  });

  it("every error the proxy answers carries its code's status", async () => {
    for (const name of ['NoApi', 'Unset', 'DeadApi', 'SlowApi', 'Nope']) {
      const result = await proxy(name);
      const code = jsonBody(result).error as ConnectionErrorCode;
      assert.equal(result.statusCode, STATUS_BY_CODE[code], `${name}: ${code}`);
    }
  });
});
