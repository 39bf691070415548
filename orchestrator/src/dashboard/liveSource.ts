/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The dashboard over a live network, as one member sees it: the round (GetRound) polled every
 * `pollMs` and pushed to the pages as it changes (the open proposal, each vote as it arrives),
 * and the whole evidence collected and audited again whenever a CB is sealed, with the same
 * reading and audit as `mgmt audit`.
 */
import type { Round } from 'mgmt-chaincode/dist/protocol';
import { auditEvidence, buildExport, collectEvidence, renderCsv, serializeExport } from '../audit';
import type { AuditEvidence, AuditOptions, AuditReport, EvidenceSources } from '../audit';
import { startHealthPoller } from './healthPoller';
import type { HealthPoller } from './healthPoller';
import type { HealthTarget } from './healthTargets';
import { chainFactsOf, RoundSightings } from './memberActivity';
import type { ChainFacts } from './memberActivity';
import type { DashboardSource } from './source';
import type { DashboardEvent, DashboardState, LiveStatus, MembersStatus, NodeHealth } from './types';

export interface LiveSourceOptions extends AuditOptions {
  /** What the member reads through; the caller's `close` closes the connections. */
  readonly sources: EvidenceSources;
  /** `<mspId> via <peer>`, for the page. */
  readonly label: string;
  /** Milliseconds between GetRound reads; 1000 by default. */
  readonly pollMs?: number;
  /**
   * Milliseconds after which the evidence is read and audited again even without a new CB (a
   * primary config block putting a CB in force changes no height); 15000 by default.
   */
  readonly auditEveryMs?: number;
  /** Closes the member's connections (called by `close`). */
  readonly closeSources?: () => void;
  /** Progress lines (each new audit). */
  readonly onProgress?: (line: string) => void;
  /** Reads the evidence; `collectEvidence` with head evidence over `sources` by default (tests give their own). */
  readonly collect?: () => Promise<AuditEvidence>;
  /** The members' operations endpoints to poll (`/healthz`), and how often; none by default. */
  readonly health?: {
    readonly targets: readonly HealthTarget[];
    readonly everyMs?: number;
    readonly timeoutMs?: number;
  };
}

const NOT_CONFIGURED: NodeHealth = { state: 'not-configured' };

