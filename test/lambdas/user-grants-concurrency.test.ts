/** Concurrency of code redemption and refresh-token rotation against dynalite (real conditional writes). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { CLIENT_ID_TAG, SECRET_KIND_TAG, type ClientRegistration } from '../../lambdas/shared/manifest';
import { issueCode } from '../../lambdas/authorization-server/user-grants';
import { jsonBody, structured, tokenEvent } from '../helpers/events';
import { CLIENTS, createHarness, type Harness } from './fixtures';
import { startDynalite, type LocalDynamo } from '../helpers/dynalite';

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
const STRICT = base('Strict');
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
    issueCode(h.state, h.clock.now, { clientId: c.clientId, redirectUri: REDIRECT, codeChallenge: CHALLENGE, scope: 'incidents.read', sub: 'iss|u' });

  it('50 parallel redemptions of one code: exactly one token', async () => {
    const code = await newCode(STRICT);
    const results = await Promise.all(Array.from({ length: 50 }, () => redeem(STRICT, code)));
    assert.equal(results.filter((r) => r.status === 200).length, 1);
    for (const r of results.filter((x) => x.status !== 200)) assert.equal(r.body.error, 'invalid_grant');
  });

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
    const next = await send(GRACEFUL, { grant_type: 'refresh_token', refresh_token: results[0]!.body.refresh_token as string });
    assert.equal(next.body.error, 'invalid_grant');
  });
});
