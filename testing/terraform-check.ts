/**
 * Real Terraform over a synthesized `cdktf.out`: for each stack, a copy with the aws provider pinned to the version
 * in the local filesystem mirror and no backend, then `terraform init -backend=false`, `terraform validate -json`
 * (0 errors, 0 warnings), a plan with the real provider and offline credentials, and a first then second apply
 * in memory with `mock_provider "aws"` (both through `terraform test`). Nothing is downloaded and no AWS call is made.
 *
 * `TERRAFORM` names the binary (default: `terraform` on PATH), `TF_PLUGIN_MIRROR` the mirror (default
 * `/opt/tf-plugins`); `TERRAFORM_CHECK_KEEP=1` keeps each stack's work directory (its tests/*.tftest.hcl) for a look.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const TERRAFORM = process.env.TERRAFORM ?? 'terraform';
const MIRROR = process.env.TF_PLUGIN_MIRROR ?? '/opt/tf-plugins';
const AWS_PROVIDER_DIR = path.join('registry.terraform.io', 'hashicorp', 'aws');

/** The offline account the plan and the mocks run in. */
const ACCOUNT_ID = '123456789012';
const REGION = 'eu-west-1';

export interface TerraformSetup {
  /** The aws provider version the mirror holds (the highest, when it holds several). */
  readonly awsVersion: string;
  /** The filesystem mirror of hashicorp providers. */
  readonly mirror: string;
}

/** The oldest Terraform the check runs on: write-only attributes (`secret_string_wo`) came in 1.11. */
const MIN_TERRAFORM = '1.11.0';

/** Terraform (≥ 1.11) and the mirror's aws provider, or what is missing. */
export function terraformSetup(): TerraformSetup | { readonly missing: string } {
  const version = spawnSync(TERRAFORM, ['version', '-json'], { encoding: 'utf8', env: terraformEnv() });
  const found = version.status === 0 ? (JSON.parse(version.stdout) as { terraform_version: string }).terraform_version : undefined;
  if (found === undefined || compareVersions(found, MIN_TERRAFORM) < 0) {
    const what = found === undefined ? `no ${TERRAFORM} on PATH` : `Terraform ${found} is older than ${MIN_TERRAFORM}`;
    return { missing: `${what}: install Terraform >= ${MIN_TERRAFORM} (or set TERRAFORM to its path)` };
  }
  const versionsDir = path.join(MIRROR, AWS_PROVIDER_DIR);
  const versions = existsSync(versionsDir) ? readdirSync(versionsDir).filter((v) => /^\d+\.\d+\.\d+$/.test(v)) : [];
  if (versions.length === 0) {
    return {
      missing: `no hashicorp/aws provider under ${versionsDir}: fill the mirror (terraform providers mirror) or set TF_PLUGIN_MIRROR`,
    };
  }
  return { awsVersion: versions.sort(compareVersions).at(-1)!, mirror: MIRROR };
}

/** A CLI configuration that installs hashicorp providers from `mirror` only: nothing is downloaded. */
function cliConfig(mirror: string): string {
  return `provider_installation {
  filesystem_mirror {
    path    = ${JSON.stringify(mirror)}
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
`;
}

/**
 * `terraformSetup()` for tests: `skip` (the reason) when Terraform or the mirror is missing on a developer's machine;
 * in CI (`CI` set) never skipped, and `setup()` throws the reason, so the run fails instead (as the browser test does).
 */
export function terraformSetupForTests(): { readonly skip: string | false; setup(): TerraformSetup } {
  const found = terraformSetup();
  const setup = (): TerraformSetup => {
    if ('missing' in found) throw new Error(found.missing);
    return found;
  };
  return { skip: 'missing' in found && !process.env.CI ? found.missing : false, setup };
}

function compareVersions(a: string, b: string): number {
  const [pa, pb] = [a, b].map((v) => v.split(/[.-]/).map(Number));
  return pa[0] - pb[0] || pa[1] - pb[1] || pa[2] - pb[2];
}