/** The evidence reader; the first reading reports its progress, the later ones (at each CB) do not. */
function collectorOf(options: LiveSourceOptions, first: boolean): () => Promise<AuditEvidence> {
  return options.collect ?? (() => collectEvidence(options.sources, first ? options.onProgress : undefined, { headEvidence: true }));
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class LiveSource implements DashboardSource {
  readonly mode = 'live';
  private current: DashboardState;
  private evidence: AuditEvidence;
  private status: LiveStatus;
  private readonly listeners = new Set<(event: DashboardEvent) => void>();
  private readonly sealedAt: Record<string, string> = {};
  private readonly proposedAt: Record<string, string> = {};
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private polling: Promise<void> = Promise.resolve();
  private auditedAtMs = Date.now();
  private readonly sightings = new RoundSightings();
  private facts: ChainFacts;
  private membersStatus: MembersStatus;
  private health: HealthPoller | undefined;

  constructor(
    private readonly options: LiveSourceOptions,
    evidence: AuditEvidence,
  ) {
    this.evidence = evidence;
    this.current = this.stateOf(evidence, auditEvidence(evidence, options), 1);
    this.status = { readAt: new Date().toISOString(), round: null, observed: { sealedAt: this.sealedAt, proposedAt: this.proposedAt } };
    this.facts = chainFactsOf(evidence.managementChain);
    this.membersStatus = this.membersOf();
  }

  /** The Members panel: the members in force (and any other polled one), each with health and chain activity. */
  private membersOf(): MembersStatus {
    const polled = this.health?.snapshot();
    const ids = [...(this.facts.members.length > 0 ? this.facts.members : this.current.report.members)];
    for (const target of this.options.health?.targets ?? []) if (!ids.includes(target.mspId)) ids.push(target.mspId);
    return {
      latestCbHeight: this.facts.latestHeight,
      members: ids.map((mspId) => ({ mspId, health: polled?.get(mspId) ?? NOT_CONFIGURED, activity: this.sightings.activityOf(this.facts, mspId) })),
    };
  }

  /** Pushes the Members panel when anything in it changed (a health answer's time counts: the page shows it). */
  private publishMembers(): void {
    const next = this.membersOf();
    if (JSON.stringify(next) === JSON.stringify(this.membersStatus)) return;
    this.membersStatus = next;
    this.emit({ type: 'members', members: next });
  }

  members(): MembersStatus {
    return this.membersStatus;
  }

  private stateOf(evidence: AuditEvidence, report: AuditReport, version: number): DashboardState {
    return { mode: 'live', source: this.options.label, version, auditedAt: new Date().toISOString(), report, chain: evidence.managementChain };
  }

  state(): DashboardState {
    return this.current;
  }

  exportText(): string {
    return serializeExport(buildExport(this.evidence, this.current.report));
  }

  csv(): string {
    return renderCsv(this.current.report);
  }

  live(): LiveStatus {
    return this.status;
  }

  subscribe(listener: (event: DashboardEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(event: DashboardEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** Starts polling; the first read is immediate. */
  start(): void {
    const health = this.options.health;
    if (health !== undefined && health.targets.length > 0) {
      this.health = startHealthPoller({ ...health, onResult: () => { this.publishMembers(); } });
      this.membersStatus = this.membersOf();
    }
    const tick = (): void => {
      this.polling = this.poll().finally(() => {
        if (!this.closed) this.timer = setTimeout(tick, this.options.pollMs ?? 1000);
      });
    };
    tick();
  }

  private async poll(): Promise<void> {
    const readAt = new Date().toISOString();
    let round: Round;
    try {
      round = JSON.parse(Buffer.from(await this.options.sources.evaluate('GetRound')).toString('utf8')) as Round;
    } catch (err) {
      this.publishRound({ readAt, round: this.status.round, error: `GetRound failed: ${messageOf(err)}`, observed: this.status.observed });
      return;
    }
    if (round.proposal !== null) this.proposedAt[round.proposal.hash] ??= readAt;
    this.sightings.note(round);
    const sealedHeight = round.nextHeight - 1;
    if (sealedHeight >= this.evidence.managementChain.length) {
      // Seen now, so the time is an upper bound (within one poll) of when it was sealed.
      for (let h = this.evidence.managementChain.length; h <= sealedHeight; h++) this.sealedAt[String(h)] ??= readAt;
      await this.reaudit();
    } else if (Date.now() - this.auditedAtMs >= (this.options.auditEveryMs ?? 15000)) {
      await this.reaudit();
    }
    this.publishRound({ readAt, round, observed: { sealedAt: this.sealedAt, proposedAt: this.proposedAt } });
    this.publishMembers();
  }

  private async reaudit(): Promise<void> {
    this.auditedAtMs = Date.now();
    try {
      const evidence = await collectorOf(this.options, false)();
      const report = auditEvidence(evidence, this.options);
      const unchanged = JSON.stringify(report) === JSON.stringify(this.current.report);
      this.evidence = evidence;
      this.facts = chainFactsOf(evidence.managementChain);
      if (unchanged) return;
      // A new version only when the audit says something new: the pages fetch the state at each.
      this.current = this.stateOf(evidence, report, this.current.version + 1);
      this.options.onProgress?.(`audited ${evidence.managementChain.length} CBs: ${this.current.report.ok ? 'no fault' : `${this.current.report.faults.length} faults`}`);
      this.emit({ type: 'state', version: this.current.version });
    } catch (err) {
      this.options.onProgress?.(`re-reading the evidence failed (kept the previous audit): ${messageOf(err)}`);
    }
  }

  private publishRound(status: LiveStatus): void {
    const before = JSON.stringify({ ...this.status, readAt: '' });
    this.status = status;
    // Push only what changed: a new proposal, a vote, a phase; the page counts the seconds itself.
    if (JSON.stringify({ ...status, readAt: '' }) !== before) this.emit({ type: 'round', live: status });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await Promise.all([this.polling, this.health?.stop()]);
    this.options.closeSources?.();
  }
}

/**
 * Collects and audits the evidence once, then starts polling the round.
 *
 * @throws {@link AuditError} when the first reading of the evidence fails.
 */
export async function openLiveSource(options: LiveSourceOptions): Promise<DashboardSource> {
  const evidence = await collectorOf(options, true)();
  const source = new LiveSource(options, evidence);
  source.start();
  return source;
}
