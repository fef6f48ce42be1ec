/** The README's code a user copies: the handler snippet is the example handler the tests run and compile. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';

const root = path.join(__dirname, '..', '..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');

describe('README.md', () => {
  it("the handler snippet is lambdas/examples/accounts.ts as it is (run by the local-mode test, compiled by the package test's tsc)", () => {
    const snippet = /```ts\n(\/\/ src\/accounts\.ts\n[\s\S]*?)```\n/.exec(readme)?.[1];
    assert.equal(snippet, readFileSync(path.join(root, 'lambdas', 'examples', 'accounts.ts'), 'utf8'));
  });

  it('names the state folder as it is laid out (<stateDir>/<namePrefix>/local/), and every health state', () => {
    assert.doesNotMatch(readme, /\.oauth-registry\/local\//);
    const statusParagraph = readme.split('\n\n').find((p) => p.includes("shows every connection's health")) ?? '';
    for (const health of ['not_connected', 'connected', 'refreshing', 'needs_consent', 'needs_trust', 'error']) {
      assert.ok(statusParagraph.includes(`\`${health}\``), `${health} in: ${statusParagraph}`);
    }
  });
});
