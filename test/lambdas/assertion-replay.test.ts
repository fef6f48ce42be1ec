/**
 * Single use of assertion `jti`s under concurrency, on the DynamoDB state store against dynalite (real conditional
 * writes): 50 parallel token requests replaying one assertion get exactly one token.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CLIENT_ASSERTION_TYPE } from '../../lambdas/authorization-server/client-assertion';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { JWT_BEARER_GRANT_TYPE, type ClientRegistration } from '../../lambdas/shared/manifest';
import { startDynalite, type LocalDynamo } from '../../testing/dynalite';
import { jsonBody, structured, tokenEvent } from '../../testing/events';
import { signAssertion, testKey, type TestKey } from '../helpers/assertions';
import { ISSUER, createHarness, type Harness } from './fixtures';

const TABLE = 'oauth-registry-replay';
const PARALLEL = 50;

describe('assertion replay on DynamoDB (dynalite)', () => {
  let dynamo: LocalDynamo;
  let ddb: DynamoDBClient;
  let h: Harness;
  let clientKey: TestKey;
  let idpKey: TestKey;
  let partner: ClientRegistration;

  before(async () => {
    dynamo = await startDynalite(TABLE);
    ddb = dynamo.client;
    [clientKey, idpKey] = await Promise.all([testKey('ES256'), testKey('RS256')]);
    partner = {
      name: 'Partner',
      clientId: 'partner-app',
      grantTypes: ['client_credentials', JWT_BEARER_GRANT_TYPE],
      authMethod: 'private_key_jwt',
      jwks: { keys: [clientKey.publicJwk] },
      jwtBearer: { issuer: 'https://idp.example', jwks: { keys: [idpKey.publicJwk] } },
      scopes: ['incidents.read'],
      accessTokenTtlSecs: 300,
      active: true,
    };
    h = await createHarness({
      registrations: new ManifestRegistrationStore({ clients: [partner] }),
      state: (clock) => new AwsStateStore({ tableName: TABLE, client: ddb, clock }),
    });
  });
  after(async () => {
    await dynamo?.close();
  });

  const nowSecs = () => Math.floor(h.clock.now() / 1000);
  const clientAssertion = () =>
    signAssertion(clientKey, { iss: partner.clientId, sub: partner.clientId, aud: `${ISSUER}/oauth2/token`, nowSecs: nowSecs() });

  async function replayInParallel(form: Record<string, string>) {
    const results = await Promise.all(Array.from({ length: PARALLEL }, () => h.server.handle(tokenEvent(form))));
    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(structured(r).statusCode!, (byStatus.get(structured(r).statusCode!) ?? 0) + 1);
    return { results, byStatus };
  }

  it('client assertion: exactly one token, 49 × 401 invalid_client', async () => {
    const form = {
      grant_type: 'client_credentials',
      client_assertion_type: CLIENT_ASSERTION_TYPE,
      client_assertion: await clientAssertion(),
    };
    const { results, byStatus } = await replayInParallel(form);
    assert.deepEqual([...byStatus].sort(), [
      [200, 1],
      [401, PARALLEL - 1],
    ]);
    for (const r of results.filter((x) => structured(x).statusCode === 401)) {
      assert.deepEqual(jsonBody(r), { error: 'invalid_client', error_description: "client assertion 'jti' has already been used" });
    }
  });

  it('user assertion (JWT bearer grant): exactly one token, 49 × 400 invalid_grant', async () => {
    const user = await signAssertion(idpKey, { iss: 'https://idp.example', sub: 'alice', aud: ISSUER, nowSecs: nowSecs() });
    // Each request authenticates with a fresh client assertion; only the user assertion is replayed.
    const forms = await Promise.all(
      Array.from({ length: PARALLEL }, async () => ({
        grant_type: JWT_BEARER_GRANT_TYPE,
        assertion: user,
        client_assertion_type: CLIENT_ASSERTION_TYPE,
        client_assertion: await clientAssertion(),
      })),
    );
    const results = await Promise.all(forms.map((form) => h.server.handle(tokenEvent(form))));
    const ok = results.filter((r) => structured(r).statusCode === 200);
    assert.equal(ok.length, 1);
    const refused = results.filter((r) => structured(r).statusCode !== 200);
    assert.equal(refused.length, PARALLEL - 1);
    for (const r of refused) {
      assert.equal(structured(r).statusCode, 400);
      assert.deepEqual(jsonBody(r), { error: 'invalid_grant', error_description: "assertion 'jti' has already been used" });
    }
  });
});
