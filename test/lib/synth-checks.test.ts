/**
 * Mistakes that used to synthesize (and then fail every call) or fail in constructs' generic words: each fails synth
 * with the value in the message.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fixture, synthJson } from './helpers';

const hello = { entry: 'lambdas/examples/hello.ts' };

describe('synth-time checks', () => {
  it('a duplicate external client name gets the README message, not "There is already a Construct"', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    assert.throws(
      () => f.registry.addExternalClient('Acme', { scopes: ['b'] }),
      /^Error: duplicate external client name "Acme" \(Test\/Registry\/Acme/,
    );
  });

  it('a duplicate route gets its own message naming the route key', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] });
    assert.throws(() => f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] }), /^Error: duplicate route "GET \/v1\/a"/);
  });

  it('two different route keys that would share a construct id are named as such, not as a duplicate', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    f.registry.addRoute('GET /v1/items/{id}', { handler: hello, scopes: ['a'] });
    assert.throws(
      () => f.registry.addRoute('GET /v1/items/id', { handler: hello, scopes: ['a'] }),
      /^Error: routes "GET \/v1\/items\/\{id\}" and "GET \/v1\/items\/id" would both be construct .*GetV1ItemsId; rename one path/,
    );
  });

  it('an exportName the entry does not export fails synth, naming what it exports', () => {
    const f = fixture();
    assert.throws(
      () => f.registry.addRoute('GET /v1/a', { handler: { ...hello, exportName: 'hanlder' }, scopes: ['a'] }),
      /route "GET \/v1\/a": handler.entry "lambdas\/examples\/hello.ts" exports no "hanlder" \(it exports: handler\)/,
    );
  });

  it('follows `export * from` and accepts what a re-export provides; a CommonJS entry is left to bundling', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'oauth-registry-entry-'));
    writeFileSync(path.join(dir, 'impl.ts'), 'export const list = async () => ({ statusCode: 200 });\n');
    writeFileSync(path.join(dir, 'index.ts'), "export * from './impl';\n");
    writeFileSync(path.join(dir, 'legacy.js'), 'exports.anything = async () => ({ statusCode: 200 });\n');
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'] });
    f.registry.addRoute('GET /v1/a', { handler: { entry: path.join(dir, 'index.ts'), exportName: 'list' }, scopes: ['a'] });
    f.registry.addRoute('GET /v1/b', { handler: { entry: path.join(dir, 'legacy.js'), exportName: 'anything' }, scopes: ['a'] });
    assert.throws(
      () => f.registry.addRoute('GET /v1/c', { handler: { entry: path.join(dir, 'index.ts') }, scopes: ['a'] }),
      /exports no "handler" \(it exports: list\)/,
    );
  });

  it('a route whose scopes no client can obtain fails synth (every call would be a 403), naming both sides', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['incidents.read'] });
    f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['incidents.write'] });
    assert.throws(
      () => synthJson(f.stack),
      /route "GET \/v1\/a": no external client of the registry can obtain any of its scopes \["incidents.write"\] \(the clients' scopes: incidents.read\)/,
    );
  });

  it('an inactive client still counts: cutting a partner off deploys', () => {
    const f = fixture();
    f.registry.addExternalClient('Acme', { scopes: ['a'], active: false });
    f.registry.addRoute('GET /v1/a', { handler: hello, scopes: ['a'] });
    assert.ok(synthJson(f.stack).resource);
  });
});
