/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a management node reports (./events), and that it reports each thing once: the round's
 * position (round opened, cycle started, cycle failed as the node saw it), proposals and votes
 * (from GetRound or the chain's events, whichever comes first), sealed blocks with the agreement
 * delay, and the node's own doings. Replayed chain events and repeated looks say nothing new.
 */
import type { ConfigBlock, GenesisParams, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { messageOf, parseIsoMillis, roundOpensAt, scheduleAfter } from 'mgmt-chaincode/dist/protocol';
import type { DecodedEvent } from '../mgmtClient/client';
import { TwinError } from '../twins/errors';
import type { Clock } from './clock';
import type { NodeEvent, NodeTracer, StepFields } from './events';
import { cycleKey } from './plan';

/** `Omit` over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A {@link NodeEvent} before the reporter stamps it with the member and the time. */
export type NodeEventBody = DistributiveOmit<NodeEvent, 'mspId' | 'atMs'>;

/** Options of {@link NodeReporter}. */
export interface NodeReporterOptions {
  /** The member whose node reports. */
  readonly mspId: string;
  readonly clock: Clock;
  /** Hands an event to the node's listeners. */
  readonly emit: (event: NodeEvent) => void;
  /** Where a listener's failure is noted. */
  readonly debug?: (message: string) => void;
  /** Also records every event as a traced step (`--trace`); must not throw. */
  readonly trace?: NodeTracer;
}

/** A sealed block as the node learnt of it. */
export interface CommittedBlock {
  readonly block: ConfigBlock;
  /** The latest block the node knew before it. */
  readonly previous: ConfigBlock | undefined;
  /** The genesis params, when known. */
  readonly params: GenesisParams | undefined;
  /** Caught up after a gap rather than seen as it was sealed. */
  readonly late: boolean;
}

/** Reports a management node's events, each once. */
export class NodeReporter {
  private readonly options: Readonly<NodeReporterOptions>;
  /** What has been reported, with the height it belongs to. */
  private readonly reported = new Map<string, number>();
  private lastCycle: { height: number; round: number; cycle: number } | undefined;

  constructor(options: Readonly<NodeReporterOptions>) {
    this.options = options;
  }

  /** Reports an event now; a listener that throws is noted, never passed on (it must not stop the node). */
  report(event: NodeEventBody): void {
    const full = { ...event, mspId: this.options.mspId, atMs: this.options.clock.now() } as NodeEvent;
    this.options.trace?.(full.type, stepFieldsOf(full));
    try {
      this.options.emit(full);
    } catch (err) {
      this.options.debug?.(`event listener threw: ${messageOf(err)}`);
    }
  }

  /** Reports an event once per key. */
  reportOnce(key: string, height: number, make: () => NodeEventBody): void {
    if (this.reported.has(key)) return;
    this.reported.set(key, height);
    this.report(make());
  }

  /** The twin could not answer. */
  twinFailure(action: 'decide' | 'validate', err: unknown): void {
    this.report({ type: 'twinFailed', action, message: messageOf(err), code: err instanceof TwinError ? err.code : undefined });
  }

  /** A proposal, vote or failed cycle from the chain's events (sealed blocks go through {@link committed}). */
  chainEvent(decoded: Exclude<DecodedEvent, { name: 'ConfigBlockCommitted' | 'UpdateSignatureShared' }>): void {
    switch (decoded.name) {
      case 'ProposalCreated':
        this.proposal(decoded.proposal);
        break;
      case 'VoteCast': {
        const v = decoded.vote;
        this.reportOnce(`vote:${v.proposalId}:${v.mspId}`, v.height, () => ({ type: 'voteCast', height: v.height, cycle: v.cycle, proposalId: v.proposalId, voter: v.mspId, approve: v.approve }));
        break;
      }
      case 'CycleFailed': {
        const f = decoded.failure;
        this.reportOnce(`failed:${f.height}:${f.cycle}`, f.height, () => ({ type: 'cycleFailed', height: f.height, cycle: f.cycle, reason: f.reason, source: 'chain', approvals: f.approvals, rejections: f.rejections }));
        break;
      }
    }
  }

  /**
   * Reports the round's position, proposal and votes as the node first sees them, and a cycle
   * whose window passed without a block.
   *
   * @param latestHeight - the height of the latest block the node knows, -1 before genesis.
   */
  round(round: Round, latestHeight: number): void {
    if (round.proposal !== null) this.proposal(round.proposal);
    for (const v of round.votes) {
      const p = round.proposal;
      if (p === null) break;
      this.reportOnce(`vote:${p.id}:${v.mspId}`, p.header.height, () => ({ type: 'voteCast', height: p.header.height, cycle: p.header.cycle, proposalId: p.id, voter: v.mspId, approve: v.approve }));
    }
    const last = this.lastCycle;
    if (last !== undefined && last.height === round.nextHeight) {
      const moved = round.phase === 'cycle' ? (round.cycle ?? 0) > last.cycle : round.phase === 'waiting' && (round.round ?? 0) > last.round;
      if (moved) this.closeCycle(last.height, last.cycle, round, latestHeight);
    }
    if (round.phase !== 'cycle' || round.cycle === null || round.round === null || round.expectedProposer === null) return;
    const { nextHeight: height, cycle } = round;
    const roundIndex = round.round;
    const startsAtMs = parseIsoMillis(round.cycleStartsAt) ?? 0;
    if (last === undefined || last.height !== height || last.round !== roundIndex) {
      this.reportOnce(`round:${height}:${roundIndex}`, height, () => ({ type: 'roundOpened', height, round: roundIndex, opensAtMs: parseIsoMillis(round.opensAt) ?? startsAtMs }));
    }
    const proposer = round.expectedProposer;
    this.reportOnce(`cycle:${height}:${cycle}`, height, () => ({ type: 'cycleStarted', height, round: roundIndex, cycle, proposer, startsAtMs, endsAtMs: parseIsoMillis(round.cycleEndsAt) ?? startsAtMs }));
    this.lastCycle = { height, round: roundIndex, cycle };
  }

  /**
   * Reports a sealed block once, with when its round opened and the agreement delay as this
   * node saw it, and forgets what was reported about heights older than its predecessor.
   */
  committed({ block, previous, params, late }: CommittedBlock): void {
    let roundOpensAtMs: number | undefined;
    const prevTime = previous !== undefined && previous.height === block.height - 1 ? parseIsoMillis(previous.timestamp) : undefined;
    if (block.height > 0 && prevTime !== undefined && params !== undefined) {
      const schedule = scheduleAfter(prevTime, params);
      roundOpensAtMs = roundOpensAt(schedule, Math.floor(block.cycle / schedule.n));
    }
    const atMs = this.options.clock.now();
    for (const [key, height] of this.reported) if (height < block.height - 1) this.reported.delete(key);
    this.reportOnce(`committed:${block.height}`, block.height, () => ({
      type: 'committed',
      block,
      roundOpensAtMs,
      agreementDelayMs: late || roundOpensAtMs === undefined ? undefined : atMs - roundOpensAtMs,
      late,
    }));
  }

  private proposal(p: Proposal): void {
    this.reported.set(`proposal-of:${cycleKey(p.header.height, p.header.cycle)}`, p.header.height);
    this.reportOnce(`proposal:${p.id}`, p.header.height, () => ({ type: 'proposed', height: p.header.height, cycle: p.header.cycle, proposalId: p.id, proposer: p.header.proposer, config: p.header.config }));
  }

  /** A cycle whose window passed without a block: why, as far as this node saw. */
  private closeCycle(height: number, cycle: number, round: Round, latestHeight: number): void {
    if (latestHeight >= height) return;
    const proposalOfCycle = this.reported.has(`proposal-of:${cycleKey(height, cycle)}`) || (round.proposal?.header.height === height && round.proposal.header.cycle === cycle);
    this.reportOnce(`failed:${height}:${cycle}`, height, () => ({ type: 'cycleFailed', height, cycle, reason: proposalOfCycle ? 'timeout' : 'no proposal', source: 'local' }));
  }
}

const verdict = (approve: boolean): string => (approve ? 'approve' : 'reject');

/** What a traced step says about a node event (the event's own name is the step). */
export function stepFieldsOf(e: NodeEvent): StepFields {
  switch (e.type) {
    case 'started':
      return { height: e.nextHeight, detail: e.phase };
    case 'roundOpened':
      return { height: e.height, at: e.opensAtMs, detail: `round ${e.round}` };
    case 'cycleStarted':
      return { height: e.height, cycle: e.cycle, by: e.proposer, at: e.startsAtMs, detail: `round ${e.round}` };
    case 'proposed':
      return { height: e.height, cycle: e.cycle, proposalId: e.proposalId, by: e.proposer };
    case 'voteCast':
      return { height: e.height, cycle: e.cycle, proposalId: e.proposalId, by: e.voter, detail: verdict(e.approve) };
    case 'voted':
      return { height: e.height, cycle: e.cycle, proposalId: e.proposalId, detail: verdict(e.approve) };
    case 'committed':
      return { height: e.block.height, cycle: e.block.cycle, proposalId: e.block.hash, by: e.block.proposer, at: e.roundOpensAtMs, detail: e.late ? 'late' : undefined };
    case 'cycleFailed':
      return { height: e.height, cycle: e.cycle, detail: `${e.reason} (${e.source})` };
    case 'tallied':
      return { height: e.height, proposalId: e.proposalId, detail: e.outcome };
    case 'refused':
      return { detail: `${e.action}: ${e.code}` };
    case 'twinFailed':
      return { detail: `${e.action}: ${e.message}` };
    case 'disconnected':
      return { detail: e.message };
    case 'reconnected':
      return { detail: `down ${Math.round(e.downMs)} ms` };
    case 'warning':
      return { detail: e.message };
    case 'stopped':
      return {};
  }
}
