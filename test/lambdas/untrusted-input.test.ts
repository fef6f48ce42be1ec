/**
 * Request values that would become state-store or registration keys: a client id no registration can have is an
 * unknown client (401 invalid_client, never a 5xx, no lookup), on DynamoDB (dynalite, which refuses keys over 2048
 * bytes as DynamoDB does) and in memory; a pending-request id not shaped like ours is an unknown sign-in, unlooked-up.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { AuthorizationFlowDeps } from '../../lambdas/authorization-server/endpoints/authorization-flow';
import { createCallbackEndpoint } from '../../lambdas/authorization-server/endpoints/callback';
import { createConsentDecision, createConsentPage } from '../../lambdas/authorization-server/endpoints/consent';
import { createResourceIndicators } from '../../lambdas/authorization-server/resource-indicators';
import type { UpstreamLogin } from '../../lambdas/authorization-server/upstream';
import { AwsRegistrationStore } from '../../lambdas/shared/adapters/aws-registration-store';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { MemoryStateStore } from '../../lambdas/shared/adapters/local-state-store';
import { ManifestRegistrationStore } from '../../lambdas/shared/adapters/manifest-registration-store';
import { createJsonLogger } from '../../lambdas/shared/log';
import type { RegistrationStore, StateStore } from '../../lambdas/shared/ports';
import { startDynalite, type LocalDynamo } from '../../testing/dynalite';
import { apiEvent, basicAuth, header, jsonBody, structured, tokenEvent } from '../../testing/events';
import { CLIENTS, ISSUER, createHarness, type Harness } from './fixtures';

const LONG_ID = 'a'.repeat(3000);
const AUTH_FAILED = { error: 'invalid_client', error_description: 'client authentication failed' };

/** A registration store that records the ids it is asked for. */
class RecordingRegistrations implements RegistrationStore {
  readonly asked: string[] = [];
  constructor(private readonly inner: RegistrationStore) {}
  getClient(clientId: string) {
    this.asked.push(clientId);
    return this.inner.getClient(clientId);
  }
}

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Requests presenting `clientId` by every means a client id reaches the server. */
function requests(clientId: string): Array<[string, APIGatewayProxyEventV2]> {
  const form = (path: string, body: Record<string, string>) =>
    apiEvent({
      method: 'POST',
      path,
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(clientId, 'secret') },
      body: new URLSearchParams(body).toString(),
    });
  return [
    ['token, client_secret_basic', tokenEvent({ grant_type: 'client_credentials' }, { basic: [clientId, 'secret'] })],
    ['token, client_secret_post', tokenEvent({ grant_type: 'client_credentials', client_id: clientId, client_secret: 'secret' })],
    [
      'token, public client',
      tokenEvent({
        grant_type: 'authorization_code',
        client_id: clientId,
        code: 'c',
        redirect_uri: 'https://x',
        code_verifier: 'v'.repeat(43),
      }),
    ],
    [
      'token, private_key_jwt naming it as sub',
      tokenEvent({
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: `${b64({ alg: 'RS256' })}.${b64({ iss: clientId, sub: clientId })}.c2ln`,
      }),
    ],
    ['revoke', form('/oauth2/revoke', { token: 'x' })],
    ['introspect', form('/oauth2/introspect', { token: 'x' })],
  ];
}

function unknownClientCases(name: string, setup: () => Promise<{ h: Harness; registrations: RecordingRegistrations }>): void {
  describe(`a client id no registration can have is an unknown client (${name})`, () => {
    let h: Harness;
    let registrations: RecordingRegistrations;
    before(async () => ({ h, registrations } = await setup()));

    for (const [clientId, what] of [
      [LONG_ID, '3000 characters'],
      ['a'.repeat(129), '129 characters'],
      ['bad client', 'a space'],
      ['client#basic-client', 'a #'],
    ] as const) {
      for (const [route, event] of requests(clientId)) {
        it(`${what}: ${route} → 401 invalid_client, no lookup`, async () => {
          const result = await h.server.handle(event);
          assert.equal(structured(result).statusCode, 401, structured(result).body);
          assert.deepEqual(jsonBody(result), AUTH_FAILED);
          assert.equal(header(result, 'cache-control'), 'no-store');
          assert.deepEqual(
            registrations.asked.filter((id) => id === clientId),
            [],
          );
        });
      }
    }

    it('a 128-character id is still looked up (the registration pattern allows it)', async () => {
      const result = await h.server.handle(tokenEvent({ grant_type: 'client_credentials' }, { basic: ['b'.repeat(128), 'secret'] }));
      assert.deepEqual(jsonBody(result), AUTH_FAILED);
      assert.ok(registrations.asked.includes('b'.repeat(128)));
    });

    it('a registered client still authenticates', async () => {
      const result = await h.server.handle(
        tokenEvent({ grant_type: 'client_credentials' }, { basic: [CLIENTS.basic.clientId, await h.secretOf(CLIENTS.basic)] }),
      );
      assert.equal(structured(result).statusCode, 200, structured(result).body);
    });
  });
}

