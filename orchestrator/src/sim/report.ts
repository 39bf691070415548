/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The evaluation report: summaries, box-plot figures and a markdown report that states, for each
 * finding of the paper's section 3, whether our numbers reproduce it. Verdicts follow fixed rules
 * written next to each finding below, computed from the simulated (`sim`) summaries only; other
 * sources (live measurements in the same CSV format) appear beside them in tables and figures.
 */

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { renderSvg, svgToPng } from './charts';
import type { BoxFigure } from './charts';
import { DELAY_METRICS, METRICS, OVERHEAD_METRICS, compareX, fmt, sortSummaries, summarizeSamples, summaryCsv } from './samples';
import type { MetricName, SampleRow, SummaryRow } from './samples';

/** What the report needs to know about a sweep. */
export interface SweepMeta {
  readonly name: string;
  readonly title: string;
  readonly parameter: string;
  readonly paperFigures: string;
  readonly values: readonly string[];
  readonly seeds: readonly number[];
  readonly durationSec: number;
}

/** How the data were produced, printed at the top of the report. */
export interface ReportContext {
  /** The command that produced the data. */
  readonly command: string;
  /** Key facts of the base scenario, one line each. */
  readonly setup: readonly string[];
  readonly baseSeeds: readonly number[];
  readonly baseDurationSec: number;
}

/** A verdict on one of the paper's findings. */
export interface Finding {
  readonly id: string;
  readonly claim: string;
  readonly verdict: 'reproduced' | 'partly reproduced' | 'not reproduced' | 'not evaluated';
  readonly evidence: string;
  readonly rule: string;
}

const SIM = 'sim';

function median(rows: readonly SummaryRow[], experiment: string, x: string, metric: MetricName, source = SIM): number {
  return rows.find((r) => r.source === source && r.experiment === experiment && r.x === x && r.metric === metric)?.median ?? NaN;
}

function stat(rows: readonly SummaryRow[], experiment: string, x: string, metric: MetricName, field: 'mean' | 'median'): number {
  return rows.find((r) => r.source === SIM && r.experiment === experiment && r.x === x && r.metric === metric)?.[field] ?? NaN;
}

function xsOf(rows: readonly SummaryRow[], experiment: string): string[] {
  return [...new Set(rows.filter((r) => r.source === SIM && r.experiment === experiment).map((r) => r.x))].sort(compareX);
}

/** Relative range of a metric's median over a sweep: (max - min) / min. */
export function relativeRange(rows: readonly SummaryRow[], experiment: string, metric: MetricName): number {
  const medians = xsOf(rows, experiment)
    .map((x) => median(rows, experiment, x, metric))
    .filter(Number.isFinite);
  if (medians.length < 2) {
    return NaN;
  }
  const lo = Math.min(...medians);
  const hi = Math.max(...medians);
  return lo > 0 ? (hi - lo) / lo : NaN;
}

const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : 'n/a');
const ms = (x: number): string => (Number.isFinite(x) ? `${(1000 * x).toFixed(0)} ms` : 'n/a');

function series(rows: readonly SummaryRow[], experiment: string, metric: MetricName): string {
  return xsOf(rows, experiment)
    .map((x) => `${x}: ${ms(median(rows, experiment, x, metric))}`)
    .join(', ');
}

function missing(id: string, claim: string, rule: string, sweeps: readonly string[]): Finding {
  return { id, claim, rule, verdict: 'not evaluated', evidence: `needs the sweep(s) ${sweeps.join(', ')}` };
}

