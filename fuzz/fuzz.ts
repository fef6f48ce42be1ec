/**
 * The fuzzer: sends the cases of `cases.ts` to the local server over loopback (and the in-process events to the
 * handlers), a bounded number of them (and, when asked, within a bounded time), and counts what must never happen: a
 * 5xx, a request left unanswered (a hang), a connection dropped without an answer, a response carrying a stack trace,
 * a secret, or a token a web page could read; and RSS after warm-up against RSS at the end.
 *
 * A hang is judged against this machine as it is during the run, not against a fixed number of seconds: a baseline
 * (benign requests, and one large body) is measured first, each request gets a generous multiple of it (at least
 * 2 s), and a request past its limit counts as hung only if a benign request sent right then is not just as slowed
 * down (if it is, the limit grows by the slowdown once). A loaded machine is slow, not broken.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { CaseGenerator, type FuzzCase, type HttpCase } from './cases';
import type { FuzzTarget } from './target';

export interface FuzzOptions {
  readonly requests: number;
  readonly seed: number;
  /** Stop early after this long (the figures say how many were sent). @default none: every request is sent */
  readonly timeLimitMs?: number;
  /** @default 8 */
  readonly concurrency?: number;
  /** The least time a request may take before it counts as a hang (the baseline usually allows more). @default 2000 */
  readonly hangMs?: number;
  /** Called every 10% with the count done. */
  readonly progress?: (done: number) => void;
}

export interface Finding {
  readonly what: '5xx' | 'hang' | 'dropped' | 'leak';
  readonly request: string;
  readonly status?: number;
  readonly detail: string;
}

export interface FuzzReport {
  readonly seed: number;
  readonly sent: number;
  readonly byKind: Record<string, number>;
  readonly byStatus: Record<string, number>;
  readonly serverErrors: number;
  readonly hangs: number;
  readonly dropped: number;
  readonly leaks: number;
  /** The first findings of each kind, to reproduce them. */
  readonly findings: readonly Finding[];
  readonly rssAfterWarmupMb: number;
  readonly rssEndMb: number;
  readonly ms: number;
  /** This run's yardstick: a benign request's median time, and the time per MB of a large body, in ms. */
  readonly baseline: Baseline;
}

export interface Baseline {
  readonly requestMs: number;
  readonly msPerMb: number;
}

/** A request's limit is this multiple of what the baseline says it should take (concurrency 8, a noisy machine). */
export const HANG_FACTOR = 50;

interface Outcome {
  readonly status?: number;
  readonly body: string;
  readonly headers?: string;
  readonly error?: string;
  readonly hung?: boolean;
  /** How long a hung request was given. */
  readonly waitedMs?: number;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const STACK = [/\n\s+at [^\n]+:\d+:\d+/, /\(\/[^)\n]+\.[jt]s:\d+:\d+\)/, /node:internal\//, /file:\/\/\//];
const TOKEN = [/"(access|refresh|id)_token"\s*:/, /(?<!link=)\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/];

export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const hangMs = options.hangMs ?? 2000;
  const deadline = options.timeLimitMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeLimitMs;
  const judge = await HangJudge.measure(target.port, hangMs);
  const clientIds = target.manifest.clients.map((c) => c.clientId);
  const cases = new CaseGenerator(options.seed, target.port, clientIds);
  const secrets = await target.secretValues();
  const byKind: Record<string, number> = {};
  const byStatus: Record<string, number> = {};
  const findings: Finding[] = [];
  const counts = { serverErrors: 0, hangs: 0, dropped: 0, leaks: 0 };
  const started = Date.now();
  const warmup = Math.max(1, Math.floor(options.requests / 5));
  let rssAfterWarmup = 0;
  let sent = 0;

  const note = (finding: Finding, key: keyof typeof counts): void => {
    counts[key] += 1;
    if (findings.filter((f) => f.what === finding.what).length < 10) findings.push(finding);
  };

