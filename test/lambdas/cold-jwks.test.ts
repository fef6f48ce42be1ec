/**
 * The authorization server's Lambda entry, as deployed (AWS adapters; the SDK mocked at `send`): a cold container answers
 * discovery with no call at all and the JWKS with one DynamoDB GetItem of the published ring, never Secrets Manager.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { JSONWebKeySet } from 'jose';
import { generateSigningKey } from '../../lambdas/rotation/rotation';
import { DEFAULT_KEY_SCHEDULE, firstKeyRing } from '../../lambdas/shared/key-schedule';
import { ENV } from '../../lambdas/shared/names';
import { PUBLIC_KEY_RING_KEY, publicKeyRingOf } from '../../lambdas/shared/public-key-ring';
import { apiEvent, header, jsonBody, structured } from '../../testing/events';

describe('authorization server Lambda entry, cold', () => {
  const sm = mockClient(SecretsManagerClient);
  const ddb = mockClient(DynamoDBClient);
  after(() => {
    sm.restore();
    ddb.restore();
  });

  it('answers discovery with no call, and the JWKS from the published ring alone', async () => {
    Object.assign(process.env, {
      AWS_REGION: process.env.AWS_REGION ?? 'eu-west-1',
      [ENV.ISSUER]: 'https://auth.example.com',
      [ENV.TABLE_NAME]: 'reg-registry',
      [ENV.SIGNING_KEY_SECRET_ID]: 'reg/signing-key',
    });
    sm.onAnyCommand().rejects(new Error('Secrets Manager is not on the JWKS path'));
    const ring = firstKeyRing(await generateSigningKey(), await generateSigningKey(), Math.floor(Date.now() / 1000), DEFAULT_KEY_SCHEDULE);
    const item = { pk: PUBLIC_KEY_RING_KEY, ...publicKeyRingOf(ring), publishedAt: 1 };
    ddb.on(GetItemCommand, { Key: { pk: { S: PUBLIC_KEY_RING_KEY } } }).resolves({ Item: marshall(item) });
    const { handler } = await import('../../lambdas/authorization-server/index');

    const discovery = await handler(apiEvent({ path: '/.well-known/openid-configuration' }));
    assert.equal(structured(discovery).statusCode, 200);
    assert.equal(jsonBody<{ jwks_uri: string }>(discovery).jwks_uri, 'https://auth.example.com/.well-known/jwks.json');
    assert.equal(ddb.calls().length + sm.calls().length, 0, 'discovery is configuration: no I/O');

    const jwks = await handler(apiEvent({ path: '/.well-known/jwks.json' }));
    assert.equal(structured(jwks).statusCode, 200, structured(jwks).body);
    assert.equal(header(jwks, 'cache-control'), 'public, max-age=60');
    assert.deepEqual(
      jsonBody<JSONWebKeySet>(jwks).keys,
      ring.keys.map((k) => publicKeyRingOf({ keys: [k] }).keys[0].jwk),
    );
    assert.equal(sm.calls().length, 0, 'no Secrets Manager call');
    assert.deepEqual(
      ddb.commandCalls(GetItemCommand).map((c) => c.args[0].input.Key),
      [{ pk: { S: PUBLIC_KEY_RING_KEY } }],
    );
  });
});
