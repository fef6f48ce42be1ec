/** Lambda entry of the rotation function Secrets Manager invokes for client secrets and signing keys. */
import type { SecretsManagerRotationEvent } from 'aws-lambda';
import { AwsSecretStore } from '../shared/adapters/aws-secret-store';
import { createRotationHandler } from './rotation';

const rotate = createRotationHandler({ secrets: new AwsSecretStore() });

export const handler = (event: SecretsManagerRotationEvent): Promise<void> => rotate(event);
