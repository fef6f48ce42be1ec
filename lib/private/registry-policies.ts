/**
 * What the registry's functions may do with its table and its KMS key, in one place: which item kinds (key prefixes
 * of `lambdas/shared/table-keys.ts`) each runtime function reads and writes, and the KMS statements with the
 * encryption context and `kms:ViaService` conditions that tie each use of the key to the call that needs it.
 */
import { KEY_PREFIX, type KeyKind } from '../../lambdas/shared/table-keys';
import type { PolicyStatement } from './policy-document';

/** The registry's runtime functions that use items of its table. */
export type TableUser = 'authorizationServer' | 'connections' | 'rotation';

/**
 * The item kinds each runtime function writes (put, update, delete). Registrations (`client#`, `connection#`) are in
 * no list: Terraform writes them, and at run time they are read-only.
 */
export const TABLE_WRITES: Readonly<Record<TableUser, readonly KeyKind[]>> = {
  // Codes, refresh-token families and tokens, revoked access tokens' jtis, pending sign-ins, remembered consents,
  // the single-use jtis of client assertions and JWT-bearer grants, per-client rate-limit counters, and dynamically
  // registered clients with their hourly windows.
  authorizationServer: [
    'code',
    'family',
    'refreshToken',
    'revokedJti',
    'authRequest',
    'consent',
    'assertionJti',
    'bearerJti',
    'rateLimit',
    'registeredClient',
    'registrationWindow',
  ],
  // Token sets, pending third-party consents (by `state`), used consent links.
  connections: ['tokenSet', 'consentState', 'consentLink'],
  // The signing keys' public ring, beside the private ring it rotates.
  rotation: ['publicKeys'],
};

/**
 * The item kinds each runtime function reads (GetItem): its own state, and the registrations it serves. No function
 * reads another's state: the authorization server never sees a token set, the connections function never a refresh
 * token's family or a client's registration.
 */
export const TABLE_READS: Readonly<Record<TableUser, readonly KeyKind[]>> = {
  // The JWKS and introspection read the public ring the rotation function publishes.
  authorizationServer: ['client', 'publicKeys', ...TABLE_WRITES.authorizationServer],
  connections: ['connection', ...TABLE_WRITES.connections],
  // createSecret and the bootstrap read the published ring to add the keys it lacks (never dropping a published key).
  rotation: ['publicKeys'],
};

/** `dynamodb:LeadingKeys` patterns of `kinds`: `<prefix>*` for each. */
export const leadingKeyPatterns = (kinds: readonly KeyKind[]): string[] => kinds.map((kind) => `${KEY_PREFIX[kind]}*`);

/** What the `StateStore` and `RegistrationStore` adapters call to read: single items by key (no Query, no Scan). */
export const TABLE_READ_ACTIONS: readonly string[] = ['dynamodb:GetItem'];

/**
 * What the `StateStore` adapter calls to write. Each names its item's key, so `dynamodb:LeadingKeys` is never empty
 * (`ForAllValues` over an empty set would be true): no Scan-based delete, no batch, no PartiQL, no table action.
 */
export const TABLE_WRITE_ACTIONS: readonly string[] = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

/**
 * The table key as DynamoDB uses it on a caller's behalf: reading an item needs `kms:Decrypt` (of the table key);
 * writing also needs `kms:GenerateDataKey` and `kms:Encrypt`. aws-cdk's `Table.grantWriteData` grants the wider
 * `kms:GenerateDataKey*` (also `GenerateDataKeyWithoutPlaintext` and the pair variants), `kms:ReEncrypt*` and
 * `kms:DescribeKey`; item writes call none of those, so only the exact action is granted.
 */
export const TABLE_KEY_ACTIONS = {
  read: ['kms:Decrypt'],
  write: ['kms:Decrypt', 'kms:Encrypt', 'kms:GenerateDataKey'],
} as const satisfies Readonly<Record<string, readonly string[]>>;

export interface TableStatementsProps {
  readonly user: TableUser;
  readonly tableArn: string;
  readonly tableName: string;
  /** The registry's KMS key (the table's encryption key). */
  readonly keyArn: string;
  /** `dynamodb.<region>.<dns suffix>` of the registry's region. */
  readonly viaService: string;
  readonly accountId: string;
}

/**
 * What `user` may do with the table, as AWS evaluates it: GetItem of its own item kinds (`TABLE_READS`), writes of
 * the kinds it owns (`TABLE_WRITES`), each bound to those key prefixes by `dynamodb:LeadingKeys`, and the table key
 * through DynamoDB for this table only.
 */
