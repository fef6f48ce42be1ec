/** ARCHITECTURE.md states facts the code defines once; these tests keep the two equal. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { KEY_PREFIX, REGISTRATION_KEY_KINDS } from '../../lambdas/shared/table-keys';

const architecture = readFileSync(path.join(__dirname, '..', '..', 'ARCHITECTURE.md'), 'utf8');

describe('ARCHITECTURE.md', () => {
  it("lists exactly the table's key prefixes of KEY_PREFIX, registrations as written by Terraform only", () => {
    const rows = [...architecture.matchAll(/^\| `([a-z-]+#)` \| [^|]+ \| ([^|]+) \|$/gm)].map((m) => [m[1], m[2].trim()] as const);
    assert.deepEqual(rows.map(([prefix]) => prefix).sort(), Object.values(KEY_PREFIX).sort());
    const terraformOnly = rows.filter(([, writer]) => writer === 'Terraform only').map(([prefix]) => prefix);
    assert.deepEqual(terraformOnly.sort(), REGISTRATION_KEY_KINDS.map((kind) => KEY_PREFIX[kind]).sort());
  });

  it('names only files that exist', () => {
    const root = path.join(__dirname, '..', '..');
    const named = [...architecture.matchAll(/(?<![\w/.])((?:lib|lambdas|bin|testing|bench)\/[\w/.-]*[\w])/g)].map((m) => m[1]);
    assert.ok(named.length > 5, 'the layout names files');
    const missing = [...new Set(named)].filter((file) => !existsSync(path.join(root, file)));
    assert.deepEqual(missing, []);
  });
});
