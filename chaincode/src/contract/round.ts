/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Where agreement stands, read from the ledger and judged by the protocol's schedule: the most
 * recent proposal with its votes, the `Round` that `GetRound` reports, and the `CycleFailure`
 * that a failing `Tally` reports.
 */

import type { Context } from 'fabric-contract-api';

import { cycleOutcome, expectedProposer, isLastCycleOfRound, locate, parseIsoMillis, scheduleAfter, tallyVotes, toIsoMillis } from '../protocol';
import type { CycleFailure, CycleOutcome, FailureReason, GenesisParams, Member, PreviousProposal, Proposal, Round, Vote } from '../protocol';
import { loadParams, loadProposal, readLatest, readOpenProposal, readVotes } from './storage';

interface RecordedProposal extends PreviousProposal {
  readonly votes: readonly Vote[];
}

/**
 * The most recent proposal for `height` (from the open-proposal pointer) with its votes.
 *
 * @param members whose votes count; a genesis proposal's own members when omitted.
 */
export async function previousProposal(ctx: Context, height: number, members?: readonly Member[]): Promise<RecordedProposal | undefined> {
  const pointer = await readOpenProposal(ctx);
  if (pointer === undefined || pointer.height !== height) {
    return undefined;
  }
  const proposal = await loadProposal(ctx, pointer.proposalId);
  const voters = members ?? proposal.header.params?.members ?? [];
  const votes = await readVotes(ctx, proposal.id, voters);
  return { proposal, votes, tally: tallyVotes(votes, voters.map((m) => m.mspId)) };
}

export function describeFailure(proposal: Proposal, params: GenesisParams, reason: FailureReason, outcome: CycleOutcome): CycleFailure {
  const { height, cycle } = proposal.header;
  const roundAbandoned = height > 0 && isLastCycleOfRound(cycle, params.members.length);
  // Cycles of a round are back to back; after the last one the next round waits one CBI.
  const endsAtMs = parseIsoMillis(proposal.cycleEndsAt) as number;
  const nextCycleStartsAt = height === 0 ? null : toIsoMillis(endsAtMs + (roundAbandoned ? params.cbiSeconds * 1000 : 0));
  return {
    proposalId: proposal.id,
    height,
    cycle,
    reason,
    approvals: outcome.tally.approvals,
    rejections: outcome.tally.rejections,
    quorum: outcome.tally.quorum,
    roundAbandoned,
    nextCycleStartsAt,
  };
}

export async function roundAt(ctx: Context, nowMs: number): Promise<Round> {
  const now = toIsoMillis(nowMs);
  const latest = await readLatest(ctx);
  if (latest === undefined) {
    const previous = await previousProposal(ctx, 0);
    return {
      now,
      nextHeight: 0,
      latestHash: '',
      phase: 'genesis',
      round: null,
      opensAt: null,
      cycle: previous === undefined ? null : 0,
      cycleStartsAt: previous?.proposal.cycleStartsAt ?? null,
      cycleEndsAt: previous?.proposal.cycleEndsAt ?? null,
      expectedProposer: null,
      proposal: previous?.proposal ?? null,
      votes: previous?.votes ?? [],
      outcome: previous === undefined ? null : outcomeAt(previous, nowMs),
    };
  }
  const params = await loadParams(ctx);
  const position = locate(scheduleAfter(parseIsoMillis(latest.timestamp) as number, params), nowMs);
  const previous = await previousProposal(ctx, latest.height + 1, params.members);
  const inCycle = position.phase === 'cycle';
  return {
    now,
    nextHeight: latest.height + 1,
    latestHash: latest.hash,
    phase: position.phase,
    round: position.round,
    opensAt: toIsoMillis(position.opensAtMs),
    cycle: inCycle ? position.cycle : null,
    cycleStartsAt: inCycle ? toIsoMillis(position.startsAtMs) : null,
    cycleEndsAt: inCycle ? toIsoMillis(position.endsAtMs) : null,
    expectedProposer: inCycle ? expectedProposer(params.members, latest.hash, position.cycle) : null,
    proposal: previous?.proposal ?? null,
    votes: previous?.votes ?? [],
    outcome: previous === undefined ? null : outcomeAt(previous, nowMs),
  };
}

function outcomeAt(previous: PreviousProposal, nowMs: number): CycleOutcome {
  const { proposal, tally } = previous;
  if (proposal.status === 'sealed') {
    return { verdict: 'sealed', tally };
  }
  if (proposal.status === 'failed') {
    return { verdict: 'failed', reason: proposal.failure ?? 'timeout', tally };
  }
  return cycleOutcome(tally, nowMs, parseIsoMillis(proposal.cycleEndsAt) as number);
}
