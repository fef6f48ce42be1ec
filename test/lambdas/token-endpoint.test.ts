import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { GRANT_HANDLERS } from '../../lambdas/authorization-server/grants';
import { isHandledGrantType, type GrantHandlers } from '../../lambdas/authorization-server/grants/grant-handler';
import { generateSigningKey } from '../../lambdas/rotation/rotation';
import { SUPPORTED_GRANT_TYPES } from '../../lambdas/shared/manifest';
import type { SecretStore } from '../../lambdas/shared/ports';
import { PUBLIC_KEY_RING_KEY, publishKeyRing } from '../../lambdas/shared/public-key-ring';
import { apiEvent, basicAuth, header, jsonBody, structured, tokenEvent } from '../../testing/events';
import { CACHE_TTL_SECS, CLIENTS, ISSUER, OVERLAP_SECS, createHarness, type Harness } from './fixtures';

const WWW_AUTHENTICATE = 'Basic realm="oauth-registry"';

function assertNoStore(result: APIGatewayProxyResultV2): void {
  assert.equal(header(result, 'content-type'), 'application/json');
  assert.equal(header(result, 'cache-control'), 'no-store');
  assert.equal(header(result, 'pragma'), 'no-cache');
}

/** Asserts an RFC 6749 §5.2 error response; returns its description. */
function assertOAuthError(result: APIGatewayProxyResultV2, status: number, error: string): string {
  const body = jsonBody<{ error: string; error_description: string }>(result);
  assert.equal(structured(result).statusCode, status, `body: ${structured(result).body}`);
  assert.equal(body.error, error);
  assert.equal(typeof body.error_description, 'string');
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description']);
  assertNoStore(result);
  assert.equal(header(result, 'www-authenticate'), status === 401 ? WWW_AUTHENTICATE : undefined);
  return body.error_description;
}

async function verify(h: Harness, token: string) {
  const jwks = jsonBody<{ keys: [] }>(await h.server.handle(apiEvent({ path: '/.well-known/jwks.json' })));
  return jwtVerify(token, createLocalJWKSet(jwks), {
    algorithms: ['RS256'],
    typ: 'at+jwt',
    issuer: ISSUER,
    currentDate: new Date(h.clock.now()),
  });
}