  const one = async (c: FuzzCase): Promise<void> => {
    byKind[c.kind] = (byKind[c.kind] ?? 0) + 1;
    const outcome = await send(c);
    const status = outcome.status === undefined ? (outcome.hung ? 'hang' : 'dropped') : String(outcome.status);
    byStatus[status] = (byStatus[status] ?? 0) + 1;
    const label = describeCase(c);
    if (outcome.hung) return note({ what: 'hang', request: label, detail: `no answer in ${outcome.waitedMs} ms` }, 'hangs');
    // A client still sending past the 10 MB limit is answered 413 and cut off; TCP may reset before it reads the 413.
    if (outcome.status === undefined && c.kind === 'http' && (c.body?.length ?? 0) > MAX_BODY_BYTES) return;
    if (outcome.status === undefined) return note({ what: 'dropped', request: label, detail: outcome.error ?? '' }, 'dropped');
    if (outcome.status >= 500)
      note({ what: '5xx', request: label, status: outcome.status, detail: outcome.body.slice(0, 300) }, 'serverErrors');
    const text = `${outcome.headers ?? ''}\n${outcome.body}`;
    const stack = STACK.find((re) => re.test(text));
    const secret = secrets.find((s) => text.includes(s));
    // A token is a leak where a web page could read it, or anywhere but the local broker (no fuzz request holds credentials).
    const tokenAllowed = c.kind === 'broker' || (c.kind === 'http' && !c.crossSite && c.path.startsWith('/_local/'));
    const token = tokenAllowed ? undefined : TOKEN.find((re) => re.test(outcome.body));
    if (stack || secret || token) {
      const detail = stack ? `stack trace (${stack})` : secret ? 'a secret value' : `a token (${token})`;
      note({ what: 'leak', request: label, status: outcome.status, detail: `${detail}: ${outcome.body.slice(0, 200)}` }, 'leaks');
    }
  };

  const send = (c: FuzzCase): Promise<Outcome> => {
    switch (c.kind) {
      case 'http':
        return sendHttp(c, target.port, judge.timer(c.body?.length ?? 0));
      case 'raw':
        return sendRaw(c.bytes, target.port, judge.timer(c.bytes.length));
      case 'event':
        return inProcess(
          () =>
            c.target === 'connections' ? target.registry.connections!.server.handle(c.event) : target.authorizationServer.handle(c.event),
          judge.timer(0),
        );
      case 'broker':
        return inProcess(async () => {
          const result = await target.registry.connections!.server.invoke(c.input as never);
          return { statusCode: 200, body: JSON.stringify(result) };
        }, judge.timer(0));
    }
  };

  const worker = async (): Promise<void> => {
    while (sent < options.requests && Date.now() < deadline) {
      const c = cases.next();
      sent += 1;
      if (options.progress && sent % Math.max(1, Math.floor(options.requests / 10)) === 0) options.progress(sent);
      if (sent === warmup) rssAfterWarmup = settledRss();
      await one(c);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 8 }, worker));
  if (rssAfterWarmup === 0) rssAfterWarmup = settledRss();
  return {
    seed: options.seed,
    sent,
    byKind,
    byStatus,
    ...counts,
    findings,
    rssAfterWarmupMb: rssAfterWarmup,
    rssEndMb: settledRss(),
    ms: Date.now() - started,
    baseline: judge.baseline,
  };
}

/** Arms a hang timer: `expire(waitedMs)` runs unless the returned cancel function is called first. */
type HangTimer = (expire: (waitedMs: number) => void) => () => void;

/** What "no answer" means on this machine during this run (see the header). */
class HangJudge {
  private canary?: Promise<number>;

  private constructor(
    private readonly port: number,
    private readonly floorMs: number,
    readonly baseline: Baseline,
  ) {}

  /** Measures the baseline: the median of 15 benign requests, then one 4 MB body. */
  static async measure(port: number, floorMs: number): Promise<HangJudge> {
    const times: number[] = [];
    for (let i = 0; i < 15; i++) times.push(await timedRequest(port, 'GET', '/.well-known/openid-configuration'));
    const requestMs = Math.max(1, times.sort((a, b) => a - b)[7]);
    const bigMs = await timedRequest(port, 'POST', '/oauth2/token', Buffer.alloc(4 * 1024 * 1024, 0x61));
    return new HangJudge(port, floorMs, { requestMs, msPerMb: Math.max(1, Math.max(0, bigMs - requestMs) / 4) });
  }

  /** A request of `bytes` bytes: its limit from the baseline, extended once by the slowdown a canary sees then. */
  timer(bytes: number): HangTimer {
    const limitMs = Math.max(this.floorMs, HANG_FACTOR * (this.baseline.requestMs + (bytes / 1024 / 1024) * this.baseline.msPerMb));
    return (expire) => {
      let cancelled = false;
      let timer = setTimeout(async () => {
        const slowdown = await this.slowdown(limitMs);
        if (cancelled) return;
        if (slowdown <= 1) return expire(limitMs);
        timer = setTimeout(() => expire(Math.round(limitMs * (1 + slowdown))), limitMs * slowdown);
      }, limitMs);
      return () => {
        cancelled = true;
        clearTimeout(timer);
      };
    };
  }

