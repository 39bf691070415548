/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt trace`: where the time of each CB goes, from its round's opening to its configuration in
 * force on `primary`, and how that compares with the floor: the ordering rounds the protocol
 * cannot do without (agreement: Propose, the votes, Tally; update: ShareUpdateSignature, the
 * config update) times one ordering round as measured in the same trace.
 *
 * Every milestone is the first time any member recorded it, except the two that need a quorum
 * (votes, verification), which are the quorum-th member's. Members and quorum come from the
 * trace itself: the members that recorded lines or voted in it.
 */
import { quorum } from 'mgmt-chaincode/dist/protocol';
import { percentile } from '../consortium/stats';
import type { ReadTrace } from './read';
import type { TraceLine } from './types';

/** A CB's milestones, in the order they happen. */
export const MILESTONES = [
  { key: 'opened', label: 'round open' },
  { key: 'proposalSubmitted', label: 'first proposal submitted' },
  { key: 'proposalCommitted', label: 'proposal committed' },
  { key: 'votesCommitted', label: 'quorum of votes committed' },
  { key: 'cbCommitted', label: 'Tally committed (CB committed)' },
  { key: 'verified', label: 'verified by the quorum-th observer' },
  { key: 'signatureShared', label: 'first signature shared' },
  { key: 'updateSubmitted', label: 'update submitted' },
  { key: 'inForce', label: 'config block committed on primary' },
] as const;

export type MilestoneKey = (typeof MILESTONES)[number]['key'];

/** From one milestone to the next, with the ordering rounds it needs at least. */
export const STEPS = [
  { key: 'propose', from: 'opened', to: 'proposalSubmitted', rounds: 0 },
  { key: 'proposal', from: 'proposalSubmitted', to: 'proposalCommitted', rounds: 1 },
  { key: 'votes', from: 'proposalCommitted', to: 'votesCommitted', rounds: 1 },
  { key: 'tally', from: 'votesCommitted', to: 'cbCommitted', rounds: 1 },
  { key: 'verify', from: 'cbCommitted', to: 'verified', rounds: 0 },
  { key: 'share', from: 'verified', to: 'signatureShared', rounds: 1 },
  { key: 'collect', from: 'signatureShared', to: 'updateSubmitted', rounds: 0 },
  { key: 'apply', from: 'updateSubmitted', to: 'inForce', rounds: 1 },
] as const satisfies readonly { key: string; from: MilestoneKey; to: MilestoneKey; rounds: number }[];

export type StepKey = (typeof STEPS)[number]['key'];

/** The phases the floor is stated for. */
export const SPANS = [
  { key: 'agreement', from: 'opened', to: 'cbCommitted', rounds: 3, label: 'agreement (round open → CB committed)' },
  { key: 'update', from: 'cbCommitted', to: 'inForce', rounds: 2, label: 'update (CB committed → in force on primary)' },
  { key: 'total', from: 'opened', to: 'inForce', rounds: 5, label: 'total (round open → in force on primary)' },
] as const satisfies readonly { key: string; from: MilestoneKey; to: MilestoneKey; rounds: number; label: string }[];

export type SpanKey = (typeof SPANS)[number]['key'];

/** Order statistics over CBs (or transactions), ms. */
export interface Stat {
  readonly count: number;
  readonly p50: number;
  readonly p95: number;
}

/** One CB as the trace shows it. */
export interface CbTiming {
  readonly height: number;
  readonly cycle: number | undefined;
  readonly proposalId: string | undefined;
  readonly proposer: string | undefined;
  /** Epoch ms of each milestone the trace shows. */
  readonly milestones: Partial<Record<MilestoneKey, number>>;
  /** Each step whose two ends the trace shows, ms. */
  readonly steps: Partial<Record<StepKey, number>>;
  readonly spans: Partial<Record<SpanKey, number>>;
}

/** One ordering round: a transaction from the gateway's submit to its commit status. */
export interface OrderingRound {
  /**
   * `transactions`: the gateway-level steps (`txStarted` → `txCommitted`); `node`: the nodes' own
   * `…Sent` → `…Committed` (a trace without gateway-level steps); `none`: no transaction committed.
   */
  readonly source: 'transactions' | 'node' | 'none';
  readonly stat: Stat | undefined;
  /** p50 of the parts of a transaction (gateway-level steps only): endorsement, to the orderer, ordering and commit. */
  readonly endorseP50?: number;
  readonly submitP50?: number;
  readonly commitP50?: number;
  /** By transaction name (gateway-level steps only): concurrent votes take longer than a lone Propose. */
  readonly byTransaction?: Readonly<Record<string, Stat>>;
}

/** A step or phase over CBs against its floor. */
export interface FloorComparison {
  readonly stat: Stat | undefined;
  /** Ordering rounds it needs at least. */
  readonly rounds: number;
  /** `rounds` × the p50 ordering round. */
  readonly floorMs: number | undefined;
  /** p50 − floor. */
  readonly overheadMs: number | undefined;
}

/** What `mgmt trace` reports (`--json` prints it as is). */
export interface TraceReport {
  readonly lines: number;
  readonly unreadable: number;
  readonly members: readonly string[];
  readonly quorum: number | undefined;
  readonly round: OrderingRound;
  readonly cbs: readonly CbTiming[];
  /** Each milestone's time after the round opened, over CBs. */
  readonly offsets: Partial<Record<MilestoneKey, Stat>>;
  readonly steps: Record<StepKey, FloorComparison>;
  readonly spans: Record<SpanKey, FloorComparison>;
}

// ---- analysis -------------------------------------------------------------------------------

function stat(values: readonly number[]): Stat | undefined {
  if (values.length === 0) return undefined;
  return { count: values.length, p50: percentile(values, 50), p95: percentile(values, 95) };
}

const earliest = (lines: readonly TraceLine[]): number | undefined => (lines.length === 0 ? undefined : Math.min(...lines.map((l) => l.t)));

/** The k-th smallest of the first time each member (the key) did something, k counting from 1. */
function kthFirst(entries: readonly (readonly [string, number])[], k: number | undefined): number | undefined {
  if (k === undefined) return undefined;
  const first = new Map<string, number>();
  for (const [who, t] of entries) first.set(who, Math.min(t, first.get(who) ?? Infinity));
  const sorted = [...first.values()].sort((a, b) => a - b);
  return sorted.length >= k ? sorted[k - 1] : undefined;
}

/** Trace lines by step, and by step and height or proposal. */
class TraceIndex {
  private readonly byHeight = new Map<string, Map<number, TraceLine[]>>();
  private readonly byProposal = new Map<string, Map<string, TraceLine[]>>();

  constructor(lines: readonly TraceLine[]) {
    for (const line of lines) {
      if (line.height !== undefined) push(this.byHeight, line.step, line.height, line);
      if (line.proposalId !== undefined) push(this.byProposal, line.step, line.proposalId, line);
    }
  }

  /** Lines of `step` about `height`. */
  at(step: string, height: number): readonly TraceLine[] {
    return this.byHeight.get(step)?.get(height) ?? [];
  }

  /** Lines of `step` about `proposalId`. */
  about(step: string, proposalId: string | undefined): readonly TraceLine[] {
    return proposalId === undefined ? [] : (this.byProposal.get(step)?.get(proposalId) ?? []);
  }

  /** Heights of the CBs after genesis that some member saw committed. */
  heights(): number[] {
    return [...(this.byHeight.get('committed')?.keys() ?? [])].filter((h) => h > 0).sort((a, b) => a - b);
  }
}

function push<K>(map: Map<string, Map<K, TraceLine[]>>, step: string, key: K, line: TraceLine): void {
  let inner = map.get(step);
  if (inner === undefined) map.set(step, (inner = new Map<K, TraceLine[]>()));
  const list = inner.get(key);
  if (list === undefined) inner.set(key, [line]);
  else list.push(line);
}

/** The milestones of the CB at `height`; `q` is the quorum (undefined: none reached). */
function milestonesOf(index: TraceIndex, height: number, q: number | undefined): Omit<CbTiming, 'steps' | 'spans'> {
  const committed = index.at('committed', height);
  const live = committed.filter((l) => l.detail !== 'late');
  const { cycle, proposalId, by: proposer } = committed[0] ?? {};
  const ofCycle = (l: TraceLine): boolean => cycle === undefined || l.cycle === cycle;
  const scheduled = committed.flatMap((l) => (l.at === undefined ? [] : [l.at]));
  // A block seen only late has no opening of its own: the last round that opened for its height.
  const opened = scheduled.length > 0 ? Math.min(...scheduled) : maxOf(index.at('roundOpened', height).flatMap((l) => (l.at === undefined ? [] : [l.at])));
  const approvals = [
    ...index.about('voteCommitted', proposalId).filter((l) => l.detail === 'approve').map((l) => [l.member, l.t] as const),
    ...index.about('voteCast', proposalId).flatMap((l) => (l.detail === 'approve' && l.by !== undefined ? [[l.by, l.t] as const] : [])),
  ];
  const milestones: Partial<Record<MilestoneKey, number>> = {
    opened,
    proposalSubmitted: earliest(index.at('proposeSent', height).filter(ofCycle)),
    proposalCommitted: earliest([...index.at('proposeCommitted', height).filter(ofCycle), ...index.about('proposed', proposalId)]),
    votesCommitted: kthFirst(approvals, q),
    cbCommitted: earliest([...live, ...index.at('tallyCommitted', height).filter((l) => l.detail === 'sealed')]),
    verified: kthFirst(index.at('verified', height).map((l) => [l.member, l.t] as const), q),
    signatureShared: earliest(index.at('signatureShared', height)),
    updateSubmitted: earliest(index.at('updateSubmitted', height)),
    inForce: earliest(index.at('applied', height).filter((l) => l.detail?.startsWith('superseded') !== true)),
  };
  return { height, cycle, proposalId, proposer, milestones };
}

function maxOf(values: readonly number[]): number | undefined {
  return values.length === 0 ? undefined : Math.max(...values);
}

function between(m: Partial<Record<MilestoneKey, number>>, from: MilestoneKey, to: MilestoneKey): number | undefined {
  const a = m[from];
  const b = m[to];
  return a === undefined || b === undefined ? undefined : b - a;
}

/** Gateway-level transactions when the trace has them, else the nodes' own calls. */
function orderingRound(lines: readonly TraceLine[]): OrderingRound {
  const txs = new Map<string, { name: string; at: Partial<Record<string, number>> }>();
  for (const l of lines) {
    if (l.txId === undefined || !l.step.startsWith('tx')) continue;
    const key = `${l.member} ${l.txId}`;
    const tx = txs.get(key) ?? { name: l.tx ?? '?', at: {} };
    tx.at[l.step] ??= l.t;
    txs.set(key, tx);
  }
  const named = [...txs.values()].filter((tx) => tx.at.txStarted !== undefined && tx.at.txCommitted !== undefined);
  const done = named.map((tx) => tx.at);
  const part = (from: string, to: string): number | undefined =>
    stat(done.flatMap((tx) => (tx[from] === undefined || tx[to] === undefined ? [] : [(tx[to] ?? 0) - (tx[from] ?? 0)])))?.p50;
  const duration = (tx: Partial<Record<string, number>>): number => (tx.txCommitted ?? 0) - (tx.txStarted ?? 0);
  if (done.length > 0) {
    const names = [...new Set(named.map((tx) => tx.name))].sort();
    return {
      source: 'transactions',
      stat: stat(done.map(duration)),
      endorseP50: part('txStarted', 'txEndorsed'),
      submitP50: part('txEndorsed', 'txSubmitted'),
      commitP50: part('txSubmitted', 'txCommitted'),
      byTransaction: Object.fromEntries(names.map((name) => [name, stat(named.filter((tx) => tx.name === name).map((tx) => duration(tx.at))) as Stat])),
    };
  }
  // The node's own calls: a …Sent and the …Committed of the same member and action.
  const sent = new Map<string, number>();
  const rounds: number[] = [];
  for (const l of lines) {
    const match = /^(propose|vote|tally)(Sent|Committed)$/.exec(l.step);
    if (match === null) continue;
    const key = `${l.member} ${match[1]} ${match[1] === 'propose' ? `${l.height}:${l.cycle}` : (l.proposalId ?? '')}`;
    const started = sent.get(key);
    if (match[2] === 'Sent') sent.set(key, l.t);
    else if (started !== undefined) {
      rounds.push(l.t - started);
      sent.delete(key);
    }
  }
  return { source: rounds.length > 0 ? 'node' : 'none', stat: stat(rounds) };
}

function compare(values: readonly number[], rounds: number, round: OrderingRound): FloorComparison {
  const s = stat(values);
  const floorMs = round.stat === undefined ? undefined : rounds * round.stat.p50;
  return { stat: s, rounds, floorMs, overheadMs: s === undefined || floorMs === undefined ? undefined : s.p50 - floorMs };
}

/** The report of a trace. */
export function analyseTrace(trace: ReadTrace): TraceReport {
  const { lines } = trace;
  const members = [...new Set(lines.flatMap((l) => (l.by === undefined ? [l.member] : [l.member, l.by])))].sort();
  const q = members.length > 0 ? quorum(members.length) : undefined;
  const index = new TraceIndex(lines);
  const cbs: CbTiming[] = index.heights().map((height) => {
    const cb = milestonesOf(index, height, q);
    const steps: Partial<Record<StepKey, number>> = {};
    for (const s of STEPS) steps[s.key] = between(cb.milestones, s.from, s.to);
    const spans: Partial<Record<SpanKey, number>> = {};
    for (const s of SPANS) spans[s.key] = between(cb.milestones, s.from, s.to);
    return { ...cb, steps, spans };
  });
  const round = orderingRound(lines);
  const valuesOf = (get: (cb: CbTiming) => number | undefined): number[] => cbs.map(get).filter((v) => v !== undefined);
  const offsets: Partial<Record<MilestoneKey, Stat>> = {};
  for (const { key } of MILESTONES) {
    const s = stat(valuesOf((cb) => between(cb.milestones, 'opened', key)));
    if (s !== undefined) offsets[key] = s;
  }
  const steps = Object.fromEntries(STEPS.map((s) => [s.key, compare(valuesOf((cb) => cb.steps[s.key]), s.rounds, round)])) as Record<StepKey, FloorComparison>;
  const spans = Object.fromEntries(SPANS.map((s) => [s.key, compare(valuesOf((cb) => cb.spans[s.key]), s.rounds, round)])) as Record<SpanKey, FloorComparison>;
  return { lines: lines.length, unreadable: trace.unreadable, members, quorum: q, round, cbs, offsets, steps, spans };
}

// ---- rendering ------------------------------------------------------------------------------

const ms = (value: number | undefined): string => (value === undefined ? '-' : String(Math.round(value)));

/** Right-aligned columns after a left-aligned first one. */
function columns(rows: readonly (readonly string[])[]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join('  ').trimEnd());
}

const STEP_LABELS: Record<StepKey, string> = {
  propose: 'round open → first proposal submitted',
  proposal: 'proposal submitted → committed',
  votes: 'proposal committed → quorum of votes committed',
  tally: 'votes committed → Tally committed (CB committed)',
  verify: 'CB committed → verified by the quorum-th observer',
  share: 'verified → first signature shared',
  collect: 'first signature shared → update submitted',
  apply: 'update submitted → config block committed on primary',
};

/** `agreement p50 540 ms, floor 3 × 150 ms = 450 ms (overhead 90 ms); p95 700 ms` */
function floorLine(name: string, c: FloorComparison, round: OrderingRound): string {
  if (c.stat === undefined) return `${name}: no CB shows it`;
  const floor = c.floorMs === undefined || round.stat === undefined ? 'no ordering round measured' : `floor ${c.rounds} × ${ms(round.stat.p50)} ms = ${ms(c.floorMs)} ms (overhead ${ms(c.overheadMs)} ms)`;
  return `${name} p50 ${ms(c.stat.p50)} ms, ${floor}; p95 ${ms(c.stat.p95)} ms over ${c.stat.count} CBs`;
}

/** The report as text: per CB, p50/p95 over CBs, each step against its floor, then the summary lines. */
export function renderReport(report: TraceReport): string[] {
  const { round } = report;
  const out: string[] = [];
  const heights = report.cbs.map((cb) => cb.height);
  out.push(
    `${report.lines} trace lines${report.unreadable > 0 ? ` (${report.unreadable} unreadable, skipped)` : ''}; ` +
      `${report.members.length} members${report.quorum === undefined ? '' : ` (quorum ${report.quorum})`}; ` +
      `${report.cbs.length} CBs${heights.length > 0 ? ` (heights ${heights[0]}-${heights[heights.length - 1]})` : ''}`,
  );
  const rs = round.stat;
  const parts = round.endorseP50 === undefined ? '' : `; endorsement p50 ${ms(round.endorseP50)} ms, to the orderer ${ms(round.submitP50)} ms, ordering and commit ${ms(round.commitP50)} ms`;
  out.push(
    rs === undefined
      ? 'ordering round: no transaction committed in the trace'
      : `ordering round (a transaction, the gateway's submit → its commit status${round.source === 'node' ? ', as the nodes called it' : ''}): p50 ${ms(rs.p50)} ms, p95 ${ms(rs.p95)} ms over ${rs.count} transactions${parts}`,
  );
  const byTx = Object.entries(round.byTransaction ?? {});
  if (byTx.length > 0) out.push(`  by transaction, p50 (count): ${byTx.map(([name, s]) => `${name} ${ms(s.p50)} ms (${s.count})`).join(', ')}`);
  if (report.cbs.length === 0) {
    out.push('no CB after genesis was committed in the trace');
    return out;
  }
  out.push('', 'per CB, ms after its round opened:');
  const head1 = ['CB', 'cycle', 'proposal', 'proposal', 'votes', 'CB', 'verified', 'signature', 'update', 'in force', '', 'agreement', 'update'];
  const head2 = ['', '', 'submitted', 'committed', 'committed', 'committed', '(quorum)', 'shared', 'submitted', 'on primary', '', '', ''];
  const offset = (cb: CbTiming, key: MilestoneKey): string => ms(between(cb.milestones, 'opened', key));
  const milestoneKeys = MILESTONES.map((m) => m.key).filter((k) => k !== 'opened');
  const rows: string[][] = [head1, head2];
  for (const cb of report.cbs) {
    rows.push([String(cb.height), ms(cb.cycle), ...milestoneKeys.map((k) => offset(cb, k)), '', ms(cb.spans.agreement), ms(cb.spans.update)]);
  }
  for (const p of ['p50', 'p95'] as const) {
    rows.push([p, '', ...milestoneKeys.map((k) => ms(report.offsets[k]?.[p])), '', ms(report.spans.agreement.stat?.[p]), ms(report.spans.update.stat?.[p])]);
  }
  out.push(...columns(rows).map((r) => `  ${r}`));
  out.push('', 'where the time goes, over CBs (ms; floor: the ordering rounds the step needs × the p50 ordering round):');
  const stepRows: string[][] = [['step', 'p50', 'p95', 'floor', 'p50 − floor']];
  for (const s of STEPS) {
    const c = report.steps[s.key];
    stepRows.push([STEP_LABELS[s.key], ms(c.stat?.p50), ms(c.stat?.p95), c.rounds === 0 ? '0' : `${c.rounds} × ${ms(rs?.p50)}`, ms(c.overheadMs)]);
  }
  out.push(...columns(stepRows).map((r) => `  ${r}`));
  out.push('');
  for (const s of SPANS) out.push(floorLine(s.key, report.spans[s.key], round));
  return out;
}
