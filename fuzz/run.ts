/**
 * `npm run fuzz [-- --requests N --seed S --time-limit-secs T --concurrency C]`: starts `npm start`'s server on a free
 * loopback port (and the handlers in process), sends N seeded hostile requests, and prints the goal next to the
 * figures. Exits 1 when a goal is missed. Loopback only; bounded in count and time.
 */
import { parseArgs } from 'node:util';
import { HANG_FACTOR, runFuzz, type FuzzReport } from './fuzz';
import { startTarget } from './target';

/** RSS may grow this much after warm-up (caches filling, the allocator's slack) and still count as flat. */
export const RSS_FLAT_MB = 64;

export function formatReport(report: FuzzReport): string {
  const mark = (ok: boolean) => (ok ? 'ok  ' : 'MISS');
  const growth = Math.round((report.rssEndMb - report.rssAfterWarmupMb) * 10) / 10;
  const lines = [
    `fuzz: seed ${report.seed}, ${report.sent} requests in ${(report.ms / 1000).toFixed(1)} s (${JSON.stringify(report.byKind)})`,
    `  baseline: ${report.baseline.requestMs.toFixed(1)} ms a request, ${report.baseline.msPerMb.toFixed(1)} ms per MB of body`,
    `  statuses: ${JSON.stringify(report.byStatus)}`,
    `  goal                          figure`,
    `  ${mark(report.serverErrors === 0)} 0 responses 5xx            ${report.serverErrors}`,
    `  ${mark(report.hangs === 0)} 0 hangs (${HANG_FACTOR}x baseline, >= 2 s) ${report.hangs}`,
    `  ${mark(report.dropped === 0)} 0 dropped connections      ${report.dropped}`,
    `  ${mark(report.leaks === 0)} 0 leaks (stack, secret, token) ${report.leaks}`,
    `  ${mark(growth < RSS_FLAT_MB)} RSS flat after warm-up      ${report.rssAfterWarmupMb} MB → ${report.rssEndMb} MB ` +
      `(${growth >= 0 ? '+' : ''}${growth} MB)`,
  ];
  for (const f of report.findings) lines.push(`  ${f.what}${f.status ? ` ${f.status}` : ''}: ${f.request}\n      → ${f.detail}`);
  return `${lines.join('\n')}\n`;
}

export function goalsMet(report: FuzzReport): boolean {
  return (
    report.serverErrors === 0 &&
    report.hangs === 0 &&
    report.dropped === 0 &&
    report.leaks === 0 &&
    report.rssEndMb - report.rssAfterWarmupMb < RSS_FLAT_MB
  );
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      requests: { type: 'string', default: '10000' },
      seed: { type: 'string', default: '1' },
      'time-limit-secs': { type: 'string', default: '600' },
      concurrency: { type: 'string', default: '8' },
    },
  });
  const requests = Number(values.requests);
  const seed = Number(values.seed);
  const timeLimitMs = Number(values['time-limit-secs']) * 1000;
  const concurrency = Number(values.concurrency);
  if (![requests, seed, timeLimitMs, concurrency].every((n) => Number.isInteger(n) && n >= 0)) {
    throw new Error('--requests, --seed, --time-limit-secs and --concurrency take whole numbers');
  }
  process.stdout.write(
    `fuzz: goal 0 5xx, 0 hangs, 0 dropped connections, 0 leaks, RSS flat after warm-up; ${requests} requests, seed ${seed}\n`,
  );
  const target = await startTarget();
  try {
    const report = await runFuzz(target, {
      requests,
      seed,
      timeLimitMs,
      concurrency,
      progress: (done) => process.stdout.write(`  … ${done}\n`),
    });
    process.stdout.write(formatReport(report));
    process.exitCode = goalsMet(report) ? 0 : 1;
  } finally {
    await target.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`fuzz: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  });
}
