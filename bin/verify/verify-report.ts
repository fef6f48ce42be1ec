/**
 * What `oauth-registry verify` reports: one row per check and target, a summary, and the table it prints. No secret
 * and no token ever reaches a row: `report` redacts every detail against all of them before it returns.
 */
import { table } from '../shared/text-table';

export type VerifyResult = 'ok' | 'fail' | 'warn' | 'skip';

/** Every row name, in the order rows appear (one module per name in `checks/`). */
export const VERIFY_CHECKS = [
  'metadata',
  'jwks',
  'jwks-next-key',
  'token',
  'token-verification',
  'client-keys',
  'route-callable',
  'route-no-token',
  'route-token',
  'route-foreign-audience',
  'mcp-metadata',
  'mcp-token',
  'authorize-pkce',
  'connection',
] as const;

export type VerifyCheck = (typeof VERIFY_CHECKS)[number];

/** One line of the report. `check` is one of `VERIFY_CHECKS`; `target` says what it looked at. */
export interface VerifyRow {
  readonly check: string;
  readonly target: string;
  readonly result: VerifyResult;
  readonly detail: string;
}

export interface VerifySummary {
  readonly ok: number;
  readonly fail: number;
  readonly warn: number;
  readonly skip: number;
  /** No row failed. */
  readonly passed: boolean;
}

export interface VerifyReport {
  readonly issuer: string;
  readonly rows: readonly VerifyRow[];
  readonly summary: VerifySummary;
}

/** A check's verdict on its target: the result and the detail shown beside it. */
export type Outcome = readonly [VerifyResult, string];

export const row = (check: VerifyCheck, target: string, result: VerifyResult, detail: string): VerifyRow => ({
  check,
  target,
  result,
  detail,
});

/** Runs one check's body; anything it throws (a refused connection, a timeout, bad JSON) is that row's failure. */
export async function attempt(check: VerifyCheck, target: string, body: () => Promise<Outcome>): Promise<VerifyRow> {
  try {
    const [result, detail] = await body();
    return row(check, target, result, detail);
  } catch (err) {
    return row(check, target, 'fail', errorText(err));
  }
}

export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

/** The rows with every `hidden` value (secrets, tokens, Basic credentials) redacted, and their summary. */
export function report(issuer: string, rows: readonly VerifyRow[], hidden: ReadonlySet<string>): VerifyReport {
  const redact = (text: string) => [...hidden].filter(Boolean).reduce((out, value) => out.split(value).join('[redacted]'), text);
  const safe = rows.map((r) => ({ ...r, target: redact(r.target), detail: redact(r.detail) }));
  const count = (result: VerifyResult) => safe.filter((r) => r.result === result).length;
  const summary = { ok: count('ok'), fail: count('fail'), warn: count('warn'), skip: count('skip') };
  return { issuer, rows: safe, summary: { ...summary, passed: summary.fail === 0 } };
}

/** The report as an aligned table and a summary line (the last column is not padded). */
export function formatVerifyTable(report: VerifyReport, about: string): string {
  const lines = table(
    ['CHECK', 'TARGET', 'RESULT', 'DETAIL'],
    report.rows.map((r) => [r.check, r.target, r.result, r.detail]),
  );
  const { ok, warn, skip, fail, passed } = report.summary;
  const verdict = `${passed ? 'PASSED' : 'FAILED'}: ${ok} ok, ${warn} warn, ${skip} skip, ${fail} fail`;
  return `verify ${report.issuer} (${about})\n${lines.join('\n')}\n${verdict}\n`;
}
