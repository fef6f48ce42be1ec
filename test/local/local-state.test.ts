/**
 * Local state on disk: a damaged file stops the start at once, named, with the way out and without touching the file;
 * one file per item, so a write costs the same whatever the number of items; crash safety under SIGKILL; the bound on
 * pending sign-ins; moving an earlier version's `state.json` into the new layout.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { startLocalRegistry } from '../../bin/local/local-registry';
import { localStatePaths, registryStateDir } from '../../bin/local/local-state';
import { PENDING_SIGN_IN_QUOTA } from '../../bin/local/state-quotas';
import { CorruptLocalFileError } from '../../lambdas/shared/adapters/json-file';
import { LocalSecretStore } from '../../lambdas/shared/adapters/local-secret-store';
import { LocalStateStore, recordDirectory } from '../../lambdas/shared/adapters/local-state-store';
import { StateQuotaExceededError } from '../../lambdas/shared/ports';
import { FrozenClock } from '../../testing/clock';
import { exampleManifest, freePort, repoRoot } from '../../testing/example-app';

const cli = path.join(repoRoot, 'bin', 'oauth-registry.js');

/** Whether nothing listens on `port` (we can bind it ourselves). */
async function portFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A state directory as a first start leaves it, with one state item. */
async function startedOnce(stateDir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-state-'))): Promise<string> {
  const registry = await startLocalRegistry({ manifest: exampleManifest(), appDir: repoRoot, stateDir, port: 0 });
  await registry.close();
  await new LocalStateStore(localStatePaths(stateDir).state).put({ pk: 'code#x', expiresAt: 4_000_000_000, v: 'a'.repeat(50) });
  return stateDir;
}

