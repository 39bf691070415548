/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The measurement exchange format shared by the simulator and the live measurements: one CSV row
 * per observed value, so that numbers taken on the devnet or on native Fabric can be dropped next
 * to simulated ones and reported the same way.
 *
 * ```
 * source,experiment,x,seed,metric,value
 * sim,base,base,1,agreement,0.168380
 * devnet,base,base,0,update,0.412000
 * ```
 *
 * - `source`: where the number comes from (`sim`, `devnet`, `native`, ...);
 * - `experiment`: `base` or a sweep name (`bandwidth-mean`, ...);
 * - `x`: the swept value (`base` for the base case);
 * - `seed`: the simulation seed, or a run number for live measurements;
 * - `metric`: one of {@link METRICS};
 * - `value`: seconds.
 */

import { readFileSync, writeFileSync } from 'node:fs';

import type { Summary } from './metrics';
import { summarize } from './metrics';
import type { RunResult } from './simulation';

/** Metrics in report order: the three management-delay phases, their total, and inter-block times. */
export const METRICS = ['agreement', 'propagation', 'update', 'total', 'normal', 'switch'] as const;

/** A metric name. */
export type MetricName = (typeof METRICS)[number];

/** The management-delay phases (paper Fig. 4). */
export const DELAY_METRICS: readonly MetricName[] = ['agreement', 'propagation', 'update'];
/** Inter-block times of normal and switch blocks (paper Fig. 5). */
export const OVERHEAD_METRICS: readonly MetricName[] = ['normal', 'switch'];

/** One observed value. */
export interface SampleRow {
  readonly source: string;
  readonly experiment: string;
  readonly x: string;
  readonly seed: number;
  readonly metric: MetricName;
  /** Seconds. */
  readonly value: number;
}

/** Summary statistics of one (source, experiment, x, metric) group. */
export interface SummaryRow extends Summary {
  readonly source: string;
  readonly experiment: string;
  readonly x: string;
  readonly metric: MetricName;
}

export const SAMPLE_HEADER = 'source,experiment,x,seed,metric,value';
export const SUMMARY_HEADER = 'source,experiment,x,metric,n,mean,min,p5,p25,median,p75,p95,max';

/** Fixed decimals keep files byte-identical across runs and platforms. */
export function fmt(x: number, digits = 6): string {
  return Number.isFinite(x) ? x.toFixed(digits) : '';
}

/** The rows of one run. */
export function samplesOf(result: RunResult, source: string, experiment: string, x: string): SampleRow[] {
  const seed = result.scenario.seed;
  const rows: SampleRow[] = [];
  for (const metric of ['agreement', 'propagation', 'update', 'total'] as const) {
    for (const cb of result.cbs) {
      rows.push({ source, experiment, x, seed, metric, value: cb[metric] });
    }
  }
  for (const value of result.interBlock.normal) {
    rows.push({ source, experiment, x, seed, metric: 'normal', value });
  }
  for (const value of result.interBlock.switch) {
    rows.push({ source, experiment, x, seed, metric: 'switch', value });
  }
  return rows;
}

const SAFE_FIELD = /^[A-Za-z0-9._+-]*$/;

function checkField(name: string, value: string): string {
  if (!SAFE_FIELD.test(value)) {
    throw new Error(`samples: ${name} ${JSON.stringify(value)} may only contain letters, digits and . _ + -`);
  }
  return value;
}

