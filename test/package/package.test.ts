/**
 * The package as users get it: `npm pack` (which builds), the tarball installed into fresh projects laid out like
 * `cdktf init --template=typescript`, one on cdktf and one on cdktn (installed once each, from the npm cache when
 * it can), then synthesized with ts-node, tsx and plain node; a strict consumer's tsc; a handler's bundle.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type * as Esbuild from 'esbuild';
import { LAMBDA_BUILD_OPTIONS } from '../../lib/private/bundle';
import { startDev } from '../../testing/dev-server';
import { checkSynthOutput, describeProblems, terraformSetupForTests } from '../../testing/terraform-check';
import { codeHashes, FLAVOURS, npmInstallArgs, REPO_ROOT, resourceCounts, run, synthesized, writeProject, type Flavour } from './consumer';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const terraform = terraformSetupForTests();

/** `npm install` without blocking the event loop, so both projects install at once. */
function npmInstall(cwd: string, specs: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(NPM, npmInstallArgs(specs), { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`npm install in ${cwd} failed (${code}):\n${stderr}`))));
  });
}

describe('the packed module in a fresh cdktf (and cdktn) project', { timeout: 600_000 }, () => {
  let work: string;
  let tarball: string;
  let packedFiles: string[];
  const project = (flavour: Flavour): string => path.join(work, flavour);
  const timings: Record<string, number> = {};
  const timed = <T>(name: string, fn: () => T): T => {
    const started = Date.now();
    try {
      return fn();
    } finally {
      timings[name] = Date.now() - started;
    }
  };
  const synth = (flavour: Flavour, name: string, command: string, args: readonly string[]) => {
    const outdir = path.join(project(flavour), `out-${name}`);
    timed(`synth ${flavour} ${name}`, () => run(command, args, project(flavour), { CDKTF_OUTDIR: outdir }));
    return synthesized(outdir);
  };

  before(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-package-'));
    const packed = timed('npm pack (build included)', () => run(NPM, ['pack', '--json', '--pack-destination', work], REPO_ROOT));
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as [{ filename: string; files: { path: string }[] }];
    tarball = path.join(work, info.filename);
    packedFiles = info.files.map((f) => f.path);
    const started = Date.now();
    for (const flavour of Object.keys(FLAVOURS) as Flavour[]) writeProject(project(flavour), flavour);
    await Promise.all(
      (Object.keys(FLAVOURS) as Flavour[]).map((flavour) => npmInstall(project(flavour), [tarball, ...FLAVOURS[flavour].packages])),
    );
    timings['npm install, both projects at once'] = Date.now() - started;
  });

  after(() => {
    process.stdout.write(`# package test timings (ms): ${JSON.stringify(timings)}\n`);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('the tarball holds the build, the CLI and the README only: no source, test, bench or fixture file', () => {
    const forbidden = packedFiles.filter(
      (f) => /^(test|testing|bench|lib|lambdas|scripts|types)\//.test(f) || /fixture|\.test\.|(?<!\.d)\.ts$/.test(f),
    );
    assert.deepEqual(forbidden, []);
    for (const needed of [
      'package.json',
      'README.md',
      'bin/oauth-registry.js',
      'dist/lib/index.js',
      'dist/lib/index.d.ts',
      'dist/lambdas/runtime.js',
      'dist/lambdas/runtime.d.ts',
      'dist/cdktn/lib/index.js',
      'dist/handlers/authorization-server.js',
      'dist/handlers/connections.js',
      'dist/handlers/rotation.js',
    ]) {
      assert.ok(packedFiles.includes(needed), `${needed} in ${packedFiles.length} files`);
    }
  });

  let baseline: { tf: any; text: string };

  it('synthesizes with ts-node (the app command of cdktf init): the expected resources', () => {
    baseline = synth('cdktf', 'ts-node', process.execPath, [path.join('node_modules', 'ts-node', 'dist', 'bin.js'), 'main.ts']);
    const counts = resourceCounts(baseline.tf);
    assert.equal(counts.aws_lambda_function, 4, JSON.stringify(counts)); // authorization server, rotation, connections, route
    assert.equal(counts.aws_lambda_alias, 1);
    assert.equal(counts.aws_apigatewayv2_route, 11 + 3 + 1, JSON.stringify(counts)); // server, connection, protected
    assert.equal(counts.aws_iam_role, 4 + 1); // the 4 functions' and the Worker
    // 4 functions' inline policies + the Worker's token grant + the ECS role's proxy grant + its introspection grant
    assert.equal(counts.aws_iam_role_policy, 4 + 3);
  });

  it('synthesizes the same bytes again with tsx (same asset hashes), and with plain node on the compiled app', () => {
    const viaTsx = synth('cdktf', 'tsx', process.execPath, ['--import', 'tsx', 'main.ts']);
    assert.deepEqual(codeHashes(viaTsx.tf), codeHashes(baseline.tf));
    assert.equal(viaTsx.text, baseline.text, 'a second synth writes the same configuration');
    timed('tsc (cdktf init tsconfig)', () =>
      run(process.execPath, [path.join('node_modules', 'typescript', 'bin', 'tsc'), '--outDir', 'build'], project('cdktf')),
    );
    const viaNode = synth('cdktf', 'node', process.execPath, [path.join('build', 'main.js')]);
    assert.deepEqual(resourceCounts(viaNode.tf), resourceCounts(baseline.tf));
    assert.deepEqual(codeHashes(viaNode.tf), codeHashes(baseline.tf));
  });

  it("grants to an IamRole and to a role's ARN are scoped to that connection's alias and proxy route only", () => {
    const policies = Object.entries<any>(baseline.tf.resource.aws_iam_role_policy);
    const of = (fragment: string) => policies.filter(([id]) => id.includes(fragment)).map(([, p]) => p);
    const [worker] = of('Salesforce_TokenAccess');
    assert.ok(worker, Object.keys(Object.fromEntries(policies)).join(', '));
    assert.match(worker.role, /aws_iam_role\.Worker\.name/);
    const [tokens, ...more] = JSON.parse(worker.policy).Statement;
    assert.deepEqual(more, []);
    assert.deepEqual(tokens.Action, ['lambda:InvokeFunction']);
    assert.equal(tokens.Resource.length, 1);
    assert.match(tokens.Resource[0], /^\$\{aws_lambda_alias\.Registry_Salesforce_BrokerAlias_[A-F0-9]+\.arn\}$/);
    const [ecs] = of('Salesforce_ProxyAccess');
    assert.equal(ecs.role, 'reporting-task');
    const [statement] = JSON.parse(ecs.policy).Statement;
    assert.deepEqual(statement.Action, ['execute-api:Invoke']);
    assert.equal(statement.Resource.length, 1);
    assert.match(
      statement.Resource[0],
      /^\$\{aws_apigatewayv2_api\.Registry_Api_[A-F0-9]+\.execution_arn\}\/\*\/\*\/connections\/Salesforce\/proxy\/\*$/,
    );
    const [introspection] = of('IntrospectionGrant');
    assert.equal(introspection.role, 'reporting-task');
  });

  it('a strict consumer (strict, exactOptionalPropertyTypes, skipLibCheck: false) compiles against the .d.ts', () => {
    timed('tsc strict', () =>
      run(process.execPath, [path.join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.strict.json'], project('cdktf')),
    );
  });

  it('a handler importing oauth-registry/runtime bundles under 20 KB, with no cdktf, constructs or provider inside', () => {
    const esbuild = createRequire(path.join(project('cdktf'), 'package.json'))('esbuild') as typeof Esbuild;
    const result = esbuild.buildSync({
      entryPoints: [path.join(project('cdktf'), 'src', 'accounts.ts')],
      absWorkingDir: project('cdktf'),
      ...LAMBDA_BUILD_OPTIONS, // what deploy bundles a handler with
      write: false,
      metafile: true,
    });
    const bytes = result.outputFiles[0].contents.byteLength;
    const inputs = Object.keys(result.metafile.inputs);
    assert.ok(bytes < 20 * 1024, `${bytes} bytes`);
    assert.deepEqual(
      inputs.filter((i) => /node_modules\/(cdktf|cdktn|constructs|@cdktf|@cdktn)\//.test(i)),
      [],
    );
    assert.ok(
      inputs.some((i) => i.includes('node_modules/oauth-registry/dist/lambdas/')),
      inputs.join(', '),
    );
    // The route's function in the synthesized stack is that same small bundle.
    const route = Object.entries<any>(baseline.tf.resource.aws_lambda_function).find(([id]) => id.includes('GetV1Accounts'))![1];
    const zip = readFileSync(path.join(project('cdktf'), 'out-ts-node', 'stacks', 'incident-api', route.filename));
    assert.ok(zip.byteLength < 20 * 1024, `${zip.byteLength} bytes zipped`);
  });

  it('the CLI runs from the installed package', () => {
    const help = run(path.join(project('cdktf'), 'node_modules', '.bin', 'oauth-registry'), ['--help'], project('cdktf'));
    assert.match(help.stdout, /Usage: oauth-registry/);
  });

  it('every command the CLI prints runs as printed there (npx oauth-registry …), and its state stays out of git', async () => {
    const cwd = project('cdktf');
    const bin = path.join(cwd, 'node_modules', 'oauth-registry', 'bin', 'oauth-registry.js');
    const synthOut = timed('oauth-registry synth', () => run(process.execPath, [bin, 'synth'], cwd)).stdout;
    assert.match(synthOut, /^next: npx oauth-registry dev \(serve it locally\)/m);
    run('git', ['init', '-q'], cwd);
    const dev = await startDev([], process.env, { cwd, bin });
    try {
      const printed = `${synthOut}${dev.banner}`;
      assert.doesNotMatch(printed, /npm (run|start)/, 'no script of this repository');
      const commands = [...dev.banner.matchAll(/(npx oauth-registry .*?)(?:\s{3}|$)/gm)].map((m) => m[1]);
      assert.ok(commands.length >= 4, commands.join('\n'));
      writeFileSync(path.join(cwd, 'credentials.json'), JSON.stringify({ client_id: 'sf-client', client_secret: 'sf-secret' }));
      for (const command of commands) {
        const runnable = command.replace('<user>', 'alice').replace('<client>', 'AcmeMonitoring');
        const { stdout } = timed(`printed: ${command}`, () => run('sh', ['-c', runnable], cwd));
        if (command.includes(' connect ')) assert.match(stdout, new RegExp(`^${dev.issuer}/connections/Salesforce/connect\\?link=`));
      }
      const status = run('git', ['status', '--porcelain', '--untracked-files=all'], cwd).stdout;
      assert.doesNotMatch(status, /\.oauth-registry/, 'the state folder (a SaaS client secret inside now) is ignored by git');
      assert.match(readFileSync(path.join(cwd, '.oauth-registry', 'incident-api', 'local', 'secrets.json'), 'utf8'), /sf-secret/);
    } finally {
      await dev.stop();
    }
  });

  it('cdktn: the same app on cdktn + @cdktn/provider-aws synthesizes the same resources (provider aside)', () => {
    const cdktn = synth('cdktn', 'tsx', process.execPath, ['--import', 'tsx', 'main.ts']);
    assert.deepEqual(resourceCounts(cdktn.tf), resourceCounts(baseline.tf));
    const strip = (tf: any) => {
      const { terraform: _terraform, ...rest } = tf;
      return JSON.stringify(rest).replace(/"\/\/":\{"metadata":\{[^}]*\}[^}]*\}/g, '');
    };
    assert.equal(strip(cdktn.tf), strip(baseline.tf));
    assert.match(JSON.stringify(cdktn.tf.terraform.required_providers), /aws/);
    assert.deepEqual(codeHashes(cdktn.tf), codeHashes(baseline.tf));
  });

  it(
    "both flavours' stacks pass the Terraform check (init, validate, real-provider plan, two mock applies)",
    { skip: terraform.skip },
    () => {
      // The stacks the tests above synthesized: the cdktf one with ts-node, the cdktn one with tsx.
      for (const [flavour, outdir] of [
        ['cdktf', 'out-ts-node'],
        ['cdktn', 'out-tsx'],
      ] as const) {
        const checks = timed(`terraform check ${flavour}`, () => checkSynthOutput(path.join(project(flavour), outdir), terraform.setup()));
        assert.deepEqual(
          checks.map((c) => c.stack),
          ['incident-api'],
        );
        for (const check of checks) assert.deepEqual(check.problems, [], `${flavour}: ${describeProblems(check)}`);
      }
    },
  );
});
