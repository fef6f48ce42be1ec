/**
 * A secret whose value the registry's rotation function generates (signing key, client secrets, consent-link key):
 * created empty, given its first value by the registry's bootstrap invocation (inside Terraform, before anything
 * reads it), then rotated on a schedule, so no value ever passes through Terraform.
 */
import { LambdaInvocation } from '@cdktf/provider-aws/lib/lambda-invocation';
import type { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import { Lazy } from 'cdktf';
import type { Construct } from 'constructs';
import type { BootstrapEvent } from '../../lambdas/rotation/bootstrap';
import { SECRET_KIND_TAG, type SecretKind } from '../../lambdas/shared/manifest';
import { PUBLIC_KEY_RING_KEY } from '../../lambdas/shared/public-key-ring';
import type { RegistryFunction } from './registry-function';

/** The registry's rotation function, the permission that lets Secrets Manager invoke it, and the bootstrap. */
export interface SecretRotator {
  readonly function: RegistryFunction;
  readonly permission: LambdaPermission;
  /** Generates the first value of every generated secret during `terraform apply`. */
  readonly bootstrap: SecretBootstrap;
}

/**
 * One `aws_lambda_invocation` of the rotation function with `{"action":"bootstrap","secretIds":[…]}`, listing every
 * secret the registry generates (by reference, so the invocation comes after them). The list is in the input, so
 * adding a secret changes the input and re-invokes the function on the next apply; the handler is idempotent (a
 * secret that already has a value keeps it) and returns a summary without secrets (Terraform keeps it in state).
 */
export class SecretBootstrap {
  public readonly invocation: LambdaInvocation;
  private readonly secrets: SecretsmanagerSecret[] = [];

  constructor(scope: Construct, id: string, rotationFunction: RegistryFunction) {
    this.invocation = new LambdaInvocation(scope, id, {
      functionName: rotationFunction.function.functionName,
      input: Lazy.stringValue({ produce: () => bootstrapInput(this.secrets.map((s) => s.name)) }),
      // Invoke on create and whenever the input (the list of secrets) changes; never on destroy.
      lifecycleScope: 'CREATE_ONLY',
    });
  }

  /** Adds `secret` to the secrets the invocation bootstraps. */
  public add(secret: SecretsmanagerSecret): void {
    this.secrets.push(secret);
  }
}

/**
 * The bootstrap event of the rotation function. It names the public ring's item, so a registry deployed before the
 * ring was published re-runs the bootstrap once on upgrade, which publishes the existing ring.
 */
export function bootstrapInput(secretIds: readonly string[]): string {
  const event: BootstrapEvent = { action: 'bootstrap', secretIds, publicKeyRing: PUBLIC_KEY_RING_KEY };
  return JSON.stringify(event);
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
  /** Days Secrets Manager keeps the secret after a destroy (0: deleted at once), the registry's `recoveryWindowInDays`. */
  readonly recoveryWindowInDays: number;
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
    recoveryWindowInDays: props.recoveryWindowInDays,
    tags: { ...props.tags, [SECRET_KIND_TAG]: props.kind, ...props.extraTags },
  });
}

/**
 * Rotation `<secret id>Rotation` every `days`, once the permission exists and the bootstrap has given the secret its
 * first value. `rotate_immediately = false`: Secrets Manager only tests the configuration when the rotation is
 * created or changed (with `true`, changing a schedule would rotate every secret at once, partners' included).
 */
export function rotateSecret(
  scope: Construct,
  secretId: string,
  secret: SecretsmanagerSecret,
  rotator: SecretRotator,
  days: number,
): SecretsmanagerSecretRotation {
  rotator.bootstrap.add(secret);
  return new SecretsmanagerSecretRotation(scope, `${secretId}Rotation`, {
    secretId: secret.id,
    rotationLambdaArn: rotator.function.functionArn,
    rotateImmediately: false,
    rotationRules: { automaticallyAfterDays: days },
    dependsOn: [rotator.permission, rotator.bootstrap.invocation],
  });
}

/** The secret `id` and its rotation `<id>Rotation`. */
export function rotatedSecret(scope: Construct, id: string, props: RotatedSecretProps): SecretsmanagerSecret {
  const secret = generatedSecret(scope, id, props);
  rotateSecret(scope, id, secret, props.rotator, props.rotationDays);
  return secret;
}
