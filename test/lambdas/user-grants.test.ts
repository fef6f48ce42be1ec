/**
 * authorization_code and refresh_token grants, revocation and introspection at the handler level (frozen clock,
 * memory store); codes are issued with `issueCode` as the consent step does. Each bad input: the RFC error, nothing issued.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { beforeEach, describe, it } from 'node:test';
import { decodeJwt } from 'jose';
import { issueCode } from '../../lambdas/authorization-server/user-grants';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type ClientRegistration } from '../../lambdas/shared/manifest';
import { apiEvent, basicAuth, header, jsonBody, structured, tokenEvent } from '../../testing/events';
import { CLIENTS, createHarness, type Harness } from './fixtures';

const SUB = 'https://login.example.test|alice';
const REDIRECT = 'https://app.example.test/cb';
const VERIFIER = 'v'.repeat(43) + '-._~0123456789';
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');

const userClient = (name: string, overrides: Partial<ClientRegistration> = {}): ClientRegistration & { secretId: string } => ({
  name,
  clientId: `${name.toLowerCase()}-client`,
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'client_secret_basic',
  scopes: ['incidents.read', 'incidents.write'],
  accessTokenTtlSecs: 600,
  active: true,
  secretId: `test/clients/${name}`,
  secretRotationDays: 90,
  redirectUris: [REDIRECT],
  ...overrides,
});

const WEB = userClient('Web', { refreshTokenIdleTtlSecs: 3600, refreshTokenAbsoluteTtlSecs: 7200 });
const OTHER = userClient('Other');
const GRACE = userClient('Grace', { refreshTokenReuseGraceSecs: 30 });
const STRICT = userClient('Strict', { refreshTokenReuseGraceSecs: 0 });
const NO_REFRESH = userClient('NoRefresh', { grantTypes: ['authorization_code'] });
// Idle expiry far inside the absolute lifetime, so only the idle rule can refuse.
const IDLE = userClient('Idle', { refreshTokenIdleTtlSecs: 3600, refreshTokenAbsoluteTtlSecs: 30 * 86_400 });
const USER_CLIENTS = [WEB, OTHER, GRACE, STRICT, NO_REFRESH, IDLE];

let h: Harness;
const secrets = new Map<string, string>();

beforeEach(async () => {
  h = await createHarness({ registrations: new ManifestRegistrationStore({ clients: [...Object.values(CLIENTS), ...USER_CLIENTS] }) });
  for (const c of USER_CLIENTS) {
    h.secrets.createSecret(c.secretId, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: c.clientId });
    await h.rotate(c.secretId);
    secrets.set(c.clientId, await h.secretOf(c));
  }
});

const creds = (c: ClientRegistration): [string, string] => [c.clientId, secrets.get(c.clientId)!];

function code(c: ClientRegistration = WEB, overrides: Partial<{ redirectUri: string; codeChallenge: string; scope: string }> = {}) {
  return issueCode(h.state, h.clock.now, {
    clientId: c.clientId,
    redirectUri: REDIRECT,
    codeChallenge: CHALLENGE,
    scope: 'incidents.read',
    sub: SUB,
    ...overrides,
  });
}

async function redeem(value: string, c: ClientRegistration = WEB, form: Record<string, string> = {}) {
  const result = await h.server.handle(
    tokenEvent(
      { grant_type: 'authorization_code', code: value, redirect_uri: REDIRECT, code_verifier: VERIFIER, ...form },
      { basic: creds(c) },
    ),
  );
  return { status: structured(result).statusCode, body: jsonBody(result), result };
}

async function refresh(token: string, c: ClientRegistration = WEB, form: Record<string, string> = {}) {
  const result = await h.server.handle(tokenEvent({ grant_type: 'refresh_token', refresh_token: token, ...form }, { basic: creds(c) }));
  return { status: structured(result).statusCode, body: jsonBody(result) };
}

async function post(path: string, form: Record<string, string>, c: ClientRegistration = WEB) {
  const result = await h.server.handle(
    apiEvent({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(...creds(c)) },
      body: new URLSearchParams(form).toString(),
    }),
  );
  return { status: structured(result).statusCode, body: jsonBody(result) };
}

const invalidGrant = (description: string) => ({ error: 'invalid_grant', error_description: description });
const INVALID_CODE = invalidGrant('authorization code is invalid, expired or already used');
const INVALID_REFRESH = invalidGrant('refresh token is invalid, expired or revoked');
const REUSED = invalidGrant('refresh token was already used; every token of this grant is revoked');

describe('authorization_code grant', () => {
  it('issues a user token and a refresh token for a code, PKCE verifier and redirect URI', async () => {
    const { status, body, result } = await redeem(await code());
    assert.equal(status, 200);
    assert.equal(header(result, 'cache-control'), 'no-store');
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'refresh_token', 'scope', 'token_type']);
    assert.equal(body.scope, 'incidents.read');
    const claims = decodeJwt(body.access_token as string);
    assert.equal(claims.sub, SUB);
    assert.equal(claims.client_id, WEB.clientId);
    assert.equal(h.logs.filter((l) => JSON.stringify(l).includes(body.refresh_token as string)).length, 0, 'refresh token never logged');
  });

  it('stores codes and refresh tokens by hash, never their value', async () => {
    const value = await code();
    const { body } = await redeem(value);
    const state = JSON.stringify(await h.state.get(`code#${createHash('sha256').update(value).digest('base64url')}`));
    assert.ok(!state.includes(value));
    assert.ok(
      await h.state.get(
        `rt#${createHash('sha256')
          .update(body.refresh_token as string)
          .digest('base64url')}`,
      ),
    );
  });

  it('issues no refresh token to a client not registered for refresh_token', async () => {
    const { status, body } = await redeem(await code(NO_REFRESH), NO_REFRESH);
    assert.equal(status, 200);
    assert.equal(body.refresh_token, undefined);
  });

  it('refuses a wrong verifier with invalid_grant; the binding is checked before the code is claimed', async () => {
    const value = await code();
    const { status, body } = await redeem(value, WEB, { code_verifier: 'w'.repeat(43) });
    assert.equal(status, 400);
    assert.deepEqual(body, invalidGrant('code_verifier does not match the code_challenge'));
    assert.equal((await redeem(value)).status, 200);
  });

  it('refuses a missing verifier with invalid_request, and the code still works', async () => {
    const value = await code();
    const result = await h.server.handle(
      tokenEvent({ grant_type: 'authorization_code', code: value, redirect_uri: REDIRECT }, { basic: creds(WEB) }),
    );
    assert.equal(structured(result).statusCode, 400);
    assert.deepEqual(jsonBody(result), { error: 'invalid_request', error_description: 'code_verifier is required' });
    assert.equal((await redeem(value)).status, 200);
  });

  it('refuses a plain verifier equal to the challenge (plain is not a method here)', async () => {
    const plain = 'p'.repeat(43);
    const { status, body } = await redeem(await code(WEB, { codeChallenge: plain }), WEB, { code_verifier: plain });
    assert.equal(status, 400);
    assert.deepEqual(body, invalidGrant('code_verifier does not match the code_challenge'));
  });

  it('refuses a redirect URI differing by one character', async () => {
    const { status, body } = await redeem(await code(), WEB, { redirect_uri: `${REDIRECT}/` });
    assert.equal(status, 400);
    assert.deepEqual(body, invalidGrant('redirect_uri differs from the authorization request'));
  });

  it('refuses a reused code and revokes what the first redemption issued', async () => {
    const value = await code();
    const first = await redeem(value);
    assert.equal(first.status, 200);
    const second = await redeem(value);
    assert.equal(second.status, 400);
    assert.deepEqual(second.body, INVALID_CODE);
    assert.deepEqual(await refresh(first.body.refresh_token as string), { status: 400, body: INVALID_REFRESH });
    const introspected = await post('/oauth2/introspect', { token: first.body.access_token as string });
    assert.deepEqual(introspected.body, { active: false });
  });

  it('refuses the code of another client', async () => {
    const { status, body } = await redeem(await code(OTHER), WEB);
    assert.equal(status, 400);
    assert.deepEqual(body, INVALID_CODE);
  });

  it('refuses an expired code (frozen clock)', async () => {
    const value = await code();
    h.clock.advance(61);
    const { status, body } = await redeem(value);
    assert.equal(status, 400);
    assert.deepEqual(body, INVALID_CODE);
  });

  it('refuses a client not registered for authorization_code with unauthorized_client', async () => {
    const result = await h.server.handle(
      tokenEvent(
        { grant_type: 'authorization_code', code: 'x', redirect_uri: REDIRECT, code_verifier: VERIFIER },
        { basic: ['basic-client', await h.secretOf(CLIENTS.basic)] },
      ),
    );
    assert.equal(structured(result).statusCode, 400);
    assert.equal(jsonBody(result).error, 'unauthorized_client');
  });
});

describe('refresh_token grant', () => {
  const start = async (c: ClientRegistration = WEB) => (await redeem(await code(c, { scope: 'incidents.read incidents.write' }), c)).body;

  it('rotates on every use: a new refresh token, the old one retired', async () => {
    const first = await start();
    const next = await refresh(first.refresh_token as string);
    assert.equal(next.status, 200);
    assert.notEqual(next.body.refresh_token, first.refresh_token);
    assert.equal(decodeJwt(next.body.access_token as string).sub, SUB);
    assert.equal((await refresh(next.body.refresh_token as string)).status, 200);
  });

  it('narrows the scope on request and refuses widening it', async () => {
    const first = await start();
    const narrowed = await refresh(first.refresh_token as string, WEB, { scope: 'incidents.read' });
    assert.equal(narrowed.body.scope, 'incidents.read');
    // The family keeps the whole grant: the next refresh may ask for all of it again.
    const again = await refresh(narrowed.body.refresh_token as string);
    assert.equal(again.body.scope, 'incidents.read incidents.write');
    const wider = await refresh(again.body.refresh_token as string, WEB, { scope: 'reports.read' });
    assert.deepEqual(wider, {
      status: 400,
      body: { error: 'invalid_scope', error_description: 'scope exceeds what the user granted: reports.read' },
    });
  });

  it('refuses widening to a scope the client is registered for but the user did not grant', async () => {
    const { body } = await redeem(await code(WEB, { scope: 'incidents.read' }));
    assert.equal(body.scope, 'incidents.read');
    const wider = await refresh(body.refresh_token as string, WEB, { scope: 'incidents.read incidents.write' });
    assert.deepEqual(wider, {
      status: 400,
      body: { error: 'invalid_scope', error_description: 'scope exceeds what the user granted: incidents.write' },
    });
    const same = await refresh(body.refresh_token as string);
    assert.equal(same.body.scope, 'incidents.read', 'the refused request did not use the token up');
  });

  it('reuse of a rotated refresh token after the grace window (30 s by default) revokes the family', async () => {
    const first = await start();
    const next = await refresh(first.refresh_token as string);
    h.clock.advance(31);
    const reuse = await refresh(first.refresh_token as string);
    assert.deepEqual(reuse, { status: 400, body: REUSED });
    assert.deepEqual(await refresh(next.body.refresh_token as string), { status: 400, body: INVALID_REFRESH });
  });

  it('a retry after a lost answer gets the same pair; once the new token was used, the old one revokes the family', async () => {
    const first = await start();
    const lost = await refresh(first.refresh_token as string);
    h.clock.advance(5);
    assert.deepEqual(await refresh(first.refresh_token as string), lost, 'the retry within the default grace window');
    const third = await refresh(lost.body.refresh_token as string);
    assert.equal(third.status, 200);
    assert.deepEqual(await refresh(first.refresh_token as string), { status: 400, body: REUSED }, 'still within 30 s');
    assert.deepEqual(await refresh(third.body.refresh_token as string), { status: 400, body: INVALID_REFRESH });
  });

  it('refreshTokenReuseGraceSecs: 0 makes any reuse revoke the family', async () => {
    const first = await start(STRICT);
    const next = await refresh(first.refresh_token as string, STRICT);
    assert.deepEqual(await refresh(first.refresh_token as string, STRICT), { status: 400, body: REUSED });
    assert.deepEqual(await refresh(next.body.refresh_token as string, STRICT), { status: 400, body: INVALID_REFRESH });
  });

  it('refuses the refresh token of another client, and the owner keeps it', async () => {
    const first = await start();
    assert.deepEqual(await refresh(first.refresh_token as string, OTHER), { status: 400, body: INVALID_REFRESH });
    assert.equal((await refresh(first.refresh_token as string)).status, 200);
  });

  it('expires after the idle lifetime (sliding) and the absolute lifetime', async () => {
    const first = await start();
    h.clock.advance(3000);
    const second = await refresh(first.refresh_token as string);
    assert.equal(second.status, 200, 'within the idle window');
    h.clock.advance(3000);
    const third = await refresh(second.body.refresh_token as string);
    assert.equal(third.status, 200, 'the idle window slid with the rotation');
    h.clock.advance(3601);
    assert.deepEqual(await refresh(third.body.refresh_token as string), { status: 400, body: INVALID_REFRESH });

    const other = await start();
    let token = other.refresh_token as string;
    for (let i = 0; i < 3; i++) {
      h.clock.advance(2000);
      token = (await refresh(token)).body.refresh_token as string;
    }
    h.clock.advance(1201); // 7201 s after sign-in: past the absolute lifetime though used recently
    assert.deepEqual(await refresh(token), { status: 400, body: INVALID_REFRESH });
  });

  it('an unused refresh token expires after the idle lifetime, long before the absolute one', async () => {
    const first = await start(IDLE);
    h.clock.advance(3599);
    const second = await refresh(first.refresh_token as string, IDLE);
    assert.equal(second.status, 200, 'used within the idle window');
    h.clock.advance(3601); // 2 hours after sign-in: 29.9 days of the absolute lifetime are left
    assert.deepEqual(await refresh(second.body.refresh_token as string, IDLE), { status: 400, body: INVALID_REFRESH });
  });

  it('within the grace window, a concurrent reuse gets the very same pair', async () => {
    const first = await start(GRACE);
    const a = await refresh(first.refresh_token as string, GRACE);
    h.clock.advance(10);
    const b = await refresh(first.refresh_token as string, GRACE);
    assert.deepEqual(b, a);
    h.clock.advance(31);
    const late = await refresh(first.refresh_token as string, GRACE);
    assert.equal(late.status, 400);
    assert.deepEqual(await refresh(a.body.refresh_token as string, GRACE), { status: 400, body: INVALID_REFRESH });
  });
});

describe('revocation (RFC 7009) and introspection (RFC 7662)', () => {
  it('introspects access and refresh tokens for the owning client only', async () => {
    const { body } = await redeem(await code());
    const access = await post('/oauth2/introspect', { token: body.access_token as string });
    assert.equal(access.status, 200);
    const claims = decodeJwt(body.access_token as string);
    assert.deepEqual(access.body, {
      active: true,
      token_type: 'Bearer',
      scope: 'incidents.read',
      client_id: WEB.clientId,
      sub: SUB,
      aud: claims.aud,
      iss: h.config.issuer,
      exp: claims.exp,
      iat: claims.iat,
      jti: claims.jti,
    });
    const rt = await post('/oauth2/introspect', { token: body.refresh_token as string });
    assert.equal(rt.body.active, true);
    assert.equal(rt.body.token_type, 'refresh_token');
    assert.deepEqual(await post('/oauth2/introspect', { token: body.access_token as string }, OTHER), {
      status: 200,
      body: { active: false },
    });
    assert.deepEqual(await post('/oauth2/introspect', { token: 'unknown' }), { status: 200, body: { active: false } });
  });

  it('requires client authentication', async () => {
    const result = await h.server.handle(
      apiEvent({
        method: 'POST',
        path: '/oauth2/introspect',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'token=x',
      }),
    );
    assert.equal(structured(result).statusCode, 401);
    assert.equal(jsonBody(result).error, 'invalid_client');
  });

  it('revoking a refresh token revokes its family; revoking an access token makes it inactive', async () => {
    const { body } = await redeem(await code());
    const next = await refresh(body.refresh_token as string);
    assert.deepEqual(await post('/oauth2/revoke', { token: body.refresh_token as string }), { status: 200, body: {} });
    assert.deepEqual(await refresh(next.body.refresh_token as string), { status: 400, body: INVALID_REFRESH });

    assert.deepEqual(await post('/oauth2/revoke', { token: next.body.access_token as string, token_type_hint: 'access_token' }), {
      status: 200,
      body: {},
    });
    assert.deepEqual(await post('/oauth2/introspect', { token: next.body.access_token as string }), {
      status: 200,
      body: { active: false },
    });
  });

  it('access tokens from a family carry its id as fid; client_credentials tokens carry none', async () => {
    const { body } = await redeem(await code());
    const fid = decodeJwt(body.access_token as string).fid;
    assert.equal(typeof fid, 'string');
    const next = await refresh(body.refresh_token as string);
    assert.equal(decodeJwt(next.body.access_token as string).fid, fid);
    assert.equal(decodeJwt((await redeem(await code(NO_REFRESH), NO_REFRESH)).body.access_token as string).fid, undefined);
    const cc = await h.server.handle(
      tokenEvent({ grant_type: 'client_credentials' }, { basic: ['basic-client', await h.secretOf(CLIENTS.basic)] }),
    );
    assert.equal(decodeJwt(jsonBody<{ access_token: string }>(cc).access_token).fid, undefined);
  });

  it('revoking a refresh token (RFC 7009 §2.1) makes every access token of its family inactive', async () => {
    const { body } = await redeem(await code());
    const next = await refresh(body.refresh_token as string);
    assert.equal((await post('/oauth2/introspect', { token: next.body.access_token as string })).body.active, true);
    assert.deepEqual(await post('/oauth2/revoke', { token: next.body.refresh_token as string }), { status: 200, body: {} });
    for (const token of [body.access_token, next.body.access_token] as string[]) {
      assert.deepEqual(await post('/oauth2/introspect', { token }), { status: 200, body: { active: false } });
      const internal = await h.server.handle(
        apiEvent({
          method: 'POST',
          path: '/internal/introspect',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: `token=${token}`,
        }),
      );
      assert.deepEqual(jsonBody(internal), { active: false });
    }
  });

  it("refresh-token reuse revokes the family's access tokens too", async () => {
    const { body } = await redeem(await code());
    const next = await refresh(body.refresh_token as string);
    h.clock.advance(31); // past the grace window: a reuse, not a retry
    assert.equal((await refresh(body.refresh_token as string)).status, 400);
    for (const token of [body.access_token, next.body.access_token] as string[]) {
      assert.deepEqual(await post('/oauth2/introspect', { token }), { status: 200, body: { active: false } });
    }
  });

  it('an access token whose family is gone (expired) is inactive', async () => {
    const { body } = await redeem(await code(WEB));
    const fid = decodeJwt(body.access_token as string).fid as string;
    await h.state.delete(`family#${fid}`);
    assert.deepEqual(await post('/oauth2/introspect', { token: body.access_token as string }), { status: 200, body: { active: false } });
  });

  it("answers 200 for an unknown token and for another client's token, which stays valid", async () => {
    assert.deepEqual(await post('/oauth2/revoke', { token: 'nothing-we-issued' }), { status: 200, body: {} });
    const { body } = await redeem(await code());
    assert.deepEqual(await post('/oauth2/revoke', { token: body.refresh_token as string }, OTHER), { status: 200, body: {} });
    assert.equal((await refresh(body.refresh_token as string)).status, 200);
  });

  it('refuses a revocation request without token with invalid_request', async () => {
    assert.deepEqual(await post('/oauth2/revoke', {}), {
      status: 400,
      body: { error: 'invalid_request', error_description: 'token is required' },
    });
  });

  it("internal introspection answers for any client's token", async () => {
    const { body } = await redeem(await code());
    const result = await h.server.handle(
      apiEvent({
        method: 'POST',
        path: '/internal/introspect',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `token=${body.access_token}`,
      }),
    );
    assert.equal(jsonBody(result).active, true);
    assert.equal(jsonBody(result).client_id, WEB.clientId);
  });
});
