import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { AwsCipher } from '../../lambdas/shared/adapters/aws-cipher';
import { AwsEventPublisher } from '../../lambdas/shared/adapters/aws-event-publisher';
import { AwsRegistrationStore } from '../../lambdas/shared/adapters/aws-registration-store';
import { AwsSecretStore } from '../../lambdas/shared/adapters/aws-secret-store';
import { AwsStateStore } from '../../lambdas/shared/adapters/aws-state-store';
import { AWS_CALL_ALLOWANCE_MS, AWS_MAX_ATTEMPTS, AWS_REQUEST_TIMEOUT_MS, AWS_RETRY_DELAY_MS } from '../../lambdas/shared/defaults';
import { clientItemKey, type ClientRegistration } from '../../lambdas/shared/manifest';
import { startDynalite, type LocalDynamo } from '../../testing/dynalite';

describe('AwsSecretStore (aws-sdk-client-mock)', () => {
  const client = new SecretsManagerClient({ region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const sm = mockClient(client);
  const store = new AwsSecretStore({ client });
  const created = new Date('2025-01-01T00:00:00Z');
  beforeEach(() => sm.reset());
  after(() => sm.restore());

  it('reads a version by stage with GetSecretValue', async () => {
    sm.on(GetSecretValueCommand).resolves({
      VersionId: 'v1',
      SecretString: '{"a":1}',
      CreatedDate: created,
      VersionStages: ['AWSCURRENT'],
    });
    assert.deepEqual(await store.getSecretVersion('s', 'AWSCURRENT'), {
      versionId: 'v1',
      value: '{"a":1}',
      createdAt: created,
      stages: ['AWSCURRENT'],
    });
    assert.deepEqual(
      sm.commandCalls(GetSecretValueCommand).map((c) => c.args[0].input),
      [{ SecretId: 's', VersionStage: 'AWSCURRENT' }],
    );
  });

  it('reads a version by id with GetSecretValue', async () => {
    sm.on(GetSecretValueCommand).resolves({ VersionId: 'v2', SecretString: 'x', CreatedDate: created, VersionStages: ['AWSPENDING'] });
    assert.equal((await store.getSecretVersionById('s', 'v2'))?.versionId, 'v2');
    assert.deepEqual(sm.commandCalls(GetSecretValueCommand)[0].args[0].input, { SecretId: 's', VersionId: 'v2' });
  });

  it('maps ResourceNotFoundException to undefined and rethrows other errors', async () => {
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPENDING' }).rejects(
      new ResourceNotFoundException({ message: "can't find staging label AWSPENDING", $metadata: {} }),
    );
    sm.on(GetSecretValueCommand, { VersionStage: 'AWSPREVIOUS' }).rejects(
      Object.assign(new Error('denied'), { name: 'AccessDeniedException' }),
    );
    assert.equal(await store.getSecretVersion('s', 'AWSPENDING'), undefined);
    await assert.rejects(store.getSecretVersion('s', 'AWSPREVIOUS'), { name: 'AccessDeniedException' });
  });

  it('describes a secret: tags, rotation, version stages', async () => {
    sm.on(DescribeSecretCommand).resolves({
      Name: 'reg/clients/Acme',
      RotationEnabled: true,
      Tags: [
        { Key: 'oauth-registry:kind', Value: 'client-secret' },
        { Key: 'oauth-registry:client-id', Value: 'acme' },
      ],
      VersionIdsToStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] },
    });
    assert.deepEqual(await store.describeSecret('arn:secret'), {
      name: 'reg/clients/Acme',
      tags: { 'oauth-registry:kind': 'client-secret', 'oauth-registry:client-id': 'acme' },
      rotationEnabled: true,
      versionStages: { v1: ['AWSCURRENT'], v2: ['AWSPENDING'] },
    });
    assert.deepEqual(sm.commandCalls(DescribeSecretCommand)[0].args[0].input, { SecretId: 'arn:secret' });
  });

  it('puts a value with ClientRequestToken and VersionStages', async () => {
    sm.on(PutSecretValueCommand).resolves({});
    await store.putSecretValue('s', 'token-1', 'value', ['AWSPENDING']);
    assert.deepEqual(sm.commandCalls(PutSecretValueCommand)[0].args[0].input, {
      SecretId: 's',
      ClientRequestToken: 'token-1',
      SecretString: 'value',
      VersionStages: ['AWSPENDING'],
    });
  });

  it('moves a stage with UpdateSecretVersionStage', async () => {
    sm.on(UpdateSecretVersionStageCommand).resolves({});
    await store.updateVersionStage('s', 'AWSCURRENT', { moveToVersionId: 'v2', removeFromVersionId: 'v1' });
    await store.updateVersionStage('s', 'AWSPENDING', { removeFromVersionId: 'v2' });
    assert.deepEqual(
      sm.commandCalls(UpdateSecretVersionStageCommand).map((c) => c.args[0].input),
      [
        { SecretId: 's', VersionStage: 'AWSCURRENT', MoveToVersionId: 'v2', RemoveFromVersionId: 'v1' },
        { SecretId: 's', VersionStage: 'AWSPENDING', MoveToVersionId: undefined, RemoveFromVersionId: 'v2' },
      ],
    );
  });
});

