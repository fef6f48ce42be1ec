/**
 * Infrastructure rules as code: pure functions over a synthesized Terraform JSON configuration
 * (`stack.toTerraform()`, or the parsed `cdk.tf.json`), plus an Aspect that applies them to a construct tree.
 */
import { Annotations, TerraformElement, type IAspect } from 'cdktf';
import type { IConstruct } from 'constructs';
import { PRIVATE_JWK_MEMBERS } from '../../lambdas/shared/oauth-syntax';
import { resolveTokens } from './resolve';

/** One rule violation: where (Terraform address) and what. */
export interface Finding {
  readonly rule: 'wildcard-data-action' | 'log-group-without-retention' | 'secret-value';
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
    yield [`${type}.${name}`, (config ?? {}) as Record<string, Json>];
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
  if (typeof policy === 'object' && policy !== null) return policy as { Statement?: Json };
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

function isPrivateJwk(value: Record<string, Json>): boolean {
  return typeof value.kty === 'string' && PRIVATE_JWK_MEMBERS.some((m) => typeof value[m] === 'string');
}

/**
 * Secret material in a configuration: any `secret_string` / `secret_binary` (their values would land in the
 * config and the state), a PEM private key, or a private JWK (a JWK with `d`), also inside JSON-encoded strings.
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

/** Every rule, over one configuration. */
export function checkAll(tfJson: Json): Finding[] {
  return [...findWildcardDataActions(tfJson), ...findLogGroupsWithoutRetention(tfJson), ...findSecretValues(tfJson)];
}

/**
 * Applies every rule to each Terraform element it visits (its own resolved fragment of configuration) and reports
 * each finding as an error annotation on that element, which fails `cdktf synth`.
 */
export class RegistryRulesAspect implements IAspect {
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
    for (const finding of checkAll(fragment)) {
      Annotations.of(node).addError(`[${finding.rule}] ${finding.message}`);
    }
  }
}
