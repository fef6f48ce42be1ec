/**
 * JWT bearer connections (RFC 7523 §2.1, `ConnectionGrant.jwtBearer()`): the "third party" is our own authorization
 * server in local mode, whose clients trust our connection's public key for user assertions; our connections (declared
 * with the constructs, served by the connections harness) get tokens from it through the broker, with no consent.
 */
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Testing } from 'cdktf';
import { exportJWK, type JWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { startLocalRegistry, type LocalRegistry } from '../../bin/local/local-registry';
import { tokenSetKey, type TokenSetItem } from '../../lambdas/connections/token-set-item';
import { LOCAL_MODE_CONTEXT } from '../../lambdas/shared/manifest';
import { ClientAuth, ConnectionClientAuth, ConnectionGrant, ConnectionMode, GrantType, Provider } from '../../lib';
import { startHarness, type Harness } from '../../testing/connections/harness';
import { repoRoot } from '../e2e/fixture';
import { testKey, type TestKey } from '../helpers/assertions';
import { fixture } from '../lib/helpers';

const OUR_ISSUER = 'https://registry.ours.example';
const TTL = 300;
const insecure = { [oauth.allowInsecureRequests]: true } as const;

const privateJwk = async (key: TestKey): Promise<JWK> => ({ ...(await exportJWK(key.privateKey)), alg: key.alg, kid: key.kid });

describe('JWT bearer connections against our own authorization server as the third party', () => {
  let ours: Harness;
  let partner: LocalRegistry;
  let ourKey: TestKey;
  let strangerKey: TestKey;

  before(async () => {
    ours = await startHarness();
    [ourKey, strangerKey] = await Promise.all([testKey('ES256', 'our-key'), testKey('ES256', 'stranger-key')]);

    // The third party: a registry whose clients trust our public key (for client authentication and assertions).
    const { registry: theirs } = fixture({ namePrefix: 'partner', accessTokenTtlSecs: TTL });
    theirs.addExternalClient('OurApp', {
      clientId: 'our-app',
      authMethod: ClientAuth.privateKeyJwt({ jwks: { keys: [ourKey.publicJwk] } }),
      grantTypes: [GrantType.JWT_BEARER],
      jwtBearer: { issuer: OUR_ISSUER, jwks: { keys: [ourKey.publicJwk] } },
      scopes: ['reports.read', 'reports.write'],
    });
    theirs.addExternalClient('OurUsers', {
      clientId: 'our-users',
      grantTypes: [GrantType.JWT_BEARER],
      jwtBearer: { issuer: 'our-users', jwks: { keys: [ourKey.publicJwk] } },
      scopes: ['reports.read'],
    });
    partner = await startLocalRegistry({
      manifest: theirs.manifest(),
      appDir: repoRoot,
      stateDir: mkdtempSync(path.join(tmpdir(), 'oauth-registry-jwt-bearer-')),
      port: 0,
      clock: ours.clock.now,
    });

    // Our side, declared with the constructs.
    // The partner runs on 127.0.0.1: synthesized as local mode does, which does not refuse loopback providers.
    const { registry } = fixture({ namePrefix: 'ours' }, Testing.app({ context: { [LOCAL_MODE_CONTEXT]: true } }));
    const provider = Provider.discover(partner.issuer);
    const reports = registry.addConnection('Reports', {
      provider,
      grant: ConnectionGrant.jwtBearer({ issuer: OUR_ISSUER, subject: 'svc-reports' }),
      clientAuth: ConnectionClientAuth.PRIVATE_KEY_JWT,
      scopes: ['reports.read'],
    });
    const users = registry.addConnection('Users', { provider, grant: ConnectionGrant.jwtBearer(), mode: ConnectionMode.PER_USER });
    const forged = registry.addConnection('Forged', { provider, grant: ConnectionGrant.jwtBearer({ subject: 'svc-reports' }) });
    const impostor = registry.addConnection('Impostor', {
      provider,
      grant: ConnectionGrant.jwtBearer({ issuer: OUR_ISSUER, subject: 'svc' }),
      clientAuth: ConnectionClientAuth.PRIVATE_KEY_JWT,
    });
    const usersSecret = partner.credentials.OurUsers.client_secret;
    await ours.add(reports.registration, { client_id: 'our-app', private_jwk: await privateJwk(ourKey) });
    await ours.add(users.registration, { client_id: 'our-users', client_secret: usersSecret, private_jwk: await privateJwk(ourKey) });
    await ours.add(impostor.registration, { client_id: 'our-app', private_jwk: await privateJwk(strangerKey) });
    await ours.add(forged.registration, { client_id: 'our-users', client_secret: usersSecret, private_jwk: await privateJwk(strangerKey) });
  });
  after(async () => {
    await ours?.close();
    await partner?.close();
  });

  /** The claims of `token` as a resource server of the third party validates them (signature, iss, aud, exp). */
  async function validated(token: string) {
    const issuer = new URL(partner.issuer);
    const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }));
    const request = new Request('http://resource.example/', { headers: { authorization: `Bearer ${token}` } });
    return oauth.validateJwtAccessToken(as, request, partner.issuer, {
      ...insecure,
      [oauth.clockSkew]: (Date.now() - ours.clock.now()) / 1000,
    });
  }

  const stored = (name: string, subject?: string) => ours.state.get<TokenSetItem>(tokenSetKey(name, subject));

  it('records the assertion in the manifest (no secret in it)', () => {
    const { registry } = fixture({ namePrefix: 'manifest' });
    const c = registry.addConnection('Erp', {
      provider: Provider.endpoints({ tokenEndpoint: 'https://erp.example/oauth/token' }),
      grant: ConnectionGrant.jwtBearer({ subject: 'integration', audience: 'https://erp.example', assertionLifetimeSecs: 120 }),
      clientAuth: ConnectionClientAuth.NONE,
    });
    assert.equal(c.registration.grant, 'jwt_bearer');
    assert.equal(c.registration.clientAuth, 'none');
    assert.deepEqual(c.registration.assertion, { subject: 'integration', audience: 'https://erp.example', lifetimeSecs: 120 });
  });

  it('shared: the broker gets a token for the declared subject, sub = <our issuer>|<subject>, then serves it from memory', async () => {
    const token = await ours.server.invoke({ action: 'token', connection: 'Reports' });
    assert.ok('access_token' in token, JSON.stringify(token));
    assert.equal(token.token_type, 'Bearer');
    assert.equal(token.expires_at, Math.floor(ours.clock.now() / 1000) + TTL);
    const claims = await validated(token.access_token);
    assert.equal(claims.sub, `${OUR_ISSUER}|svc-reports`);
    assert.equal(claims.client_id, 'our-app');
    assert.equal(claims.scope, 'reports.read');

    assert.deepEqual(await ours.server.invoke({ action: 'token', connection: 'Reports' }), token);
    const item = (await stored('Reports'))!;
    assert.equal(item.health, 'connected');
    assert.equal(item.accessToken, token.access_token);
    assert.equal(item.refreshToken, undefined);
    assert.deepEqual(
      ours.events.events.map((e) => [e.detail.connection, e.detail.from, e.detail.to]),
      [['Reports', 'not_connected', 'connected']],
    );
  });

  it('perUser with client_secret_basic: each subject gets its own token set; iss defaults to our client id', async () => {
    const alice = await ours.server.invoke({ action: 'token', connection: 'Users', subject: 'alice' });
    const bob = await ours.server.invoke({ action: 'token', connection: 'Users', subject: 'bob' });
    assert.ok('access_token' in alice && 'access_token' in bob, JSON.stringify([alice, bob]));
    assert.equal((await validated(alice.access_token)).sub, 'our-users|alice');
    assert.equal((await validated(bob.access_token)).sub, 'our-users|bob');
    assert.equal((await stored('Users', 'alice'))!.health, 'connected');
    assert.deepEqual(await ours.server.invoke({ action: 'token', connection: 'Users' }), {
      error: 'invalid_request',
      error_description: 'connection Users is per user: give a subject (1 to 256 printable characters, no spaces)',
    });
  });

  it('a key the provider does not trust: needs_trust with a clear error, no token stored, no retry before the backoff', async () => {
    const refused = await ours.server.invoke({ action: 'token', connection: 'Forged' });
    assert.ok('error' in refused, JSON.stringify(refused));
    assert.equal(refused.error, 'needs_trust');
    assert.match(
      refused.error_description,
      /^connection Forged: the provider refused our JWT bearer assertion \(the provider answered 400 invalid_grant: assertion is not signed by a trusted key\): it must trust our public key/,
    );
    const item = (await stored('Forged'))!;
    assert.equal(item.health, 'needs_trust');
    assert.equal(item.accessToken, undefined);
    assert.equal(item.leaseUntil, undefined);
    assert.equal(item.retryAfter, ours.clock.now() + 5_000);
    assert.deepEqual(await ours.server.status('Forged'), {
      connection: 'Forged',
      subject: undefined,
      health: 'needs_trust',
      expiresAt: undefined,
      scope: undefined,
      hasRefreshToken: false,
      lastError: 'the provider answered 400 invalid_grant: assertion is not signed by a trusted key',
      retryAfter: Math.floor((ours.clock.now() + 5_000) / 1000),
    });

    const again = await ours.newInstance().invoke({ action: 'token', connection: 'Forged' });
    assert.equal('error' in again && again.error, 'needs_trust');
    assert.equal((await stored('Forged'))!.updatedAt, item.updatedAt, 'no new attempt before retryAfter');
    assert.ok(ours.events.events.some((e) => e.detail.connection === 'Forged' && e.detail.to === 'needs_trust'));
  });

  it('a client assertion the provider refuses (401 invalid_client) is an error, not retried as transient', async () => {
    const refused = await ours.server.invoke({ action: 'token', connection: 'Impostor' });
    assert.deepEqual(refused, {
      error: 'provider_error',
      error_description: 'connection Impostor: the provider answered 401 invalid_client: our client authentication was refused',
    });
    const item = (await stored('Impostor'))!;
    assert.equal(item.health, 'error');
    assert.equal(item.retryAfter, undefined);
    assert.equal(item.accessToken, undefined);
  });

  it('after expiry, 20 containers get one new token for the subject by a new assertion', async () => {
    const before = (await stored('Users', 'alice'))!;
    ours.clock.advance(TTL - 30); // inside the 60 s skew
    const results = await Promise.all(
      Array.from({ length: 20 }, () => ours.newInstance().invoke({ action: 'token', connection: 'Users', subject: 'alice' })),
    );
    const tokens = new Set(results.map((r) => ('access_token' in r ? r.access_token : JSON.stringify(r))));
    assert.equal(tokens.size, 1, [...tokens].join('\n'));
    const [token] = tokens;
    assert.notEqual(token, before.accessToken);
    assert.equal((await validated(token)).sub, 'our-users|alice');
    assert.equal((await stored('Users', 'alice'))!.leaseUntil, undefined);
  });

  it('heals once the operator stores the key the provider trusts', async () => {
    await ours.secrets.putSecretValue(
      'ours/connections/Forged',
      'fixed',
      JSON.stringify({
        client_id: 'our-users',
        client_secret: partner.credentials.OurUsers.client_secret,
        private_jwk: await privateJwk(ourKey),
      }),
      ['AWSCURRENT'],
    );
    ours.clock.advance(61); // past the backoff and the credentials cache
    const token = await ours.server.invoke({ action: 'token', connection: 'Forged' });
    assert.ok('access_token' in token, JSON.stringify(token));
    assert.equal((await validated(token.access_token)).sub, 'our-users|svc-reports');
    const item = (await stored('Forged'))!;
    assert.equal(item.health, 'connected');
    assert.equal(item.retryAfter, undefined);
    assert.equal(item.lastError, undefined);
  });

  it('logs hold neither our private key nor a token', async () => {
    const text = ours.logs.join('\n');
    assert.ok(!text.includes(String((await privateJwk(ourKey)).d)));
    assert.ok(!text.includes(String((await privateJwk(strangerKey)).d)));
    const item = (await stored('Reports'))!;
    assert.ok(!text.includes(item.accessToken!));
  });
});

