/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The consortium's live view: the four nodes each report what they see; this aggregates their
 * events into one line per thing that happened (the first node to see it wins) and one row per
 * configuration block, with the agreement delay as the earliest node saw it.
 */
import { createHash } from 'node:crypto';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import type { NodeEvent } from '../managementNode/events';
import { seconds, summarise } from './stats';
import type { SampleSummary } from './stats';

/** One sealed configuration block, as the summary table shows it. */
export interface CbRow {
  readonly height: number;
  readonly hash: string;
  readonly proposer: string;
  /** FC: failed cycles before it. */
  readonly cycle: number;
  readonly approvals: number;
  readonly config: Readonly<Record<string, unknown>>;
  /** The configuration as the table shows it: a channel model as its change from the previous block. */
  readonly change: string;
  /** Round open -> committed, earliest node; undefined when no node saw it live. */
  agreementDelayMs: number | undefined;
  /** When the first node saw it committed (local ms). */
  readonly committedAtMs: number;
  /** When its round opened (local ms), if known. */
  readonly roundOpensAtMs: number | undefined;
}

const time = (ms: number): string => new Date(ms).toISOString().slice(11, 23);

function leaves(value: unknown, prefix: string, out: Map<string, string>): Map<string, string> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [key, child] of Object.entries(value)) leaves(child, prefix === '' ? key : `${prefix}.${key}`, out);
  } else {
    out.set(prefix, typeof value === 'string' ? value : JSON.stringify(value));
  }
  return out;
}

/**
 * A configuration as the live view shows it: a channel model (`"version": 2`, a few kilobytes of
 * desired state) as what it changes from the previous one, e.g.
 * `application.acls.peer/Propose: (none) -> /Channel/Application/Admins`; anything else as JSON.
 */
/**
 * A configuration for a terminal line: certificates (a consenter's TLS certificates, an
 * organisation's CAs) as the start of their SHA-256, which is what a reader compares.
 */
export function abbreviatePems(value: unknown): unknown {
  if (typeof value === 'string') return value.startsWith('-----BEGIN') ? `cert:${createHash('sha256').update(value.replace(/\r\n/g, '\n').trim()).digest('hex').slice(0, 12)}` : value;
  if (Array.isArray(value)) return value.map(abbreviatePems);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, abbreviatePems(v)]));
  return value;
}

export function describeConfig(config: Readonly<Record<string, unknown>>, previous: Readonly<Record<string, unknown>> | undefined): string {
  if (config.version !== 2 || previous === undefined) return JSON.stringify(abbreviatePems(config));
  const before = leaves(abbreviatePems(previous), '', new Map());
  const after = leaves(abbreviatePems(config), '', new Map());
  const changes = [...new Set([...before.keys(), ...after.keys()])]
    .sort()
    .filter((key) => before.get(key) !== after.get(key))
    .map((key) => `${key}: ${before.get(key) ?? '(none)'} -> ${after.get(key) ?? '(none)'}`);
  return changes.length === 0 ? 'no change' : changes.join('; ');
}
const short = (hash: string): string => `${hash.slice(0, 12)}…`;

/** Aggregates node events of all members into display lines and CB rows. */
export class RoundTracker {
  private readonly seen = new Set<string>();
  private readonly byHeight = new Map<number, CbRow>();
  /** Members in force: a CB carrying params changes it from the next height on. */
  private n: number;
  private readonly verbose: boolean;
  /** Each sealed block's configuration by height, for showing the next as a change. */
  private readonly configs = new Map<number, Readonly<Record<string, unknown>>>();

  /**
   * @param members number of members (for "approvals 3/4").
   * @param verbose also show each node's own vote reasons and its connection changes.
   */
  constructor(members: number, verbose = false) {
    this.n = members;
    this.verbose = verbose;
  }

  /** The genesis block, sealed before the nodes run: later configurations are shown against it. */
  setGenesis(block: ConfigBlock): void {
    this.configs.set(block.height, block.config);
  }

  /** Lines to print for one event (often none: another node reported it first). */
  onEvent(e: NodeEvent): string[] {
    const first = (key: string): boolean => {
      if (this.seen.has(key)) return false;
      this.seen.add(key);
      return true;
    };
    switch (e.type) {
      case 'roundOpened':
        return first(`round:${e.height}:${e.round}`) ? [`▶ ${time(e.opensAtMs)} round ${e.round} for CB #${e.height} open`] : [];
      case 'cycleStarted':
        return first(`cycle:${e.height}:${e.cycle}`) ? [`  cycle ${e.cycle}: proposer ${e.proposer}`] : [];
      case 'proposed':
        return first(`proposal:${e.proposalId}`) ? [`  ${e.proposer} proposed ${describeConfig(e.config, this.configs.get(e.height - 1))} (${short(e.proposalId)})`] : [];
      case 'voteCast':
        return first(`vote:${e.proposalId}:${e.voter}`) ? [`    ${e.approve ? '✔' : '✖'} ${e.voter}`] : [];
      case 'voted':
        return this.verbose ? [`    ${e.mspId} voted ${e.approve ? 'approve' : 'reject'}: ${e.reason}`] : [];
      case 'committed':
        return this.onCommitted(e.block, e.atMs, e.agreementDelayMs, e.roundOpensAtMs);
      case 'cycleFailed': {
        if (e.source === 'local') {
          // One node's clock ran out: the chain may still seal this cycle (a Tally already in flight),
          // so this is a local view, and the chain's verdict gets its own line.
          if (this.sealedCycle(e.height, e.cycle) || !first(`local-timeout:${e.height}:${e.cycle}`)) return [];
          return [`  ⌛ cycle ${e.cycle} of CB #${e.height} timed out locally (${e.mspId}: ${e.reason}); waiting for the chain's verdict`];
        }
        if (!first(`failed:${e.height}:${e.cycle}`)) return [];
        const counts = e.approvals === undefined ? '' : ` (${e.approvals} approvals, ${e.rejections ?? 0} rejections)`;
        return [`  ✖ cycle ${e.cycle} of CB #${e.height} failed on the chain: ${e.reason}${counts}`];
      }
      default:
        return this.nodeLines(e);
    }
  }