describe('token endpoint: client_credentials', () => {
  let h: Harness;
  let basicSecret: string;
  let postSecret: string;
  before(async () => {
    h = await createHarness();
    basicSecret = await h.secretOf(CLIENTS.basic);
    postSecret = await h.secretOf(CLIENTS.post);
  });
  const basicCreds = () => [CLIENTS.basic.clientId, basicSecret] as const;
  const grant = { grant_type: 'client_credentials' };

  it("issues an RFC 9068 RS256 JWT with all the client's scopes when none is requested", async () => {
    const result = await h.server.handle(tokenEvent(grant, { basic: basicCreds() }));
    assert.equal(structured(result).statusCode, 200);
    assertNoStore(result);
    const body = jsonBody<Record<string, unknown>>(result);
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 900);
    assert.equal(body.scope, 'incidents.read incidents.write');

    const { payload, protectedHeader } = await verify(h, body.access_token as string);
    const jwks = jsonBody<{ keys: { kid: string }[] }>(await h.server.handle(apiEvent({ path: '/.well-known/jwks.json' })));
    assert.deepEqual(protectedHeader, { alg: 'RS256', typ: 'at+jwt', kid: jwks.keys[0].kid });
    const iat = Math.floor(h.clock.now() / 1000);
    assert.deepEqual(
      { ...payload, jti: undefined },
      {
        iss: ISSUER,
        sub: CLIENTS.basic.clientId,
        aud: CLIENTS.basic.audience,
        client_id: CLIENTS.basic.clientId,
        scope: 'incidents.read incidents.write',
        iat,
        exp: iat + 900,
        jti: undefined,
      },
    );
    assert.match(payload.jti!, /^[0-9a-f-]{36}$/);
    const again = jsonBody<{ access_token: string }>(await h.server.handle(tokenEvent(grant, { basic: basicCreds() })));
    assert.notEqual((await verify(h, again.access_token)).payload.jti, payload.jti);
  });

  it('the token fails verification once expired (frozen clock)', async () => {
    const { access_token } = jsonBody<{ access_token: string }>(await h.server.handle(tokenEvent(grant, { basic: basicCreds() })));
    const jwks = jsonBody<{ keys: [] }>(await h.server.handle(apiEvent({ path: '/.well-known/jwks.json' })));
    await assert.rejects(
      jwtVerify(access_token, createLocalJWKSet(jwks), { algorithms: ['RS256'], currentDate: new Date(h.clock.now() + 901_000) }),
      { code: 'ERR_JWT_EXPIRED' },
    );
  });

  it('authenticates client_secret_post and grants a requested subset of scopes', async () => {
    const result = await h.server.handle(
      tokenEvent({ ...grant, client_id: CLIENTS.post.clientId, client_secret: postSecret, scope: 'reports.read' }),
    );
    assert.equal(structured(result).statusCode, 200);
    const body = jsonBody<{ access_token: string; scope: string; expires_in: number }>(result);
    assert.equal(body.scope, 'reports.read');
    assert.equal(body.expires_in, 300);
    const { payload } = await verify(h, body.access_token);
    assert.equal(payload.exp! - payload.iat!, 300);
    assert.equal(payload.scope, 'reports.read');
  });

  it('grants exactly the requested scope, deduplicated', async () => {
    const result = await h.server.handle(tokenEvent({ ...grant, scope: 'incidents.write incidents.write' }, { basic: basicCreds() }));
    assert.equal(jsonBody<{ scope: string }>(result).scope, 'incidents.write');
  });

  it('treats a parameter without a value as omitted (scope= means all scopes)', async () => {
    const result = await h.server.handle(tokenEvent('grant_type=client_credentials&scope=', { basic: basicCreds() }));
    assert.equal(jsonBody<{ scope: string }>(result).scope, 'incidents.read incidents.write');
  });

  it('accepts parameters on the media type and base64-encoded bodies', async () => {
    const charset = await h.server.handle(
      tokenEvent(grant, { basic: basicCreds(), contentType: 'Application/X-WWW-Form-Urlencoded ; charset=UTF-8' }),
    );
    assert.equal(structured(charset).statusCode, 200);
    const encoded = await h.server.handle(tokenEvent(grant, { basic: basicCreds(), isBase64Encoded: true }));
    assert.equal(structured(encoded).statusCode, 200);
  });

  it('refuses other or missing content types with invalid_request', async () => {
    const json = apiEvent({
      method: 'POST',
      path: '/oauth2/token',
      headers: { 'content-type': 'application/json', authorization: basicAuth(...basicCreds()) },
      body: JSON.stringify(grant),
    });
    assertOAuthError(await h.server.handle(json), 400, 'invalid_request');
    assertOAuthError(await h.server.handle(tokenEvent(grant, { basic: basicCreds(), contentType: null })), 400, 'invalid_request');
  });

  it('refuses a body over 16 KB with invalid_request', async () => {
    const big = `grant_type=client_credentials&pad=${'a'.repeat(16 * 1024)}`;
    assertOAuthError(await h.server.handle(tokenEvent(big, { basic: basicCreds() })), 400, 'invalid_request');
    assertOAuthError(await h.server.handle(tokenEvent(big, { basic: basicCreds(), isBase64Encoded: true })), 400, 'invalid_request');
  });

  it('refuses a repeated parameter with invalid_request', async () => {
    const description = assertOAuthError(
      await h.server.handle(
        tokenEvent('grant_type=client_credentials&scope=incidents.read&scope=incidents.write', { basic: basicCreds() }),
      ),
      400,
      'invalid_request',
    );
    assert.match(description, /scope/);
    assertOAuthError(
      await h.server.handle(tokenEvent('grant_type=client_credentials&grant_type=client_credentials', { basic: basicCreds() })),
      400,
      'invalid_request',
    );
  });

  it('error_description holds only RFC 6749 §5.2 characters and never echoes a 16 KB value', async () => {
    const ALLOWED = /^[\x20-\x21\x23-\x5B\x5D-\x7E]{1,400}$/;
    const long = 'g'.repeat(16 * 1024 - 100);
    const huge = assertOAuthError(
      await h.server.handle(tokenEvent({ grant_type: long }, { basic: basicCreds() })),
      400,
      'unsupported_grant_type',
    );
    assert.equal(huge, 'grant_type is not supported');
    const odd = 'x"\\\n\u00e9\u202e\u0000y';
    const repeated = `grant_type=client_credentials&${encodeURIComponent(odd)}=1&${encodeURIComponent(odd)}=2`;
    for (const body of [new URLSearchParams({ grant_type: odd }).toString(), repeated]) {
      const event = tokenEvent(body, { basic: basicCreds() });
      const description = jsonBody<{ error_description: string }>(await h.server.handle(event)).error_description;
      assert.match(description, ALLOWED, JSON.stringify(description));
      assert.match(description, /x'\?\?\?\?\?y/, 'quote made single, the rest replaced');
    }
    const path = `/oauth2/${'p'.repeat(2000)}\u00e9"`;
    const notFound = jsonBody<{ error_description: string }>(await h.server.handle(apiEvent({ path }))).error_description;
    assert.match(notFound, ALLOWED);
  });

  it('answers missing grant_type with invalid_request, unknown with unsupported_grant_type', async () => {
    assertOAuthError(await h.server.handle(tokenEvent({ scope: 'incidents.read' }, { basic: basicCreds() })), 400, 'invalid_request');
    assertOAuthError(await h.server.handle(tokenEvent({ grant_type: 'password' }, { basic: basicCreds() })), 400, 'unsupported_grant_type');
    assertOAuthError(
      await h.server.handle(
        tokenEvent({ grant_type: 'urn:ietf:params:oauth:grant-type:device_code', device_code: 'x' }, { basic: basicCreds() }),
      ),
      400,
      'unsupported_grant_type',
    );
  });

  it('answers a grant_type named like an object member (toString, __proto__, constructor) with unsupported_grant_type', async () => {
    for (const grantType of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const result = await h.server.handle(tokenEvent({ grant_type: grantType }, { basic: basicCreds() }));
      assertOAuthError(result, 400, 'unsupported_grant_type');
    }
  });

  it('answers unauthorized_client when the client is not registered for the grant', async () => {
    const secret = await h.secretOf(CLIENTS.noGrant);
    assertOAuthError(await h.server.handle(tokenEvent(grant, { basic: [CLIENTS.noGrant.clientId, secret] })), 400, 'unauthorized_client');
  });

  it('decodes form-urlencoding inside Basic credentials', async () => {
    const raw = `${encodeURIComponent(CLIENTS.basic.clientId).replace('-', '%2D')}:${basicSecret}`;
    const result = await h.server.handle(tokenEvent(grant, { headers: { authorization: `Basic ${Buffer.from(raw).toString('base64')}` } }));
    assert.equal(structured(result).statusCode, 200);
  });

  it('refuses malformed Basic credentials with invalid_request', async () => {
    for (const authorization of ['Basic !!!notbase64', `Basic ${Buffer.from('no-colon-here').toString('base64')}`]) {
      assertOAuthError(await h.server.handle(tokenEvent(grant, { headers: { authorization } })), 400, 'invalid_request');
    }
    const badPercent = `Basic ${Buffer.from(`${CLIENTS.basic.clientId}:%zz`).toString('base64')}`;
    assertOAuthError(await h.server.handle(tokenEvent(grant, { headers: { authorization: badPercent } })), 400, 'invalid_request');
  });

  it('refuses two authentication methods at once with invalid_client', async () => {
    const result = await h.server.handle(
      tokenEvent({ ...grant, client_id: CLIENTS.basic.clientId, client_secret: basicSecret }, { basic: basicCreds() }),
    );
    assertOAuthError(result, 401, 'invalid_client');
  });

  it('refuses a method other than the registered one with invalid_client', async () => {
    const postForBasicClient = tokenEvent({ ...grant, client_id: CLIENTS.basic.clientId, client_secret: basicSecret });
    assertOAuthError(await h.server.handle(postForBasicClient), 401, 'invalid_client');
    const basicForPostClient = tokenEvent(grant, { basic: [CLIENTS.post.clientId, postSecret] });
    assertOAuthError(await h.server.handle(basicForPostClient), 401, 'invalid_client');
  });

  it('answers wrong secret, unknown client and inactive client alike: 401 invalid_client, same description', async () => {
    const inactiveSecret = await h.secretOf(CLIENTS.inactive);
    const descriptions = [
      assertOAuthError(
        await h.server.handle(tokenEvent(grant, { basic: [CLIENTS.basic.clientId, `${basicSecret}x`] })),
        401,
        'invalid_client',
      ),
      assertOAuthError(await h.server.handle(tokenEvent(grant, { basic: ['nobody', basicSecret] })), 401, 'invalid_client'),
      assertOAuthError(
        await h.server.handle(tokenEvent(grant, { basic: [CLIENTS.inactive.clientId, inactiveSecret] })),
        401,
        'invalid_client',
      ),
      assertOAuthError(
        await h.server.handle(tokenEvent({ ...grant, client_id: CLIENTS.post.clientId, client_secret: 'wrong' })),
        401,
        'invalid_client',
      ),
    ];
    assert.equal(new Set(descriptions).size, 1);
  });

  it('refuses a request without client authentication with invalid_client', async () => {
    assertOAuthError(await h.server.handle(tokenEvent(grant)), 401, 'invalid_client');
    assertOAuthError(await h.server.handle(tokenEvent({ ...grant, client_id: CLIENTS.post.clientId })), 401, 'invalid_client');
    assertOAuthError(await h.server.handle(tokenEvent(grant, { headers: { authorization: 'Bearer abc' } })), 401, 'invalid_client');
  });

  it('refuses a malformed scope with invalid_scope (RFC 6749 §3.3 syntax)', async () => {
    for (const scope of ['incidents.read  incidents.write', ' incidents.read', 'incidents.read ', 'a"b', 'a\\b', 'caf\u00e9', 'a\tb']) {
      assertOAuthError(await h.server.handle(tokenEvent({ ...grant, scope }, { basic: basicCreds() })), 400, 'invalid_scope');
    }
  });

  it("refuses a scope beyond the client's with invalid_scope", async () => {
    const description = assertOAuthError(
      await h.server.handle(tokenEvent({ ...grant, scope: 'incidents.read reports.read' }, { basic: basicCreds() })),
      400,
      'invalid_scope',
    );
    assert.match(description, /reports\.read/);
  });

  it('logs one JSON line per outcome with the client id, never the secret or the token', async () => {
    h.logs.length = 0;
    const ok = jsonBody<{ access_token: string }>(
      await h.server.handle(tokenEvent({ ...grant, scope: 'incidents.read' }, { basic: basicCreds() })),
    );
    await h.server.handle(tokenEvent(grant, { basic: [CLIENTS.basic.clientId, 'wrong-secret'] }));
    assert.deepEqual(
      h.logs.map(({ level, msg, client_id, scope, error }) => ({ level, msg, client_id, scope, error })),
      [
        { level: 'info', msg: 'token_issued', client_id: CLIENTS.basic.clientId, scope: 'incidents.read', error: undefined },
        { level: 'warn', msg: 'token_denied', client_id: CLIENTS.basic.clientId, scope: undefined, error: 'invalid_client' },
      ],
    );
    const text = JSON.stringify(h.logs);
    for (const secret of [basicSecret, 'wrong-secret', ok.access_token, ok.access_token.split('.')[2]]) assert.ok(!text.includes(secret));
  });
});

