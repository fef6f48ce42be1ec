/** One row of `npm run bench`'s table and results.json, and the number formatting every section uses. */
export interface Row {
  readonly section: string;
  readonly metric: string;
  readonly ours: string;
  /** The peer or limit the figure stands next to. */
  readonly peer: string;
  readonly ratio?: string;
  readonly goal: string;
  readonly met?: boolean;
}

export const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
