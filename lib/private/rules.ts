/**
 * Infrastructure rules as code: pure functions over a synthesized Terraform JSON configuration
 * (`stack.toTerraform()`, or the parsed `cdk.tf.json`), plus an Aspect that applies them to a construct tree.
 */
import type { DynamodbTable } from '@cdktf/provider-aws/lib/dynamodb-table';
import { Annotations, TerraformElement, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { PRIVATE_JWK_MEMBERS } from '../../lambdas/shared/oauth-syntax';
import { KEY_PREFIX, REGISTRATION_KEY_KINDS } from '../../lambdas/shared/table-keys';
import { resolveTokens } from './resolve';

/** One rule violation: where (Terraform address) and what. */
export interface Finding {
  readonly rule: 'wildcard-data-action' | 'registration-write' | 'unscoped-table-read' | 'log-group-without-retention' | 'secret-value';
  /** `type.name` of the resource or data source. */
  readonly address: string;
  readonly message: string;
}

type Json = unknown;
type Blocks = Record<string, Record<string, Record<string, Json>>>;

function blocksOf(tfJson: Json, kind: 'resource' | 'data'): Blocks {
  const root = (tfJson ?? {}) as Record<string, Json>;
  return (root[kind] ?? {}) as Blocks;
}

function* resourcesOfType(tfJson: Json, type: string): Generator<[string, Record<string, Json>]> {
  for (const [name, config] of Object.entries(blocksOf(tfJson, 'resource')[type] ?? {})) {
    yield [`${type}.${name}`, config ?? {}];
  }
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

/** Data actions that must never be granted on every resource. */
const DATA_ACTION_PATTERNS: readonly RegExp[] = [
  /^\*$/,
  /^secretsmanager:(\*|GetSecretValue|PutSecretValue|BatchGetSecretValue|Get\*)$/i,
  /^dynamodb:(\*|GetItem|BatchGetItem|Query|Scan|PutItem|UpdateItem|DeleteItem|BatchWriteItem|PartiQL\w*)$/i,
  /^dynamodb:(TransactGetItems|TransactWriteItems|Get\*|Put\*|Update\*|Delete\*|Batch\*)$/i,
  /^kms:(\*|Decrypt|GenerateDataKey\w*|Encrypt|ReEncrypt\w*|Generate\*|ReEncrypt\*)$/i,
];

const isDataAction = (action: string): boolean => DATA_ACTION_PATTERNS.some((p) => p.test(action));

function parsePolicy(policy: Json): { Statement?: Json } | undefined {
  if (typeof policy === 'object' && policy !== null) return policy;
  if (typeof policy !== 'string') return undefined;
  try {
    return JSON.parse(policy) as { Statement?: Json };
  } catch {
    return undefined; // an HCL expression (e.g. `${data.aws_iam_policy_document.x.json}`): not checkable here
  }
}

/** Policies of `aws_iam_role_policy`, `aws_iam_policy` and `aws_iam_role.inline_policy`, with their addresses. */
function* policiesOf(tfJson: Json): Generator<[string, Json]> {
  for (const [address, config] of resourcesOfType(tfJson, 'aws_iam_role_policy')) yield [address, config.policy];
  for (const [address, config] of resourcesOfType(tfJson, 'aws_iam_policy')) yield [address, config.policy];
  for (const [address, config] of resourcesOfType(tfJson, 'aws_iam_role')) {
    for (const inline of asArray(config.inline_policy as Json[] | undefined)) {
      yield [address, (inline as Record<string, Json>)?.policy];
    }
  }
}

/**
 * IAM statements that allow a data action (reading secrets, reading or writing DynamoDB items, decrypting or
 * generating data keys with KMS) on Resource `*`.
 */
export function findWildcardDataActions(tfJson: Json): Finding[] {
  const findings: Finding[] = [];
  for (const [address, policy] of policiesOf(tfJson)) {
    const document = parsePolicy(policy);
    for (const statement of asArray(document?.Statement as Json[] | undefined)) {
      const s = statement as Record<string, Json>;
      if (s.Effect !== 'Allow') continue;
      const resources = asArray(s.Resource as string | string[] | undefined);
      if (!resources.includes('*') && !('NotResource' in s)) continue;
      const actions = asArray(s.Action as string | string[] | undefined).filter(isDataAction);
      if ('NotAction' in s) actions.push(`NotAction ${JSON.stringify(s.NotAction)}`);
      for (const action of actions) {
        findings.push({
          rule: 'wildcard-data-action',
          address,
          message: `${address} allows "${action}" on every resource ("*"); name the secret, table or key ARN instead`,
        });
      }
    }
  }
  return findings;
}

/** The registry's table as IAM policies name it. */
export interface RegistryTableRef {
  /** Its ARN as the configuration writes it: `${aws_dynamodb_table.<name>.arn}`, or a literal ARN. */
  readonly arn: string;
  /** Its name, to recognize ARNs written out (`arn:…:table/<name>`) and patterns. @default patterns only */
  readonly name?: string;
}

/** Every `aws_dynamodb_table` of a configuration. */
function tablesIn(tfJson: Json): RegistryTableRef[] {
  return [...resourcesOfType(tfJson, 'aws_dynamodb_table')].map(([address, config]) => ({
    arn: `\${${address}.arn}`,
    ...(typeof config.name === 'string' ? { name: config.name } : {}),
  }));
}

/** Key prefixes of the items only Terraform writes (`client#`, `connection#`). */
const REGISTRATION_PREFIXES: readonly string[] = REGISTRATION_KEY_KINDS.map((kind) => KEY_PREFIX[kind]);

/** Item writes of DynamoDB (IAM actions). */
const ITEM_WRITE_ACTIONS: readonly string[] = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
  'dynamodb:PartiQLInsert',
  'dynamodb:PartiQLUpdate',
  'dynamodb:PartiQLDelete',
];
/** Item reads of DynamoDB (IAM actions). */
const ITEM_READ_ACTIONS: readonly string[] = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:Scan',
  'dynamodb:ConditionCheckItem',
  'dynamodb:PartiQLSelect',
];
/** Actions whose every request names an item's partition key, so `dynamodb:LeadingKeys` is never empty. */
const KEYED_ACTIONS: ReadonlySet<string> = new Set(
  ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'].map((a) =>
    `dynamodb:${a}`.toLowerCase(),
  ),
);

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An IAM glob (`*`, `?`) as an anchored regular expression; `caseless` for actions. */
const globRegExp = (glob: string, caseless: boolean): RegExp =>
  new RegExp(
    `^${glob
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : escapeRegExp(c)))
      .join('')}$`,
    caseless ? 'is' : 's',
  );

