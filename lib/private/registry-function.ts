/**
 * The one way this library deploys a Lambda function: bundled entry, its own role with an inline least-privilege
 * policy, its own log group with retention, nodejs22.x on arm64 with explicit memory and timeout.
 */
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function';
import { AssetType, Lazy, TerraformAsset, type ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import type { IGrantable, IGrantPrincipal } from '../grant';
import { bundleEntry } from './bundle';
import { policyDocument, type PolicyStatement } from './policy-document';
import { fitName, validateIntRange } from './validate';

/** IAM's limit on a role's `name_prefix` (AWS appends a unique suffix of 26 characters). */
export const ROLE_NAME_PREFIX_MAX = 38;

/** The processors Lambda runs functions on. */
export type LambdaArchitecture = 'arm64' | 'x86_64';
const ARCHITECTURES: readonly LambdaArchitecture[] = ['arm64', 'x86_64'];

export interface RegistryFunctionProps {
  /** Function name (≤ 64 characters); the log group is `/aws/lambda/<functionName>`. */
  readonly functionName: string;
  /** Source file to bundle (absolute, or relative to the current directory). */
  readonly entry: string;
  /** Exported handler function. @default 'handler' */
  readonly exportName?: string;
  /** Memory in MB. @default 256 */
  readonly memorySizeMb?: number;
  /** Timeout in seconds. @default 10 */
  readonly timeoutSecs?: number;
  /** Environment variables; values may be tokens. @default none */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 'arm64' */
  readonly architecture?: LambdaArchitecture;
  /** Retention of the function's log group, in days. */
  readonly logRetentionDays: number;
  /** What the function may do besides writing its own logs. @default nothing else */
  readonly statements?: readonly PolicyStatement[];
  readonly description?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** What must exist before the function's code is deployed or updated (besides its log group and policy). @default none */
  readonly dependsOn?: readonly ITerraformDependable[];
}

/** A Lambda function with its role, inline policy and log group; grants add to its inline policy and environment. */
export class RegistryFunction extends Construct implements IGrantable, IGrantPrincipal {
  public readonly function: LambdaFunction;
  public readonly role: IamRole;
  public readonly logGroup: CloudwatchLogGroup;
  public readonly policy: IamRolePolicy;
  /** Whether the timeout was given (`timeoutSecs`), rather than left at the default. */
  public readonly timeoutExplicit: boolean;
  private readonly statements: PolicyStatement[];
  private readonly environment: Record<string, string>;
  private timeout: number;

  constructor(scope: Construct, id: string, props: RegistryFunctionProps) {
    super(scope, id);
    if (props.functionName.length > 64) {
      throw new Error(`Lambda function name must be at most 64 characters, got "${props.functionName}"`);
    }
    const memorySizeMb = validateIntRange('memorySizeMb', props.memorySizeMb ?? 256, 128, 10_240);
    const timeoutSecs = validateIntRange('timeoutSecs', props.timeoutSecs ?? 10, 1, 900);
    this.timeoutExplicit = props.timeoutSecs !== undefined;
    this.timeout = timeoutSecs;
    const tags = props.tags ? { ...props.tags } : undefined;

    this.logGroup = new CloudwatchLogGroup(this, 'LogGroup', {
      name: `/aws/lambda/${props.functionName}`,
      retentionInDays: props.logRetentionDays,
      tags,
    });

    // Role names are global to the account: the same registry in two regions would collide on a fixed name, so AWS
    // completes the prefix with a unique suffix.
    this.role = new IamRole(this, 'ServiceRole', {
      namePrefix: `${fitName(props.functionName, ROLE_NAME_PREFIX_MAX - 1)}-`,
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
      tags,
    });

    this.statements = [
      {
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [`${this.logGroup.arn}:*`],
      },
      ...(props.statements ?? []),
    ];
    this.policy = new IamRolePolicy(this, 'Policy', {
      name: 'least-privilege',
      role: this.role.id,
      policy: Lazy.stringValue({ produce: () => policyDocument(this.statements) }),
    });

    this.environment = { ...(props.environment ?? {}) };
    const bundle = bundleEntry(props.entry);
    const asset = new TerraformAsset(this, 'Code', {
      path: bundle.zipPath,
      type: AssetType.FILE,
      assetHash: bundle.zipSha256Base64.replace(/[^A-Za-z0-9]/g, '').slice(0, 32),
    });

    this.function = new LambdaFunction(this, 'Resource', {
      functionName: props.functionName,
      description: props.description,
      runtime: 'nodejs22.x',
      architectures: [architectureOf(props)],
      handler: `index.${props.exportName ?? 'handler'}`,
      filename: asset.path,
      sourceCodeHash: bundle.zipSha256Base64,
      memorySize: memorySizeMb,
      timeout: timeoutSecs,
      role: this.role.arn,
      environment: Object.keys(this.environment).length > 0 ? { variables: { ...this.environment } } : undefined,
      loggingConfig: { logFormat: 'Text', logGroup: this.logGroup.name },
      dependsOn: [this.logGroup, this.policy, ...(props.dependsOn ?? [])],
      tags,
    });
  }

  /** Sets an environment variable of the function (e.g. the one `connection.grantTokenAccess` sets). */
  public addEnvironment(name: string, value: string): void {
    this.environment[name] = value;
    this.function.putEnvironment({ variables: { ...this.environment } });
  }

  /** The function's timeout, in seconds. */
  public get timeoutSecs(): number {
    return this.timeout;
  }

  /** Sets the function's timeout, in seconds (1 to 900). */
  public setTimeoutSecs(secs: number): void {
    this.timeout = validateIntRange('timeoutSecs', secs, 1, 900);
    this.function.timeout = this.timeout;
  }

  /**
   * Adds a statement to the function's inline policy. The same statement twice is kept once; a statement whose Sid
   * is taken gets a numbered one (IAM refuses a policy whose Sids repeat).
   */
  public addToPolicy(statement: PolicyStatement): void {
    const same = (s: PolicyStatement) => JSON.stringify({ ...s, sid: undefined }) === JSON.stringify({ ...statement, sid: undefined });
    if (this.statements.some((s) => s.sid === statement.sid && same(s))) return;
    const taken = new Set(this.statements.map((s) => s.sid));
    let sid = statement.sid;
    for (let n = 2; sid !== undefined && taken.has(sid); n++) sid = `${statement.sid}${n}`;
    this.statements.push({ ...statement, sid });
  }

  /** Grants go to this function's role, inline policy and environment. */
  public get grantPrincipal(): IGrantPrincipal {
    return this;
  }

  /** The name of the function's role. */
  public get roleName(): string {
    return this.role.name;
  }

  /** Adds `statement` to the function's inline policy, and returns that policy. */
  public addToPrincipalPolicy(statement: PolicyStatement): IamRolePolicy {
    this.addToPolicy(statement);
    return this.policy;
  }

  public get functionArn(): string {
    return this.function.arn;
  }
}

/** `props.architecture`, checked (a JavaScript caller may pass anything), else arm64. */
function architectureOf(props: RegistryFunctionProps): LambdaArchitecture {
  const architecture = props.architecture ?? 'arm64';
  if (!ARCHITECTURES.includes(architecture)) {
    throw new Error(`${props.functionName}: architecture must be one of ${ARCHITECTURES.join(', ')}, got ${JSON.stringify(architecture)}`);
  }
  return architecture;
}
