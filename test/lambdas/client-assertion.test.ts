/**
 * `private_key_jwt` (RFC 7523 §2.2) and `none` client authentication at the token endpoint, with real keys and the
 * forgeries a server must refuse: every bad assertion is 401 invalid_client, never a 5xx, and nothing is issued.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { createLocalJWKSet, exportJWK, importJWK, jwtVerify, type CryptoKey } from 'jose';
import { CLIENT_ASSERTION_TYPE, clientAssertionReplayKey } from '../../lambdas/authorization-server/client-assertion';
import { discoveryDocument } from '../../lambdas/authorization-server/endpoints/discovery';
import { MAX_ASSERTION_LIFETIME_SECS } from '../../lambdas/authorization-server/jwt-assertion';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import type { ClientRegistration } from '../../lambdas/shared/manifest';
import type { StateStore } from '../../lambdas/shared/ports';
import { apiEvent, header, jsonBody, structured, tokenEvent } from '../../testing/events';
import { hmacWithPublicKey, signAssertion, testKey, unsignedAssertion, type AssertionOptions, type TestKey } from '../helpers/assertions';
import { CLIENTS, ISSUER, createHarness, type Harness } from './fixtures';

const TOKEN_ENDPOINT = `${ISSUER}/oauth2/token`;
const AUTH_FAILED = 'client authentication failed';

const keyClient = (
  name: string,
  keys: Pick<ClientRegistration, 'jwks' | 'jwksUri'>,
  overrides: Partial<ClientRegistration> = {},
): ClientRegistration => ({
  name,
  clientId: `${name.toLowerCase()}-client`,
  grantTypes: ['client_credentials'],
  authMethod: 'private_key_jwt',
  scopes: ['incidents.read'],
  audience: 'https://api.example.test',
  accessTokenTtlSecs: 600,
  active: true,
  ...keys,
  ...overrides,
});

/** Asserts an RFC 6749 §5.2 error with exact body and headers, and returns nothing issued. */
function assertError(result: APIGatewayProxyResultV2, status: number, error: string, description: string): void {
  assert.equal(structured(result).statusCode, status, structured(result).body);
  assert.deepEqual(jsonBody(result), { error, error_description: description });
  assert.equal(header(result, 'cache-control'), 'no-store');
  assert.equal(header(result, 'www-authenticate'), status === 401 ? 'Basic realm="oauth-registry"' : undefined);
}

