/**
 * Synthesizes a registry with N external clients (argv[2]) into a temporary directory and prints
 * `{ clients, resources, synthMs }` (construct + full synth time, module loading excluded).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { App, TerraformStack } from 'cdktf';
import { OAuthRegistry } from '../lib';

const clients = Number(process.argv[2] ?? 10);
const started = performance.now();
const app = new App({ outdir: mkdtempSync(path.join(tmpdir(), 'oauth-registry-synth-bench-')) });
const stack = new TerraformStack(app, 'bench');
new AwsProvider(stack, 'aws', { region: 'eu-west-1' });
const registry = new OAuthRegistry(stack, 'Registry', { namePrefix: 'bench' });
for (let i = 0; i < clients; i++) {
  registry.addExternalClient(`Client${i}`, { scopes: [`scope.${i % 20}`, 'common.read'] });
}
registry.addRoute('GET /v1/hello', {
  handler: { entry: path.resolve(__dirname, '..', 'lambdas/examples/hello.ts') },
  scopes: ['common.read'],
});
app.synth();
const synthMs = performance.now() - started;
const resources = Object.values((stack.toTerraform() as { resource: Record<string, object> }).resource).reduce(
  (n, byName) => n + Object.keys(byName).length,
  0,
);
process.stdout.write(`${JSON.stringify({ clients, resources, synthMs })}\n`);
