/**
 * Our side of the HTTP token rate: the example app's registry served by local mode on 127.0.0.1.
 * Prints one JSON line `{ url, client_id, client_secret }` when it listens.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startLocalRegistry } from '../../bin/local/local-registry';
import { pickRegistry, readManifests, synthesizeApp } from '../../bin/local/synth';

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const work = mkdtempSync(path.join(tmpdir(), 'oauth-registry-bench-'));
  synthesizeApp(path.join(root, 'main.ts'), path.join(work, 'out'));
  const { manifest } = pickRegistry(readManifests(path.join(work, 'out')));
  const registry = await startLocalRegistry({ manifest, appDir: root, stateDir: path.join(work, 'state'), port: 0 });
  const { client_id, client_secret } = registry.credentials.AcmeMonitoring;
  process.stdout.write(`${JSON.stringify({ url: `${registry.url}/oauth2/token`, client_id, client_secret })}\n`);
}

void main();
