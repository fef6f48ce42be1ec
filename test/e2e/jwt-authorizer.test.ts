/** Local mode's JWT authorizer keeps the JWKS like API Gateway: for `jwksCacheSecs` on its clock, refetching on an unknown kid or not. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignJWT, exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import { createJwtAuthorizer } from '../../bin/local/jwt-authorizer';
import { FrozenClock } from '../../testing/clock';

const ISSUER = 'https://auth.example.test';
const AUDIENCE = 'https://api.example.test';

async function signer(kid: string) {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const sign = (nowMs: number) =>
    new SignJWT({ scope: 'read' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(Math.floor(nowMs / 1000))
      .setExpirationTime(Math.floor(nowMs / 1000) + 900)
      .sign(privateKey);
  return { jwk, sign };
}

function setup(options: { refetchOnUnknownKid?: boolean; jwksCacheSecs?: number } = {}) {
  const clock = new FrozenClock();
  const state = { published: { keys: [] } as JSONWebKeySet, fetches: 0, failing: false };
  const authorize = createJwtAuthorizer({
    issuer: ISSUER,
    jwksUri: `${ISSUER}/.well-known/jwks.json`,
    clock: clock.now,
    fetchJwks: async () => {
      state.fetches++;
      if (state.failing) throw new Error('JWKS fetch answered 503');
      return structuredClone(state.published);
    },
    ...options,
  });
  const allowed = async (jwt: string) => (await authorize(`Bearer ${jwt}`, { audiences: [AUDIENCE], scopes: ['read'] })).allow;
  return { clock, state, allowed };
}

describe('emulated JWT authorizer: JWKS cache', () => {
  it('keeps the JWKS 7200 s by default and, told not to, never refetches for an unknown kid', async () => {
    const [a, b] = [await signer('a'), await signer('b')];
    const { clock, state, allowed } = setup({ refetchOnUnknownKid: false });
    state.published = { keys: [a.jwk] };
    assert.equal(await allowed(await a.sign(clock.now())), true);
    state.published = { keys: [a.jwk, b.jwk] };
    assert.equal(await allowed(await b.sign(clock.now())), false, 'b is not in the cached JWKS');
    clock.advance(7199);
    assert.equal(await allowed(await b.sign(clock.now())), false);
    assert.equal(state.fetches, 1);
    clock.advance(1);
    assert.equal(await allowed(await b.sign(clock.now())), true, 'the cache expired: refetched');
    assert.equal(state.fetches, 2);
  });

  it('by default refetches once for an unknown kid, at most once a minute', async () => {
    const [a, b] = [await signer('a'), await signer('b')];
    const { clock, state, allowed } = setup({ jwksCacheSecs: 600 });
    state.published = { keys: [a.jwk] };
    assert.equal(await allowed(await a.sign(clock.now())), true);
    const unknown = await signer('c');
    assert.equal(await allowed(await unknown.sign(clock.now())), false);
    assert.equal(state.fetches, 2, 'one refetch for the unknown kid');
    state.published = { keys: [a.jwk, b.jwk] };
    assert.equal(await allowed(await b.sign(clock.now())), false, 'within the cool-down: no refetch');
    clock.advance(60);
    assert.equal(await allowed(await b.sign(clock.now())), true);
    assert.equal(state.fetches, 3);
  });

  it('caches no failed fetch', async () => {
    const a = await signer('a');
    const { clock, state, allowed } = setup();
    state.published = { keys: [a.jwk] };
    state.failing = true;
    assert.equal(await allowed(await a.sign(clock.now())), false);
    state.failing = false;
    assert.equal(await allowed(await a.sign(clock.now())), true);
  });
});