describe('token endpoint: grant handlers', () => {
  it('has a handler for every supported grant type, and a table missing one does not compile', () => {
    assert.deepEqual(Object.keys(GRANT_HANDLERS).sort(), [...SUPPORTED_GRANT_TYPES].sort());
    const { refresh_token: _dropped, ...withoutRefresh } = GRANT_HANDLERS;
    // @ts-expect-error refresh_token has no handler: the table must cover every SUPPORTED_GRANT_TYPES entry.
    const incomplete: GrantHandlers = withoutRefresh;
    assert.equal(isHandledGrantType(incomplete, 'refresh_token'), false);
  });
});

describe('token endpoint: client secret rotation', () => {
  it('accepts the previous secret only during the overlap; the current one always', async () => {
    const h = await createHarness();
    const oldSecret = await h.secretOf(CLIENTS.basic);
    h.clock.advance(10);
    await h.rotate(CLIENTS.basic.secretId);
    const newSecret = await h.secretOf(CLIENTS.basic);
    assert.notEqual(newSecret, oldSecret);
    h.clock.advance(CACHE_TTL_SECS); // past the cache TTL: the rotation is seen
    const request = (secret: string) =>
      h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, secret] }));

    assert.equal(structured(await request(oldSecret)).statusCode, 200);
    assert.equal(structured(await request(newSecret)).statusCode, 200);

    h.clock.advance(OVERLAP_SECS - CACHE_TTL_SECS - 1); // one second before the overlap ends
    assert.equal(structured(await request(oldSecret)).statusCode, 200);
    h.clock.advance(1); // overlap over: now == createdAt + overlap
    assertOAuthError(await request(oldSecret), 401, 'invalid_client');
    assert.equal(structured(await request(newSecret)).statusCode, 200);
  });

  it('a secret rotated moments ago works before the cache TTL (one reload on a miss)', async () => {
    const h = await createHarness();
    const request = (secret: string) =>
      h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, secret] }));
    assert.equal(structured(await request(await h.secretOf(CLIENTS.basic))).statusCode, 200); // warms the cache
    await h.rotate(CLIENTS.basic.secretId);
    const newSecret = await h.secretOf(CLIENTS.basic);
    assertOAuthError(await request(newSecret), 401, 'invalid_client'); // cache loaded 0 s ago: no reload yet
    h.clock.advance(5);
    assert.equal(structured(await request(newSecret)).statusCode, 200);
  });
});