describe('AwsRegistrationStore (dynalite)', () => {
  const TABLE = 'oauth-registry-test';
  let dynamo: LocalDynamo;
  let client: DynamoDBClient;
  const acme: ClientRegistration = {
    name: 'Acme',
    clientId: 'acme-client',
    grantTypes: ['client_credentials'],
    authMethod: 'client_secret_basic',
    scopes: ['incidents.read'],
    audience: 'https://api.example.test',
    accessTokenTtlSecs: 900,
    active: true,
    secretId: 'reg/clients/Acme',
    secretRotationDays: 90,
  };

  before(async () => {
    dynamo = await startDynalite(TABLE);
    client = dynamo.client;
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { pk: { S: clientItemKey(acme.clientId) }, data: { S: JSON.stringify(acme) } } }),
    );
    await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { pk: { S: clientItemKey('impostor') }, data: { S: JSON.stringify(acme) } } }),
    );
  });
  after(async () => {
    await dynamo?.close();
  });

  it("returns the registration stored in the item's data attribute", async () => {
    const store = new AwsRegistrationStore({ tableName: TABLE, client });
    assert.deepEqual(await store.getClient('acme-client'), acme);
  });

  it('returns undefined for an unknown client', async () => {
    const store = new AwsRegistrationStore({ tableName: TABLE, client });
    assert.equal(await store.getClient('nobody'), undefined);
  });

  it('refuses an item whose registration names another client', async () => {
    const store = new AwsRegistrationStore({ tableName: TABLE, client });
    await assert.rejects(store.getClient('impostor'), /names another client/);
  });
});

describe('every adapter bounds its AWS calls (an endpoint on 127.0.0.1 that never answers)', () => {
  let server: Server;
  let requests = 0;
  const config = () => ({
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  before(async () => {
    server = createServer(() => void requests++); // reads each request and never answers
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('the allowance of one call is what the clients enforce: attempts × per-attempt deadline + the delays between', () => {
    assert.equal(AWS_CALL_ALLOWANCE_MS, AWS_MAX_ATTEMPTS * AWS_REQUEST_TIMEOUT_MS + (AWS_MAX_ATTEMPTS - 1) * AWS_RETRY_DELAY_MS);
  });

  const calls: Record<string, () => Promise<unknown>> = {
    AwsStateStore: () => new AwsStateStore({ tableName: 't', clientConfig: config() }).get('jwks#signing-key'),
    AwsRegistrationStore: () => new AwsRegistrationStore({ tableName: 't', clientConfig: config() }).getClient('acme'),
    AwsSecretStore: () => new AwsSecretStore({ clientConfig: config() }).describeSecret('reg/signing-key'),
    AwsCipher: () => new AwsCipher({ keyId: 'alias/k', clientConfig: config() }).encrypt('x', { purpose: 'test' }),
    AwsEventPublisher: () => new AwsEventPublisher({ clientConfig: config() }).publish('test', {}),
  };
  for (const [adapter, call] of Object.entries(calls)) {
    it(`${adapter}: each attempt times out, and the call gives up after ${AWS_MAX_ATTEMPTS} attempts`, { timeout: 30_000 }, async () => {
      requests = 0;
      await assert.rejects(call(), { name: 'TimeoutError' });
      assert.equal(requests, AWS_MAX_ATTEMPTS);
    });
  }
});
