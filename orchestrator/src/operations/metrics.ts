/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Prometheus metrics of a member's management node and primary side (prom-client), fed by the
 * events the parts already emit (the same hooks as the per-step trace, ../trace/primary.ts) and,
 * for what is a state rather than an event (observer lag), read when scraped.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { NodeEvent } from '../managementNode/events';
import type { MemberPrimary } from '../member/memberPrimary';
import type { ObserverEvents } from '../observer/observer';
import type { PrimaryRuntimeEvents } from '../primary/runtime';

/** Delay buckets, seconds: from one ordering round to several CBIs. */
const DELAY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 10, 20, 30, 60, 120, 300];

/** A stable label for an error: its `code` when it has one. */
function codeOf(err: unknown, fallback: string): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : fallback;
}

/** Options of {@link MgmtMetrics}. */
export interface MgmtMetricsOptions {
  /** Labels every series carries, e.g. `{ member: 'Org1MSP' }`. */
  readonly labels?: Readonly<Record<string, string>>;
  /** prom-client's process metrics (CPU, memory, event loop lag, handles); on by default. */
  readonly processMetrics?: boolean;
  /** Epoch ms; `Date.now` by default. */
  readonly clock?: () => number;
}

/** Heights the primary side reports when scraped. */
export interface PrimaryHeights {
  /** Latest CB height the observer verified, -1 before genesis. */
  readonly verified: number;
  /** Latest CB height in force on `primary`, undefined before the first apply. */
  readonly inForce: number | undefined;
}

/**
 * The metrics of one member: feed it the node's events ({@link onNodeEvent}) and the primary
 * side's ({@link watchPrimary}); serve {@link registry}.
 *
 * @example
 * const metrics = new MgmtMetrics({ labels: { member: 'Org1MSP' } });
 * node.on('event', (e) => metrics.onNodeEvent(e));
 * const unwatch = metrics.watchPrimary(primary);
 * await startOperationsServer({ listen: '127.0.0.1:9443', registry: metrics.registry, ... });
 */
export class MgmtMetrics {
  readonly registry = new Registry();
  private readonly clock: () => number;
  /** When this member first saw each CB sealed, by height (for the sealed-to-in-force delay). */
  private readonly sealedAt = new Map<number, number>();
  private chainHeight = -1;
  private heights: (() => PrimaryHeights) | undefined;

  private readonly cbHeight: Gauge;
  private readonly round: Gauge;
  private readonly cycle: Gauge;
  private readonly peerConnected: Gauge;
  private readonly proposals: Counter<'by'>;
  private readonly votes: Counter<'verdict'>;
  private readonly votesRefused: Counter;
  private readonly tallies: Counter<'outcome'>;
  private readonly cyclesFailed: Counter<'reason'>;
  private readonly errors: Counter<'code'>;
  private readonly agreementDelay: Histogram;
  private readonly updateDelay: Histogram;
  private readonly applyDelay: Histogram;
  private readonly applies: Counter<'outcome'>;
  private readonly applyFailures: Counter;

  constructor(options: Readonly<MgmtMetricsOptions> = {}) {
    this.clock = options.clock ?? Date.now;
    if (options.labels !== undefined) this.registry.setDefaultLabels({ ...options.labels });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    this.cbHeight = new Gauge({ name: 'mgmt_cb_height', help: 'Height of the latest configuration block this node knows sealed (-1 before genesis)', registers });
    this.cbHeight.set(-1);
    this.round = new Gauge({ name: 'mgmt_round', help: 'Round of the CB being agreed (its index since the previous CB)', registers });
    this.cycle = new Gauge({ name: 'mgmt_cycle', help: 'Proposal cycle of the CB being agreed', registers });
    this.peerConnected = new Gauge({ name: 'mgmt_peer_connected', help: "1 when the node's last call to its peer succeeded, else 0", registers });
    this.peerConnected.set(1);
    this.proposals = new Counter({ name: 'mgmt_proposals_total', help: 'Proposals seen, by whom (self: this member)', labelNames: ['by'], registers });
    this.votes = new Counter({ name: 'mgmt_votes_cast_total', help: "This member's votes recorded on the chain, by verdict", labelNames: ['verdict'], registers });
    this.votesRefused = new Counter({ name: 'mgmt_votes_refused_total', help: "This member's votes the management chaincode refused", registers });
    this.tallies = new Counter({ name: 'mgmt_tallies_total', help: "This member's tallies, by outcome", labelNames: ['outcome'], registers });
    this.cyclesFailed = new Counter({ name: 'mgmt_cycles_failed_total', help: 'Proposal cycles that ended without a CB, by reason', labelNames: ['reason'], registers });
    this.errors = new Counter({ name: 'mgmt_errors_total', help: 'Errors by code: refusals of the chaincode (MGMT_*), twin, peer, observer and apply failures', labelNames: ['code'], registers });
    this.agreementDelay = new Histogram({ name: 'mgmt_agreement_delay_seconds', help: 'Round open to CB sealed, as this node saw it', buckets: DELAY_BUCKETS, registers });
    this.updateDelay = new Histogram({ name: 'mgmt_update_delay_seconds', help: 'H_cc switched to the CB configuration in force on primary', buckets: DELAY_BUCKETS, registers });
    this.applyDelay = new Histogram({ name: 'mgmt_apply_delay_seconds', help: 'CB sealed (as this node saw it) to its configuration in force on primary', buckets: DELAY_BUCKETS, registers });
    this.applies = new Counter({ name: 'mgmt_applies_total', help: 'CBs put in force on primary, by outcome (applied, in-force, superseded, skipped)', labelNames: ['outcome'], registers });
    this.applyFailures = new Counter({ name: 'mgmt_apply_failures_total', help: 'Failed attempts to put a CB in force (retried)', registers });
    // States, read when scraped.
    const heights = (): PrimaryHeights | undefined => this.heights?.();
    const chainHeight = (): number => this.chainHeight;
    new Gauge({
      name: 'mgmt_observer_verified_height',
      help: 'Latest CB height the observer verified (-1 before genesis or without an observer)',
      registers,
      collect() {
        this.set(heights()?.verified ?? -1);
      },
    });
    new Gauge({
      name: 'mgmt_observer_lag_blocks',
      help: "CBs sealed that the observer has not verified yet (the node's height minus the observer's; 0 without an observer)",
      registers,
      collect() {
        const h = heights();
        this.set(h === undefined ? 0 : Math.max(0, chainHeight() - h.verified));
      },
    });
    new Gauge({
      name: 'mgmt_cb_in_force_height',
      help: 'Height of the CB whose configuration is in force on primary (-1 before the first)',
      registers,
      collect() {
        this.set(heights()?.inForce ?? -1);
      },
    });
  }