/** Wraps a store, counting calls and optionally failing them. */
function instrumented(inner: SecretStore, fail: () => boolean) {
  const calls: string[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.push(String(prop));
        if (fail()) return Promise.reject(new Error('connect ETIMEDOUT 10.0.0.1:443 secret-internals'));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls };
}

describe('token endpoint: stores', () => {
  it('makes no store call on the warm path', async () => {
    const base = await createHarness();
    const { store, calls } = instrumented(base.secrets, () => false);
    let registrationCalls = 0;
    const h = await createHarness({
      secrets: store,
      registrations: { getClient: async (id) => (registrationCalls++, Object.values(CLIENTS).find((c) => c.clientId === id)) },
    });
    await h.state.put((await base.state.get(PUBLIC_KEY_RING_KEY))!); // it signs with base's keys: publish those
    const event = tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, await base.secretOf(CLIENTS.basic)] });
    assert.equal(structured(await h.server.handle(event)).statusCode, 200);
    const cold = calls.length;
    assert.ok(cold > 0);
    assert.equal(registrationCalls, 1);
    for (let i = 0; i < 5; i++) assert.equal(structured(await h.server.handle(event)).statusCode, 200);
    assert.equal(calls.length, cold);
    assert.equal(registrationCalls, 1);
  });

  it('refuses to sign with a key the published ring lacks (a stale ring): 503 temporarily_unavailable, logged', async () => {
    const h = await createHarness();
    await publishKeyRing(h.state, { keys: [{ jwk: await generateSigningKey(), createdAt: 0, activatesAt: 0 }] }, { nowSecs: 0 });
    const event = tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, await h.secretOf(CLIENTS.basic)] });
    const result = await h.server.handle(event);
    assertOAuthError(result, 503, 'temporarily_unavailable');
    assert.ok(h.logs.some((l) => l.msg === 'signing_key_unpublished' && typeof l.kid === 'string'));
  });

  it('never signs with a kid an emergency rotation revoked, even if the item still lists the key: 503, logged', async () => {
    const h = await createHarness();
    const item = (await h.state.get(PUBLIC_KEY_RING_KEY))!;
    const keys = item.keys as { jwk: { kid: string }; activatesAt: number }[];
    const signer = [...keys].sort((a, b) => a.activatesAt - b.activatesAt)[0].jwk.kid; // a first ring: the signer, the next key
    await h.state.put({ ...item, revokedKids: [signer] }); // the key itself left in place, as by a hand edit
    const event = tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, await h.secretOf(CLIENTS.basic)] });
    assertOAuthError(await h.server.handle(event), 503, 'temporarily_unavailable');
    assert.ok(h.logs.some((l) => l.msg === 'signing_key_unpublished' && l.kid === signer));
  });

  it('turns a store failure into 500 server_error without internals, and logs it', async () => {
    const base = await createHarness();
    const { store } = instrumented(base.secrets, () => true);
    const h = await createHarness({ secrets: store });
    const result = await h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, 'x'] }));
    const description = assertOAuthError(result, 500, 'server_error');
    assert.doesNotMatch(structured(result).body!, /ETIMEDOUT|internals|Error/);
    assert.ok(description.length > 0);
    const line = h.logs.find((l) => l.msg === 'unexpected_error');
    assert.deepEqual(line?.error, { name: 'Error', message: 'connect ETIMEDOUT 10.0.0.1:443 secret-internals' });

    const failingRegistrations = await createHarness({ registrations: { getClient: () => Promise.reject(new TypeError('ddb down')) } });
    const ddb = await failingRegistrations.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: ['any', 'x'] }));
    assertOAuthError(ddb, 500, 'server_error');
  });
});

describe('router', () => {
  it('answers an unknown route with 404 JSON and falls back to method and path for $default', async () => {
    const h = await createHarness();
    const missing = await h.server.handle(apiEvent({ method: 'GET', path: '/oauth2/token' }));
    assert.equal(structured(missing).statusCode, 404);
    assert.equal(jsonBody(missing).error, 'not_found');
    assert.equal(header(missing, 'content-type'), 'application/json');
    const viaDefault = await h.server.handle(apiEvent({ path: '/.well-known/jwks.json', routeKey: '$default' }));
    assert.equal(structured(viaDefault).statusCode, 200);
  });
});