/** CSV text of sample rows, with the header. */
export function samplesCsv(rows: readonly SampleRow[]): string {
  const lines = [SAMPLE_HEADER];
  for (const r of rows) {
    lines.push(`${checkField('source', r.source)},${checkField('experiment', r.experiment)},${checkField('x', r.x)},${r.seed},${r.metric},${fmt(r.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Writes sample rows as CSV. */
export function writeSamplesCsv(file: string, rows: readonly SampleRow[]): void {
  writeFileSync(file, samplesCsv(rows));
}

/**
 * Parses a samples CSV (live measurements use the same columns).
 *
 * @throws Error naming the file, line and column of the first malformed row.
 */
export function parseSamplesCsv(text: string, file = 'samples'): SampleRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== SAMPLE_HEADER) {
    throw new Error(`${file}: the first line must be "${SAMPLE_HEADER}"`);
  }
  const metrics = new Set<string>(METRICS);
  return lines.slice(1).map((line, i) => {
    const where = `${file}:${i + 2}`;
    const cells = line.split(',');
    if (cells.length !== 6) {
      throw new Error(`${where}: expected 6 columns, got ${cells.length}`);
    }
    const [source, experiment, x, seed, metric, value] = cells as [string, string, string, string, string, string];
    if (!metrics.has(metric)) {
      throw new Error(`${where}: metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}`);
    }
    const v = Number(value);
    if (value === '' || !Number.isFinite(v)) {
      throw new Error(`${where}: value must be a number of seconds, got ${JSON.stringify(value)}`);
    }
    const s = Number(seed);
    if (!Number.isInteger(s)) {
      throw new Error(`${where}: seed must be an integer, got ${JSON.stringify(seed)}`);
    }
    return { source, experiment, x, seed: s, metric: metric as MetricName, value: v };
  });
}

/** Reads a samples CSV file. */
export function readSamplesCsv(file: string): SampleRow[] {
  return parseSamplesCsv(readFileSync(file, 'utf8'), file);
}

/** Orders x values numerically when they are numbers, `base` first. */
export function compareX(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) {
    return na - nb;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Summaries per (source, experiment, x, metric), in a stable order. */
export function summarizeSamples(rows: readonly SampleRow[]): SummaryRow[] {
  const groups = new Map<string, { key: Omit<SummaryRow, keyof Summary>; values: number[] }>();
  for (const r of rows) {
    const id = `${r.source}\u0000${r.experiment}\u0000${r.x}\u0000${r.metric}`;
    let g = groups.get(id);
    if (g === undefined) {
      g = { key: { source: r.source, experiment: r.experiment, x: r.x, metric: r.metric }, values: [] };
      groups.set(id, g);
    }
    g.values.push(r.value);
  }
  return sortSummaries([...groups.values()].map((g) => ({ ...g.key, ...summarize(g.values) })));
}

/** Orders summaries by source, experiment, x (numerically) and metric. */
export function sortSummaries(rows: readonly SummaryRow[]): SummaryRow[] {
  const metricOrder = new Map<string, number>(METRICS.map((m, i) => [m, i]));
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows].sort(
    (a, b) =>
      cmp(a.source, b.source) ||
      cmp(a.experiment, b.experiment) ||
      compareX(a.x, b.x) ||
      (metricOrder.get(a.metric) ?? 0) - (metricOrder.get(b.metric) ?? 0),
  );
}

/** CSV text of summaries. */
export function summaryCsv(rows: readonly SummaryRow[]): string {
  const lines = [SUMMARY_HEADER];
  for (const r of rows) {
    lines.push(
      [r.source, r.experiment, r.x, r.metric, String(r.n), fmt(r.mean), fmt(r.min), fmt(r.p5), fmt(r.p25), fmt(r.median), fmt(r.p75), fmt(r.p95), fmt(r.max)].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/**
 * Parses a summary CSV (what `summaryCsv` writes), so that a committed summary can stand in for
 * the raw samples it came from.
 *
 * @throws Error naming the file, line and column of the first malformed row.
 */
export function parseSummaryCsv(text: string, file = 'summary'): SummaryRow[] {
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  if (lines[0]?.trim() !== SUMMARY_HEADER) {
    throw new Error(`${file}: the first line must be "${SUMMARY_HEADER}"`);
  }
  const metrics = new Set<string>(METRICS);
  const numeric = ['n', 'mean', 'min', 'p5', 'p25', 'median', 'p75', 'p95', 'max'] as const;
  return lines.slice(1).map((line, i) => {
    const where = `${file}:${i + 2}`;
    const cells = line.split(',');
    if (cells.length !== 4 + numeric.length) {
      throw new Error(`${where}: expected ${4 + numeric.length} columns, got ${cells.length}`);
    }
    const [source = '', experiment = '', x = '', metric = ''] = cells;
    if (!metrics.has(metric)) {
      throw new Error(`${where}: metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}`);
    }
    const values = numeric.map((name, j) => {
      const cell = cells[4 + j] ?? '';
      const v = cell === '' ? NaN : Number(cell);
      if (cell !== '' && !Number.isFinite(v)) {
        throw new Error(`${where}: ${name} must be a number, got ${JSON.stringify(cell)}`);
      }
      return v;
    });
    const [n = 0, mean = NaN, min = NaN, p5 = NaN, p25 = NaN, median = NaN, p75 = NaN, p95 = NaN, max = NaN] = values;
    return { source, experiment, x, metric: metric as MetricName, n, mean, min, p5, p25, median, p75, p95, max };
  });
}

/** Reads a summary CSV file. */
export function readSummaryCsv(file: string): SummaryRow[] {
  return parseSummaryCsv(readFileSync(file, 'utf8'), file);
}
