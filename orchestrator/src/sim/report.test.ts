/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from '@jest/globals';

import { boxFigureSpec, renderSvg, svgToPng } from './charts';
import { figuresOf, findings, relativeRange, reportMarkdown, writeReport } from './report';
import type { ReportContext, SweepMeta } from './report';
import { parseSamplesCsv, parseSummaryCsv, samplesCsv, summarizeSamples, summaryCsv } from './samples';
import type { MetricName, SampleRow, SummaryRow } from './samples';

/** A summary row whose every statistic is `median`, except the mean. */
function row(experiment: string, x: string, metric: MetricName, median: number, mean = median, source = 'sim'): SummaryRow {
  return { source, experiment, x, metric, n: 10, mean, min: median, p5: median, p25: median, median, p75: median, p95: median, max: median };
}

/** Rows of a sweep from per-metric median series. */
function sweep(experiment: string, xs: string[], medians: Partial<Record<MetricName, number[]>>): SummaryRow[] {
  const out: SummaryRow[] = [];
  xs.forEach((x, i) => {
    for (const [metric, values] of Object.entries(medians) as [MetricName, number[]][]) {
      out.push(row(experiment, x, metric, values[i]));
    }
  });
  return out;
}

const verdictOf = (rows: SummaryRow[], id: string): string => findings(rows).find((f) => f.id === id)?.verdict ?? 'missing';

describe('findings', () => {
  const bw = ['2.5', '5', '10', '20'];
  it.each([
    [
      'F1: update grows most, steepest at low bandwidth: reproduced',
      sweep('bandwidth-mean', bw, { agreement: [0.3, 0.2, 0.17, 0.16], propagation: [0.12, 0.08, 0.06, 0.05], update: [0.6, 0.35, 0.25, 0.2], total: [1.0, 0.63, 0.48, 0.41] }),
      'F1',
      'reproduced',
    ],
    [
      'F1: agreement grows most, linear: not reproduced',
      sweep('bandwidth-mean', bw, { agreement: [0.9, 0.7, 0.5, 0.3], propagation: [0.1, 0.1, 0.1, 0.1], update: [0.2, 0.2, 0.2, 0.2], total: [1.2, 1.0, 0.8, 0.6] }),
      'F1',
      'not reproduced',
    ],
    [
      'F3: CB size moves agreement and propagation only: reproduced',
      sweep('cb-size', ['0.1', '1', '2'], { agreement: [0.15, 0.25, 0.35], propagation: [0.04, 0.12, 0.22], update: [0.24, 0.25, 0.24] }),
      'F3',
      'reproduced',
    ],
    [
      'F3: update moves as much: not reproduced',
      sweep('cb-size', ['0.1', '1', '2'], { agreement: [0.15, 0.16, 0.17], propagation: [0.04, 0.045, 0.05], update: [0.2, 0.4, 0.6] }),
      'F3',
      'not reproduced',
    ],
    ['F4: flat total: reproduced', sweep('management-nodes', ['4', '16', '32'], { total: [0.47, 0.49, 0.5] }), 'F4', 'reproduced'],
    ['F4: total doubles: not reproduced', sweep('management-nodes', ['4', '16', '32'], { total: [0.4, 0.6, 0.9] }), 'F4', 'not reproduced'],
    [
      'F2: spread matters at the low mean only: reproduced',
      [
        ...sweep('bandwidth-spread-low', ['0.5', '2'], { agreement: [0.25, 0.26], propagation: [0.12, 0.12], update: [0.4, 0.6] }),
        ...sweep('bandwidth-spread-high', ['0.5', '2'], { update: [0.24, 0.25] }),
      ],
      'F2',
      'reproduced',
    ],
    ['F2: without the sweeps: not evaluated', [], 'F2', 'not evaluated'],
  ])('%s', (_name, rows, id, verdict) => {
    expect(verdictOf(rows, id)).toBe(verdict);
  });

  it('F5: medians close, means apart, overhead flat: reproduced', () => {
    const rows: SummaryRow[] = [];
    for (const x of ['1', '2', '3']) {
      rows.push(row('cb-size', x, 'normal', 0.47, 0.48), row('cb-size', x, 'switch', 0.48, 0.55), row('cb-size', x, 'total', 0.3 * Number(x)));
    }
    expect(verdictOf(rows, 'F5')).toBe('reproduced');
    // Switch blocks twice as slow at the median: no longer close.
    const slow = rows.map((r) => (r.metric === 'switch' ? row(r.experiment, r.x, 'switch', 0.95, 0.96) : r));
    expect(verdictOf(slow, 'F5')).not.toBe('reproduced');
  });

  it('measures a relative range over the medians of a sweep', () => {
    expect(relativeRange(sweep('e', ['1', '2', '3'], { update: [0.2, 0.5, 0.3] }), 'e', 'update')).toBeCloseTo(1.5, 12);
    expect(relativeRange([], 'e', 'update')).toBeNaN();
  });
});