unknownClientCases('memory', async () => {
  const registrations = new RecordingRegistrations(new ManifestRegistrationStore({ clients: Object.values(CLIENTS) }));
  return { h: await createHarness({ registrations }), registrations };
});

describe('on DynamoDB (dynalite)', () => {
  let dynamo: LocalDynamo;
  before(async () => (dynamo = await startDynalite('registry')));
  after(async () => dynamo?.close());

  unknownClientCases('dynalite', async () => {
    const { client, tableName } = dynamo;
    const { PutItemCommand } = await import('@aws-sdk/client-dynamodb');
    await client.send(
      new PutItemCommand({
        TableName: tableName,
        Item: { pk: { S: `client#${CLIENTS.basic.clientId}` }, data: { S: JSON.stringify(CLIENTS.basic) } },
      }),
    );
    const registrations = new RecordingRegistrations(new AwsRegistrationStore({ tableName, client }));
    const h = await createHarness({ registrations, state: (clock) => new AwsStateStore({ tableName, client, clock }) });
    return { h, registrations };
  });
});

describe('a pending-request id not shaped like ours is an unknown sign-in, and is not looked up', () => {
  const looked: string[] = [];
  const inner = new MemoryStateStore();
  const state: StateStore = {
    get: (pk) => (looked.push(pk), inner.get(pk)),
    put: (item, condition) => inner.put(item, condition),
    update: (pk, changes, condition) => inner.update(pk, changes, condition),
    delete: (pk, condition) => (looked.push(pk), inner.delete(pk, condition)),
  };
  const deps: AuthorizationFlowDeps = {
    issuer: ISSUER,
    state,
    clock: Date.now,
    registrations: new ManifestRegistrationStore({ clients: [] }),
    upstream: {} as UpstreamLogin, // never reached
    resources: createResourceIndicators({ issuer: ISSUER }),
    log: createJsonLogger(() => undefined),
  };
  const callback = createCallbackEndpoint(deps);
  const consentPage = createConsentPage(deps);
  const consentDecision = createConsentDecision(deps);
  const form = (id: string) =>
    apiEvent({
      method: 'POST',
      path: '/oauth2/consent',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ request: id, csrf: 'x', decision: 'approve' }).toString(),
    });

  for (const [what, id] of [
    ['3000 characters', 'x'.repeat(3000)],
    ['42 characters', 'x'.repeat(42)],
    ['44 characters', 'x'.repeat(44)],
    ['a character outside base64url', `${'x'.repeat(42)}.`],
  ] as const) {
    it(`${what}: callback, consent page and consent decision answer the error page`, async () => {
      looked.length = 0;
      for (const result of [
        await callback(apiEvent({ path: '/oauth2/callback', query: new URLSearchParams({ state: id, code: 'c' }).toString() })),
        await consentPage(apiEvent({ path: '/oauth2/consent', query: new URLSearchParams({ request: id }).toString() })),
        await consentDecision(form(id)),
      ]) {
        assert.equal(structured(result).statusCode, 400);
        assert.match(structured(result).body ?? '', /unknown, expired/);
      }
      assert.deepEqual(looked, []);
    });
  }

  it('an id of our shape is looked up (and unknown here)', async () => {
    looked.length = 0;
    const id = 'A'.repeat(43);
    const result = await callback(apiEvent({ path: '/oauth2/callback', query: `state=${id}` }));
    assert.equal(structured(result).statusCode, 400);
    assert.deepEqual(looked, [`authreq#${id}`]);
  });
});