  /** Height of the latest CB this node knows, -1 before genesis. */
  get height(): number {
    return this.chainHeight;
  }

  /** When this node first saw the CB at `height` sealed, epoch ms. */
  sealedAtMs(height: number): number | undefined {
    return this.sealedAt.get(height);
  }

  /** Tells the CB height the node knows (its `status().height`, e.g. at start before any event). */
  noteHeight(height: number): void {
    if (height <= this.chainHeight) return;
    const now = this.clock();
    for (let h = this.chainHeight + 1; h <= height; h++) if (!this.sealedAt.has(h)) this.sealedAt.set(h, now);
    this.chainHeight = height;
    this.cbHeight.set(height);
  }

  /** Counts what a node event says. */
  onNodeEvent(e: NodeEvent): void {
    switch (e.type) {
      case 'started':
        this.noteHeight(e.nextHeight - 1);
        break;
      case 'cycleStarted':
        this.round.set(e.round);
        this.cycle.set(e.cycle);
        break;
      case 'roundOpened':
        this.round.set(e.round);
        break;
      case 'proposed':
        this.proposals.inc({ by: e.proposer === e.mspId ? 'self' : 'other' });
        break;
      case 'voted':
        this.votes.inc({ verdict: e.approve ? 'approve' : 'reject' });
        break;
      case 'committed':
        this.noteHeight(e.block.height);
        if (e.agreementDelayMs !== undefined) this.agreementDelay.observe(e.agreementDelayMs / 1000);
        break;
      case 'cycleFailed':
        this.cyclesFailed.inc({ reason: e.reason });
        break;
      case 'tallied':
        this.tallies.inc({ outcome: e.outcome });
        break;
      case 'refused':
        if (e.action === 'vote') this.votesRefused.inc();
        this.errors.inc({ code: e.code });
        break;
      case 'twinFailed':
        this.errors.inc({ code: e.code ?? 'TWIN_FAILED' });
        break;
      case 'disconnected':
        this.peerConnected.set(0);
        this.errors.inc({ code: 'PEER_UNAVAILABLE' });
        break;
      case 'reconnected':
        this.peerConnected.set(1);
        break;
      case 'voteCast':
      case 'warning':
      case 'stopped':
        break;
    }
  }

  /**
   * Counts the primary side's events (applies, skips, failures, rejected blocks) and reads its
   * heights when scraped, until the returned function is called.
   */
  watchPrimary(primary: Pick<MemberPrimary, 'observer' | 'runtime'>): () => void {
    const { observer, runtime } = primary;
    this.heights = () => ({ verified: observer.latestHeight, inForce: runtime.inForceHeight });
    const listeners = {
      applied: (a: PrimaryRuntimeEvents['applied'][0]): void => {
        this.applies.inc({ outcome: a.result.outcome });
        if (a.inForceAtMs >= a.switchedAtMs && a.switchedAtMs > 0) this.updateDelay.observe((a.inForceAtMs - a.switchedAtMs) / 1000);
        const sealed = this.sealedAt.get(a.height);
        if (sealed !== undefined && a.result.outcome === 'applied') this.applyDelay.observe(Math.max(0, a.inForceAtMs - sealed) / 1000);
        for (const h of this.sealedAt.keys()) if (h < a.height) this.sealedAt.delete(h);
      },
      skipped: (s: PrimaryRuntimeEvents['skipped'][0]): void => {
        this.applies.inc({ outcome: 'skipped' }, s.heights.length);
      },
      applyFailed: (f: PrimaryRuntimeEvents['applyFailed'][0]): void => {
        this.applyFailures.inc();
        this.errors.inc({ code: codeOf(f.error, 'APPLY_FAILED') });
      },
      rejected: (r: ObserverEvents['rejected'][0]): void => {
        this.errors.inc({ code: r.code });
      },
    };
    runtime.on('applied', listeners.applied);
    runtime.on('skipped', listeners.skipped);
    runtime.on('applyFailed', listeners.applyFailed);
    observer.on('rejected', listeners.rejected);
    return () => {
      runtime.off('applied', listeners.applied);
      runtime.off('skipped', listeners.skipped);
      runtime.off('applyFailed', listeners.applyFailed);
      observer.off('rejected', listeners.rejected);
      this.heights = undefined;
    };
  }

  /** Counts an error by its code (e.g. a health probe's), for parts without events. */
  countError(err: unknown, fallback: string): void {
    this.errors.inc({ code: codeOf(err, fallback) });
  }
}
