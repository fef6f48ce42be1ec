import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oauth from 'oauth4webapi';
import { createRotationHandler } from '../../lambdas/rotation/rotation';
import { silentLogger } from '../../lambdas/shared/log';
import { apiEvent, header, jsonBody, structured, tokenEvent } from '../../testing/events';
import { CACHE_TTL_SECS, CLIENTS, ISSUER, SIGNING_KEY_SECRET_ID, createHarness, type Harness } from './fixtures';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

async function jwks(h: Harness): Promise<JSONWebKeySet> {
  const result = await h.server.handle(apiEvent({ path: '/.well-known/jwks.json' }));
  assert.equal(structured(result).statusCode, 200);
  return jsonBody<JSONWebKeySet>(result);
}

async function token(h: Harness): Promise<string> {
  const secret = await h.secretOf(CLIENTS.basic);
  const result = await h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, secret] }));
  assert.equal(structured(result).statusCode, 200);
  return jsonBody<{ access_token: string }>(result).access_token;
}

const verifyWith = async (h: Harness, jwt: string) =>
  jwtVerify(jwt, createLocalJWKSet(await jwks(h)), { algorithms: ['RS256'], typ: 'at+jwt', issuer: ISSUER, currentDate: new Date(h.clock.now()) });

describe('discovery', () => {
  let h: Harness;
  before(async () => {
    h = await createHarness();
  });

  it('serves the same RFC 8414 document at both well-known paths, with only what is true today', async () => {
    const as = await h.server.handle(apiEvent({ path: '/.well-known/oauth-authorization-server' }));
    const oidc = await h.server.handle(apiEvent({ path: '/.well-known/openid-configuration' }));
    assert.equal(structured(as).statusCode, 200);
    assert.equal(structured(oidc).statusCode, 200);
    assert.deepEqual(jsonBody(oidc), jsonBody(as));
    assert.deepEqual(jsonBody(as), {
      issuer: ISSUER,
      token_endpoint: `${ISSUER}/oauth2/token`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      scopes_supported: ['incidents.read', 'incidents.write', 'reports.read'],
      response_types_supported: [],
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      revocation_endpoint: `${ISSUER}/oauth2/revoke`,
      revocation_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      introspection_endpoint: `${ISSUER}/oauth2/introspect`,
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    });
    assert.equal(header(as, 'content-type'), 'application/json');
    assert.equal(header(as, 'cache-control'), 'public, max-age=300');
  });

  it('is accepted by oauth4webapi discovery processing', async () => {
    const result = structured(await h.server.handle(apiEvent({ path: '/.well-known/oauth-authorization-server' })));
    const response = new Response(result.body, { status: result.statusCode, headers: result.headers as Record<string, string> });
    const metadata = await oauth.processDiscoveryResponse(new URL(ISSUER), response);
    assert.equal(metadata.token_endpoint, `${ISSUER}/oauth2/token`);
  });
});

describe('JWKS', () => {
  it('publishes only public RS256 members', async () => {
    const h = await createHarness();
    const result = await h.server.handle(apiEvent({ path: '/.well-known/jwks.json' }));
    assert.equal(header(result, 'content-type'), 'application/json');
    assert.equal(header(result, 'cache-control'), 'public, max-age=60');
    const { keys } = jsonBody<JSONWebKeySet>(result);
    assert.equal(keys.length, 1);
    for (const key of keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
      assert.deepEqual({ kty: key.kty, alg: key.alg, use: key.use }, { kty: 'RSA', alg: 'RS256', use: 'sig' });
      for (const member of PRIVATE_MEMBERS) assert.equal(member in key, false, `private member ${member} published`);
    }
    assert.doesNotMatch(structured(result).body!, /"(d|p|q|dp|dq|qi)"/);
  });

  it('publishes current, previous and pending keys, current first, one per kid', async () => {
    const h = await createHarness();
    const first = (await jwks(h)).keys[0]!.kid;
    await h.rotate(SIGNING_KEY_SECRET_ID);
    // Start a third rotation without finishing it: its key is staged AWSPENDING.
    const rotation = createRotationHandler({ secrets: h.secrets, clock: h.clock.now, log: silentLogger });
    const pendingVersion = randomUUID();
    await rotation({ SecretId: SIGNING_KEY_SECRET_ID, ClientRequestToken: pendingVersion, Step: 'createSecret' });
    h.clock.advance(CACHE_TTL_SECS);
    const kids = (await jwks(h)).keys.map((k) => k.kid!);
    const kidOf = async (stage: 'AWSCURRENT' | 'AWSPREVIOUS' | 'AWSPENDING') =>
      (JSON.parse((await h.secrets.getSecretVersion(SIGNING_KEY_SECRET_ID, stage))!.value) as { kid: string }).kid;
    assert.deepEqual(kids, [await kidOf('AWSCURRENT'), await kidOf('AWSPREVIOUS'), await kidOf('AWSPENDING')]);
    assert.equal(kids[1], first);
    assert.equal(new Set(kids).size, 3);

    // Finishing it leaves AWSPENDING on the new current version as well: still one entry per kid.
    for (const Step of ['setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotation({ SecretId: SIGNING_KEY_SECRET_ID, ClientRequestToken: pendingVersion, Step });
    }
    h.clock.advance(CACHE_TTL_SECS);
    assert.deepEqual(
      (await jwks(h)).keys.map((k) => k.kid),
      [await kidOf('AWSCURRENT'), await kidOf('AWSPREVIOUS')],
    );
  });

  it('picks up a rotated signing key after the cache TTL; old tokens verify until two rotations later', async () => {
    const h = await createHarness();
    const beforeRotation = await token(h);
    const firstKid = decodeProtectedHeader(beforeRotation).kid;

    await h.rotate(SIGNING_KEY_SECRET_ID);
    assert.equal(decodeProtectedHeader(await token(h)).kid, firstKid, 'within the TTL the cached key still signs');
    h.clock.advance(CACHE_TTL_SECS);
    const afterRotation = await token(h);
    const secondKid = decodeProtectedHeader(afterRotation).kid;
    assert.notEqual(secondKid, firstKid);
    assert.deepEqual((await jwks(h)).keys.map((k) => k.kid), [secondKid, firstKid]);
    assert.equal((await verifyWith(h, beforeRotation)).payload.sub, CLIENTS.basic.clientId);
    assert.equal((await verifyWith(h, afterRotation)).payload.sub, CLIENTS.basic.clientId);

    await h.rotate(SIGNING_KEY_SECRET_ID);
    h.clock.advance(CACHE_TTL_SECS);
    await assert.rejects(verifyWith(h, beforeRotation), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
    assert.equal((await verifyWith(h, afterRotation)).payload.sub, CLIENTS.basic.clientId);
    assert.notEqual(decodeProtectedHeader(await token(h)).kid, secondKid);
  });

  it('answers 500 server_error when the signing key secret has no value yet', async () => {
    const h = await createHarness();
    const empty = await createHarness({ secrets: Object.assign(Object.create(h.secrets) as typeof h.secrets, {
      getSecretVersion: async (id: string, stage: 'AWSCURRENT') => (id === SIGNING_KEY_SECRET_ID ? undefined : h.secrets.getSecretVersion(id, stage)),
    }) });
    const secret = await h.secretOf(CLIENTS.basic);
    const result = await empty.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, secret] }));
    assert.equal(structured(result).statusCode, 500);
    assert.equal(jsonBody(result).error, 'server_error');
    assert.deepEqual((await jwks(empty)).keys, []);
  });
});
