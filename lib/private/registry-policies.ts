/**
 * What the registry's functions may do with its table and its KMS key, in one place: which item kinds (key prefixes
 * of `lambdas/shared/table-keys.ts`) each runtime function writes, and the KMS statements with the encryption
 * context and `kms:ViaService` conditions that tie each use of the key to the call that needs it.
 */
import { KEY_PREFIX, type KeyKind } from '../../lambdas/shared/table-keys';
import type { PolicyStatement } from './registry-function';

/** The registry's runtime functions that write items of its table. */
export type TableWriter = 'authorizationServer' | 'connections';

/**
 * The item kinds each runtime function writes (put, update, delete); every other item it may only read.
 * Registrations (`client#`, `connection#`) are in no list: Terraform writes them, and at run time they are read-only.
 */
export const TABLE_WRITES: Readonly<Record<TableWriter, readonly KeyKind[]>> = {
  // Codes, refresh-token families and tokens, revoked access tokens' jtis, pending sign-ins, remembered consents,
  // and the single-use jtis of client assertions and JWT-bearer grants.
  authorizationServer: [
    'code',
    'family',
    'refreshToken',
    'revokedJti',
    'authRequest',
    'consent',
    'assertionJti',
    'bearerJti',
    'registeredClient',
    'registrationWindow',
  ],
  // Token sets, pending third-party consents (by `state`), used consent links.
  connections: ['tokenSet', 'consentState', 'consentLink'],
};

/** `dynamodb:LeadingKeys` patterns of the items `writer` may write: `<prefix>*` for each of its kinds. */
export function writableKeyPatterns(writer: TableWriter): string[] {
  return TABLE_WRITES[writer].map((kind) => `${KEY_PREFIX[kind]}*`);
}

/** What the `StateStore` and `RegistrationStore` adapters call to read: single items by key (no Query, no Scan). */
export const TABLE_READ_ACTIONS: readonly string[] = ['dynamodb:GetItem'];

/**
 * What the `StateStore` adapter calls to write. Each names its item's key, so `dynamodb:LeadingKeys` is never empty
 * (`ForAllValues` over an empty set would be true): no Scan-based delete, no batch, no PartiQL, no table action.
 */
export const TABLE_WRITE_ACTIONS: readonly string[] = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];

/** Reads of any item of the table, and writes of `writer`'s own item kinds only. */
export function tableStatements(tableArn: string, writer: TableWriter): PolicyStatement[] {
  return [
    { sid: 'ReadRegistryTable', actions: TABLE_READ_ACTIONS, resources: [tableArn] },
    {
      sid: 'WriteOwnTableItems',
      actions: TABLE_WRITE_ACTIONS,
      resources: [tableArn],
      conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': writableKeyPatterns(writer) } },
    },
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

export interface TableKeyStatementProps {
  /** The registry's KMS key (the table's encryption key). */
  readonly keyArn: string;
  /** `dynamodb.<region>.<dns suffix>` of the registry's region. */
  readonly viaService: string;
  readonly tableName: string;
  readonly accountId: string;
}

/**
 * `kms:Decrypt` of the table key: DynamoDB decrypts it with the table's KMS key on the caller's behalf when the caller
 * first reads or writes an item (and every 5 minutes); DynamoDB's encryption context names the table and account.
 */
export function tableKeyStatement(props: TableKeyStatementProps): PolicyStatement {
  return {
    sid: 'DecryptRegistryTableKey',
    actions: ['kms:Decrypt'],
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
