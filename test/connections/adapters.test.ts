/** The small pieces around connections: ciphers, the event publisher, the caller helper, link-key rotation. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { DecryptCommand, EncryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { getConnectionToken, ConnectionTokenError } from '../../lambdas/connections/client';
import { rotateSecret } from '../../lambdas/rotation/rotation';
import { AwsCipher } from '../../lambdas/shared/adapters/aws-cipher';
import { AwsEventPublisher } from '../../lambdas/shared/adapters/aws-event-publisher';
import { LocalCipher } from '../../lambdas/shared/adapters/local-cipher';
import { MemorySecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { SECRET_KIND_TAG } from '../../lambdas/shared/manifest';

const context = { 'oauth-registry:connection': 'Crm', 'oauth-registry:token-set': 'tokenset#Crm#_shared' };

describe('LocalCipher', () => {
  it('round-trips, and a ciphertext only decrypts under its own context and key', async () => {
    const cipher = new LocalCipher(randomBytes(32));
    const sealed = await cipher.encrypt('refresh-token-value', context);
    assert.ok(!sealed.includes('refresh-token-value'));
    assert.equal(await cipher.decrypt(sealed, { ...context }), 'refresh-token-value');
    await assert.rejects(cipher.decrypt(sealed, { ...context, 'oauth-registry:token-set': 'tokenset#Crm#bob' }));
    await assert.rejects(new LocalCipher(randomBytes(32)).decrypt(sealed, context));
    await assert.rejects(cipher.decrypt('garbage', context), /not a LocalCipher ciphertext/);
  });

  it('keeps its key in the local secret store across instances', async () => {
    const secrets = new MemorySecretStore();
    const a = await LocalCipher.fromSecretStore(secrets, 'p/local/key');
    const b = await LocalCipher.fromSecretStore(secrets, 'p/local/key');
    assert.equal(await b.decrypt(await a.encrypt('x', context), context), 'x');
  });
});

describe('AWS adapters of connections', () => {
  it('AwsCipher encrypts with the key and the encryption context', async () => {
    const kms = mockClient(KMSClient);
    kms.on(EncryptCommand).resolves({ CiphertextBlob: Buffer.from('sealed') });
    kms.on(DecryptCommand).resolves({ Plaintext: Buffer.from('plain') });
    const cipher = new AwsCipher({ keyId: 'arn:aws:kms:eu-west-1:1:key/k', client: kms as unknown as KMSClient });
    assert.equal(await cipher.encrypt('plain', context), Buffer.from('sealed').toString('base64'));
    assert.deepEqual(kms.commandCalls(EncryptCommand)[0].args[0].input, {
      KeyId: 'arn:aws:kms:eu-west-1:1:key/k',
      Plaintext: Buffer.from('plain'),
      EncryptionContext: context,
    });
    assert.equal(await cipher.decrypt(Buffer.from('sealed').toString('base64'), context), 'plain');
    assert.deepEqual(kms.commandCalls(DecryptCommand)[0].args[0].input.EncryptionContext, context);
  });

  it('AwsEventPublisher puts one event on the default bus, and reports a refused entry', async () => {
    const eb = mockClient(EventBridgeClient);
    eb.on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 0 })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDenied' }] });
    const events = new AwsEventPublisher({ client: eb as unknown as EventBridgeClient });
    await events.publish('Connection Health Changed', { connection: 'Crm', to: 'needs_consent' });
    assert.deepEqual(eb.commandCalls(PutEventsCommand)[0].args[0].input, {
      Entries: [
        {
          Source: 'oauth-registry',
          DetailType: 'Connection Health Changed',
          Detail: '{"connection":"Crm","to":"needs_consent"}',
          EventBusName: 'default',
        },
      ],
    });
    await assert.rejects(events.publish('x', {}), /EventBridge refused the event: AccessDenied/);
  });
});

describe('getConnectionToken', () => {
  const env = { OAUTH_CONNECTIONS_FUNCTION: 'reg-connections' };

  it("invokes the broker through the connection's alias", async () => {
    const lambda = mockClient(LambdaClient);
    const token = { access_token: 'at', expires_at: 1, token_type: 'Bearer' };
    lambda.on(InvokeCommand).resolves({ Payload: Buffer.from(JSON.stringify(token)) as never });
    assert.deepEqual(await getConnectionToken('Salesforce', { subject: 'alice', env, lambda: lambda as unknown as LambdaClient }), token);
    const input = lambda.commandCalls(InvokeCommand)[0].args[0].input;
    assert.equal(input.FunctionName, 'reg-connections');
    assert.equal(input.Qualifier, 'connection-Salesforce');
    assert.deepEqual(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString()), {
      action: 'token',
      connection: 'Salesforce',
      subject: 'alice',
    });
  });

  it("throws the broker's error with its code and consent link", async () => {
    const lambda = mockClient(LambdaClient);
    const refusal = { error: 'needs_consent', error_description: 'consent again', consent_url: 'https://x/connect?link=l' };
    lambda.on(InvokeCommand).resolves({ Payload: Buffer.from(JSON.stringify(refusal)) as never });
    await assert.rejects(getConnectionToken('Salesforce', { env, lambda: lambda as unknown as LambdaClient }), (err: unknown) => {
      assert.ok(err instanceof ConnectionTokenError);
      assert.equal(err.code, 'needs_consent');
      assert.equal(err.consentUrl, 'https://x/connect?link=l');
      return true;
    });
  });

  it('says what to do when the function was not granted access', async () => {
    await assert.rejects(
      getConnectionToken('Salesforce', { env: {} }),
      /OAUTH_CONNECTIONS_FUNCTION is not set: grant this function .*connection\.grantTokenAccess\(fn\)/,
    );
  });
});

describe('link-key rotation', () => {
  it('generates a 256-bit HS256 oct key with a kid, and refuses a malformed pending value', async () => {
    const secrets = new MemorySecretStore();
    secrets.createSecret('p/connections/link-key', { [SECRET_KIND_TAG]: 'link-key' });
    await rotateSecret(secrets, 'p/connections/link-key');
    const jwk = JSON.parse((await secrets.getSecretVersion('p/connections/link-key', 'AWSCURRENT'))!.value);
    assert.equal(jwk.kty, 'oct');
    assert.equal(jwk.alg, 'HS256');
    assert.equal(Buffer.from(jwk.k, 'base64url').length, 32);
    assert.match(jwk.kid, /^[0-9a-f]{16}$/);

    const { createRotationHandler } = await import('../../lambdas/rotation/rotation');
    const rotate = createRotationHandler({ secrets });
    await secrets.putSecretValue('p/connections/link-key', 'bad', JSON.stringify({ kty: 'oct', k: 'c2hvcnQ', kid: 'x' }), ['AWSPENDING']);
    await assert.rejects(
      rotate({ SecretId: 'p/connections/link-key', ClientRequestToken: 'bad', Step: 'testSecret' }),
      /is not a 32-byte oct JWK with a kid/,
    );
  });
});