/**
 * Whether `resource` may name `table`: `*`, its ARN reference, or a pattern or written-out ARN that matches its ARN
 * in some partition, region and account (the registry's are only known at deploy). Another `${…}` reference stands for
 * one ARN segment (a partition, region or account), never for a whole table.
 */
function coversTable(resource: string, table: RegistryTableRef): boolean {
  if (resource === '*' || resource === table.arn) return true;
  // A name no table has when it is unknown: then only patterns match.
  const tableArn = (partition: string, region: string, account: string) =>
    `arn:${partition}:dynamodb:${region}:${account}:table/${table.name ?? '\u0000'}`;
  const written = resource.split(table.arn).join(tableArn('x', 'x', 'x'));
  // The table's ARN in the resource's own partition, region and account, where it writes them out.
  const literal = (segment: string | undefined) => (segment && /^[A-Za-z0-9-]+$/.test(segment) ? segment : 'x');
  const segments = written.split(':');
  const sample = tableArn(literal(segments[1]), literal(segments[3]), literal(segments[4]));
  const source = written
    .split(/(\$\{[^}]*\})/)
    .map((part, i) => (i % 2 === 0 ? globRegExp(part, false).source.slice(1, -1) : '[^:/]*'))
    .join('');
  return new RegExp(`^${source}$`, 's').test(sample);
}

/** Whether some key starting with `prefix` matches the `StringLike` pattern (`*`, `?`). */
function patternMayMatchPrefix(pattern: string, prefix: string): boolean {
  let i = 0;
  for (const c of pattern) {
    if (i === prefix.length || c === '*') return true; // the rest of the pattern matches some continuation
    if (c !== '?' && c !== prefix[i]) return false;
    i++;
  }
  return i === prefix.length;
}

/** A condition block's entries for one key (case-insensitive): `[operator, values]`. */
function conditionsOn(condition: Json, key: string): Array<[string, string[]]> {
  const entries: Array<[string, string[]]> = [];
  if (typeof condition !== 'object' || condition === null) return entries;
  for (const [operator, byKey] of Object.entries(condition as Record<string, Json>)) {
    if (typeof byKey !== 'object' || byKey === null) continue;
    for (const [k, value] of Object.entries(byKey as Record<string, Json>)) {
      if (k.toLowerCase() === key.toLowerCase()) entries.push([operator, asArray(value as string | string[]).map(String)]);
    }
  }
  return entries;
}

