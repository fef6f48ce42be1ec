/** `fetch` as verify uses it: redirects not followed (they are answers to check), every request under a deadline. */
export type Get = (url: string, init?: RequestInit) => Promise<Response>;

export const timedGet =
  (timeoutMs: number): Get =>
  (url, init = {}) =>
    fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(timeoutMs) });
