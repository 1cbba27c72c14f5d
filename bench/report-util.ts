/** Formatting helpers for REPORT.md. */
import type { Summary } from './stats';

export const f = (v: number | null | undefined, digits = 1): string =>
  v === null || v === undefined || Number.isNaN(v) ? '–' : v.toFixed(digits).replace(/\.0+$/, '');
export const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
export const table = (head: string[], rows: (string | number)[][]): string =>
  [row(head), row(head.map(() => '---')), ...rows.map(row)].join('\n');
export const pct = (s: Summary): string => `${f(s.p50)} / ${f(s.p95)} / ${f(s.max)}`;

export interface Verdict {
  target: string;
  measured: string;
  verdict: string;
}