/**
 * Why a statement's `dynamodb:LeadingKeys` conditions do not keep it to some key prefixes, and off `forbiddenPrefixes`,
 * or `undefined` when they do: a `ForAllValues:StringLike`/`StringEquals` whose every value can match no forbidden key,
 * and, when the statement allows actions that may carry no key (`ForAllValues` over no key is true), `Null` `false` on
 * the key.
 */
function leadingKeysProblem(condition: Json, mayCarryNoKey: boolean, forbiddenPrefixes: readonly string[]): string | undefined {
  const conditions = conditionsOn(condition, 'dynamodb:LeadingKeys');
  const limits = conditions.filter(([op]) => /^ForAllValues:String(Like|Equals)$/i.test(op));
  if (limits.length === 0) return 'without a ForAllValues:StringLike condition on dynamodb:LeadingKeys';
  const problems = limits.map(([, values]) => {
    for (const value of values) {
      // A `${…}` (Terraform or IAM policy variable) may be anything.
      const pattern = value.replace(/\$\{[^}]*\}/g, '*');
      const prefix = forbiddenPrefixes.find((p) => patternMayMatchPrefix(pattern, p));
      if (prefix !== undefined) return `with the leading-key pattern "${value}", which matches "${prefix}…" items`;
    }
    return undefined;
  });
  if (problems.every((p) => p !== undefined)) return problems[0];
  const keyRequired = conditions.some(([op, values]) => /^Null$/i.test(op) && values.length > 0 && values.every((v) => v === 'false'));
  if (mayCarryNoKey && !keyRequired) {
    return (
      'with actions that may carry no leading key, which a ForAllValues condition lets through ' +
      '(add Null "dynamodb:LeadingKeys": "false", or name only item actions)'
    );
  }
  return undefined;
}

/**
 * Allow statements of the configuration's policies that allow one of `itemActions` on one of `tables`, each with the
 * actions it allows of them, whether it may carry no leading key, and its address for messages.
 */
function* tableStatementsOf(
  tfJson: Json,
  tables: readonly RegistryTableRef[],
  itemActions: readonly string[],
): Generator<{ address: string; where: string; allowed: string[]; mayCarryNoKey: boolean; condition: Json }> {
  if (tables.length === 0) return;
  for (const [address, policy] of policiesOf(tfJson)) {
    const document = parsePolicy(policy);
    for (const statement of asArray(document?.Statement as Json[] | undefined)) {
      const s = statement as Record<string, Json>;
      if (s.Effect !== 'Allow') continue;
      const notActions = 'NotAction' in s ? asArray(s.NotAction as string | string[]).map(String) : undefined;
      const actions = asArray(s.Action as string | string[] | undefined).map(String);
      const allows = (action: string): boolean =>
        notActions ? !notActions.some((p) => globRegExp(p, true).test(action)) : actions.some((p) => globRegExp(p, true).test(action));
      const allowed = itemActions.filter(allows);
      if (allowed.length === 0) continue;
      const resources = 'NotResource' in s ? ['*'] : asArray(s.Resource as string | string[] | undefined).map(String);
      if (!tables.some((t) => resources.some((r) => coversTable(r, t)))) continue;
      const mayCarryNoKey =
        notActions !== undefined ||
        actions.some((a) => (a === '*' || /^dynamodb:/i.test(a)) && (/[*?]/.test(a) || !KEYED_ACTIONS.has(a.toLowerCase())));
      const where = typeof s.Sid === 'string' ? `${address} (statement "${s.Sid}")` : address;
      yield { address, where, allowed, mayCarryNoKey, condition: s.Condition };
    }
  }
}

/**
 * IAM statements that let a function write registration items (`client#`, `connection#`) of the registry's table:
 * an item write (PutItem, UpdateItem, DeleteItem, BatchWriteItem, PartiQL writes) on the table without a
 * `dynamodb:LeadingKeys` condition that leaves them out. Registrations are Terraform's; at run time they are
 * read-only. Over a whole configuration, every `aws_dynamodb_table` in it counts as the registry's unless `tables`
 * names them.
 */