export function tableStatements(props: TableStatementsProps): PolicyStatement[] {
  const { user, tableArn } = props;
  const [reads, writes] = [TABLE_READS[user], TABLE_WRITES[user]];
  return [
    ...(reads.length > 0
      ? [
          {
            sid: 'ReadOwnTableItems',
            actions: TABLE_READ_ACTIONS,
            resources: [tableArn],
            conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeyPatterns(reads) } },
          },
        ]
      : []),
    ...(writes.length > 0
      ? [
          {
            sid: 'WriteOwnTableItems',
            actions: TABLE_WRITE_ACTIONS,
            resources: [tableArn],
            conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': leadingKeyPatterns(writes) } },
          },
        ]
      : []),
    tableKeyStatement({ ...props, actions: writes.length > 0 ? TABLE_KEY_ACTIONS.write : TABLE_KEY_ACTIONS.read }),
  ];
}

export interface SecretsKeyStatementProps {
  readonly sid: string;
  /** The registry's KMS key. */
  readonly keyArn: string;
  /** `kms:Decrypt` to read; `kms:GenerateDataKey` too to write a secret value. */
  readonly actions: readonly string[];
  /** `secretsmanager.<region>.<dns suffix>` of the registry's region. */
  readonly viaService: string;
  /** ARNs or ARN patterns of the secrets (Secrets Manager's encryption context `SecretARN`). */
  readonly secretArns: readonly string[];
}

/** The registry's key, as Secrets Manager uses it for `secretArns` on the function's behalf, and for nothing else. */
export function secretsKeyStatement(props: SecretsKeyStatementProps): PolicyStatement {
  return {
    sid: props.sid,
    actions: props.actions,
    resources: [props.keyArn],
    conditions: {
      StringEquals: { 'kms:ViaService': props.viaService },
      StringLike: { 'kms:EncryptionContext:SecretARN': props.secretArns },
    },
  };
}

/**
 * The table key, as DynamoDB uses it for the registry's table on the caller's behalf (when it first reads or writes an
 * item, and every 5 minutes); DynamoDB's encryption context names the table and the account.
 */
function tableKeyStatement(props: TableStatementsProps & { readonly actions: readonly string[] }): PolicyStatement {
  return {
    sid: 'UseTableKeyThroughDynamoDB',
    actions: props.actions,
    resources: [props.keyArn],
    conditions: {
      StringEquals: {
        'kms:ViaService': props.viaService,
        'kms:EncryptionContext:aws:dynamodb:tableName': props.tableName,
        'kms:EncryptionContext:aws:dynamodb:subscriberId': props.accountId,
      },
    },
  };
}

/**
 * The encryption context keys the connections function sends with a token set's refresh token
 * (`lambdas/connections/token-set-item.ts`): the connection's name, and the token set's table key.
 */
export const TOKEN_SET_CONTEXT_KEYS = { connection: 'oauth-registry:connection', tokenSet: 'oauth-registry:token-set' } as const;

/**
 * Direct `kms:Encrypt`/`kms:Decrypt` of token sets' refresh tokens: only with an encryption context of exactly the
 * connection and a token set's key (`tokenset#…`), so the statement decrypts no secret and no table key.
 */
export function tokenSetCipherStatement(keyArn: string): PolicyStatement {
  return {
    sid: 'EncryptRefreshTokens',
    actions: ['kms:Encrypt', 'kms:Decrypt'],
    resources: [keyArn],
    conditions: {
      // Both keys present (a missing key matches no StringLike)…
      StringLike: {
        [`kms:EncryptionContext:${TOKEN_SET_CONTEXT_KEYS.tokenSet}`]: `${KEY_PREFIX.tokenSet}*`,
        [`kms:EncryptionContext:${TOKEN_SET_CONTEXT_KEYS.connection}`]: '*',
      },
      // …and no other.
      'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': [TOKEN_SET_CONTEXT_KEYS.connection, TOKEN_SET_CONTEXT_KEYS.tokenSet] },
    },
  };
}

/**
 * The registry key's policy: the account (its root principal) administers and uses the key, which is what lets IAM
 * policies grant its use (AWS's default key policy). Nothing else: no other account, no `Principal: "*"`; every
 * function's use of the key comes from its own IAM policy, with the conditions above.
 */
export function keyPolicy(accountRootArn: string): object {
  return {
    Version: '2012-10-17',
    Statement: [{ Sid: 'AccountAdministersKey', Effect: 'Allow', Principal: { AWS: accountRootArn }, Action: 'kms:*', Resource: '*' }],
  };
}
