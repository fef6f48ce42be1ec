/**
 * CI's short seeded fuzz pass: 10,000 hostile requests against `npm start`'s server and the handlers in process.
 * `npm run fuzz -- --requests 100000` is the long one. Bounded by its count, never by wall time: on a busy machine it
 * takes longer, and a hang is judged against a baseline measured in the same run (`fuzz/fuzz.ts`).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runFuzz } from '../../fuzz/fuzz';
import { formatReport } from '../../fuzz/run';
import { startTarget, type FuzzTarget } from '../../fuzz/target';

describe('fuzz (short seeded pass)', () => {
  let target: FuzzTarget;
  before(async () => {
    target = await startTarget();
  });
  after(async () => {
    await target?.close();
  });

  // The timeout only stops a suite that would never end; the pass itself is bounded by its count.
  it('10,000 hostile requests: 0 5xx, 0 hangs, 0 dropped connections, 0 leaks', { timeout: 30 * 60_000 }, async (t) => {
    const report = await runFuzz(target, { requests: 10_000, seed: 20_251 });
    const text = formatReport(report);
    t.diagnostic(text.split('\n').slice(0, 2).join(' | '));
    assert.equal(report.sent, 10_000, text);
    assert.equal(report.serverErrors, 0, text);
    assert.equal(report.hangs, 0, text);
    assert.equal(report.dropped, 0, text);
    assert.equal(report.leaks, 0, text);
    // Every kind of case ran, and the guard and the handlers both answered.
    for (const kind of ['http', 'raw', 'event', 'broker']) assert.ok((report.byKind[kind] ?? 0) > 100, text);
    for (const status of ['200', '400', '403', '404', '415', '421']) assert.ok((report.byStatus[status] ?? 0) > 0, text);
  });
});
