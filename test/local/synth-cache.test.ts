/**
 * The CLI reuses the last synthesis while the app and what it imports are unchanged, and says why when it
 * synthesizes again. Timings are printed, never asserted (the machine may be busy).
 */
import assert from 'node:assert/strict';
import { utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadRegistry } from '../../bin/local/synth';
import { testAppDir } from '../../testing/dev-server';

const APP = `
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { OAuthRegistry } from '../../../lib';
import { SCOPES } from './scopes';

const app = new App();
const stack = new TerraformStack(app, 'cached-api');
new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
const registry = new OAuthRegistry(stack, 'Registry', { namePrefix: 'cached-api' });
registry.addExternalClient('Partner', { scopes: SCOPES });
app.synth();
`;

describe('the CLI reuses the last synthesis', { timeout: 300_000 }, () => {
  it('synthesizes once, then reuses it until a file the app imports changes, saying why each time it synthesizes', () => {
    const dir = testAppDir();
    const app = path.join(dir, 'main.ts');
    const scopes = path.join(dir, 'scopes.ts');
    writeFileSync(app, APP);
    writeFileSync(scopes, "export const SCOPES = ['a.read'];\n");
    const options = { app, outdir: path.join(dir, 'cdktf.out'), stateDir: path.join(dir, 'state') };
    const said: string[] = [];
    const load = () => {
      const started = process.hrtime.bigint();
      const { manifest } = loadRegistry(options, (line) => said.push(line));
      return { manifest, ms: Number(process.hrtime.bigint() - started) / 1e6 };
    };

    const first = load();
    assert.equal(said.length, 1);
    assert.match(said[0], /^oauth-registry: synthesizing .*main\.ts \(no earlier synthesis of it\)$/);
    const reused = load();
    assert.equal(said.length, 1, `nothing changed: no synthesis (${said.join(' | ')})`);
    assert.deepEqual(reused.manifest, first.manifest);

    writeFileSync(scopes, "export const SCOPES = ['a.read', 'a.write'];\n");
    utimesSync(scopes, new Date(), new Date(Date.now() + 2_000)); // a new mtime even on a coarse clock
    const changed = load();
    assert.equal(said.length, 2);
    assert.match(said[1], /^oauth-registry: synthesizing .*main\.ts \(.*scopes\.ts changed\)$/);
    assert.deepEqual(changed.manifest.clients[0].scopes, ['a.read', 'a.write']);
    const again = load();
    assert.equal(said.length, 2);
    process.stdout.write(
      `# synth-cache: first ${first.ms.toFixed(0)} ms, reused ${reused.ms.toFixed(0)} ms, ` +
        `after a change ${changed.ms.toFixed(0)} ms, reused ${again.ms.toFixed(0)} ms\n`,
    );
  });
});
