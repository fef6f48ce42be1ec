/** Concurrency of code redemption and refresh-token rotation against dynalite (real conditional writes). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { issueCode } from '../../lambdas/authorization-server/user-grants';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type ClientRegistration } from '../../lambdas/shared/manifest';
import type { StateStore } from '../../lambdas/shared/ports';
import { startDynalite, type LocalDynamo } from '../../testing/dynalite';
import { apiEvent, basicAuth, jsonBody, structured, tokenEvent } from '../../testing/events';
import { CLIENTS, createHarness, type Harness } from './fixtures';

const REDIRECT = 'https://app.example.test/cb';
const VERIFIER = 'c'.repeat(64);
const CHALLENGE = createHash('sha256').update(VERIFIER).digest('base64url');
const base = (name: string, grace?: number): ClientRegistration & { secretId: string } => ({
  name,
  clientId: `${name.toLowerCase()}-client`,
  grantTypes: ['authorization_code', 'refresh_token'],
  authMethod: 'client_secret_basic',
  scopes: ['incidents.read'],
  accessTokenTtlSecs: 600,
  active: true,
  secretId: `test/clients/${name}`,
  secretRotationDays: 90,
  redirectUris: [REDIRECT],
  ...(grace !== undefined ? { refreshTokenReuseGraceSecs: grace } : {}),
});
const STRICT = base('Strict', 0);
const GRACEFUL = base('Graceful', 30);

describe('user grants under concurrency (dynalite)', () => {
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  let h: Harness;
  const secret = new Map<string, string>();

  before(async () => {
    dynamo = await startDynalite('state');
    client = dynamo.client;
    h = await createHarness({
      registrations: new ManifestRegistrationStore({ clients: [...Object.values(CLIENTS), STRICT, GRACEFUL] }),
      state: (clock) => new AwsStateStore({ tableName: 'state', client, clock }),
    });
    for (const c of [STRICT, GRACEFUL]) {
      h.secrets.createSecret(c.secretId, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: c.clientId });
      await h.rotate(c.secretId);
      secret.set(c.clientId, await h.secretOf(c));
    }
  });
  after(async () => {
    await dynamo?.close();
  });

  const send = async (c: ClientRegistration, form: Record<string, string>) => {
    const result = await h.server.handle(tokenEvent(form, { basic: [c.clientId, secret.get(c.clientId)!] }));
    return { status: structured(result).statusCode, body: jsonBody(result) };
  };
  const redeem = (c: ClientRegistration, code: string) =>
    send(c, { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER });
  const newCode = (c: ClientRegistration) =>
    issueCode(h.state, h.clock.now, {
      clientId: c.clientId,
      redirectUri: REDIRECT,
      codeChallenge: CHALLENGE,
      scope: 'incidents.read',
      sub: 'iss|u',
    });

  it('50 parallel redemptions of one code: exactly one token', async () => {
    const code = await newCode(STRICT);
    const results = await Promise.all(Array.from({ length: 50 }, () => redeem(STRICT, code)));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.body.error, 'invalid_grant');
  });

  const introspect = async (c: ClientRegistration, token: string) =>
    jsonBody(
      await h.server.handle(
        apiEvent({
          method: 'POST',
          path: '/oauth2/introspect',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(c.clientId, secret.get(c.clientId)!) },
          body: new URLSearchParams({ token }).toString(),
        }),
      ),
    );

  // RFC 9700 §4.2.4: the losers of a concurrent replay find the winner's record and revoke what it issued, even when
  // they get there before the winner has created its refresh-token family.
  for (const n of [2, 50]) {
    it(`${n} parallel redemptions of one code: exactly one 200, and the replay revokes what it issued`, async () => {
      const code = await newCode(STRICT);
      const results = await Promise.all(Array.from({ length: n }, () => redeem(STRICT, code)));
      const won = results.filter((r) => r.status === 200);
      assert.equal(won.length, 1);
      for (const r of results.filter((x) => x.status !== 200)) {
        assert.deepEqual(r, {
          status: 400,
          body: { error: 'invalid_grant', error_description: 'authorization code is invalid, expired or already used' },
        });
      }
      const { access_token, refresh_token } = won[0].body as { access_token: string; refresh_token: string };
      assert.deepEqual(await introspect(STRICT, access_token), { active: false });
      assert.deepEqual(await introspect(STRICT, refresh_token), { active: false });
      const later = await send(STRICT, { grant_type: 'refresh_token', refresh_token });
      assert.deepEqual(later, {
        status: 400,
        body: { error: 'invalid_grant', error_description: 'refresh token is invalid, expired or revoked' },
      });
    });
  }

  it('50 parallel uses of one refresh token: at most one new pair, and the family is revoked', async () => {
    const { body } = await redeem(STRICT, await newCode(STRICT));
    const results = await Promise.all(
      Array.from({ length: 50 }, () => send(STRICT, { grant_type: 'refresh_token', refresh_token: body.refresh_token as string })),
    );
    const won = results.filter((r) => r.status === 200);
    assert.ok(won.length <= 1, `${won.length} pairs issued`);
    for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.body.error, 'invalid_grant');
    // The losers were reuse: the family is revoked, so the winner's new refresh token no longer works.
    if (won[0]) {
      const later = await send(STRICT, { grant_type: 'refresh_token', refresh_token: won[0].body.refresh_token as string });
      assert.equal(later.body.error, 'invalid_grant');
    }
  });

  it('within the grace window, 50 parallel uses all get the same pair; a reuse after it revokes the family', async () => {
    const { body } = await redeem(GRACEFUL, await newCode(GRACEFUL));
    const form = { grant_type: 'refresh_token', refresh_token: body.refresh_token as string };
    const results = await Promise.all(Array.from({ length: 50 }, () => send(GRACEFUL, form)));
    assert.ok(results.every((r) => r.status === 200));
    assert.equal(new Set(results.map((r) => JSON.stringify(r.body))).size, 1);
    h.clock.advance(31);
    assert.equal((await send(GRACEFUL, form)).body.error, 'invalid_grant');
    const next = await send(GRACEFUL, { grant_type: 'refresh_token', refresh_token: results[0].body.refresh_token as string });
    assert.equal(next.body.error, 'invalid_grant');
  });
});

describe('a replay that overtakes the redemption it replays (deterministic)', () => {
  /** Holds the first write of a refresh-token family until released: the winner has claimed the code, nothing more. */
  class GatedStore implements StateStore {
    reached!: () => void;
    readonly familyWriteReached = new Promise<void>((resolve) => (this.reached = resolve));
    release!: () => void;
    private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
    constructor(private readonly inner: StateStore) {}
    get: StateStore['get'] = (pk) => this.inner.get(pk);
    update: StateStore['update'] = (pk, changes, condition) => this.inner.update(pk, changes, condition);
    delete: StateStore['delete'] = (pk, condition) => this.inner.delete(pk, condition);
    put: StateStore['put'] = async (item, condition) => {
      if (item.pk.startsWith('family#') && item.revoked === undefined) {
        this.reached();
        await this.gate;
      }
      return this.inner.put(item, condition);
    };
  }

  it('revokes the family before it exists: the winner gets its 200, with tokens already revoked', async () => {
    let gated!: GatedStore;
    const h = await createHarness({
      registrations: new ManifestRegistrationStore({ clients: [...Object.values(CLIENTS), STRICT] }),
      state: (clock) => (gated = new GatedStore(new MemoryStateStore({ clock }))),
    });
    h.secrets.createSecret(STRICT.secretId, { [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: STRICT.clientId });
    await h.rotate(STRICT.secretId);
    const basic: [string, string] = [STRICT.clientId, await h.secretOf(STRICT)];
    const code = await issueCode(h.state, h.clock.now, {
      clientId: STRICT.clientId,
      redirectUri: REDIRECT,
      codeChallenge: CHALLENGE,
      scope: 'incidents.read',
      sub: 'iss|u',
    });
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: VERIFIER };

    const winner = h.server.handle(tokenEvent(form, { basic }));
    await gated.familyWriteReached;
    const replay = await h.server.handle(tokenEvent(form, { basic }));
    assert.equal(structured(replay).statusCode, 400);
    gated.release();
    const won = await winner;
    assert.equal(structured(won).statusCode, 200, structured(won).body);
    const { refresh_token } = jsonBody<{ refresh_token: string }>(won);
    const later = await h.server.handle(tokenEvent({ grant_type: 'refresh_token', refresh_token }, { basic }));
    assert.deepEqual(jsonBody(later), { error: 'invalid_grant', error_description: 'refresh token is invalid, expired or revoked' });
  });
});