function findingF1(rows: readonly SummaryRow[]): Finding {
  const has = (e: string): boolean => xsOf(rows, e).length >= 2;
  const id = 'F1';
  const claim = 'Fig. 4a/4c: the impact of link bandwidth is pronounced when the mean bandwidth is low, and concentrated on update delays.';
  const rule =
    'From the highest to the lowest mean bandwidth, the median update delay grows more than the agreement and propagation medians; and the total median changes more between the two lowest means than between the two highest.';
  const e = 'bandwidth-mean';
  if (!has(e)) {
    return missing(id, claim, rule, [e]);
  } else {
    const xs = xsOf(rows, e);
    const lo = xs[0];
    const hi = xs[xs.length - 1];
    const growth = (m: MetricName): number => median(rows, e, lo, m) - median(rows, e, hi, m);
    const concentrated = growth('update') > growth('agreement') && growth('update') > growth('propagation');
    const lowStep = Math.abs(median(rows, e, xs[0], 'total') - median(rows, e, xs[1], 'total'));
    const highStep = Math.abs(median(rows, e, xs[xs.length - 2], 'total') - median(rows, e, hi, 'total'));
    const pronouncedLow = lowStep > highStep;
    return {
      id,
      claim,
      rule,
      verdict: concentrated && pronouncedLow ? 'reproduced' : concentrated || pronouncedLow ? 'partly reproduced' : 'not reproduced',
      evidence:
        `from ${hi} to ${lo} MB/s the medians grow by: agreement ${ms(growth('agreement'))}, propagation ${ms(growth('propagation'))}, update ${ms(growth('update'))}; ` +
        `total changes by ${ms(lowStep)} between the two lowest means and ${ms(highStep)} between the two highest. Update medians: ${series(rows, e, 'update')}.`,
    };
  }
}

function findingF2(rows: readonly SummaryRow[]): Finding {
  const has = (e: string): boolean => xsOf(rows, e).length >= 2;
  const id = 'F2';
  const claim =
    'Fig. 4a/4c: high variation of link bandwidth at a low mean makes dissemination uneven (a "split" network), which shows in update delays; at a higher mean bandwidth the effect is not observed.';
  const rule =
    'Relative range R of the median over the spread sweep: at the low mean, R(update) >= 20 % and update is the most affected phase; at the high mean, R(update) < 20 %. Partly: R(update) is only larger at the low mean than at the high one.';
  const low = 'bandwidth-spread-low';
  const high = 'bandwidth-spread-high';
  if (!has(low) || !has(high)) {
    return missing(id, claim, rule, [low, high]);
  } else {
    const rl = (m: MetricName): number => relativeRange(rows, low, m);
    const rh = relativeRange(rows, high, 'update');
    const most = rl('update') >= rl('agreement') && rl('update') >= rl('propagation');
    const full = rl('update') >= 0.2 && most && rh < 0.2;
    const partly = rl('update') > rh;
    const xs = xsOf(rows, low);
    const first = median(rows, low, xs[0], 'update');
    const last = median(rows, low, xs[xs.length - 1], 'update');
    const direction = last > first ? 'rise' : 'fall';
    return {
      id,
      claim,
      rule,
      verdict: full ? 'reproduced' : partly ? 'partly reproduced' : 'not reproduced',
      evidence:
        `low mean: R(agreement) ${pct(rl('agreement'))}, R(propagation) ${pct(rl('propagation'))}, R(update) ${pct(rl('update'))}; update medians ${direction} as the spread grows (${series(rows, low, 'update')}); ` +
        `high mean: R(update) ${pct(rh)} (${series(rows, high, 'update')}).`,
    };
  }
}

function findingF3(rows: readonly SummaryRow[]): Finding {
  const has = (e: string): boolean => xsOf(rows, e).length >= 2;
  const id = 'F3';
  const claim = 'Fig. 4b: the configuration block size has a pronounced effect on agreement and propagation delays but little impact on update delays.';
  const rule = 'Over the CB-size sweep, R(agreement) >= 50 % and R(propagation) >= 50 % while R(update) < 25 %. Partly: both exceed R(update).';
  const e = 'cb-size';
  if (!has(e)) {
    return missing(id, claim, rule, [e]);
  } else {
    const r = (m: MetricName): number => relativeRange(rows, e, m);
    const full = r('agreement') >= 0.5 && r('propagation') >= 0.5 && r('update') < 0.25;
    const partly = r('agreement') > r('update') && r('propagation') > r('update');
    return {
      id,
      claim,
      rule,
      verdict: full ? 'reproduced' : partly ? 'partly reproduced' : 'not reproduced',
      evidence: `R(agreement) ${pct(r('agreement'))} (${series(rows, e, 'agreement')}); R(propagation) ${pct(r('propagation'))} (${series(rows, e, 'propagation')}); R(update) ${pct(r('update'))}.`,
    };
  }
}

