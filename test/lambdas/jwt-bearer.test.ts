/**
 * The JWT bearer grant (RFC 7523 §2.1): an authenticated client exchanges a user assertion signed by an issuer it is
 * trusted for. A bad assertion is 400 invalid_grant (§3.1), a bad client 401 invalid_client; never a 5xx, nothing issued.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { CLIENT_ASSERTION_TYPE } from '../../lambdas/authorization-server/client-assertion';
import { jwtBearerReplayKey } from '../../lambdas/authorization-server/grants/jwt-bearer';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { CLIENT_ID_TAG, JWT_BEARER_GRANT_TYPE, SECRET_KIND_TAG, type ClientRegistration } from '../../lambdas/shared/manifest';
import { apiEvent, header, jsonBody, structured, tokenEvent } from '../../testing/events';
import { hmacWithPublicKey, signAssertion, testKey, unsignedAssertion, type AssertionOptions, type TestKey } from '../helpers/assertions';
import { CLIENTS, ISSUER, createHarness, type Harness } from './fixtures';

const TOKEN_ENDPOINT = `${ISSUER}/oauth2/token`;
const IDP = 'https://idp.example.test';
const UNVERIFIED = 'assertion is not signed by a trusted key';

function assertError(result: APIGatewayProxyResultV2, status: number, error: string, description: string): void {
  assert.equal(structured(result).statusCode, status, structured(result).body);
  assert.deepEqual(jsonBody(result), { error, error_description: description });
  assert.equal(header(result, 'cache-control'), 'no-store');
  assert.equal(header(result, 'www-authenticate'), status === 401 ? 'Basic realm="oauth-registry"' : undefined);
}

describe('JWT bearer grant', () => {
  let h: Harness;
  let idpKey: TestKey;
  let remoteIdpKey: TestKey;
  let clientKey: TestKey;
  let strangerKey: TestKey;
  let bearer: ClientRegistration & { secretId: string };
  let keyBearer: ClientRegistration;
  let bearerSecret: string;
  let jwksServer: Server;

  before(async () => {
    [idpKey, remoteIdpKey, clientKey, strangerKey] = await Promise.all([
      testKey('RS256'),
      testKey('EdDSA'),
      testKey('ES256'),
      testKey('RS256'),
    ]);
    jwksServer = createServer((_req, res) =>
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [remoteIdpKey.publicJwk] })),
    );
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    bearer = {
      ...CLIENTS.basic,
      name: 'Bearer',
      clientId: 'bearer-client',
      secretId: 'test/clients/Bearer',
      grantTypes: [JWT_BEARER_GRANT_TYPE],
      jwtBearer: { issuer: IDP, jwks: { keys: [idpKey.publicJwk] } },
    };
    keyBearer = {
      name: 'KeyBearer',
      clientId: 'key-bearer-client',
      grantTypes: [JWT_BEARER_GRANT_TYPE, 'client_credentials'],
      authMethod: 'private_key_jwt',
      jwks: { keys: [clientKey.publicJwk] },
      jwtBearer: {
        issuer: 'https://login.partner.example',
        jwksUri: `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/keys`,
      },
      scopes: ['incidents.read', 'incidents.write'],
      accessTokenTtlSecs: 300,
      active: true,
    };
    h = await createHarness({ registrations: new ManifestRegistrationStore({ clients: [...Object.values(CLIENTS), bearer, keyBearer] }) });
    h.secrets.createSecret(bearer.secretId, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: bearer.clientId });
    await h.rotate(bearer.secretId);
    bearerSecret = await h.secretOf(bearer);
  });
  after(() => new Promise<void>((resolve) => jwksServer.close(() => resolve())));

  const nowSecs = () => Math.floor(h.clock.now() / 1000);
  const userClaims = (extra: Partial<AssertionOptions> = {}): AssertionOptions => ({
    iss: IDP,
    sub: 'alice@example.com',
    aud: TOKEN_ENDPOINT,
    nowSecs: nowSecs(),
    ...extra,
  });
  const exchange = (assertion: string, form: Record<string, string> = {}) =>
    h.server.handle(tokenEvent({ grant_type: JWT_BEARER_GRANT_TYPE, assertion, ...form }, { basic: [bearer.clientId, bearerSecret] }));
  const issuedCount = () => h.logs.filter((l) => l.msg === 'token_issued').length;

  async function claimsOf(result: APIGatewayProxyResultV2) {
    assert.equal(structured(result).statusCode, 200, structured(result).body);
    const jwks = jsonBody<{ keys: [] }>(await h.server.handle(apiEvent({ path: '/.well-known/jwks.json' })));
    const { access_token } = jsonBody<{ access_token: string }>(result);
    return (
      await jwtVerify(access_token, createLocalJWKSet(jwks), {
        issuer: ISSUER,
        algorithms: ['RS256'],
        typ: 'at+jwt',
        currentDate: new Date(h.clock.now()),
      })
    ).payload;
  }

  it('issues a token acting for the asserted user: sub = <issuer>|<user>, client_id = client', async () => {
    const result = await exchange(await signAssertion(idpKey, userClaims()), { scope: 'incidents.read' });
    const body = jsonBody<Record<string, unknown>>(result);
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 900);
    assert.equal(body.scope, 'incidents.read');
    const claims = await claimsOf(result);
    assert.equal(claims.sub, `${IDP}|alice@example.com`);
    assert.equal(claims.client_id, bearer.clientId);
    assert.equal(claims.aud, 'https://api.example.test');
    assert.equal(claims.iss, ISSUER);
  });

  it('accepts our issuer as aud and records the jti until exp plus leeway', async () => {
    const result = await exchange(await signAssertion(idpKey, userClaims({ aud: ISSUER, claims: { jti: 'user-jti-1' } })));
    assert.equal((await claimsOf(result)).sub, `${IDP}|alice@example.com`);
    assert.deepEqual(await h.state.get(jwtBearerReplayKey(bearer.clientId, 'user-jti-1')), {
      pk: 'bearer-jti#bearer-client#user-jti-1',
      expiresAt: nowSecs() + 60 + 30,
    });
  });

  it('works with a private_key_jwt client and a remote JWKS for the trusted issuer', async () => {
    const clientAssertion = await signAssertion(clientKey, {
      iss: keyBearer.clientId,
      sub: keyBearer.clientId,
      aud: TOKEN_ENDPOINT,
      nowSecs: nowSecs(),
    });
    const user = await signAssertion(remoteIdpKey, { iss: 'https://login.partner.example', sub: 'bob', aud: ISSUER, nowSecs: nowSecs() });
    const result = await h.server.handle(
      tokenEvent({
        grant_type: JWT_BEARER_GRANT_TYPE,
        assertion: user,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: clientAssertion,
      }),
    );
    const claims = await claimsOf(result);
    assert.equal(claims.sub, 'https://login.partner.example|bob');
    assert.equal(claims.client_id, keyBearer.clientId);
    assert.equal(claims.scope, 'incidents.read incidents.write');
  });

  it('refuses a replayed assertion, issuing nothing the second time', async () => {
    const assertion = await signAssertion(idpKey, userClaims());
    assert.equal(structured(await exchange(assertion)).statusCode, 200);
    const before = issuedCount();
    assertError(await exchange(assertion), 400, 'invalid_grant', "assertion 'jti' has already been used");
    assert.equal(issuedCount(), before);
  });

  describe('refuses a bad assertion with 400 invalid_grant', () => {
    const cases: Array<[string, () => Promise<string>, string]> = [
      [
        'a wrong aud',
        () => signAssertion(idpKey, userClaims({ aud: 'https://other.example/token' })),
        "assertion unexpected 'aud' claim value",
      ],
      [
        'an expired assertion',
        () => signAssertion(idpKey, userClaims({ claims: { iat: nowSecs() - 900, exp: nowSecs() - 60 } })),
        "assertion 'exp' claim timestamp check failed",
      ],
      [
        'an exp more than five minutes away',
        () => signAssertion(idpKey, userClaims({ lifetimeSecs: 3600 })),
        "assertion 'exp' claim is more than 300 seconds away",
      ],
      ['a missing exp', () => signAssertion(idpKey, userClaims({ claims: { exp: undefined } })), "assertion missing required 'exp' claim"],
      ['a missing jti', () => signAssertion(idpKey, userClaims({ claims: { jti: undefined } })), "assertion missing required 'jti' claim"],
      [
        'a jti longer than 256 characters',
        () => signAssertion(idpKey, userClaims({ claims: { jti: 'j'.repeat(257) } })),
        "assertion 'jti' claim must be a string of 1 to 256 characters",
      ],
      ['a missing sub', () => signAssertion(idpKey, userClaims({ claims: { sub: undefined } })), "assertion missing required 'sub' claim"],
      [
        'an issuer the client is not trusted for',
        () => signAssertion(idpKey, userClaims({ iss: 'https://evil.example' })),
        "assertion unexpected 'iss' claim value",
      ],
      ['an unknown key', () => signAssertion(strangerKey, userClaims()), UNVERIFIED],
      ["the client's own key instead of the issuer's", () => signAssertion(clientKey, userClaims()), UNVERIFIED],
      ['alg: none', async () => unsignedAssertion(idpKey, userClaims()), UNVERIFIED],
      ["HS256 signed with the public key's bytes", () => hmacWithPublicKey(idpKey, userClaims()), UNVERIFIED],
      ['garbage', async () => 'a.b.c', UNVERIFIED],
    ];
    for (const [what, make, description] of cases) {
      it(what, async () => {
        const before = issuedCount();
        assertError(await exchange(await make()), 400, 'invalid_grant', description);
        assert.equal(issuedCount(), before);
      });
    }
  });

  it('requires the assertion parameter', async () => {
    assertError(
      await h.server.handle(tokenEvent({ grant_type: JWT_BEARER_GRANT_TYPE }, { basic: [bearer.clientId, bearerSecret] })),
      400,
      'invalid_request',
      'assertion is required',
    );
  });

  it('answers invalid_client for a bad client assertion, and unauthorized_client for a client not registered for the grant', async () => {
    const user = await signAssertion(idpKey, userClaims({ claims: { jti: 'kept-for-later' } }));
    const expiredClientAssertion = await signAssertion(clientKey, {
      iss: keyBearer.clientId,
      sub: keyBearer.clientId,
      aud: TOKEN_ENDPOINT,
      nowSecs: nowSecs() - 1000,
    });
    assertError(
      await h.server.handle(
        tokenEvent({
          grant_type: JWT_BEARER_GRANT_TYPE,
          assertion: user,
          client_assertion_type: CLIENT_ASSERTION_TYPE,
          client_assertion: expiredClientAssertion,
        }),
      ),
      401,
      'invalid_client',
      "client assertion 'exp' claim timestamp check failed",
    );
    assertError(
      await h.server.handle(tokenEvent({ grant_type: JWT_BEARER_GRANT_TYPE, assertion: user }, { basic: [bearer.clientId, 'wrong'] })),
      401,
      'invalid_client',
      'client authentication failed',
    );
    assert.equal(await h.state.get(jwtBearerReplayKey(bearer.clientId, 'kept-for-later')), undefined);
    const basicSecret = await h.secretOf(CLIENTS.basic);
    assertError(
      await h.server.handle(
        tokenEvent({ grant_type: JWT_BEARER_GRANT_TYPE, assertion: user }, { basic: [CLIENTS.basic.clientId, basicSecret] }),
      ),
      400,
      'unauthorized_client',
      `this client is not registered for ${JWT_BEARER_GRANT_TYPE}`,
    );
  });

  it('checks the scope before spending the assertion', async () => {
    const assertion = await signAssertion(idpKey, userClaims({ claims: { jti: 'scope-first' } }));
    assertError(await exchange(assertion, { scope: 'admin' }), 400, 'invalid_scope', 'scope not allowed for this client: admin');
    assert.equal(await h.state.get(jwtBearerReplayKey(bearer.clientId, 'scope-first')), undefined);
    assert.equal(structured(await exchange(assertion)).statusCode, 200);
  });
});