function terraformEnv(cliConfigFile?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1', TF_IN_AUTOMATION: '1', TF_INPUT: '0' };
  // No AWS profile, credential or region of this machine reaches the plan: the test file configures the provider.
  for (const name of Object.keys(env)) if (name.startsWith('AWS_') || name.startsWith('TF_VAR_')) delete env[name];
  delete env.TF_PLUGIN_CACHE_DIR;
  if (cliConfigFile) env.TF_CLI_CONFIG_FILE = cliConfigFile;
  return env;
}

/** One problem Terraform reported, in a line a test failure can show. */
export interface TerraformProblem {
  readonly step: 'init' | 'validate' | 'plan' | 'apply';
  readonly severity: 'error' | 'warning';
  readonly message: string;
}

export interface StackCheck {
  readonly stack: string;
  readonly problems: readonly TerraformProblem[];
  /** Milliseconds per command (init, validate, test) and per test file within `test` (plan, apply). */
  readonly timingsMs: Readonly<Record<string, number>>;
}

/**
 * Synthesizes `appFile` into `outdir` as `cdktf synth` does (tsx, `CDKTF_OUTDIR`; not local mode, whose synth
 * relaxes checks), from `appFile`'s directory so its tsconfig applies.
 */
export function synthesizeForDeploy(appFile: string, outdir: string): void {
  const result = spawnSync(process.execPath, ['--import', 'tsx', appFile], {
    cwd: path.dirname(appFile),
    env: { ...process.env, CDKTF_OUTDIR: outdir },
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(`synth of ${appFile} failed (${result.status}):\n${result.stderr}${result.stdout}`);
}

/** Every stack of the cdktf manifest in `outdir`, each checked as `checkStack` does. */
export function checkSynthOutput(outdir: string, setup: TerraformSetup): StackCheck[] {
  const manifest = JSON.parse(readFileSync(path.join(outdir, 'manifest.json'), 'utf8')) as {
    stacks: Record<string, { name: string; workingDirectory: string }>;
  };
  return Object.values(manifest.stacks).map((stack) => checkStack(path.join(outdir, stack.workingDirectory), setup, stack.name));
}

/** `init`, `validate`, the real-provider plan and the mock apply of one stack directory of a `cdktf.out`. */
export function checkStack(stackDir: string, setup: TerraformSetup, stack = path.basename(stackDir)): StackCheck {
  const root = mkdtempSync(path.join(tmpdir(), `oauth-registry-tf-${stack}-`));
  const work = path.join(root, 'stack');
  const cliConfigFile = path.join(root, 'cli.tfrc');
  const timingsMs: Record<string, number> = {};
  const problems: TerraformProblem[] = [];
  const terraform = (step: string, args: readonly string[]) => {
    const started = Date.now();
    const result = spawnSync(TERRAFORM, args, {
      cwd: work,
      encoding: 'utf8',
      env: terraformEnv(cliConfigFile),
      maxBuffer: 64 * 1024 * 1024,
    });
    timingsMs[step] = Date.now() - started;
    return result;
  };
  try {
    mkdirSync(work);
    writeFileSync(cliConfigFile, cliConfig(setup.mirror));
    const config = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8')) as TerraformJson;
    writeFileSync(path.join(work, 'cdk.tf.json'), JSON.stringify(pinnedForCheck(config, setup.awsVersion), null, 2));
    for (const entry of readdirSync(stackDir)) {
      if (entry === 'cdk.tf.json' || entry.startsWith('.terraform')) continue;
      if (entry === 'assets') symlinkSync(path.join(path.resolve(stackDir), entry), path.join(work, entry));
      else cpSync(path.join(stackDir, entry), path.join(work, entry), { recursive: true });
    }

    const init = terraform('init', ['init', '-json', '-backend=false', '-input=false', '-no-color']);
    problems.push(...jsonLines(init.stdout, init.stderr, init.status, () => 'init').problems);
    if (init.status !== 0) return { stack, problems, timingsMs };
    const validate = terraform('validate', ['validate', '-json', '-no-color']);
    problems.push(...validateProblems(validate.stdout, validate.stderr));
    if (problems.some((p) => p.severity === 'error')) return { stack, problems, timingsMs };

    const testsDir = path.join(work, 'tests');
    mkdirSync(testsDir);
    writeFileSync(path.join(testsDir, 'plan.tftest.hcl'), planTest(config));
    writeFileSync(path.join(testsDir, 'apply.tftest.hcl'), applyTest(config));
    // One `terraform test` runs both files; each file's time comes from its progress lines.
    const test = terraform('test', ['test', '-json', '-no-color']);
    const report = jsonLines(test.stdout, test.stderr, test.status, (file) => (file?.includes('apply') ? 'apply' : 'plan'));
    problems.push(...report.problems);
    return { stack, problems, timingsMs: { ...timingsMs, ...report.timingsMs } };
  } finally {
    if (!process.env.TERRAFORM_CHECK_KEEP) rmSync(root, { recursive: true, force: true });
  }
}

/** The problems of a check, one per line, for an assertion message. */
export function describeProblems(check: StackCheck): string {
  return check.problems.map((p) => `${check.stack} ${p.step} ${p.severity}: ${p.message}`).join('\n');
}

interface TerraformJson {
  terraform?: { backend?: unknown; required_providers?: Record<string, { source?: string; version?: string }> };
  provider?: Record<string, Record<string, unknown>[]>;
  data?: Record<string, Record<string, unknown>>;
  resource?: Record<string, Record<string, unknown>>;
  variable?: Record<string, unknown>;
  [key: string]: unknown;
}

/** The stack as the check runs it: the aws provider pinned to the mirror's version, no backend. Nothing else changes. */
function pinnedForCheck(config: TerraformJson, awsVersion: string): TerraformJson {
  const { backend: _backend, ...terraform } = config.terraform ?? {};
  const providers = { ...terraform.required_providers };
  if (providers.aws) providers.aws = { ...providers.aws, version: awsVersion };
  return { ...config, terraform: { ...terraform, required_providers: providers } };
}

/** Attribute values of the data sources this module reads, as an account in `REGION` would answer. */
const DATA_VALUES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  aws_caller_identity: {
    id: ACCOUNT_ID,
    account_id: ACCOUNT_ID,
    arn: `arn:aws:iam::${ACCOUNT_ID}:user/terraform-check`,
    user_id: 'AIDATERRAFORMCHECK',
  },
  aws_partition: { id: 'aws', partition: 'aws', dns_suffix: 'amazonaws.com', reverse_dns_prefix: 'com.amazonaws' },
  // `id` and `name` are the region in 5.x and 6.x (6.x adds `region`, which 5.x does not have).
  aws_region: { id: REGION, name: REGION, endpoint: `ec2.${REGION}.amazonaws.com`, description: 'Europe (Ireland)' },
};

const API_ID = 'a1b2c3d4e5';
const FUNCTION_ARN = `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:terraform-check`;
const invokeArn = (arn: string) => `arn:aws:apigateway:${REGION}:lambda:path/2015-03-31/functions/${arn}/invocations`;

/**
 * What the mock provider answers for computed attributes the provider validates downstream (ARNs, a function
 * version). A resource type missing here fails the check, so a new type is looked at once.
 */
const MOCK_DEFAULTS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  aws_apigatewayv2_api: {
    arn: `arn:aws:apigateway:${REGION}::/apis/${API_ID}`,
    execution_arn: `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}`,
    api_endpoint: `https://${API_ID}.execute-api.${REGION}.amazonaws.com`,
  },
  aws_apigatewayv2_api_mapping: {},
  aws_apigatewayv2_authorizer: {},
  aws_apigatewayv2_domain_name: { arn: `arn:aws:apigateway:${REGION}::/domainnames/auth.example.com` },
  aws_apigatewayv2_integration: {},
  aws_apigatewayv2_route: {},
  aws_apigatewayv2_stage: {
    arn: `arn:aws:apigateway:${REGION}::/apis/${API_ID}/stages/$default`,
    execution_arn: `arn:aws:execute-api:${REGION}:${ACCOUNT_ID}:${API_ID}/$default`,
    invoke_url: `https://${API_ID}.execute-api.${REGION}.amazonaws.com/`,
  },
  aws_cloudwatch_event_bus: { arn: `arn:aws:events:${REGION}:${ACCOUNT_ID}:event-bus/terraform-check` },
  aws_cloudwatch_log_group: { arn: `arn:aws:logs:${REGION}:${ACCOUNT_ID}:log-group:terraform-check` },
  aws_dynamodb_table: { arn: `arn:aws:dynamodb:${REGION}:${ACCOUNT_ID}:table/terraform-check` },
  aws_dynamodb_table_item: {},
  aws_iam_role: { arn: `arn:aws:iam::${ACCOUNT_ID}:role/terraform-check` },
  aws_iam_role_policy: {},
  aws_kinesis_stream: { arn: `arn:aws:kinesis:${REGION}:${ACCOUNT_ID}:stream/terraform-check` },
  aws_kms_key: {
    arn: `arn:aws:kms:${REGION}:${ACCOUNT_ID}:key/11111111-2222-3333-4444-555555555555`,
    key_id: '11111111-2222-3333-4444-555555555555',
  },
  aws_lambda_alias: { arn: `${FUNCTION_ARN}:alias`, invoke_arn: invokeArn(`${FUNCTION_ARN}:alias`) },
  aws_lambda_function: {
    arn: FUNCTION_ARN,
    invoke_arn: invokeArn(FUNCTION_ARN),
    qualified_arn: `${FUNCTION_ARN}:1`,
    qualified_invoke_arn: invokeArn(`${FUNCTION_ARN}:1`),
    version: '1',
  },
  aws_lambda_invocation: {},
  aws_lambda_permission: {},
  aws_route53_record: {},
  aws_secretsmanager_secret: { arn: `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:terraform-check-AbCdEf` },
  aws_secretsmanager_secret_rotation: {},
  aws_secretsmanager_secret_version: {},
  aws_sqs_queue: {
    arn: `arn:aws:sqs:${REGION}:${ACCOUNT_ID}:terraform-check`,
    url: `https://sqs.${REGION}.amazonaws.com/${ACCOUNT_ID}/terraform-check`,
  },
};