function findingF4(rows: readonly SummaryRow[]): Finding {
  const has = (e: string): boolean => xsOf(rows, e).length >= 2;
  const id = 'F4';
  const claim = 'Fig. 4d: the number of management nodes has little effect on the reconfiguration delay.';
  const rule = 'Over the management-nodes sweep, R(total) < 25 %. Partly: R(total) < 50 %.';
  const e = 'management-nodes';
  if (!has(e)) {
    return missing(id, claim, rule, [e]);
  } else {
    const r = (m: MetricName): number => relativeRange(rows, e, m);
    return {
      id,
      claim,
      rule,
      verdict: r('total') < 0.25 ? 'reproduced' : r('total') < 0.5 ? 'partly reproduced' : 'not reproduced',
      evidence:
        `R(total) ${pct(r('total'))} (${series(rows, e, 'total')}); by phase: R(agreement) ${pct(r('agreement'))}, R(propagation) ${pct(r('propagation'))}, R(update) ${pct(r('update'))}.`,
    };
  }
}

function findingF5(rows: readonly SummaryRow[]): Finding {
  const id = 'F5';
  const claim =
    'Fig. 5: reconfiguration overheads are less sensitive to the parameters than management delays; the median switch-block time is close to the median normal-block time, and the difference in the mean comes from outliers.';
  const rule =
    'Over every simulated point: (a) |median switch / median normal - 1| <= 10 % at >= 75 % of points; (b) the mean gap (switch - normal) exceeds the median gap at >= 75 % of points; ' +
    '(c) in each sweep the range of the relative overhead (median switch / median normal - 1) is smaller than R(total). Reproduced: all three (c in every sweep); partly: at least one.';
  const experiments = [...new Set(rows.filter((r) => r.source === SIM).map((r) => r.experiment))];
  const points: { e: string; x: string; rel: number; meanGap: number; medianGap: number }[] = [];
  for (const e of experiments) {
    for (const x of xsOf(rows, e)) {
      const mn = stat(rows, e, x, 'normal', 'median');
      const msw = stat(rows, e, x, 'switch', 'median');
      const an = stat(rows, e, x, 'normal', 'mean');
      const asw = stat(rows, e, x, 'switch', 'mean');
      if ([mn, msw, an, asw].every(Number.isFinite)) {
        points.push({ e, x, rel: msw / mn - 1, meanGap: asw - an, medianGap: msw - mn });
      }
    }
  }
  if (points.length === 0) {
    return missing(id, claim, rule, ['any']);
  } else {
    const closeShare = points.filter((p) => Math.abs(p.rel) <= 0.1).length / points.length;
    const outlierShare = points.filter((p) => p.meanGap > p.medianGap).length / points.length;
    const sweeps = experiments.filter((e) => xsOf(rows, e).length >= 2);
    const lessSensitive = sweeps.map((e) => {
      const rels = points.filter((p) => p.e === e).map((p) => p.rel);
      const range = Math.max(...rels) - Math.min(...rels);
      return { e, range, total: relativeRange(rows, e, 'total') };
    });
    const a = closeShare >= 0.75;
    const b = outlierShare >= 0.75;
    const c = lessSensitive.length > 0 && lessSensitive.every((s) => s.range < s.total);
    const maxRel = Math.max(...points.map((p) => Math.abs(p.rel)));
    return {
      id,
      claim,
      rule,
      verdict: a && b && c ? 'reproduced' : a || b || c ? 'partly reproduced' : 'not reproduced',
      evidence:
        `(a) medians within 10 % at ${pct(closeShare)} of ${points.length} points (largest gap ${pct(maxRel)}); (b) mean gap > median gap at ${pct(outlierShare)}; ` +
        `(c) overhead range vs R(total) per sweep: ${lessSensitive.map((s) => `${s.e} ${pct(s.range)} vs ${pct(s.total)}`).join('; ')}.`,
    };
  }
}

/** The verdicts, one per finding of the paper's section 3. */
export function findings(rows: readonly SummaryRow[]): Finding[] {
  return [findingF1(rows), findingF2(rows), findingF3(rows), findingF4(rows), findingF5(rows)];
}

const METRIC_LABEL: Record<MetricName, string> = {
  agreement: 'agreement delay',
  propagation: 'propagation delay',
  update: 'update delay',
  total: 'total management delay',
  normal: 'inter-block time, normal blocks',
  switch: 'inter-block time, switch blocks',
};