  /**
   * How much slower a benign request is now than in the baseline (one canary shared by the timers expiring together);
   * 1 when the canary itself gets no answer within `limitMs`: then the server is not answering anyone.
   */
  private async slowdown(limitMs: number): Promise<number> {
    this.canary ??= timedRequest(this.port, 'GET', '/.well-known/openid-configuration', undefined, limitMs)
      .then(
        (ms) => ms / this.baseline.requestMs,
        () => 1,
      )
      .finally(() => setTimeout(() => (this.canary = undefined), 1000).unref());
    return this.canary;
  }
}

/** Milliseconds until a request's whole answer is in; rejects after `timeoutMs` (none: waits). */
function timedRequest(port: number, method: string, path: string, body?: Buffer, timeoutMs?: number): Promise<number> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const headers = { host: `127.0.0.1:${port}`, ...(body ? { 'content-length': String(body.length), 'content-type': 'text/plain' } : {}) };
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - started));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (timeoutMs !== undefined) req.setTimeout(timeoutMs, () => req.destroy(new Error('timed out')));
    req.end(body);
  });
}

/** RSS in MB, after a full collection when the process runs with `--expose-gc`. */
function settledRss(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return Math.round((process.memoryUsage().rss / 1024 / 1024) * 10) / 10;
}

function describeCase(c: FuzzCase): string {
  switch (c.kind) {
    case 'http': {
      const headers = Object.entries(c.headers)
        .map(([k, v]) => `${k}: ${v.length > 60 ? `${v.slice(0, 60)}…(${v.length})` : v}`)
        .join('; ');
      const body = c.body ? ` body(${c.body.length}): ${JSON.stringify(c.body.subarray(0, 80).toString('latin1'))}` : '';
      return `${c.method} ${c.path.length > 200 ? `${c.path.slice(0, 200)}…` : c.path} [${headers}]${body}`;
    }
    case 'raw':
      return `raw ${JSON.stringify(c.bytes.subarray(0, 120).toString('latin1'))}`;
    case 'event':
      return `event → ${c.target}: ${JSON.stringify({ ...c.event, requestContext: undefined }).slice(0, 400)}`;
    case 'broker':
      return `broker invoke ${JSON.stringify(c.input)}`;
  }
}

function sendHttp(c: HttpCase, port: number, hangTimer: HangTimer): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    let cancel = (): void => undefined;
    const done = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      cancel();
      resolve(outcome);
    };
    let req: ReturnType<typeof request>;
    try {
      // An explicit length: without it Node sends a GET's body unframed, and the server rightly reads it as a second request.
      const headers = c.body ? { ...c.headers, 'content-length': String(c.body.length) } : c.headers;
      // No agent: a connection of its own, so a drop or a hang is this request's, not one queued or kept alive before it.
      req = request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers, agent: false, setHost: false });
    } catch (err) {
      // Node's client refused to send it (an invalid header or path): nothing reached the server.
      return resolve({ status: 0, body: '', error: (err as Error).message });
    }
    cancel = hangTimer((waitedMs) => {
      req.destroy();
      done({ body: '', hung: true, waitedMs });
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () =>
        done({ status: res.statusCode, body: Buffer.concat(chunks).toString('utf8'), headers: JSON.stringify(res.headers) }),
      );
      res.on('error', (err) => done({ status: res.statusCode, body: '', error: err.message }));
    });
    req.on('error', (err: NodeJS.ErrnoException) => done({ body: '', error: `${err.message} (${err.code ?? ''})` }));
    req.end(c.body);
  });
}

function sendRaw(bytes: Buffer, port: number, hangTimer: HangTimer): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    let hung = false;
    const cancel = hangTimer((waitedMs) => {
      hung = true;
      socket.destroy();
      resolve({ body: '', hung: true, waitedMs });
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      cancel();
      if (hung) return;
      const text = Buffer.concat(chunks).toString('latin1');
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1];
      const bodyAt = text.indexOf('\r\n\r\n');
      resolve(
        status
          ? { status: Number(status), headers: text.slice(0, bodyAt), body: text.slice(bodyAt + 4) }
          : { body: text, error: 'connection closed without a response' },
      );
    });
    socket.end(bytes);
  });
}

async function inProcess(call: () => Promise<{ statusCode?: number; body?: string }>, hangTimer: HangTimer): Promise<Outcome> {
  let cancel = (): void => undefined;
  const hang = new Promise<Outcome>((resolve) => (cancel = hangTimer((waitedMs) => resolve({ body: '', hung: true, waitedMs }))));
  const run = call().then(
    (result) => ({ status: result.statusCode ?? 200, body: String(result.body ?? '') }),
    (err: unknown) => ({ status: 599, body: err instanceof Error ? `threw ${err.name}: ${err.message}` : `threw ${String(err)}` }),
  );
  try {
    return await Promise.race([run, hang]);
  } finally {
    cancel();
  }
}
