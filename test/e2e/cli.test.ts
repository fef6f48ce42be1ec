/**
 * The CLI as a user runs it: `oauth-registry dev` (what `npm start` runs) in a child process, its printed curl line
 * run for real, `credentials show --local`, and `--help` on every command.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { Command } from 'commander';
import { buildProgram } from '../../bin/cli';
import { PEER_INSTALLS } from '../../bin/local/synth';
import { startDev, type Dev } from '../../testing/dev-server';
import { repoRoot } from './fixture';

const run = promisify(execFile);
const cli = path.join(repoRoot, 'bin', 'oauth-registry.js');

describe('oauth-registry CLI', () => {
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-cli-'));
  const stateDir = path.join(work, 'state');
  const outdir = path.join(work, 'cdktf.out');
  let dev: Dev;
  let banner = '';

  before(async () => {
    dev = await startDev(['--state-dir', stateDir, '--outdir', outdir]);
    banner = dev.banner;
  });
  after(() => dev.stop());

  it('dev prints the issuer, each client and a curl line that gets a token', async () => {
    const issuer = /issuer\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(banner)?.[1];
    assert.ok(issuer, banner);
    assert.match(banner, /client AcmeMonitoring \(client_secret_basic/);
    assert.match(banner, /client ReportingJob \(client_secret_post/);
    assert.match(banner, /client_secret\s+\S+\s+\(generated now\)/);
    const curl = /^\s+(curl .*)$/m.exec(banner)?.[1];
    assert.ok(curl, banner);
    const { stdout } = await run('sh', ['-c', curl]);
    const token = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(token.token_type, 'Bearer');
    assert.match(String(token.access_token), /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
  });

  it('writes clients.json (mode 0600) and credentials show --local reads it back', async () => {
    const file = path.join(stateDir, 'incident-api', 'local', 'clients.json');
    const clients = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { client_id: string; client_secret: string }>;
    assert.deepEqual(Object.keys(clients).sort(), ['AcmeMonitoring', 'ReportingJob']);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const { stdout } = await run(
      process.execPath,
      [cli, 'credentials', 'show', 'AcmeMonitoring', '--local', '--no-synth', '--outdir', outdir, '--state-dir', stateDir],
      { cwd: repoRoot },
    );
    const handoff = JSON.parse(stdout) as Record<string, unknown>;
    assert.equal(handoff.client_id, clients.AcmeMonitoring.client_id);
    assert.equal(handoff.client_secret, clients.AcmeMonitoring.client_secret);
  });

  it('credentials show names the known clients when asked for an unknown one', async () => {
    await assert.rejects(
      run(process.execPath, [cli, 'credentials', 'show', 'Nobody', '--local', '--no-synth', '--outdir', outdir, '--state-dir', stateDir], {
        cwd: repoRoot,
      }),
      (err: { stderr: string; code: number }) => {
        assert.equal(err.code, 1);
        assert.match(err.stderr, /no external client named "Nobody" \(clients: AcmeMonitoring, ReportingJob\)/);
        return true;
      },
    );
  });

  it('a missing peer dependency is one line saying what to install, not a require stack', async () => {
    const project = mkdtempSync(path.join(tmpdir(), 'oauth-registry-nopeer-')); // outside the repository: no node_modules
    writeFileSync(path.join(project, 'main.ts'), "import { AwsProvider } from '@cdktf/provider-aws/lib/provider';\nvoid AwsProvider;\n");
    const failed = await run(process.execPath, [cli, 'synth'], { cwd: project }).then(
      () => assert.fail('synth succeeded'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.equal(failed.code, 1);
    assert.equal(
      failed.stderr,
      'oauth-registry: synth of main.ts failed: the peer dependency @cdktf/provider-aws is not installed in this project: ' +
        'npm install @cdktf/provider-aws@21.22.1\n(--verbose shows the full output)\n',
    );
  });

  it('names, for each peer dependency of package.json, the version it is tested with', () => {
    const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
      peerDependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    assert.deepEqual(Object.keys(PEER_INSTALLS).sort(), Object.keys(pkg.peerDependencies).sort());
    for (const name of ['cdktf', '@cdktf/provider-aws', 'constructs']) {
      assert.equal(PEER_INSTALLS[name], `${name}@${pkg.devDependencies[name]}`);
    }
  });

  it('a restart keeps the same credentials (state survives) and generates nothing', async () => {
    const again = await startDev(['--state-dir', stateDir, '--outdir', outdir]);
    const out = again.banner;
    await again.stop();
    assert.doesNotMatch(out, /generated now/);
    const clients = JSON.parse(readFileSync(path.join(stateDir, 'incident-api', 'local', 'clients.json'), 'utf8'));
    assert.match(out, new RegExp(`client_id\\s+${clients.AcmeMonitoring.client_id}`));
  });

  // Every command the program declares, found by walking it, so a new command cannot ship without a working --help.
  const commandPaths = (command: Command, parents: string[] = []): string[][] =>
    command.commands
      .filter((c) => c.name() !== 'help')
      .flatMap((c) => [[...parents, c.name()], ...commandPaths(c, [...parents, c.name()])]);
  for (const command of [[], ...commandPaths(buildProgram())]) {
    it(`${['oauth-registry', ...command].join(' ')} --help describes itself`, async () => {
      const { stdout } = await run(process.execPath, [cli, ...command, '--help']);
      assert.match(stdout, new RegExp(`^Usage: oauth-registry${command.map((c) => ` ${c}`).join('')} `));
      assert.match(stdout, /\nOptions:\n/);
    });
  }
});