const hcl = (value: unknown): string => JSON.stringify(value); // HCL accepts JSON strings and objects as literals

/** `override_data` for every data source of the stack (the plan and the mocks never ask AWS). */
function dataOverrides(config: TerraformJson): string {
  const blocks: string[] = [];
  for (const [type, byName] of Object.entries(config.data ?? {})) {
    const values = DATA_VALUES[type];
    if (!values) throw new Error(`terraform check: no override values for data source ${type}; add them to DATA_VALUES`);
    for (const name of Object.keys(byName)) blocks.push(`override_data {\n  target = data.${type}.${name}\n  values = ${hcl(values)}\n}`);
  }
  return blocks.join('\n');
}

/** A value for each variable without a default (a string: the check never reads it). */
function variableValues(config: TerraformJson): string {
  const names = Object.entries((config.variable ?? {}) as Record<string, { default?: unknown }>)
    .filter(([, v]) => v.default === undefined)
    .map(([name]) => `  ${name} = "terraform-check"`);
  return names.length > 0 ? `variables {\n${names.join('\n')}\n}\n` : '';
}

/** Aliases of the stack's aws provider configurations (`undefined` for the default one). */
function awsAliases(config: TerraformJson): (string | undefined)[] {
  const configs = config.provider?.aws ?? [{}];
  return configs.map((c) => c.alias as string | undefined);
}

