/** Small statistics helpers for the benchmark (nearest-rank quantiles, summaries, rounding). */

export interface Summary {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Nearest-rank quantile (q in [0, 1]); null for an empty list. */
export function quantile(values: number[], q: number): number | null {
  const xs = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const rank = Math.min(xs.length, Math.max(1, Math.ceil(q * xs.length)));
  return xs[rank - 1]!;
}

export function mean(values: number[]): number | null {
  const xs = values.filter((v) => Number.isFinite(v));
  return xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : null;
}

export function summarize(values: number[], digits = 2): Summary {
  const r = (v: number | null): number | null => (v === null ? null : round(v, digits));
  const xs = values.filter((v) => Number.isFinite(v));
  return {
    n: xs.length,
    p50: r(quantile(xs, 0.5)),
    p95: r(quantile(xs, 0.95)),
    p99: r(quantile(xs, 0.99)),
    max: r(xs.length ? Math.max(...xs) : null),
    mean: r(mean(xs)),
  };
}

export function round(v: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}

export const sum = (values: number[]): number => values.reduce((s, v) => s + v, 0);

/** Evenly spaced sample of at most `n` items (keeps the first and the last). */
export function evenSample<T>(items: T[], n: number): T[] {
  if (items.length <= n) return [...items];
  if (n <= 1) return items.slice(0, n);
  return Array.from({ length: n }, (_, i) => items[Math.round((i * (items.length - 1)) / (n - 1))]!);
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!, i);
    }
  });
  await Promise.all(lanes);
  return out;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
