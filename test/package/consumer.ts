/**
 * A consumer project laid out as `cdktf init --template=typescript` makes it (its package.json, tsconfig.json,
 * cdktf.json, main.ts), using the packed tarball. `flavour: 'cdktn'` is the same app on CDK Terrain.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const repoPackage = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
  devDependencies: Record<string, string>;
  dependencies: Record<string, string>;
};
const pin = (name: string): string => `${name}@${repoPackage.devDependencies[name] ?? repoPackage.dependencies[name]}`;

/** What each flavour installs besides the tarball (exact versions: the ones this repository tests against). */
export const FLAVOURS = {
  cdktf: {
    packages: [
      pin('cdktf'),
      pin('@cdktf/provider-aws'),
      pin('constructs'),
      'ts-node@10.9.2',
      pin('typescript'),
      pin('@types/node'),
      pin('tsx'),
    ],
    module: 'oauth-registry',
    core: 'cdktf',
    provider: '@cdktf/provider-aws',
  },
  cdktn: {
    packages: ['cdktn@0.24.0', '@cdktn/provider-aws@25.7.0', 'constructs@10.7.2', pin('typescript'), pin('@types/node'), pin('tsx')],
    module: 'oauth-registry/cdktn',
    core: 'cdktn',
    provider: '@cdktn/provider-aws',
  },
} as const;
export type Flavour = keyof typeof FLAVOURS;

/** The README's snippet, as a user pastes it (the imports follow the flavour). */
export function mainTs(flavour: Flavour): string {
  const f = FLAVOURS[flavour];
  return `import { IamRole } from '${f.provider}/lib/iam-role';
import { AwsProvider } from '${f.provider}/lib/provider';
import { App, TerraformStack } from '${f.core}';
import { Construct } from 'constructs';
import { ClientAuth, ConnectionMode, OAuthRegistry, Provider } from '${f.module}';

class IncidentApiStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);
    new AwsProvider(this, 'aws', { region: 'eu-west-1' });
    const registry = new OAuthRegistry(this, 'Registry', { namePrefix: 'incident-api' });
    registry.addExternalClient('AcmeMonitoring', { authMethod: ClientAuth.CLIENT_SECRET_BASIC, scopes: ['accounts.read'] });
    const accounts = registry.addRoute('GET /v1/accounts', { handler: { entry: 'src/accounts.ts' }, scopes: ['accounts.read'] });
    const salesforce = registry.addConnection('Salesforce', {
      provider: Provider.discover('https://login.salesforce.com'),
      scopes: ['api', 'refresh_token'],
      mode: ConnectionMode.PER_USER,
      apiBaseUrl: 'https://example.my.salesforce.com/services/data/v60.0',
    });
    salesforce.grantTokenAccess(accounts);
    salesforce.grantProxyAccess(accounts);

    // Code this stack does not deploy: an existing Lambda's role (by construct) and an ECS task's role (by ARN).
    const worker = new IamRole(this, 'Worker', {
      name: 'nightly-sync',
      assumeRolePolicy: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    });
    const grant = salesforce.grantTokenAccess(worker);
    salesforce.grantProxyAccess('arn:aws:iam::123456789012:role/ecs/reporting-task');
    registry.grantIntrospection('arn:aws:iam::123456789012:role/ecs/reporting-task');
    if (grant.environment['OAUTH_CONNECTIONS_FUNCTION'] === undefined) throw new Error('no environment for the worker');
  }
}

const app = new App();
new IncidentApiStack(app, 'incident-api');
app.synth();
`;
}

/** tsconfig.json as `cdktf init --template=typescript` writes it (CommonJS, node10 resolution). */
const CDKTF_INIT_TSCONFIG = {
  compilerOptions: {
    alwaysStrict: true,
    declaration: true,
    experimentalDecorators: true,
    inlineSourceMap: true,
    inlineSources: true,
    lib: ['es2018'],
    module: 'CommonJS',
    noEmitOnError: true,
    noFallthroughCasesInSwitch: true,
    noImplicitAny: true,
    noImplicitReturns: true,
    noImplicitThis: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    resolveJsonModule: true,
    strict: true,
    strictNullChecks: true,
    strictPropertyInitialization: true,
    stripInternal: true,
    target: 'ES2018',
    incremental: true,
    skipLibCheck: true,
  },
  include: ['**/*.ts'],
  exclude: ['node_modules', 'cdktf.out', 'build'],
};

/** A strict consumer: every check on, including the libraries' `.d.ts` (skipLibCheck: false). */
export const STRICT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2023', 'DOM'],
    module: 'node16',
    moduleResolution: 'node16',
    types: ['node'],
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    noImplicitOverride: true,
    skipLibCheck: false,
    noEmit: true,
  },
  files: ['main.ts', 'src/accounts.ts'],
};

export function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): SpawnSyncReturns<string> {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) {
    throw new Error(
      `${command} ${args.join(' ')} (in ${cwd}) failed with ${result.status ?? result.signal}:\n${result.stderr}\n${result.stdout}`,
    );
  }
  return result;
}

/** Writes the project's files (no install). */
export function writeProject(dir: string, flavour: Flavour): void {
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({ name: `incident-api-${flavour}`, version: '1.0.0', private: true, main: 'main.js' }, null, 2),
  );
  writeFileSync(path.join(dir, 'tsconfig.json'), JSON.stringify(CDKTF_INIT_TSCONFIG, null, 2));
  writeFileSync(path.join(dir, 'tsconfig.strict.json'), JSON.stringify(STRICT_TSCONFIG, null, 2));
  const cdktfJson = {
    language: 'typescript',
    app: 'npx ts-node main.ts',
    projectId: 'x',
    sendCrashReports: 'false',
    terraformProviders: [],
    terraformModules: [],
    context: {},
  };
  writeFileSync(path.join(dir, 'cdktf.json'), JSON.stringify(cdktfJson, null, 2));
  writeFileSync(path.join(dir, 'main.ts'), mainTs(flavour));
  cpSync(path.join(REPO_ROOT, 'lambdas', 'examples', 'accounts.ts'), path.join(dir, 'src', 'accounts.ts'));
}

/** Arguments of an npm install from the cache when it can. */
export function npmInstallArgs(specs: readonly string[]): string[] {
  return ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error', ...specs];
}

/** The synthesized stack: `resource` blocks of `<outdir>/stacks/incident-api/cdk.tf.json`. */
export function synthesized(outdir: string): { tf: any; text: string } {
  const text = readFileSync(path.join(outdir, 'stacks', 'incident-api', 'cdk.tf.json'), 'utf8');
  return { tf: JSON.parse(text), text };
}

/** `{ type: count }` of every resource and data source of a synthesized stack. */
export function resourceCounts(tf: any): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of ['resource', 'data'] as const) {
    for (const [type, byId] of Object.entries<Record<string, unknown>>(tf[kind] ?? {})) {
      counts[`${kind === 'data' ? 'data.' : ''}${type}`] = Object.keys(byId).length;
    }
  }
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)));
}

/** Every Lambda function's `source_code_hash`, by logical id. */
export function codeHashes(tf: any): Record<string, string> {
  return Object.fromEntries(Object.entries<any>(tf.resource.aws_lambda_function).map(([id, fn]) => [id, fn.source_code_hash]));
}