/** The plan with the real provider: fake keys, no credential, account or metadata lookup. */
function planTest(config: TerraformJson): string {
  const providers = awsAliases(config).map(
    (alias) => `provider "aws" {
${alias ? `  alias                       = ${hcl(alias)}\n` : ''}  region                      = ${hcl(REGION)}
  access_key                  = "AKIAIOSFODNN7EXAMPLE"
  secret_key                  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
}`,
  );
  return `${providers.join('\n')}\n${variableValues(config)}${dataOverrides(config)}\nrun "plan" {\n  command = plan\n}\n`;
}

/** A first apply, then a second on its state, in memory against the mock provider. */
function applyTest(config: TerraformJson): string {
  const mocks = Object.keys(config.resource ?? {}).map((type) => {
    const defaults = MOCK_DEFAULTS[type];
    if (!defaults) throw new Error(`terraform check: no mock values for resource ${type}; add them to MOCK_DEFAULTS`);
    return `  mock_resource ${hcl(type)} {\n    defaults = ${hcl(defaults)}\n  }`;
  });
  const providers = awsAliases(config).map(
    (alias) => `mock_provider "aws" {\n${alias ? `  alias = ${hcl(alias)}\n` : ''}${mocks.join('\n')}\n}`,
  );
  return (
    `${providers.join('\n')}\n${variableValues(config)}${dataOverrides(config)}\n` +
    'run "first_apply" {\n  command = apply\n}\nrun "second_apply" {\n  command = apply\n}\n'
  );
}