function baseTable(rows: readonly SummaryRow[]): string {
  const sources = [...new Set(rows.filter((r) => r.experiment === 'base').map((r) => r.source))].sort((a, b) => (a === SIM ? -1 : b === SIM ? 1 : a < b ? -1 : 1));
  const head = `| metric | ${sources.map((s) => `${s}: n | median | mean | p5-p95`).join(' | ')} |`;
  const sep = `| --- | ${sources.map(() => '---: | ---: | ---: | ---:').join(' | ')} |`;
  const lines = [head, sep];
  for (const metric of METRICS) {
    const cells = sources.map((s) => {
      const r = rows.find((x) => x.source === s && x.experiment === 'base' && x.metric === metric);
      return r === undefined ? '- | - | - | -' : `${r.n} | ${ms(r.median)} | ${ms(r.mean)} | ${ms(r.p5)}-${ms(r.p95)}`;
    });
    lines.push(`| ${METRIC_LABEL[metric]} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

function sweepTable(rows: readonly SummaryRow[], sweep: SweepMeta): string {
  const xs = [...new Set(rows.filter((r) => r.experiment === sweep.name && r.source === SIM).map((r) => r.x))].sort(compareX);
  const lines = [`| median (${SIM}) | ${xs.join(' | ')} |`, `| --- | ${xs.map(() => '---:').join(' | ')} |`];
  for (const metric of METRICS) {
    lines.push(`| ${METRIC_LABEL[metric]} | ${xs.map((x) => ms(median(rows, sweep.name, x, metric))).join(' | ')} |`);
  }
  return lines.join('\n');
}

/** The two figures of a sweep (or of the base case): management delays and inter-block times. */
export function figuresOf(rows: readonly SummaryRow[], experiment: string, title: string, xTitle: string): { name: string; fig: BoxFigure }[] {
  const of = (metrics: readonly MetricName[]): SummaryRow[] => rows.filter((r) => r.experiment === experiment && metrics.includes(r.metric));
  const sources = [...new Set(rows.filter((r) => r.experiment === experiment).map((r) => r.source))];
  const order = ['agreement', 'propagation', 'update', 'normal', 'switch', SIM, ...sources.filter((s) => s !== SIM).sort()];
  return [
    {
      name: `delays-${experiment}`,
      fig: { title: `Management delays: ${title}`, rows: of(DELAY_METRICS), facet: 'metric', series: 'source', xTitle, yTitle: 'seconds (fastest 2f+1 nodes)', order },
    },
    {
      name: `overhead-${experiment}`,
      fig: {
        title: `Normal vs switch blocks: ${title}`,
        rows: of(OVERHEAD_METRICS),
        facet: 'source',
        series: 'metric',
        xTitle,
        yTitle: 'seconds between blocks',
        order,
      },
    },
  ];
}

/** Renders figures to `<dir>/<name>.svg` and `.png`. */
export async function writeFigures(dir: string, figures: readonly { name: string; fig: BoxFigure }[]): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const written: string[] = [];
  for (const { name, fig } of figures) {
    if (fig.rows.length === 0) {
      continue;
    }
    const svg = await renderSvg(fig);
    writeFileSync(join(dir, `${name}.svg`), svg);
    writeFileSync(join(dir, `${name}.png`), svgToPng(svg));
    written.push(name);
  }
  return written;
}

/** The markdown report. `figures` are names under `figures/` that exist. */
export function reportMarkdown(rows: readonly SummaryRow[], sweeps: readonly SweepMeta[], context: ReportContext, figures: readonly string[]): string {
  const verdicts = findings(rows);
  const sources = [...new Set(rows.map((r) => r.source))].sort();
  const fig = (name: string, alt: string): string => (figures.includes(name) ? `![${alt}](figures/${name}.png)\n\n[SVG](figures/${name}.svg)\n` : '');
  const out: string[] = [];
  out.push('# Evaluation of the management mechanism (paper section 3)');
  out.push('');
  out.push(`Generated by \`${context.command}\`. Sources: ${sources.join(', ')}. ` + 'All times in the tables are medians or means over configuration blocks (delays) or over consecutive block pairs (inter-block times).');
  out.push('');
  out.push('Delays are measured on the fastest 2f+1 primary nodes (the quorum-th node, `quorum(n) = floor(2n/3) + 1`): agreement = first commit of the CB by a management node minus the opening of its round; propagation = the quorum-th primary node holding the verified CB minus that commit; update = the quorum-th primary node running under it minus the quorum-th one holding it. The three add up to the total management delay. Boxes: p25-p75, bar at the median, diamond at the mean, whiskers p5-p95.');
  out.push('');
  out.push('## Set-up');
  out.push('');
  for (const line of context.setup) {
    out.push(`- ${line}`);
  }
  out.push(`- base case: seeds ${context.baseSeeds.join(', ')}, ${context.baseDurationSec} simulated seconds each`);
  for (const s of sweeps) {
    out.push(`- sweep \`${s.name}\` (${s.title}, paper Fig. ${s.paperFigures}): \`${s.parameter}\` in {${s.values.join(', ')}}, seeds ${s.seeds.join(', ')}, ${s.durationSec} simulated seconds per point`);
  }
  out.push('');
  out.push('## Findings of the paper, and whether our numbers reproduce them');
  out.push('');
  out.push('| # | paper | verdict | our numbers |');
  out.push('| --- | --- | --- | --- |');
  for (const f of verdicts) {
    out.push(`| ${f.id} | ${f.claim} | **${f.verdict}** | ${f.evidence} |`);
  }
  out.push('');
  out.push('Rules behind the verdicts (R = relative range of a median over a sweep, (max - min) / min):');
  out.push('');
  for (const f of verdicts) {
    out.push(`- ${f.id}: ${f.rule}`);
  }
  out.push('');
  out.push('## Base case');
  out.push('');
  out.push(baseTable(rows));
  out.push('');
  out.push(fig('delays-base', 'management delays, base case'));
  out.push(fig('overhead-base', 'inter-block times, base case'));
  for (const s of sweeps) {
    out.push(`## Sweep: ${s.title} (paper Fig. ${s.paperFigures})`);
    out.push('');
    out.push(sweepTable(rows, s));
    out.push('');
    out.push(fig(`delays-${s.name}`, `management delays vs ${s.title}`));
    out.push(fig(`overhead-${s.name}`, `inter-block times vs ${s.title}`));
  }
  out.push('## Adding live measurements');
  out.push('');
  out.push('Live numbers go in a CSV with the columns `source,experiment,x,seed,metric,value` (seconds; `source` e.g. `devnet` or `native`, `experiment` `base` or a sweep name, `metric` one of ' + `${METRICS.map((m) => `\`${m}\``).join(', ')}). ` + 'Rebuild this report with both: `mgmt-sim report --summary summary.csv --samples <live.csv> --sweeps sweeps.json --out <dir>` (or `--samples` with the raw simulated samples); each source becomes its own series in the figures and its own columns in the base-case table. Verdicts use the simulated numbers.');
  out.push('');
  return `${out.join('\n')}\n`;
}

/**
 * Writes summary.csv, sweeps.json, the figures and report.md into `dir`; returns the verdicts.
 * `options.summaries` adds already summarised rows (a committed summary.csv) to the samples.
 */
export async function writeReport(
  dir: string,
  samples: readonly SampleRow[],
  sweeps: readonly SweepMeta[],
  context: ReportContext,
  options: { readonly figures?: boolean; readonly summaries?: readonly SummaryRow[] } = {},
): Promise<Finding[]> {
  mkdirSync(dir, { recursive: true });
  const rows = sortSummaries([...(options.summaries ?? []), ...summarizeSamples(samples)]);
  writeFileSync(join(dir, 'summary.csv'), summaryCsv(rows));
  writeFileSync(join(dir, 'sweeps.json'), `${JSON.stringify({ context, sweeps }, null, 2)}\n`);
  let names: string[] = [];
  if (options.figures !== false) {
    const figs = [...figuresOf(rows, 'base', 'base case', 'scenario')];
    for (const s of sweeps) {
      figs.push(...figuresOf(rows, s.name, s.title, s.title));
    }
    names = await writeFigures(join(dir, 'figures'), figs);
  }
  writeFileSync(join(dir, 'report.md'), reportMarkdown(rows, sweeps, context, names));
  return findings(rows);
}

/** One line per verdict, for the console. */
export function verdictLines(verdicts: readonly Finding[]): string[] {
  return verdicts.map((f) => `${f.id} ${f.verdict}: ${f.evidence}`);
}

/** Formats seconds for console output. */
export function seconds(x: number): string {
  return fmt(x, 3);
}
