/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The chart series, computed from the report (and, live, from when the server saw CBs sealed).
 * Pure and DOM-free, so that the numbers behind each chart are unit-tested.
 */
import type { AuditReport } from '../../audit/types';
import type { CbTimingRow, LiveStatus } from '../types';

/** One series over CB heights (null where the value is unknown). */
export interface Series {
  readonly label: string;
  readonly values: readonly (number | null)[];
}

/** A chart: x values, its series, and what it shows in words (its text alternative). */
export interface ChartData {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly x: readonly number[];
  readonly series: readonly Series[];
}

const seconds = (ms: number): number => Math.round(ms) / 1000;

/** The charts of the dashboard, from the audit's rows. */
/**
 * Members in force at each height of the chain as read: genesis's, then from the height after
 * each CB that carries params. (Unverified input: the page marks what its own verification found.)
 */
export function membersInForce(chain: readonly unknown[]): (number | null)[] {
  let count: number | null = null;
  return chain.map((cb) => {
    const current = count;
    const params = cb !== null && typeof cb === 'object' ? (cb as { params?: { members?: unknown } }).params : undefined;
    if (params !== undefined && Array.isArray(params.members)) count = params.members.length;
    // Genesis's params are in force at genesis itself; a later CB's from the next height.
    return current ?? count;
  });
}

export function chartData(report: AuditReport, live: LiveStatus | undefined, timings: readonly CbTimingRow[] = [], chain: readonly unknown[] = []): ChartData[] {
  const blocks = report.blocks;
  const heights = blocks.map((b) => b.height);
  const proposed = blocks.map((b) => Date.parse(b.timestamp));
  const madeAt = new Map(report.primaryConfigBlocks.map((p) => [p.number, Date.parse(p.timestamp)]));
  const update = blocks.map((b, i) => {
    const first = b.appliedIn.map((n) => madeAt.get(n)).find((t) => t !== undefined);
    return first === undefined || b.height === 0 ? null : seconds(first - proposed[i]);
  });
  const agreement = blocks.map((b, i) => {
    const sealed = live?.observed.sealedAt[String(b.height)];
    return sealed === undefined ? null : seconds(Date.parse(sealed) - proposed[i]);
  });
  const gap = (i: number): number | null => (i === 0 ? null : seconds(proposed[i] - proposed[i - 1]));
  const normal = blocks.map((b, i) => (b.cycle === 0 ? gap(i) : null));
  const switched = blocks.map((b, i) => (b.cycle > 0 ? gap(i) : null));
  const delays: Series[] = [{ label: 'proposal → in force on the primary channel (s)', values: update }];
  if (agreement.some((v) => v !== null)) delays.unshift({ label: 'agreement: proposal → seen sealed (s)', values: agreement });
  // The paper's three delays, when the members' traces were given.
  const traced = new Map(timings.map((t) => [t.height, t]));
  const fromTrace = (key: 'agreementMs' | 'propagationMs' | 'updateMs'): (number | null)[] =>
    blocks.map((b) => {
      const v = traced.get(b.height)?.[key];
      return v === undefined ? null : seconds(v);
    });
  for (const [key, label] of [
    ['agreementMs', 'agreement (trace): round open → CB committed (s)'],
    ['propagationMs', 'propagation (trace): CB committed → verified by the quorum-th observer (s)'],
    ['updateMs', 'update (trace): CB committed → in force on primary (s)'],
  ] as const) {
    const values = fromTrace(key);
    if (values.some((v) => v !== null)) delays.push({ label, values });
  }
  return [
    {
      id: 'delays',
      title: 'Delays per CB',
      description:
        'For each CB, seconds from its proposal to the primary config block that put it in force' +
        (delays.length > 1 ? ', and (for CBs sealed while this dashboard ran) to when the dashboard saw it sealed' : '') +
        (timings.length > 0
          ? '; and, from the members\' traces, agreement, propagation (CB committed to verified by a quorum of observers) and update delays.'
          : '. Propagation to the members is not in the evidence: give the members\' trace files (mgmt dashboard --trace) to chart it.'),
      xLabel: 'CB height',
      yLabel: 'seconds',
      x: heights,
      series: delays,
    },
    {
      id: 'inter-block',
      title: 'Inter-block times',
      description: 'Seconds between the proposals of consecutive CBs: normal blocks (sealed in the first cycle of their round) and switch blocks (sealed after the proposer was switched, cycle above 0).',
      xLabel: 'CB height',
      yLabel: 'seconds',
      x: heights,
      series: [
        { label: 'normal blocks (s)', values: normal },
        { label: 'switch blocks (s)', values: switched },
      ],
    },
    ...(chain.length === blocks.length && chain.length > 0
      ? [
          {
            id: 'membership',
            title: 'Members over time',
            description: 'How many members were in force at each CB height: genesis sets them, and a CB that admits or removes a member changes them from the next height (the chain table names who).',
            xLabel: 'CB height',
            yLabel: 'members',
            x: heights,
            series: [{ label: 'members in force', values: membersInForce(chain) }],
          },
        ]
      : []),
    {
      id: 'failed-cycles',
      title: 'Failed cycles over time',
      description: 'For each CB, how many cycles failed before it was sealed (its cycle number), by the time it was proposed.',
      xLabel: 'time the CB was proposed',
      yLabel: 'failed cycles',
      x: proposed.map((ms) => ms / 1000),
      series: [{ label: 'failed cycles before the CB', values: blocks.map((b) => b.cycle) }],
    },
  ];
}
