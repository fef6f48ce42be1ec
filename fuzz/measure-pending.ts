/**
 * `node --import tsx fuzz/measure-pending.ts`: p50 of `GET /oauth2/authorize` on `npm start`'s server with no pending
 * sign-ins and after 3,000 anonymous authorization requests, and p50 of a state write with 0 and 3,000 items.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LocalStateStore } from '../lambdas/shared/adapters/local-state-store';
import { WEB_REDIRECT_URI } from '../testing/example-app';
import { startTarget } from './target';

const p50 = (samples: number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)] * 100) / 100;
};

async function authorizeTimes(url: string, n: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const query = new URLSearchParams({
      client_id: 'web-app',
      redirect_uri: WEB_REDIRECT_URI,
      response_type: 'code',
      state: `s${i}`,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      code_challenge_method: 'S256',
      scope: 'incidents.read',
    });
    const started = performance.now();
    const response = await fetch(`${url}/oauth2/authorize?${query}`, { redirect: 'manual' });
    await response.arrayBuffer();
    times.push(performance.now() - started);
    if (response.status !== 302 && response.status !== 303) throw new Error(`authorize answered ${response.status}`);
  }
  return times;
}

async function main(): Promise<void> {
  const target = await startTarget();
  try {
    await authorizeTimes(target.registry.url, 300); // warm-up (JIT, the upstream metadata cached)
    const empty = p50(await authorizeTimes(target.registry.url, 200));
    await authorizeTimes(target.registry.url, 3000);
    const full = p50(await authorizeTimes(target.registry.url, 200));
    console.log(`authorize p50: ${empty} ms with ~0 pending sign-ins, ${full} ms after 3,000 more`);
  } finally {
    await target.close();
  }
  const store = new LocalStateStore(path.join(mkdtempSync(path.join(tmpdir(), 'measure-')), 'state.json'));
  const putTimes = async (n: number, from: number) => {
    const times: number[] = [];
    for (let i = from; i < from + n; i++) {
      const started = performance.now();
      await store.put({ pk: `authreq#${i}`, clientId: 'x', expiresAt: Math.floor(Date.now() / 1000) + 600, pad: 'x'.repeat(300) });
      times.push(performance.now() - started);
    }
    return times;
  };
  const first = p50(await putTimes(200, 0));
  await putTimes(2800, 200);
  const later = p50(await putTimes(200, 3000));
  console.log(`state write p50: ${first} ms with 0-200 items, ${later} ms with 3,000 items`);
}

void main();