  /** What concerns one node only (refusals, its twin, its connection): every node's own line. */
  private nodeLines(e: NodeEvent): string[] {
    switch (e.type) {
      case 'refused':
        return [`  ✖ ${e.mspId} ${e.action} refused: ${e.message}`];
      case 'twinFailed':
        return [`  ! ${e.mspId}'s twin could not ${e.action}: ${e.message}`];
      case 'disconnected':
        return this.verbose || e.attempt === 1 ? [`  ! ${e.mspId}: ${e.message}; retrying in ${e.retryInMs} ms`] : [];
      case 'reconnected':
        return [`  ${e.mspId}: connected again after ${seconds(e.downMs)}`];
      case 'warning':
        return [`  ! ${e.mspId}: ${e.message}`];
      default:
        return this.verbose ? [`  ${e.mspId}: ${e.type}`] : [];
    }
  }

  /** Whether the chain sealed CB `height` in `cycle` (or later), as far as this tracker has seen. */
  private sealedCycle(height: number, cycle: number): boolean {
    const row = this.byHeight.get(height);
    return row !== undefined && row.cycle >= cycle;
  }

  /** Sealed blocks after genesis, by height. */
  rows(): CbRow[] {
    return [...this.byHeight.values()].filter((r) => r.height > 0).sort((a, b) => a.height - b.height);
  }

  /** Agreement delays (ms) of the rows that have one. */
  agreementDelays(): number[] {
    return this.rows().flatMap((r) => (r.agreementDelayMs === undefined ? [] : [r.agreementDelayMs]));
  }

  private onCommitted(block: ConfigBlock, atMs: number, delayMs: number | undefined, opensAtMs: number | undefined): string[] {
    const row = this.byHeight.get(block.height);
    if (row !== undefined) {
      // Another node saw it too: keep the earliest observation.
      if (delayMs !== undefined && (row.agreementDelayMs === undefined || delayMs < row.agreementDelayMs)) row.agreementDelayMs = delayMs;
      return [];
    }
    this.configs.set(block.height, block.config);
    this.byHeight.set(block.height, {
      height: block.height,
      hash: block.hash,
      proposer: block.proposer,
      cycle: block.cycle,
      approvals: block.proof.length,
      config: block.config,
      change: describeConfig(block.config, this.configs.get(block.height - 1)),
      agreementDelayMs: delayMs,
      committedAtMs: atMs,
      roundOpensAtMs: opensAtMs,
    });
    const delay = delayMs === undefined ? '' : `, agreement ${seconds(delayMs)}`;
    const line = `✔ CB #${block.height} sealed: proposer ${block.proposer}, cycle ${block.cycle}, approvals ${block.proof.length}/${this.n}${delay}, hash ${short(block.hash)}`;
    if (block.params !== undefined) this.n = block.params.members.length;
    return [line];
  }
}

/**
 * The summary table: one line per CB and the agreement delay's p50/p95. A propagation column is
 * left for the observer (committed -> verified at each observer), filled in when provided.
 */
export function summaryTable(rows: readonly CbRow[], propagationMs?: ReadonlyMap<number, number>): string[] {
  const header = ['height', 'proposer', 'cycle', 'approvals', 'agreement', 'propagation', 'config'];
  const body = rows.map((r) => [
    String(r.height),
    r.proposer,
    String(r.cycle),
    String(r.approvals),
    seconds(r.agreementDelayMs),
    seconds(propagationMs?.get(r.height)),
    r.change,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cells: readonly string[]): string => cells.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const out = [line(header), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)];
  const stats: SampleSummary | undefined = summarise(rows.flatMap((r) => (r.agreementDelayMs === undefined ? [] : [r.agreementDelayMs])));
  out.push('');
  out.push(stats === undefined ? 'agreement delay: no samples' : `agreement delay (round open -> CB committed) over ${stats.count} CBs: p50 ${seconds(stats.p50)}, p95 ${seconds(stats.p95)}, max ${seconds(stats.max)}`);
  return out;
}
