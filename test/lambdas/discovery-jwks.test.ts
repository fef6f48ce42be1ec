import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import * as oauth from 'oauth4webapi';
import { bootstrapSecrets } from '../../lambdas/rotation/bootstrap';
import { createRotationHandler, generateSigningKey } from '../../lambdas/rotation/rotation';
import { silentLogger } from '../../lambdas/shared/log';
import { PUBLIC_KEY_RING_KEY } from '../../lambdas/shared/public-key-ring';
import { apiEvent, header, jsonBody, structured, tokenEvent } from '../../testing/events';
import { CACHE_TTL_SECS, CLIENTS, ISSUER, SIGNING_KEY_SECRET_ID, createHarness, type Harness } from './fixtures';

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

interface RingValue {
  keys: { jwk: { kid: string }; createdAt: number; activatesAt: number }[];
}

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
  jwtVerify(jwt, createLocalJWKSet(await jwks(h)), {
    algorithms: ['RS256'],
    typ: 'at+jwt',
    issuer: ISSUER,
    currentDate: new Date(h.clock.now()),
  });

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

  it("publishes the registry's serviceDocumentation as RFC 8414 service_documentation, at both paths", async () => {
    const documented = await createHarness({ config: { serviceDocumentation: 'https://docs.example.com/oauth' } });
    for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
      const body = jsonBody<Record<string, unknown>>(await documented.server.handle(apiEvent({ path })));
      assert.equal(body.service_documentation, 'https://docs.example.com/oauth', path);
    }
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
    assert.equal(keys.length, 2, 'the signing key and the next one');
    for (const key of keys) {
      assert.deepEqual(Object.keys(key).sort(), ['alg', 'e', 'kid', 'kty', 'n', 'use']);
      assert.deepEqual({ kty: key.kty, alg: key.alg, use: key.use }, { kty: 'RSA', alg: 'RS256', use: 'sig' });
      for (const member of PRIVATE_MEMBERS) assert.equal(member in key, false, `private member ${member} published`);
    }
    assert.doesNotMatch(structured(result).body!, /"(d|p|q|dp|dq|qi)"/);
  });

  it("publishes the ring: the signer first, then the next keys (a pending ring's new key too), then retired keys", async () => {
    const h = await createHarness();
    const ring = async (stage: 'AWSCURRENT' | 'AWSPENDING' = 'AWSCURRENT') =>
      (JSON.parse((await h.secrets.getSecretVersion(SIGNING_KEY_SECRET_ID, stage))!.value) as RingValue).keys;
    const [first, second] = await ring();
    assert.deepEqual(
      (await jwks(h)).keys.map((k) => k.kid),
      [first.jwk.kid, second.jwk.kid],
    );

    h.clock.advance(second.activatesAt - h.clock.now() / 1000); // the next key's time: it signs, the first retires
    await h.rotate(SIGNING_KEY_SECRET_ID);
    const third = (await ring())[2];
    assert.deepEqual(
      (await jwks(h)).keys.map((k) => k.kid),
      [second.jwk.kid, third.jwk.kid, first.jwk.kid],
    );

    // A rotation under way: createSecret publishes its new key (a full lead before it signs), after the others.
    const rotation = createRotationHandler({ secrets: h.secrets, clock: h.clock.now, log: silentLogger, state: h.state });
    await rotation({ SecretId: SIGNING_KEY_SECRET_ID, ClientRequestToken: 'pending', Step: 'createSecret' });
    const fourth = (await ring('AWSPENDING')).at(-1)!;
    h.clock.advance(CACHE_TTL_SECS);
    assert.deepEqual(
      (await jwks(h)).keys.map((k) => k.kid),
      [second.jwk.kid, third.jwk.kid, fourth.jwk.kid, first.jwk.kid],
    );
    for (const Step of ['setSecret', 'testSecret', 'finishSecret'] as const) {
      await rotation({ SecretId: SIGNING_KEY_SECRET_ID, ClientRequestToken: 'pending', Step });
    }
    h.clock.advance(CACHE_TTL_SECS);
    assert.deepEqual(
      (await jwks(h)).keys.map((k) => k.kid),
      [second.jwk.kid, third.jwk.kid, fourth.jwk.kid, first.jwk.kid],
    );
  });

  it('signs with the next key from its activatesAt; tokens of the retired key verify until they expire', async () => {
    const h = await createHarness();
    const beforeSwitch = await token(h);
    const firstKid = decodeProtectedHeader(beforeSwitch).kid;
    const next = (JSON.parse((await h.secrets.getSecretVersion(SIGNING_KEY_SECRET_ID, 'AWSCURRENT'))!.value) as RingValue).keys[1];

    h.clock.advance(CACHE_TTL_SECS);
    await h.rotate(SIGNING_KEY_SECRET_ID);
    h.clock.advance(CACHE_TTL_SECS);
    assert.equal(decodeProtectedHeader(await token(h)).kid, firstKid, 'a rotation does not change the signer');
    h.clock.advance(next.activatesAt - h.clock.now() / 1000 - 1);
    const lastOfFirst = await token(h);
    assert.equal(decodeProtectedHeader(lastOfFirst).kid, firstKid);
    h.clock.advance(1);
    const afterSwitch = await token(h);
    assert.equal(decodeProtectedHeader(afterSwitch).kid, next.jwk.kid, 'the next key signs from its activatesAt, not cached');
    assert.equal((await jwks(h)).keys[0].kid, next.jwk.kid);
    assert.equal((await verifyWith(h, lastOfFirst)).payload.sub, CLIENTS.basic.clientId);
    assert.equal((await verifyWith(h, afterSwitch)).payload.sub, CLIENTS.basic.clientId);
  });

  it('serves a legacy value (one JWK per version): the current key signs, the previous one stays published', async () => {
    const h = await createHarness();
    const [previous, current] = [await generateSigningKey(), await generateSigningKey()];
    await h.secrets.putSecretValue(SIGNING_KEY_SECRET_ID, 'legacy-1', JSON.stringify(previous), ['AWSCURRENT']);
    await h.secrets.putSecretValue(SIGNING_KEY_SECRET_ID, 'legacy-2', JSON.stringify(current), ['AWSCURRENT']);
    // A registry from before the published ring: the upgrade's bootstrap publishes what AWSCURRENT holds.
    await h.state.delete(PUBLIC_KEY_RING_KEY);
    await bootstrapSecrets(h.secrets, { action: 'bootstrap', secretIds: [SIGNING_KEY_SECRET_ID] }, { clock: h.clock.now, state: h.state });
    h.clock.advance(CACHE_TTL_SECS);
    const jwt = await token(h);
    assert.equal(decodeProtectedHeader(jwt).kid, current.kid);
    assert.deepEqual(
      (await jwks(h)).keys.map((k) => k.kid),
      [current.kid, previous.kid],
    );
    assert.equal((await verifyWith(h, jwt)).payload.sub, CLIENTS.basic.clientId);
  });

  it('never serves or caches an empty key ring ({"keys":[]}): 503 until a key is there, then the key at once', async () => {
    const h = await createHarness();
    const published = (await h.state.get(PUBLIC_KEY_RING_KEY))!;
    await h.state.put({ ...published, keys: [] });
    for (let i = 0; i < 2; i++) {
      const keyless = await h.server.handle(apiEvent({ path: '/.well-known/jwks.json' }));
      assert.equal(structured(keyless).statusCode, 503, structured(keyless).body);
      assert.equal(header(keyless, 'cache-control'), 'no-store');
      assert.equal(jsonBody(keyless).error, 'temporarily_unavailable');
    }
    await h.state.put(published);
    assert.equal((await jwks(h)).keys.length, 2, 'the empty ring was not cached');
  });

  it('answers 503 temporarily_unavailable with Retry-After while the signing key secret has no value, and never caches that', async () => {
    const h = await createHarness();
    let empty = true;
    const secrets = Object.assign(Object.create(h.secrets) as typeof h.secrets, {
      getSecretVersion: async (id: string, stage: 'AWSCURRENT') =>
        empty && id === SIGNING_KEY_SECRET_ID ? undefined : h.secrets.getSecretVersion(id, stage),
    });
    const fresh = await createHarness({ secrets });
    await fresh.state.put((await h.state.get(PUBLIC_KEY_RING_KEY))!); // it signs with h's keys: publish those
    const secret = await h.secretOf(CLIENTS.basic);
    const basic = [CLIENTS.basic.clientId, secret] as const;
    const request = () => fresh.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic }));
    const refused = await request();
    assert.equal(structured(refused).statusCode, 503);
    assert.equal(jsonBody(refused).error, 'temporarily_unavailable');
    assert.equal(header(refused, 'retry-after'), '5');

    empty = false; // the bootstrap ran: the very next request finds the key, without waiting for a cache TTL
    assert.equal(structured(await request()).statusCode, 200);
  });

  it('answers 503 with Retry-After and no-store while no public ring is published, and never caches that', async () => {
    const h = await createHarness();
    await h.state.delete(PUBLIC_KEY_RING_KEY);
    const keyless = await h.server.handle(apiEvent({ path: '/.well-known/jwks.json' }));
    assert.equal(structured(keyless).statusCode, 503);
    assert.equal(header(keyless, 'retry-after'), '5');
    assert.equal(header(keyless, 'cache-control'), 'no-store');
    assert.equal(jsonBody(keyless).error, 'temporarily_unavailable');

    // The bootstrap publishes: the very next request finds the ring, without waiting for a cache TTL.
    const { published } = await bootstrapSecrets(
      h.secrets,
      { action: 'bootstrap', secretIds: [SIGNING_KEY_SECRET_ID] },
      { clock: h.clock.now, state: h.state },
    );
    assert.deepEqual(published, [SIGNING_KEY_SECRET_ID]);
    assert.equal((await jwks(h)).keys.length, 2);
  });

  it('answers discovery and the JWKS with no Secrets Manager call and no private key', async () => {
    const calls: string[] = [];
    const h = await createHarness();
    // The server's secret store refuses everything: only the token endpoint may need it.
    const refusing = new Proxy(h.secrets, {
      get: (target, name) =>
        typeof target[name as keyof typeof target] === 'function'
          ? (...args: unknown[]) => {
              calls.push(`${String(name)}(${String(args[0])})`);
              throw new Error('Secrets Manager is not on the JWKS path');
            }
          : target[name as keyof typeof target],
    });
    const cold = await createHarness({ secrets: refusing, state: () => h.state });
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server', '/.well-known/jwks.json']) {
      assert.equal(structured(await cold.server.handle(apiEvent({ path }))).statusCode, 200, path);
    }
    assert.deepEqual(calls, []);
    const published = (await jwks(cold)).keys.map((k) => k.kid);
    // The ring the cold harness's own rotation wrote (and published), which its server never read.
    const ring = (JSON.parse((await cold.secrets.getSecretVersion(SIGNING_KEY_SECRET_ID, 'AWSCURRENT'))!.value) as RingValue).keys;
    assert.deepEqual(
      published,
      ring.map((k) => k.jwk.kid),
    );
  });
});
