import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { unzipSync } from 'fflate';
import { bundleEntry } from '../../lib';
import { BUNDLE_CACHE_DIR } from '../../lib/private/bundle';

describe('bundleEntry', () => {
  it('bundles an entry into a deterministic, content-addressed zip holding index.js', () => {
    const bundle = bundleEntry('lambdas/examples/hello.ts');
    assert.equal(path.dirname(bundle.zipPath), BUNDLE_CACHE_DIR);
    const zip = readFileSync(bundle.zipPath);
    assert.equal(path.basename(bundle.zipPath), `${createHash('sha256').update(zip).digest('hex')}.zip`);
    assert.equal(bundle.zipSha256Base64, createHash('sha256').update(zip).digest('base64'));
    const files = unzipSync(zip);
    assert.deepEqual(Object.keys(files), ['index.js']);
    assert.equal(Buffer.from(files['index.js']).toString(), bundle.code);
    assert.equal(bundle.bytes, Buffer.byteLength(bundle.code));
    assert.match(bundle.code, /handler/);
    assert.equal(bundleEntry(path.resolve('lambdas/examples/hello.ts')), bundle, 'memoized by absolute path');
  });

  it('keeps the AWS SDK external and loads as CommonJS', () => {
    const { code } = bundleEntry('lambdas/authorization-server/index.ts');
    assert.doesNotMatch(code, /@aws-sdk\/client-dynamodb\/dist/);
    assert.match(code, /require\("@aws-sdk\//);
  });

  it('names the entry when it is missing', () => {
    assert.throws(() => bundleEntry('lambdas/nope.ts'), /cannot bundle Lambda entry "lambdas\/nope.ts": file not found/);
  });
});