describe('samples CSV', () => {
  const rows: SampleRow[] = [
    { source: 'sim', experiment: 'base', x: 'base', seed: 1, metric: 'update', value: 0.25 },
    { source: 'sim', experiment: 'base', x: 'base', seed: 1, metric: 'update', value: 0.75 },
    { source: 'devnet', experiment: 'base', x: 'base', seed: 0, metric: 'agreement', value: 1.5 },
    { source: 'sim', experiment: 'cb-size', x: '10', seed: 1, metric: 'normal', value: 0.4 },
    { source: 'sim', experiment: 'cb-size', x: '2', seed: 1, metric: 'normal', value: 0.5 },
  ];

  it('round-trips', () => {
    expect(parseSamplesCsv(samplesCsv(rows))).toEqual(rows);
  });

  it.each([
    ['a wrong header', 'a,b\n', /first line must be/],
    ['a short row', 'source,experiment,x,seed,metric,value\nsim,base,base,1,update\n', /samples:2: expected 6 columns/],
    ['an unknown metric', 'source,experiment,x,seed,metric,value\nsim,base,base,1,latency,1\n', /samples:2: metric must be one of/],
    ['a non-numeric value', 'source,experiment,x,seed,metric,value\nsim,base,base,1,update,fast\n', /samples:2: value must be a number/],
  ])('names the line of %s', (_name, text, message) => {
    expect(() => parseSamplesCsv(text)).toThrow(message);
  });

  it('round-trips summaries, so a committed summary.csv can stand in for its samples', () => {
    const summary = summarizeSamples(rows);
    const parsed = parseSummaryCsv(summaryCsv(summary));
    expect(parsed.map((r) => [r.source, r.experiment, r.x, r.metric, r.n])).toEqual(summary.map((r) => [r.source, r.experiment, r.x, r.metric, r.n]));
    parsed.forEach((r, i) => {
      expect(r.median).toBeCloseTo(summary[i].median, 6);
      expect(r.p95).toBeCloseTo(summary[i].p95, 6);
    });
    expect(() => parseSummaryCsv('source,experiment\n')).toThrow(/first line must be/);
  });

  it('summarises per source, experiment, x and metric, x in numeric order', () => {
    const summary = summarizeSamples(rows);
    expect(summary.map((s) => `${s.source}/${s.experiment}/${s.x}/${s.metric}`)).toEqual(['devnet/base/base/agreement', 'sim/base/base/update', 'sim/cb-size/2/normal', 'sim/cb-size/10/normal']);
    expect(summary[1]).toMatchObject({ n: 2, median: 0.5, mean: 0.5, p25: 0.375 });
  });
});

describe('report', () => {
  const context: ReportContext = { command: 'mgmt-sim sweep', setup: ['32 primary nodes'], baseSeeds: [1], baseDurationSec: 60 };
  const meta: SweepMeta[] = [{ name: 'cb-size', title: 'CB size (MB)', parameter: 'management.cbSizeMB', paperFigures: '4b, 5b', values: ['0.1', '1'], seeds: [1], durationSec: 60 }];
  const samples: SampleRow[] = [];
  for (const source of ['sim', 'devnet']) {
    for (const metric of ['agreement', 'propagation', 'update', 'total', 'normal', 'switch'] as const) {
      for (let i = 0; i < 5; i++) {
        samples.push({ source, experiment: 'base', x: 'base', seed: i, metric, value: 0.1 * (i + 1) + (source === 'devnet' ? 1 : 0) });
        samples.push({ source: 'sim', experiment: 'cb-size', x: i < 3 ? '0.1' : '1', seed: i, metric, value: 0.2 * (i + 1) });
      }
    }
  }

  it('puts live sources next to simulated ones and states every verdict', () => {
    const md = reportMarkdown(summarizeSamples(samples), meta, context, ['delays-base']);
    expect(md).toContain('| metric | sim: n | median | mean | p5-p95 | devnet: n | median | mean | p5-p95 |');
    for (const id of ['F1', 'F2', 'F3', 'F4', 'F5']) {
      expect(md).toMatch(new RegExp(`\\| ${id} \\| .* \\| \\*\\*(reproduced|partly reproduced|not reproduced|not evaluated)\\*\\* \\|`));
    }
    expect(md).toContain('![management delays, base case](figures/delays-base.png)');
    expect(md).not.toContain('figures/overhead-base.png');
  });

  it('draws one box per source and x in the figure spec', () => {
    const [delays] = figuresOf(summarizeSamples(samples), 'base', 'base case', 'scenario');
    const spec = boxFigureSpec(delays.fig) as unknown as { data: { values: { series: string }[] } };
    expect(spec.data.values).toHaveLength(6); // 3 phases x 2 sources
    expect(new Set(spec.data.values.map((v) => v.series))).toEqual(new Set(['sim', 'devnet']));
  });

  it('renders SVG and PNG figures, and writes the report files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-'));
    const verdicts = await writeReport(dir, samples, meta, context);
    expect(verdicts).toHaveLength(5);
    for (const f of ['report.md', 'summary.csv', 'sweeps.json', 'figures/delays-base.svg', 'figures/delays-base.png', 'figures/overhead-cb-size.svg']) {
      expect(existsSync(join(dir, f))).toBe(true);
    }
    const svg = readFileSync(join(dir, 'figures', 'delays-base.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('Management delays: base case');
    expect(readFileSync(join(dir, 'figures', 'delays-base.png')).subarray(1, 4).toString('ascii')).toBe('PNG');
  }, 60_000);

  it('renders the same SVG twice', async () => {
    const [delays] = figuresOf(summarizeSamples(samples), 'base', 'base case', 'scenario');
    const a = await renderSvg(delays.fig);
    expect(await renderSvg(delays.fig)).toBe(a);
    expect(svgToPng(a).length).toBeGreaterThan(1000);
  }, 60_000);
});
