/**
 * A secret whose value the registry's rotation function generates (signing key, client secrets, consent-link key):
 * created empty, rotated at once and then on a schedule, so no value ever passes through Terraform.
 */
import type { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import type { Construct } from 'constructs';
import { SECRET_KIND_TAG, type SecretKind } from '../../lambdas/shared/manifest';
import type { RegistryFunction } from './registry-function';

/** The registry's rotation function, and the permission that lets Secrets Manager invoke it. */
export interface SecretRotator {
  readonly function: RegistryFunction;
  readonly permission: LambdaPermission;
}

export interface GeneratedSecretProps {
  readonly name: string;
  readonly description: string;
  /** The registry's KMS key. */
  readonly kmsKeyId: string;
  /** The registry's tags; the kind tag (which tells the rotation function what to generate) and `extraTags` follow. */
  readonly tags: Readonly<Record<string, string>>;
  readonly kind: SecretKind;
  readonly extraTags?: Readonly<Record<string, string>>;
}

export interface RotatedSecretProps extends GeneratedSecretProps {
  readonly rotator: SecretRotator;
  readonly rotationDays: number;
}

/** The empty secret `id`, tagged with its kind. Start its rotation with `rotateSecret`. */
export function generatedSecret(scope: Construct, id: string, props: GeneratedSecretProps): SecretsmanagerSecret {
  return new SecretsmanagerSecret(scope, id, {
    name: props.name,
    description: props.description,
    kmsKeyId: props.kmsKeyId,
    tags: { ...props.tags, [SECRET_KIND_TAG]: props.kind, ...props.extraTags },
  });
}

/** Rotation `<secret id>Rotation`: immediately (the first value), then every `days`, once the permission exists. */
export function rotateSecret(
  scope: Construct,
  secretId: string,
  secret: SecretsmanagerSecret,
  rotator: SecretRotator,
  days: number,
): SecretsmanagerSecretRotation {
  return new SecretsmanagerSecretRotation(scope, `${secretId}Rotation`, {
    secretId: secret.id,
    rotationLambdaArn: rotator.function.functionArn,
    rotateImmediately: true,
    rotationRules: { automaticallyAfterDays: days },
    dependsOn: [rotator.permission],
  });
}

/** The secret `id` and its rotation `<id>Rotation`. */
export function rotatedSecret(scope: Construct, id: string, props: RotatedSecretProps): SecretsmanagerSecret {
  const secret = generatedSecret(scope, id, props);
  rotateSecret(scope, id, secret, props.rotator, props.rotationDays);
  return secret;
}
