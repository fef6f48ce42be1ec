/** A small closed-loop HTTP load generator: `concurrency` callers, each sending the next request when one returns. */

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export async function measureRate(
  send: () => Promise<Response>,
  { concurrency = 16, durationMs = 3_000, warmupMs = 500 } = {},
): Promise<LoadResult> {
  const run = async (ms: number, latencies?: number[]) => {
    const end = performance.now() + ms;
    let requests = 0;
    let errors = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          const response = await send();
          await response.arrayBuffer();
          latencies?.push(performance.now() - t);
          requests += 1;
          if (response.status !== 200) errors += 1;
        }
      }),
    );
    return { requests, errors };
  };
  await run(warmupMs);
  const latencies: number[] = [];
  const started = performance.now();
  const { requests, errors } = await run(durationMs, latencies);
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    requests,
    errors,
    perSecond: requests / elapsed,
    p50Ms: latencies[Math.floor(latencies.length * 0.5)] ?? 0,
    p99Ms: latencies[Math.floor(latencies.length * 0.99)] ?? 0,
  };
}

/** Calls `fn` repeatedly for `durationMs` (after a warm-up) and returns calls per second. */
export async function measureOps(fn: () => Promise<unknown>, { durationMs = 2_000, warmup = 200 } = {}): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  let calls = 0;
  const started = performance.now();
  const end = started + durationMs;
  while (performance.now() < end) {
    await fn();
    calls += 1;
  }
  return calls / ((performance.now() - started) / 1000);
}