describe('a damaged local file', () => {
  for (const which of ['secrets.json', 'a state item', 'state.json of an earlier version'] as const) {
    it(`${which}: the start fails at once, naming the file and the way out; the file is untouched; no port stays open`, async () => {
      const stateDir = await startedOnce();
      const paths = localStatePaths(stateDir);
      let file: string;
      if (which === 'secrets.json') file = paths.secrets;
      else if (which === 'a state item') {
        const dir = recordDirectory(paths.state);
        file = path.join(dir, readdirSync(dir)[0]);
      } else {
        file = paths.state;
        writeFileSync(file, JSON.stringify({ version: 1, items: { 'code#y': { pk: 'code#y' } } }));
      }
      truncateSync(file, Math.floor(readFileSync(file).length / 2));
      const damaged = readFileSync(file);
      const port = await freePort();
      await assert.rejects(startLocalRegistry({ manifest: exampleManifest(), appDir: repoRoot, stateDir, port }), (err: Error) => {
        assert.ok(err instanceof CorruptLocalFileError, String(err));
        assert.ok(err.message.includes(file), err.message);
        assert.match(err.message, /is not valid JSON \(.+\)\. It was left as it is\./);
        assert.ok(err.message.includes(`mv '${file}' '${file}.corrupt'`), err.message);
        return true;
      });
      assert.ok(await portFree(port), 'the port was left open');
      assert.deepEqual(readFileSync(file), damaged);
    });
  }

  it('`oauth-registry dev` exits 1 at once and says which file', { timeout: 60_000 }, async () => {
    // The CLI keeps each registry's state in its own folder under --state-dir.
    const stateDir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-state-'));
    await startedOnce(registryStateDir(stateDir, exampleManifest().namePrefix));
    const dir = recordDirectory(localStatePaths(registryStateDir(stateDir, exampleManifest().namePrefix)).state);
    const file = path.join(dir, readdirSync(dir)[0]);
    truncateSync(file, 10);
    const child = spawn(process.execPath, [cli, 'dev', '--port', '0', '--state-dir', stateDir], { cwd: repoRoot });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    clearTimeout(killer);
    assert.equal(code, 1, stderr);
    assert.ok(stderr.includes(file), stderr);
    assert.match(stderr, /mv '/);
  });
});

describe('local state files', () => {
  it('one file per item: a write touches one file, whatever the number of items', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'state-')), 'local', 'state.json');
    const store = new LocalStateStore(file);
    for (let i = 0; i < 500; i++) await store.put({ pk: `code#${i}`, expiresAt: 4_000_000_000 });
    const dir = recordDirectory(file);
    assert.equal(readdirSync(dir).length, 500);
    const before = new Map(readdirSync(dir).map((f) => [f, readFileSync(path.join(dir, f), 'utf8')]));
    await store.put({ pk: 'code#new' });
    await store.update('code#7', { used: true });
    const changed = readdirSync(dir).filter((f) => before.get(f) !== readFileSync(path.join(dir, f), 'utf8'));
    assert.equal(changed.length, 2);
    assert.deepEqual(await new LocalStateStore(file).get('code#7'), { pk: 'code#7', expiresAt: 4_000_000_000, used: true });
  });

  it('moves the state.json of an earlier version into the new layout, keeping the old file as .migrated', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'state-')), 'state.json');
    const items = { 'tokenset#a': { pk: 'tokenset#a', v: 1 }, 'family#b': { pk: 'family#b', expiresAt: 4_000_000_000 } };
    writeFileSync(file, JSON.stringify({ version: 1, items }));
    const store = new LocalStateStore(file);
    assert.deepEqual(await store.get('tokenset#a'), items['tokenset#a']);
    assert.deepEqual(await store.list('family#'), [items['family#b']]);
    assert.deepEqual(JSON.parse(readFileSync(`${file}.migrated`, 'utf8')).items, items);
  });

  it('list reads the item files asynchronously: other work runs before it resolves', async () => {
    const store = new LocalStateStore(path.join(mkdtempSync(path.join(tmpdir(), 'state-')), 'state.json'));
    for (let i = 0; i < 200; i++) await store.put({ pk: `tokenset#Crm#user-${i}`, subject: `user-${i}` });
    const order: string[] = [];
    const listed = store.list('tokenset#Crm#').then((items) => order.push(`listed ${items.length}`));
    setImmediate(() => order.push('other work'));
    await listed;
    assert.deepEqual(order, ['other work', 'listed 200']);
  });

  it('pending sign-ins are bounded per client and in total: past a bound a new one is refused, none is evicted', async () => {
    const clock = new FrozenClock(1_000_000_000_000);
    const store = new LocalStateStore(path.join(mkdtempSync(path.join(tmpdir(), 'state-')), 'state.json'), {
      clock: clock.now,
      quotas: [{ ...PENDING_SIGN_IN_QUOTA, perGroup: 5, total: 12 }],
    });
    const expiresAt = clock.now() / 1000 + 600;
    const pending = (client: string, i: number) => ({ pk: `authreq#${client}-${i}`, clientId: client, expiresAt: expiresAt + i });
    for (let i = 0; i < 5; i++) assert.equal(await store.put(pending('a', i), { kind: 'notExists' }), true);
    for (let i = 5; i < 20; i++) await assert.rejects(store.put(pending('a', i), { kind: 'notExists' }), StateQuotaExceededError);
    const first = [0, 1, 2, 3, 4].map((i) => `authreq#a-${i}`);
    assert.deepEqual(
      (await store.list('authreq#')).map((item) => item.pk),
      first,
      'the sign-ins in progress stay',
    );
    assert.equal(await store.update('authreq#a-0', { stage: 'consent' }), true, 'a stored one still moves on');
    for (let i = 0; i < 5; i++) await store.put(pending('b', i), { kind: 'notExists' });
    await store.put(pending('d', 0), { kind: 'notExists' });
    await store.put(pending('d', 1), { kind: 'notExists' });
    await assert.rejects(store.put(pending('d', 2), { kind: 'notExists' }), StateQuotaExceededError, 'the total bound');
    assert.equal((await store.list('authreq#')).length, 12);
    await store.delete('authreq#b-0');
    assert.equal(await store.put(pending('d', 2), { kind: 'notExists' }), true, 'a finished one makes room');
    clock.advance(620);
    assert.equal(await store.put(pending('a', 30), { kind: 'notExists' }), true, 'expired ones no longer count');
    // Other kinds are not bounded.
    for (let i = 0; i < 30; i++) await store.put({ pk: `code#${i}` });
    assert.equal((await store.list('code#')).length, 30);
  });

  it('the registry bounds pending sign-ins at 100 per client and 1,000 in all', () => {
    assert.deepEqual(PENDING_SIGN_IN_QUOTA, { prefix: 'authreq#', groupBy: 'clientId', perGroup: 100, total: 1_000 });
  });

  it('kill -9 while writing in a loop leaves every file parseable', { timeout: 60_000 }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'state-crash-'));
    const stateFile = path.join(dir, 'state.json');
    const secretsFile = path.join(dir, 'secrets.json');
    const script = `
      const { LocalStateStore } = require(${JSON.stringify(path.join(repoRoot, 'lambdas/shared/adapters/local-state-store.ts'))});
      const { LocalSecretStore } = require(${JSON.stringify(path.join(repoRoot, 'lambdas/shared/adapters/local-secret-store.ts'))});
      const state = new LocalStateStore(${JSON.stringify(stateFile)});
      const secrets = new LocalSecretStore(${JSON.stringify(secretsFile)});
      secrets.createSecret('s');
      let i = 0;
      (async () => {
        for (;;) {
          i++;
          await state.put({ pk: 'k#' + (i % 50), n: i, pad: 'x'.repeat(i % 4000) });
          await state.update('k#' + ((i * 7) % 50), { touched: i });
          if (i % 3 === 0) await state.delete('k#' + ((i * 13) % 50));
          await secrets.putSecretValue('s', 'v' + i, 'y'.repeat(i % 5000), ['AWSCURRENT']);
          if (i === 200) process.stdout.write('running\\n');
        }
      })();
    `;
    for (const afterMs of [30, 170, 400]) {
      const child = spawn(process.execPath, ['--import', 'tsx', '-e', script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
      await new Promise((resolve) => setTimeout(resolve, afterMs));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.on('close', resolve));
      const state = new LocalStateStore(stateFile); // reads every item: throws on a damaged one
      assert.ok((await state.list('k#')).length > 0);
      for (const name of readdirSync(recordDirectory(stateFile)).filter((f) => f.endsWith('.json'))) {
        JSON.parse(readFileSync(path.join(recordDirectory(stateFile), name), 'utf8'));
      }
      const secrets = new LocalSecretStore(secretsFile);
      assert.ok(await secrets.getSecretVersion('s', 'AWSCURRENT'));
    }
  });
});

