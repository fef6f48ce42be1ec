/**
 * Real Terraform over what we synthesize (`testing/terraform-check.ts`): `main.ts` and the app that uses every
 * option each pass `terraform init`, `validate` with no error and no warning, a plan with the real hashicorp/aws
 * provider (offline credentials) and a first then second apply against the mock provider. And the check fails on
 * what Terraform rejects: a `${…}` in `depends_on` (the bug it was built to catch), and an attribute the mirror's
 * provider version does not have.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../../testing/example-app';
import {
  checkStack,
  checkSynthOutput,
  describeProblems,
  synthesizeForDeploy,
  terraformSetupForTests,
  type StackCheck,
} from '../../testing/terraform-check';

const { setup, skip } = terraformSetupForTests();

describe('real Terraform over the synthesized stacks', { skip, timeout: 600_000 }, () => {
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-terraform-test-'));
  const timings: Record<string, unknown> = {};
  after(() => {
    process.stdout.write(`# terraform check timings (ms): ${JSON.stringify(timings)}\n`);
    rmSync(work, { recursive: true, force: true });
  });

  /** Synthesizes `appFile` into `work/<name>` and checks every stack; the timings go to the summary line. */
  const synthAndCheck = (name: string, appFile: string): StackCheck[] => {
    const outdir = path.join(work, name);
    const started = Date.now();
    synthesizeForDeploy(appFile, outdir);
    const synthMs = Date.now() - started;
    const checks = checkSynthOutput(outdir, setup());
    timings[name] = { synth: synthMs, ...Object.fromEntries(checks.map((c) => [c.stack, c.timingsMs])) };
    return checks;
  };

  it('main.ts: init, validate (0 errors, 0 warnings), the real-provider plan and two mock applies pass', () => {
    const checks = synthAndCheck('main', path.join(repoRoot, 'main.ts'));
    assert.deepEqual(
      checks.map((c) => c.stack),
      ['incident-api'],
    );
    for (const check of checks) assert.deepEqual(check.problems, [], describeProblems(check));
  });

  it('the app using every construct and option passes the same check', () => {
    const checks = synthAndCheck('every-option', path.join(repoRoot, 'testing', 'every-option-app.ts'));
    assert.equal(checks.length, 1);
    for (const check of checks) assert.deepEqual(check.problems, [], describeProblems(check));
  });

  /** main.ts's stack (synthesized by the first test, or now) with `edit` applied to its configuration; checked. */
  const checkEdited = (edit: (tf: any) => void): StackCheck => {
    const mainStack = path.join(work, 'main', 'stacks', 'incident-api');
    if (!existsSync(mainStack)) synthesizeForDeploy(path.join(repoRoot, 'main.ts'), path.join(work, 'main'));
    const stackDir = mkdtempSync(path.join(work, 'edited-'));
    cpSync(mainStack, stackDir, { recursive: true });
    const tf = JSON.parse(readFileSync(path.join(stackDir, 'cdk.tf.json'), 'utf8'));
    edit(tf);
    writeFileSync(path.join(stackDir, 'cdk.tf.json'), JSON.stringify(tf));
    return checkStack(stackDir, setup(), 'edited');
  };

  it('fails at init on a `${…}` reference in depends_on, as the client items had it before the fix', () => {
    const check = checkEdited((tf) => {
      const [item] = Object.values<any>(tf.resource.aws_dynamodb_table_item);
      const [invocation] = Object.keys(tf.resource.aws_lambda_invocation);
      item.depends_on = [`\${aws_lambda_invocation.${invocation}}`];
    });
    assert.deepEqual(
      check.problems.map((p) => [p.step, p.severity]),
      [['init', 'error']],
      describeProblems(check),
    );
    assert.match(check.problems[0].message, /A single static variable reference is required/);
  });

  it("fails validate on an attribute the mirror's provider lacks (aws_region.region exists in 6.x only)", () => {
    const check = checkEdited((tf) => {
      const [region] = Object.keys(tf.data.aws_region);
      const [log] = Object.values<any>(tf.resource.aws_cloudwatch_log_group);
      log.name = `\${data.aws_region.${region}.region}-logs`;
    });
    assert.ok(check.problems.length > 0, 'a problem');
    assert.ok(
      check.problems.every((p) => p.step === 'validate' && p.severity === 'error'),
      describeProblems(check),
    );
    assert.match(describeProblems(check), /Unsupported attribute.*named "region"/);
  });
});