export function findRegistrationWrites(tfJson: Json, tables: readonly RegistryTableRef[] = tablesIn(tfJson)): Finding[] {
  const findings: Finding[] = [];
  for (const { address, where, allowed, mayCarryNoKey, condition } of tableStatementsOf(tfJson, tables, ITEM_WRITE_ACTIONS)) {
    const problem = leadingKeysProblem(condition, mayCarryNoKey, REGISTRATION_PREFIXES);
    if (problem === undefined) continue;
    findings.push({
      rule: 'registration-write',
      address,
      message:
        `${where} allows ${allowed.join(', ')} on the registry's table ${problem}: it could write the registrations ` +
        `(${REGISTRATION_PREFIXES.join(', ')}), which only Terraform may; name the writer's own key prefixes instead ` +
        `("ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["code#*", …] })`,
    });
  }
  return findings;
}

/**
 * IAM statements that let a function read items of the registry's table (GetItem, BatchGetItem, Query, Scan,
 * ConditionCheckItem, PartiQL reads) without a `dynamodb:LeadingKeys` condition naming the prefixes it reads: such a
 * function could read every item, other functions' refresh-token families and token sets included. Scan carries no
 * leading key, so it needs `Null` `false` on the key (which then refuses it).
 */
export function findUnscopedTableReads(tfJson: Json, tables: readonly RegistryTableRef[] = tablesIn(tfJson)): Finding[] {
  const findings: Finding[] = [];
  for (const { address, where, allowed, mayCarryNoKey, condition } of tableStatementsOf(tfJson, tables, ITEM_READ_ACTIONS)) {
    const problem = leadingKeysProblem(condition, mayCarryNoKey, []);
    if (problem === undefined) continue;
    findings.push({
      rule: 'unscoped-table-read',
      address,
      message:
        `${where} allows ${allowed.join(', ')} on the registry's table ${problem}: it could read every item; name the ` +
        `reader's own key prefixes ("ForAllValues:StringLike": { "dynamodb:LeadingKeys": ["code#*", …] })`,
    });
  }
  return findings;
}

/** CloudWatch log groups that keep logs forever (no `retention_in_days`, or 0). */
export function findLogGroupsWithoutRetention(tfJson: Json): Finding[] {
  const findings: Finding[] = [];
  for (const [address, config] of resourcesOfType(tfJson, 'aws_cloudwatch_log_group')) {
    const retention = config.retention_in_days;
    if (retention === undefined || retention === null || retention === 0 || retention === '0') {
      findings.push({
        rule: 'log-group-without-retention',
        address,
        message: `${address} has no retention_in_days: its logs would be kept (and billed) forever`,
      });
    }
  }
  return findings;
}

/** A PEM private key with a body (the bare begin label alone, as library code may contain it, is not one). */
const PEM_PRIVATE_KEY = /-----BEGIN ((?:RSA |EC |ENCRYPTED |OPENSSH )?PRIVATE KEY)-----\s*[A-Za-z0-9+/=\s]{40,}/;

/**
 * A reference to a secret's value in an expression (`${aws_secretsmanager_secret_version.x.secret_string}`,
 * `${tls_private_key.k.private_key_pem}`, `${random_password.p.result}`): wherever it is used (an output, an
 * environment variable), the value is copied into Terraform state, and an output prints it.
 */
const SECRET_REFERENCE = new RegExp(
  String.raw`\$\{[^}]*\.(secret_string|secret_binary|private_key_pem|private_key_pem_pkcs8|private_key_openssh)\b` +
    String.raw`|\$\{[^}]*\brandom_password\.[\w-]+\.result\b`,
);

function isPrivateJwk(value: Record<string, Json>): boolean {
  return typeof value.kty === 'string' && PRIVATE_JWK_MEMBERS.some((m) => typeof value[m] === 'string');
}

/**
 * Secret material in a configuration: any `secret_string` / `secret_binary` (their values would land in the
 * config and the state), a PEM private key, or a private JWK (a JWK with `d`), also inside JSON-encoded strings, and
 * any reference to a secret's value (`SECRET_REFERENCE`), in resources, data sources, outputs and locals alike.
 */
