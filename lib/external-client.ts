/**
 * An external client of an `OAuthRegistry`: an application of a partner that gets access tokens with its own
 * client id and secret (OAuth 2.0 client credentials).
 */
import { DynamodbTableItem } from '@cdktf/provider-aws/lib/dynamodb-table-item';
import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret';
import { SecretsmanagerSecretRotation } from '@cdktf/provider-aws/lib/secretsmanager-secret-rotation';
import { Token } from 'cdktf';
import { Construct } from 'constructs';
import {
  CLIENT_ID_TAG,
  SECRET_KIND_TAG,
  clientItemKey,
  type ClientRegistration,
  type SupportedGrantType,
} from '../lambdas/shared/manifest';
import { ClientAuth, GrantType, scopeName, type ScopeLike } from './grants';
import type { OAuthRegistry } from './oauth-registry';
import {
  SECRET_NAME_SEGMENT_PATTERN,
  shortHash,
  validateClientId,
  validateIntRange,
  validateScope,
} from './private/validate';

/** What you declare about an external client (`registry.addExternalClient(id, options)`). */
export interface ExternalClientOptions {
  /**
   * The public client identifier. URL-safe, 1 to 128 characters, unique in the registry.
   * @default a stable 24-character hex id derived from the construct path (renaming the construct changes it)
   */
  readonly clientId?: string;
  /** Grant types the client may use. @default [GrantType.CLIENT_CREDENTIALS] */
  readonly grantTypes?: readonly GrantType[];
  /** How the client authenticates at the token endpoint. @default ClientAuth.CLIENT_SECRET_BASIC */
  readonly authMethod?: ClientAuth;
  /** Scopes the client may be granted (RFC 6749 §3.3 scope-tokens); a request asking for none gets all of them. */
  readonly scopes: readonly ScopeLike[];
  /** The `aud` claim of this client's tokens (added to the JWT authorizer's audiences). @default the registry's audience */
  readonly audience?: string;
  /** Lifetime of this client's access tokens, in seconds (60 to 86400). @default the registry's (900) */
  readonly accessTokenTtlSecs?: number;
  /** How often the client secret rotates, in days (1 to 365). @default 90 */
  readonly secretRotationDays?: number;
  /** An inactive client keeps its registration and secret but cannot get tokens. @default true */
  readonly active?: boolean;
  /** What the client is, for people reading the registry. @default none */
  readonly description?: string;
}

export interface ExternalClientProps extends ExternalClientOptions {
  /** The registry issuing this client's tokens. */
  readonly registry: OAuthRegistry;
}

/**
 * An external client: a Secrets Manager secret (its value generated and rotated by the registry's rotation
 * function, never in Terraform config or state) and one Terraform-managed registration item in the table.
 */
export class ExternalClient extends Construct {
  /** The public client identifier to hand to the partner. */
  public readonly clientId: string;
  /** The registration as the token endpoint reads it (also in the manifest). */
  public readonly registration: ClientRegistration;
  /** The secret holding `{"client_id","client_secret"}`. */
  public readonly secret: SecretsmanagerSecret;
  /** The registration item in the registry's table. */
  public readonly item: DynamodbTableItem;

  constructor(scope: Construct, id: string, props: ExternalClientProps) {
    super(scope, id);
    const { registry } = props;
    const where = `external client "${id}"`;
    if (!SECRET_NAME_SEGMENT_PATTERN.test(id)) {
      throw new Error(`${where}: the id is part of a secret name and must match ${SECRET_NAME_SEGMENT_PATTERN}, got "${id}"`);
    }
    this.clientId = validateClientId(props.clientId ?? shortHash(`oauth-registry/client:${this.node.path}`, 24));

    const grantTypes = (props.grantTypes ?? [GrantType.CLIENT_CREDENTIALS]).map((g): SupportedGrantType => {
      if (!(g instanceof GrantType)) throw new Error(`${where}: grantTypes must be GrantType values, got ${JSON.stringify(g)}`);
      try {
        return g.toSupported();
      } catch (error) {
        throw new Error(`${where}: ${(error as Error).message}`);
      }
    });
    if (grantTypes.length === 0) throw new Error(`${where}: grantTypes must not be empty, got []`);

    const scopes = props.scopes.map((s) => validateScope(where, scopeName(s)));
    if (scopes.length === 0) throw new Error(`${where}: scopes must name at least one scope, got []`);

    const accessTokenTtlSecs = validateIntRange(
      `${where}: accessTokenTtlSecs`,
      props.accessTokenTtlSecs ?? registry.accessTokenTtlSecs,
      60,
      86_400,
    );
    const secretRotationDays = validateIntRange(`${where}: secretRotationDays`, props.secretRotationDays ?? 90, 1, 365);
    if (props.audience !== undefined && !Token.isUnresolved(props.audience) && props.audience.length === 0) {
      throw new Error(`${where}: audience must not be empty, got ""`);
    }
    const secretName = `${registry.namePrefix}/clients/${id}`;

    this.registration = {
      name: id,
      clientId: this.clientId,
      ...(props.description !== undefined ? { description: props.description } : {}),
      grantTypes: [...new Set(grantTypes)],
      authMethod: (props.authMethod ?? ClientAuth.CLIENT_SECRET_BASIC).method,
      scopes: [...new Set(scopes)],
      // Unset: the registry's audience, else the issuer, resolved by the authorization server at runtime.
      ...(props.audience !== undefined ? { audience: props.audience } : {}),
      accessTokenTtlSecs,
      active: props.active ?? true,
      secretId: secretName,
      secretRotationDays,
    };

    this.secret = new SecretsmanagerSecret(this, 'Secret', {
      name: secretName,
      description: `OAuth client secret of "${id}" (client_id ${this.clientId}); generated by rotation`,
      kmsKeyId: registry.kmsKey.arn,
      tags: { ...registry.tags, [SECRET_KIND_TAG]: 'client-secret', [CLIENT_ID_TAG]: this.clientId },
    });
    new SecretsmanagerSecretRotation(this, 'SecretRotation', {
      secretId: this.secret.id,
      rotationLambdaArn: registry.rotationFunction.functionArn,
      rotateImmediately: true,
      rotationRules: { automaticallyAfterDays: secretRotationDays },
      dependsOn: [registry._rotationPermission],
    });
    this.item = new DynamodbTableItem(this, 'Resource', {
      tableName: registry.table.name,
      hashKey: 'pk',
      item: escapeTemplates(
        JSON.stringify({ pk: { S: clientItemKey(this.clientId) }, data: { S: JSON.stringify(this.registration) } }),
      ),
    });
    registry._registerClient(this);
  }

  /** ARN of the secret holding this client's credentials. */
  public get secretArn(): string {
    return this.secret.arn;
  }
}

/**
 * Terraform reads `${…}` and `%{…}` in strings as templates; escape those that are not cdktf token markers so a
 * description like "costs ${x}" stays literal.
 */
function escapeTemplates(json: string): string {
  return json.replace(/\$\{(?!TfToken\[)/g, () => '$${').replace(/%\{/g, () => '%%{');
}