describe('the state folder in any project', () => {
  it('is ignored by git without the project naming it, and private: directories 0700, files 0600', async () => {
    const project = mkdtempSync(path.join(tmpdir(), 'oauth-registry-project-'));
    spawnSync('git', ['init', '-q'], { cwd: project });
    writeFileSync(path.join(project, 'main.ts'), '// the app\n');
    const stateDir = registryStateDir(path.join(project, '.oauth-registry'), 'incident-api');
    await startedOnce(stateDir);
    new LocalSecretStore(localStatePaths(stateDir).secrets).createSecret('incident-api/connections/Crm', {});

    const status = spawnSync('git', ['status', '--porcelain', '--untracked-files=all'], { cwd: project, encoding: 'utf8' });
    assert.equal(status.status, 0, status.stderr);
    assert.deepEqual(status.stdout.trim().split('\n'), ['?? main.ts'], 'nothing of .oauth-registry/ is seen by git');

    const walk = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        return [full, ...(e.isDirectory() ? walk(full) : [])];
      });
    const entries = walk(path.join(project, '.oauth-registry'));
    assert.ok(entries.some((f) => f.endsWith('secrets.json')) && entries.some((f) => f.includes(`${path.sep}state${path.sep}`)));
    const loose = entries
      .map((f) => [path.relative(project, f), statSync(f)] as const)
      .filter(([, st]) => (st.mode & 0o777) !== (st.isDirectory() ? 0o700 : 0o600))
      .map(([f, st]) => `${f} ${(st.mode & 0o777).toString(8)}`);
    assert.deepEqual(loose, []);
    assert.match(readFileSync(path.join(project, '.oauth-registry', '.gitignore'), 'utf8'), /^\*$/m);
  });

  it('makes a folder an earlier version left with loose modes private again: directories 0700, files 0600', () => {
    const project = mkdtempSync(path.join(tmpdir(), 'oauth-registry-project-'));
    const registryDir = registryStateDir(path.join(project, '.oauth-registry'), 'incident-api');
    mkdirSync(path.join(registryDir, 'local'), { mode: 0o755 });
    writeFileSync(path.join(registryDir, 'local', 'secrets.json'), '{}', { mode: 0o644 });
    chmodSync(registryDir, 0o755);
    chmodSync(path.join(registryDir, 'local'), 0o755); // the umask may have narrowed the modes given at creation
    registryStateDir(path.join(project, '.oauth-registry'), 'incident-api');
    const mode = (f: string) => (statSync(path.join(registryDir, f)).mode & 0o777).toString(8);
    assert.deepEqual([mode('.'), mode('local'), mode('local/secrets.json'), mode('.gitignore')], ['700', '700', '600', '600']);
  });

  it("writes no .gitignore into an existing folder given as --state-dir (it is the user's), only into the registry's", () => {
    const project = mkdtempSync(path.join(tmpdir(), 'oauth-registry-project-'));
    const registryDir = registryStateDir(project, 'incident-api');
    assert.ok(!existsSync(path.join(project, '.gitignore')));
    assert.match(readFileSync(path.join(registryDir, '.gitignore'), 'utf8'), /^\*$/m);
  });
});