function validateProblems(stdout: string, stderr: string): TerraformProblem[] {
  let report: { diagnostics?: { severity: 'error' | 'warning'; summary: string; detail?: string; snippet?: { context?: string } }[] };
  try {
    report = JSON.parse(stdout) as typeof report;
  } catch {
    return [{ step: 'validate', severity: 'error', message: `no JSON from terraform validate: ${stderr || stdout}` }];
  }
  return (report.diagnostics ?? []).map((d) => ({
    step: 'validate',
    severity: d.severity,
    message: [d.snippet?.context, d.summary, d.detail].filter(Boolean).join(': ').replace(/\s+/g, ' '),
  }));
}

/** A line of Terraform's machine-readable UI (`-json`). */
interface UiLine {
  '@testfile'?: string;
  '@timestamp': string;
  test_file?: { progress: string };
  test_run?: { run: string; status?: string };
  diagnostic?: { severity: 'error' | 'warning'; summary: string; detail?: string; address?: string; snippet?: { context?: string } };
}

/** Diagnostics about the check's own setup, not the configuration. */
const IGNORED_SUMMARIES = [
  // init's closing line after configuration errors: it only points at the diagnostics above it.
  'Terraform encountered problems during initiali',
  // The lock file a filesystem mirror gives has this platform's checksum only; the copy is thrown away.
  'Incomplete lock file information for providers',
];

/**
 * The diagnostics of `init -json` or `test -json`, each once (a test's teardown repeats a failed run's errors), and
 * failed test runs, attributed to a step by `stepOf(test file)`; and each test file's time from its progress lines.
 */
function jsonLines(
  stdout: string,
  stderr: string,
  status: number | null,
  stepOf: (testFile: string | undefined) => TerraformProblem['step'],
): { problems: TerraformProblem[]; timingsMs: Record<string, number> } {
  const problems: TerraformProblem[] = [];
  const timingsMs: Record<string, number> = {};
  const started: Record<string, number> = {};
  const seen = new Set<string>();
  for (const text of stdout.split('\n')) {
    if (!text.startsWith('{')) continue;
    const line = JSON.parse(text) as UiLine;
    const step = stepOf(line['@testfile']);
    const at = Date.parse(line['@timestamp']);
    if (line.test_file?.progress === 'starting') started[step] = at;
    if (line.test_file?.progress === 'complete') timingsMs[step] = at - started[step];
    const d = line.diagnostic;
    if (d && !IGNORED_SUMMARIES.some((ignored) => d.summary.startsWith(ignored))) {
      const message = [d.address ?? d.snippet?.context, d.summary, d.detail].filter(Boolean).join(': ').replace(/\s+/g, ' ');
      if (!seen.has(`${step} ${message}`)) problems.push({ step, severity: d.severity, message });
      seen.add(`${step} ${message}`);
    } else if (line.test_run?.status && !['pass', 'skip'].includes(line.test_run.status)) {
      problems.push({ step, severity: 'error', message: `run "${line.test_run.run}": ${line.test_run.status}` });
    }
  }
  if (status !== 0 && !problems.some((p) => p.severity === 'error')) {
    const output = `${stderr}${stdout}`.replace(/\s+/g, ' ').trim();
    problems.push({ step: stepOf(undefined), severity: 'error', message: `terraform exited with ${status}: ${output}` });
  }
  return { problems, timingsMs };
}
