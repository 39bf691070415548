/*
 * SPDX-License-Identifier: Apache-2.0
 */

/** Order statistics of a sample. */
export interface SampleSummary {
  readonly count: number;
  readonly min: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * The p-th percentile by nearest rank (the smallest value with at least p% of the sample at or
 * below it), so every reported figure is one that was measured.
 *
 * @throws Error for an empty sample or p outside (0, 100].
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty sample');
  if (!(p > 0 && p <= 100)) throw new Error(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((p / 100) * sorted.length) - 1];
}

/** Count, min, p50, p95, max and mean; undefined for an empty sample. */
export function summarise(values: readonly number[]): SampleSummary | undefined {
  if (values.length === 0) return undefined;
  return {
    count: values.length,
    min: Math.min(...values),
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    max: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
  };
}

/** Seconds with two decimals, for tables: `1.23 s`. */
export function seconds(ms: number | undefined): string {
  return ms === undefined ? '-' : `${(ms / 1000).toFixed(2)} s`;
}
