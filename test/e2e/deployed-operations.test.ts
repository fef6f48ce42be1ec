/**
 * The deployed paths of the day-two commands, with only the AWS SDK call mocked: `credentials rotate` asks Secrets
 * Manager to rotate and, with --immediate, unlabels the previous version once the new one is AWSCURRENT; `keys rotate
 * --emergency` invokes the rotation function itself with the signing key's id.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DescribeSecretCommand,
  RotateSecretCommand,
  SecretsManagerClient,
  UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { rotateDeployed } from '../../bin/commands/credentials-rotate';
import { invokeEmergencyRotation } from '../../bin/commands/keys';
import { exampleManifest } from './fixture';

describe('deployed day-two operations (SDK mocked)', () => {
  const sm = mockClient(SecretsManagerClient);
  const lambda = mockClient(LambdaClient);
  afterEach(() => {
    sm.reset();
    lambda.reset();
  });

  it('credentials rotate --immediate: RotateSecret, then AWSPREVIOUS removed from the previous version', async () => {
    sm.on(DescribeSecretCommand)
      .resolvesOnce({ VersionIdsToStages: { old: ['AWSCURRENT'] } })
      .resolvesOnce({ VersionIdsToStages: { old: ['AWSPREVIOUS'], new: ['AWSCURRENT'] } });
    sm.on(RotateSecretCommand).resolves({ VersionId: 'new' });
    await rotateDeployed('reg/clients/Acme', true, 'eu-west-1');
    assert.deepEqual(sm.commandCalls(RotateSecretCommand)[0].args[0].input, { SecretId: 'reg/clients/Acme', RotateImmediately: true });
    assert.deepEqual(sm.commandCalls(UpdateSecretVersionStageCommand)[0].args[0].input, {
      SecretId: 'reg/clients/Acme',
      VersionStage: 'AWSPREVIOUS',
      RemoveFromVersionId: 'old',
    });
  });

  it('credentials rotate without --immediate leaves the previous version its overlap', async () => {
    sm.on(DescribeSecretCommand).resolves({ VersionIdsToStages: { old: ['AWSCURRENT'] } });
    sm.on(RotateSecretCommand).resolves({ VersionId: 'new' });
    await rotateDeployed('reg/clients/Acme', false, undefined);
    assert.equal(sm.commandCalls(UpdateSecretVersionStageCommand).length, 0);
  });

  it('keys rotate --emergency invokes <namePrefix>-rotation with the signing key, and reports its failure', async () => {
    const manifest = exampleManifest();
    const answer = { secretId: manifest.signingKeySecretId, versionId: 'v', removedKids: ['a'], signingKid: 'b', nextKid: 'c' };
    lambda
      .on(InvokeCommand)
      .resolvesOnce({ Payload: Buffer.from(JSON.stringify(answer)) as never })
      .resolvesOnce({ FunctionError: 'Unhandled', Payload: Buffer.from('{"errorMessage":"boom"}') as never });
    assert.deepEqual(await invokeEmergencyRotation(manifest, 'eu-west-1'), answer);
    const input = lambda.commandCalls(InvokeCommand)[0].args[0].input;
    assert.equal(input.FunctionName, `${manifest.namePrefix}-rotation`);
    assert.deepEqual(JSON.parse(Buffer.from(input.Payload as Uint8Array).toString('utf8')), {
      action: 'emergency-rotate-signing-key',
      secretId: manifest.signingKeySecretId,
    });
    await assert.rejects(invokeEmergencyRotation(manifest, undefined), /the rotation function failed: \{"errorMessage":"boom"\}/);
  });
});