export function findSecretValues(tfJson: Json): Finding[] {
  const findings: Finding[] = [];
  const visit = (value: Json, address: string, jsonPath: string, depth: number): void => {
    if (depth > 64) return;
    if (typeof value === 'string') {
      if (PEM_PRIVATE_KEY.test(value)) {
        findings.push({ rule: 'secret-value', address, message: `${address} holds a PEM private key at ${jsonPath}` });
        return;
      }
      const reference = SECRET_REFERENCE.exec(value);
      if (reference) {
        const what = reference[1] ?? 'random_password result';
        const message = `${address} uses a secret's value (${what}) at ${jsonPath}: it would be copied into Terraform state`;
        findings.push({ rule: 'secret-value', address, message });
        return;
      }
      const trimmed = value.trim();
      if ((trimmed.startsWith('{') || trimmed.startsWith('[')) && trimmed.length > 2) {
        try {
          visit(JSON.parse(trimmed) as Json, address, `${jsonPath}(json)`, depth + 1);
        } catch {
          /* not JSON */
        }
      }
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, i) => visit(item, address, `${jsonPath}[${i}]`, depth + 1));
      return;
    }
    if (typeof value === 'object' && value !== null) {
      const record = value as Record<string, Json>;
      if (isPrivateJwk(record)) {
        findings.push({ rule: 'secret-value', address, message: `${address} holds a private JWK at ${jsonPath}` });
        return;
      }
      for (const [key, child] of Object.entries(record)) {
        if ((key === 'secret_string' || key === 'secret_binary') && child !== undefined && child !== null) {
          findings.push({
            rule: 'secret-value',
            address,
            message: `${address} sets ${key} at ${jsonPath}.${key}: the value would be stored in cdktf.out and in Terraform state`,
          });
          continue;
        }
        visit(child, address, `${jsonPath}.${key}`, depth + 1);
      }
    }
  };
  const root = (tfJson ?? {}) as Record<string, Json>;
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byName] of Object.entries(blocksOf(root, kind))) {
      for (const [name, config] of Object.entries(byName ?? {})) {
        const address = kind === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
        visit(config, address, address, 0);
      }
    }
  }
  for (const key of ['output', 'locals', 'variable', 'provider'] as const) {
    if (root[key] !== undefined) visit(root[key], key, key, 0);
  }
  return findings;
}

export interface CheckOptions {
  /** The registry's table(s). @default every `aws_dynamodb_table` of the configuration */
  readonly registryTables?: readonly RegistryTableRef[];
}

/** Every rule, over one configuration. */
export function checkAll(tfJson: Json, options: CheckOptions = {}): Finding[] {
  return [
    ...findWildcardDataActions(tfJson),
    ...findRegistrationWrites(tfJson, options.registryTables),
    ...findUnscopedTableReads(tfJson, options.registryTables),
    ...findLogGroupsWithoutRetention(tfJson),
    ...findSecretValues(tfJson),
  ];
}

/**
 * Applies every rule to each Terraform element it visits (its own resolved fragment of configuration) and reports
 * each finding as an error annotation on that element, which fails `cdktf synth`.
 */
export class RegistryRulesAspect implements IAspect {
  private tableRef?: RegistryTableRef;

  /** `table`: the registry's table, whose registrations no IAM policy may let a function write. */
  constructor(private readonly options: { readonly table?: DynamodbTable } = {}) {}

  /** Element types no rule can flag; skipped to keep synth of large registries fast. */
  private static readonly SKIPPED_TYPES = new Set([
    'aws_secretsmanager_secret_rotation',
    'aws_apigatewayv2_route',
    'aws_apigatewayv2_integration',
    'aws_lambda_permission',
  ]);

  public visit(node: IConstruct): void {
    if (!(node instanceof TerraformElement)) return;
    const type = (node as unknown as { terraformResourceType?: string }).terraformResourceType;
    if (type && RegistryRulesAspect.SKIPPED_TYPES.has(type)) return;
    const fragment = resolveTokens(node, node.toTerraform());
    for (const finding of checkAll(fragment, { registryTables: this.registryTables(node) })) {
      Annotations.of(node).addError(`[${finding.rule}] ${finding.message}`);
    }
  }

  /** The registry's table as the resolved fragments name it (`${aws_dynamodb_table.<id>.arn}`), and its name. */
  private registryTables(scope: IConstruct): RegistryTableRef[] {
    const { table } = this.options;
    if (!table) return [];
    const name = table.nameInput === undefined ? undefined : resolveTokens(scope, table.nameInput);
    this.tableRef ??= { arn: resolveTokens(scope, table.arn), ...(name !== undefined ? { name } : {}) };
    return [this.tableRef];
  }
}