describe('private_key_jwt client authentication', () => {
  let h: Harness;
  let state: StateStore;
  let key: TestKey;
  let rsaKey: TestKey;
  let otherKey: TestKey;
  let jwksServer: Server;
  let jwksFetches = 0;
  let inline: ClientRegistration;
  let remote: ClientRegistration;
  let inactive: ClientRegistration;
  let publicClient: ClientRegistration;
  let misregisteredPublic: ClientRegistration;
  let anyAlg: ClientRegistration;

  before(async () => {
    [key, rsaKey, otherKey] = await Promise.all([testKey('ES256'), testKey('RS256'), testKey('ES256')]);
    jwksServer = createServer((_req, res) => {
      jwksFetches += 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [rsaKey.publicJwk] }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks.json`;

    inline = keyClient('Inline', { jwks: { keys: [key.publicJwk] } });
    remote = keyClient('Remote', { jwksUri });
    inactive = keyClient('Dormant', { jwks: { keys: [key.publicJwk] } }, { active: false });
    publicClient = keyClient('Public', {}, { authMethod: 'none', grantTypes: ['authorization_code', 'refresh_token'] });
    // A registration synth would refuse (a public client with client_credentials), as if edited in the table by hand.
    misregisteredPublic = keyClient('HandEdited', {}, { authMethod: 'none' });
    // An RSA key registered without `alg`: only our list of algorithms stands between it and RS384 or RS512.
    const { alg: _alg, ...rsaWithoutAlg } = rsaKey.publicJwk;
    anyAlg = keyClient('AnyAlg', { jwks: { keys: [rsaWithoutAlg] } });
    h = await createHarness({
      registrations: new ManifestRegistrationStore({
        clients: [...Object.values(CLIENTS), inline, remote, inactive, publicClient, misregisteredPublic, anyAlg],
      }),
    });
    state = h.state;
  });
  after(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

  const nowSecs = () => Math.floor(h.clock.now() / 1000);
  const claimsFor = (client: ClientRegistration, extra: Partial<AssertionOptions> = {}): AssertionOptions => ({
    iss: client.clientId,
    sub: client.clientId,
    aud: TOKEN_ENDPOINT,
    nowSecs: nowSecs(),
    ...extra,
  });
  const request = (assertion: string, form: Record<string, string> = {}) =>
    h.server.handle(
      tokenEvent({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion, ...form }),
    );
  const issuedCount = () => h.logs.filter((l) => l.msg === 'token_issued').length;

  async function verifyToken(token: string) {
    const jwks = jsonBody<{ keys: [] }>(await h.server.handle(apiEvent({ path: '/.well-known/jwks.json' })));
    return (
      await jwtVerify(token, createLocalJWKSet(jwks), { issuer: ISSUER, algorithms: ['RS256'], currentDate: new Date(h.clock.now()) })
    ).payload;
  }

  it('issues a token for a valid assertion (aud = token endpoint), with the client as sub and client_id', async () => {
    const result = await request(await signAssertion(key, claimsFor(inline)), { client_id: inline.clientId });
    assert.equal(structured(result).statusCode, 200, structured(result).body);
    const body = jsonBody<{ access_token: string; token_type: string; expires_in: number; scope: string }>(result);
    assert.deepEqual(
      { ...body, access_token: typeof body.access_token },
      {
        access_token: 'string',
        token_type: 'Bearer',
        expires_in: 600,
        scope: 'incidents.read',
      },
    );
    const claims = await verifyToken(body.access_token);
    assert.equal(claims.sub, inline.clientId);
    assert.equal(claims.client_id, inline.clientId);
    assert.equal(claims.aud, 'https://api.example.test');
    assert.equal(claims.scope, 'incidents.read');
  });

  it('accepts the issuer as aud, and no client_id parameter (the assertion names the client)', async () => {
    const result = await request(await signAssertion(key, claimsFor(inline, { aud: ISSUER })));
    assert.equal(structured(result).statusCode, 200, structured(result).body);
  });

  it('records the jti until exp plus leeway, and refuses its replay', async () => {
    const claims = claimsFor(inline, { claims: { jti: 'once-only' } });
    const assertion = await signAssertion(key, claims);
    assert.equal(structured(await request(assertion)).statusCode, 200);
    const recorded = await state.get(clientAssertionReplayKey(inline.clientId, 'once-only'));
    assert.deepEqual(recorded, { pk: 'jti#inline-client#once-only', expiresAt: nowSecs() + 60 + 30 });
    const before = issuedCount();
    assertError(await request(assertion), 401, 'invalid_client', "client assertion 'jti' has already been used");
    assert.equal(issuedCount(), before);
  });

  describe('refuses with 401 invalid_client, issuing nothing', () => {
    const cases: Array<[string, () => Promise<string>, string]> = [
      [
        'a wrong aud',
        () => signAssertion(key, claimsFor(inline, { aud: 'https://elsewhere.example/token' })),
        "client assertion unexpected 'aud' claim value",
      ],
      [
        'an expired assertion',
        () => signAssertion(key, claimsFor(inline, { claims: { iat: nowSecs() - 600, exp: nowSecs() - 120 } })),
        "client assertion 'exp' claim timestamp check failed",
      ],
      [
        'an exp more than five minutes away',
        () => signAssertion(key, claimsFor(inline, { lifetimeSecs: MAX_ASSERTION_LIFETIME_SECS + 120 })),
        "client assertion 'exp' claim is more than 300 seconds away",
      ],
      [
        'a missing exp',
        () => signAssertion(key, claimsFor(inline, { claims: { exp: undefined } })),
        "client assertion missing required 'exp' claim",
      ],
      [
        'a missing jti',
        () => signAssertion(key, claimsFor(inline, { claims: { jti: undefined } })),
        "client assertion missing required 'jti' claim",
      ],
      [
        'a jti longer than 256 characters',
        () => signAssertion(key, claimsFor(inline, { claims: { jti: 'j'.repeat(257) } })),
        "client assertion 'jti' claim must be a string of 1 to 256 characters",
      ],
      [
        'an iss that is not the client',
        () => signAssertion(key, claimsFor(inline, { iss: 'someone-else' })),
        "client assertion unexpected 'iss' claim value",
      ],
      ['an unknown key', () => signAssertion(otherKey, claimsFor(inline)), AUTH_FAILED],
      ['a registered kid with a wrong signature', () => signAssertion({ ...otherKey, kid: key.kid }, claimsFor(inline)), AUTH_FAILED],
      ['alg: none', async () => unsignedAssertion(key, claimsFor(inline)), AUTH_FAILED],
      ["HS256 signed with the public key's bytes", () => hmacWithPublicKey(key, claimsFor(inline)), AUTH_FAILED],
      ['a sub naming an unknown client', () => signAssertion(key, claimsFor(inline, { iss: 'nobody', sub: 'nobody' })), AUTH_FAILED],
      ['an inactive client', () => signAssertion(key, claimsFor(inactive)), AUTH_FAILED],
      ['a client_assertion that is not a JWT', async () => 'not-a-jwt', AUTH_FAILED],
    ];
    for (const [what, make, description] of cases) {
      it(what, async () => {
        const before = issuedCount();
        assertError(await request(await make()), 401, 'invalid_client', description);
        assert.equal(issuedCount(), before);
      });
    }
  });

  it('refuses an algorithm outside the advertised list (RS384, RS512) even when the key would verify it', async () => {
    assert.equal(structured(await request(await signAssertion(rsaKey, claimsFor(anyAlg)))).statusCode, 200, 'RS256 is fine');
    for (const alg of ['RS384', 'RS512']) {
      // The same RSA key, imported for the other hash (a WebCrypto key is bound to one).
      const privateKey = (await importJWK(await exportJWK(rsaKey.privateKey), alg)) as CryptoKey;
      const before = issuedCount();
      const assertion = await signAssertion({ ...rsaKey, alg, privateKey }, claimsFor(anyAlg));
      assertError(await request(assertion), 401, 'invalid_client', AUTH_FAILED);
      assert.equal(issuedCount(), before, alg);
    }
  });

  it('does not spend the jti of a refused assertion', async () => {
    const claims = claimsFor(inline, { aud: 'https://elsewhere.example', claims: { jti: 'refused-once' } });
    assert.equal(structured(await request(await signAssertion(key, claims))).statusCode, 401);
    assert.equal(await state.get(clientAssertionReplayKey(inline.clientId, 'refused-once')), undefined);
  });

  it('refuses a client_id parameter that differs from the assertion', async () => {
    const result = await request(await signAssertion(key, claimsFor(inline)), { client_id: CLIENTS.basic.clientId });
    assertError(result, 401, 'invalid_client', "client_id differs from the client assertion's subject");
  });

  it('refuses an unknown client_assertion_type, and a lone assertion parameter', async () => {
    const assertion = await signAssertion(key, claimsFor(inline));
    assertError(
      await h.server.handle(
        tokenEvent({ grant_type: 'client_credentials', client_assertion_type: 'urn:example:saml', client_assertion: assertion }),
      ),
      401,
      'invalid_client',
      `unsupported client_assertion_type; use ${CLIENT_ASSERTION_TYPE}`,
    );
    assertError(
      await h.server.handle(tokenEvent({ grant_type: 'client_credentials', client_assertion: assertion })),
      400,
      'invalid_request',
      'client_assertion and client_assertion_type must be sent together',
    );
  });

  it('refuses an assertion together with Basic credentials or a client_secret', async () => {
    const assertion = await signAssertion(key, claimsFor(inline));
    const form = { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion };
    assertError(
      await h.server.handle(tokenEvent(form, { basic: [inline.clientId, 'x'] })),
      401,
      'invalid_client',
      'use one client authentication method, not two',
    );
    assertError(
      await h.server.handle(tokenEvent({ ...form, client_secret: 'x' })),
      401,
      'invalid_client',
      'use one client authentication method, not two',
    );
  });

  it('refuses a secret for a private_key_jwt client, and an assertion for a secret client', async () => {
    assertError(
      await h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [inline.clientId, 'guess'] })),
      401,
      'invalid_client',
      AUTH_FAILED,
    );
    const forged = await signAssertion(key, claimsFor(CLIENTS.basic));
    assertError(await request(forged), 401, 'invalid_client', AUTH_FAILED);
  });

  it('fetches a jwksUri once and serves later assertions from the cache', async () => {
    const fetchesBefore = jwksFetches;
    for (let i = 0; i < 3; i += 1) {
      const result = await request(await signAssertion(rsaKey, claimsFor(remote)));
      assert.equal(structured(result).statusCode, 200, structured(result).body);
    }
    assert.equal(jwksFetches - fetchesBefore, 1);
    assertError(await request(await signAssertion(otherKey, claimsFor(remote))), 401, 'invalid_client', AUTH_FAILED);
  });

  it('answers invalid_client, not a 5xx, when the jwksUri cannot be fetched', async () => {
    const unreachable = keyClient('Unreachable', { jwksUri: 'http://127.0.0.1:9/jwks.json' });
    const h2 = await createHarness({ registrations: new ManifestRegistrationStore({ clients: [unreachable] }) });
    const assertion = await signAssertion(key, {
      iss: unreachable.clientId,
      sub: unreachable.clientId,
      aud: TOKEN_ENDPOINT,
      nowSecs: nowSecs(),
    });
    const result = await h2.server.handle(
      tokenEvent({ grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: assertion }),
    );
    assertError(result, 401, 'invalid_client', AUTH_FAILED);
    assert.ok(h2.logs.some((l) => l.msg === 'assertion_keys_unavailable' && l.keys_owner === unreachable.clientId));
  });

  it('says why an unverified assertion was refused in the log only: the body has the generic description', async () => {
    const unreachable = keyClient('Unreachable', { jwksUri: 'http://127.0.0.1:9/jwks.json' });
    const h2 = await createHarness({ registrations: new ManifestRegistrationStore({ clients: [unreachable, inline] }) });
    const fetchFailed = await h2.server.handle(
      tokenEvent({
        grant_type: 'client_credentials',
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: await signAssertion(key, {
          iss: unreachable.clientId,
          sub: unreachable.clientId,
          aud: TOKEN_ENDPOINT,
          nowSecs: nowSecs(),
        }),
      }),
    );
    assertError(fetchFailed, 401, 'invalid_client', AUTH_FAILED);
    const forged = await h2.server.handle(
      tokenEvent({
        grant_type: 'client_credentials',
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: await signAssertion({ ...otherKey, kid: key.kid }, claimsFor(inline)),
      }),
    );
    assertError(forged, 401, 'invalid_client', AUTH_FAILED);

    const denials = h2.logs.filter((l) => l.msg === 'token_denied');
    assert.equal(denials.length, 2);
    assert.equal(denials[0].client_id, unreachable.clientId);
    assert.match(String(denials[0].detail), new RegExp(`^the keys of ${unreachable.clientId} could not be had: .+`));
    assert.equal(denials[1].client_id, inline.clientId);
    assert.equal(denials[1].detail, 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED: signature verification failed');
    for (const result of [fetchFailed, forged]) assert.doesNotMatch(structured(result).body!, /could not be had|ERR_|127\.0\.0\.1/);
  });

  describe('none (public clients)', () => {
    it('authenticates a public client by client_id alone, but only for grants that allow it', async () => {
      assertError(
        await h.server.handle(tokenEvent({ grant_type: 'client_credentials', client_id: publicClient.clientId })),
        400,
        'unauthorized_client',
        'this client is not registered for client_credentials',
      );
      assertError(
        await h.server.handle(tokenEvent({ grant_type: 'client_credentials', client_id: misregisteredPublic.clientId })),
        400,
        'unauthorized_client',
        'a public client cannot use client_credentials',
      );
    });

    it('refuses a public client presenting a secret', async () => {
      const form = { grant_type: 'client_credentials', client_id: misregisteredPublic.clientId, client_secret: 'anything' };
      assertError(await h.server.handle(tokenEvent(form)), 401, 'invalid_client', AUTH_FAILED);
      assertError(
        await h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [misregisteredPublic.clientId, 'anything'] })),
        401,
        'invalid_client',
        AUTH_FAILED,
      );
    });

    it('refuses a confidential client presenting only its client_id', async () => {
      assertError(
        await h.server.handle(tokenEvent({ grant_type: 'client_credentials', client_id: CLIENTS.basic.clientId })),
        401,
        'invalid_client',
        AUTH_FAILED,
      );
    });
  });

  it('lists only the methods its clients use in discovery, with the assertion algorithms', async () => {
    const plain = jsonBody(await h.server.handle(apiEvent({ path: '/.well-known/oauth-authorization-server' })));
    assert.deepEqual(plain.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
    assert.equal(plain.token_endpoint_auth_signing_alg_values_supported, undefined);
    const doc = discoveryDocument({ ...h.config, authMethodsSupported: ['client_secret_basic', 'private_key_jwt', 'none'] });
    assert.deepEqual(doc.token_endpoint_auth_methods_supported, ['client_secret_basic', 'private_key_jwt', 'none']);
    assert.deepEqual(doc.token_endpoint_auth_signing_alg_values_supported, ['RS256', 'PS256', 'ES256', 'EdDSA']);
  });
});
