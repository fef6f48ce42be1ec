import { Agent, request } from 'node:http';

/** A small closed-loop HTTP load generator: `concurrency` callers, each sending the next request when one returns. */

export interface LoadResult {
  readonly requests: number;
  readonly errors: number;
  readonly perSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** One POST, repeated: the request the load generator sends. */
export interface PostTarget {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Sends `target` from `concurrency` callers for `durationMs` (after a warm-up) over keep-alive connections.
 * node:http rather than fetch: undici's fetch costs the generator ~0.35 ms of CPU per request, which on a 2-core
 * machine capped every server measured at the generator's own rate (both servers then looked equal).
 */
export async function measureRate(target: PostTarget, { concurrency = 16, durationMs = 3_000, warmupMs = 500 } = {}): Promise<LoadResult> {
  const url = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const headers = { ...target.headers, 'content-length': String(Buffer.byteLength(target.body)) };
  const send = () =>
    new Promise<number>((resolve, reject) => {
      const options = { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'POST', agent, headers };
      const req = request(options, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end(target.body);
    });
  const run = async (ms: number, latencies?: number[]) => {
    const end = performance.now() + ms;
    let requests = 0;
    let errors = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          const status = await send();
          latencies?.push(performance.now() - t);
          requests += 1;
          if (status !== 200) errors += 1;
        }
      }),
    );
    return { requests, errors };
  };
  try {
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
  } finally {
    agent.destroy();
  }
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
