/**
 * The fuzzer: sends the cases of `cases.ts` to the local server over loopback (and the in-process events to the
 * handlers), a bounded number of them within a bounded time, and counts what must never happen: a 5xx, a request
 * unanswered after 2 s, a connection dropped without an answer, a response carrying a stack trace, a secret, or a
 * token a web page could read; and RSS after warm-up against RSS at the end.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { CaseGenerator, type FuzzCase, type HttpCase } from './cases';
import type { FuzzTarget } from './target';

export interface FuzzOptions {
  readonly requests: number;
  readonly seed: number;
  /** Stop early after this long (the figures say how many were sent). @default 600_000 */
  readonly timeLimitMs?: number;
  /** @default 8 */
  readonly concurrency?: number;
  /** A request unanswered after this long is a hang. @default 2000 */
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
}

interface Outcome {
  readonly status?: number;
  readonly body: string;
  readonly headers?: string;
  readonly error?: string;
  readonly hung?: boolean;
}

const MAX_BODY_BYTES = 10 * 1024 * 1024;
const STACK = [/\n\s+at [^\n]+:\d+:\d+/, /\(\/[^)\n]+\.[jt]s:\d+:\d+\)/, /node:internal\//, /file:\/\/\//];
const TOKEN = [/"(access|refresh|id)_token"\s*:/, /(?<!link=)\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/];

export async function runFuzz(target: FuzzTarget, options: FuzzOptions): Promise<FuzzReport> {
  const hangMs = options.hangMs ?? 2000;
  const deadline = Date.now() + (options.timeLimitMs ?? 600_000);
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
    if (outcome.hung) return note({ what: 'hang', request: label, detail: `no answer in ${hangMs} ms` }, 'hangs');
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
        return sendHttp(c, target.port, hangMs);
      case 'raw':
        return sendRaw(c.bytes, target.port, hangMs);
      case 'event':
        return inProcess(
          () =>
            c.target === 'connections' ? target.registry.connections!.server.handle(c.event) : target.authorizationServer.handle(c.event),
          hangMs,
        );
      case 'broker':
        return inProcess(async () => {
          const result = await target.registry.connections!.server.invoke(c.input as never);
          return { statusCode: 200, body: JSON.stringify(result) };
        }, hangMs);
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
  };
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

function sendHttp(c: HttpCase, port: number, hangMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: Outcome): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
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
    const timer = setTimeout(() => {
      req.destroy();
      done({ body: '', hung: true });
    }, hangMs);
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

function sendRaw(bytes: Buffer, port: number, hangMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ body: '', hung: true });
    }, hangMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
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

async function inProcess(call: () => Promise<{ statusCode?: number; body?: string }>, hangMs: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Outcome>((resolve) => (timer = setTimeout(() => resolve({ body: '', hung: true }), hangMs)));
  const run = call().then(
    (result) => ({ status: result.statusCode ?? 200, body: String(result.body ?? '') }),
    (err: unknown) => ({ status: 599, body: err instanceof Error ? `threw ${err.name}: ${err.message}` : `threw ${String(err)}` }),
  );
  try {
    return await Promise.race([run, hang]);
  } finally {
    clearTimeout(timer);
  }
}