describe('ConnectionGrant.jwtBearer at synth', () => {
  const provider = Provider.endpoints({ tokenEndpoint: 'https://erp.example/oauth/token' });
  const add = (id: string, options: Partial<Parameters<ReturnType<typeof fixture>['registry']['addConnection']>[1]>) =>
    fixture({ namePrefix: 'synth' }).registry.addConnection(id, { provider, ...options });

  it('fails when a shared connection declares no subject', () => {
    assert.throws(() => add('Erp', { grant: ConnectionGrant.jwtBearer() }), {
      message:
        'connection "Erp": a shared JWT bearer connection asserts one fixed subject: pass ConnectionGrant.jwtBearer({ subject }) (or use ConnectionMode.PER_USER)',
    });
  });

  it('fails when a per-user connection declares a fixed subject', () => {
    assert.throws(() => add('Erp', { grant: ConnectionGrant.jwtBearer({ subject: 'svc' }), mode: ConnectionMode.PER_USER }), {
      message:
        'connection "Erp": a per-user JWT bearer connection asserts the subject each broker call names, so it takes no fixed subject, got "svc"',
    });
  });

  it('fails when ConnectionClientAuth.NONE is used without the JWT bearer grant', () => {
    assert.throws(() => add('Erp', { grant: ConnectionGrant.clientCredentials(), clientAuth: ConnectionClientAuth.NONE }), {
      message:
        'connection "Erp": ConnectionClientAuth.NONE proves nothing to the provider, so only ConnectionGrant.jwtBearer() may use it, got client_credentials',
    });
  });

  it('fails on an assertion lifetime outside 1..300 s and on a subject with spaces', () => {
    assert.throws(() => ConnectionGrant.jwtBearer({ subject: 'svc', assertionLifetimeSecs: 600 }), {
      message: 'ConnectionGrant.jwtBearer: assertionLifetimeSecs must be an integer from 1 to 300, got 600',
    });
    assert.throws(() => ConnectionGrant.jwtBearer({ subject: 'svc reports' }), {
      message: 'ConnectionGrant.jwtBearer: subject must be 1 to 256 printable ASCII characters without spaces, got "svc reports"',
    });
  });

  it('fails on authorizationParams and on an assertion token parameter', () => {
    const grant = ConnectionGrant.jwtBearer({ subject: 'svc' });
    assert.throws(
      () => add('Erp', { grant, authorizationParams: { prompt: 'consent' } }),
      /authorizationParams only apply to authorization_code/,
    );
    assert.throws(() => add('Erp', { grant, tokenParams: { assertion: 'x' } }), /tokenParams must not set "assertion"/);
  });
});
