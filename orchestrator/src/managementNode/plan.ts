/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Algorithm 1 of the paper as one pure decision: given the round the chaincode reports
 * (`GetRound`) and what this node already did, what should it do now and when should it look
 * again. No I/O, so it is tested from a table; the node (./managementNode.ts) performs the
 * actions and reports what happened.
 */
import type { Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import { parseIsoMillis } from 'mgmt-chaincode/dist/protocol';

/** What the node remembers between steps (lost on restart: the chain is the source of truth). */
export interface PlanMemory {
  /** `height:cycle` of cycles this node proposed in (or tried to). */
  readonly proposed: { has(key: string): boolean };
  /** Proposal ids this node voted on (or tried to). */
  readonly voted: { has(id: string): boolean };
  /** Proposal ids this node tallied, or that turned out to be tallied by someone else. */
  readonly tallied: { has(id: string): boolean };
  /** When this node first saw each proposal decided (ms), for the tally stagger. */
  readonly decidedAt: { get(id: string): number | undefined };
}

/** Inputs of {@link plan}. */
export interface PlanInput {
  readonly round: Round;
  /** This node's MSP ID. */
  readonly self: string;
  /** Member MSP IDs in the chain's order (sorted); the genesis proposal's own before genesis. */
  readonly members: readonly string[];
  readonly nowMs: number;
  readonly memory: PlanMemory;
  /**
   * Delay per rank before a member other than the proposer submits `Tally`: the proposer tallies
   * at once, the next member in order after one stagger, and so on. This keeps n concurrent
   * Tally transactions (of which only one can commit) off the ledger, and still seals when the
   * proposer has gone away.
   */
  readonly tallyStaggerMs: number;
}

/** Why a proposal is tallied. */
export type TallyVerdict = 'sealed' | 'rejected' | 'timeout';

/** An action for the node. */
export type Action =
  | { readonly kind: 'tally'; readonly proposal: Proposal; readonly verdict: TallyVerdict }
  | { readonly kind: 'propose'; readonly height: number; readonly cycle: number }
  | { readonly kind: 'vote'; readonly proposal: Proposal };

/** The result of {@link plan}. */
export interface Plan {
  /** Actions due now, in order. */
  readonly actions: readonly Action[];
  /** When the node should look again at the latest (a schedule boundary or a staggered tally). */
  readonly wakeAtMs: number | undefined;
  /** A proposal seen decided for the first time: the node records `nowMs` for it. */
  readonly newlyDecided: string | undefined;
}

/** The memory key of a cycle. */
export const cycleKey = (height: number, cycle: number): string => `${height}:${cycle}`;

const ms = (text: string | null | undefined): number | undefined => (text === null || text === undefined ? undefined : parseIsoMillis(text));

function rankAfter(members: readonly string[], proposer: string, self: string): number {
  const n = members.length;
  const p = members.indexOf(proposer);
  const s = members.indexOf(self);
  if (n === 0 || p < 0 || s < 0) return 0;
  return (s - p + n) % n;
}

/**
 * Decides the node's next actions (Algorithm 1):
 *
 * 1. A proposal holding a quorum is sealed with `Tally` (by its proposer at once, by the others
 *    after their stagger), and nothing is proposed meanwhile (the chaincode would refuse:
 *    `MGMT_SEAL_PENDING`).
 * 2. A proposal rejected by `n - quorum + 1` members is tallied the same way while its cycle
 *    runs, which records `CycleFailed` early.
 * 3. In a cycle, the expected proposer proposes once. A timed-out proposal of an earlier cycle is
 *    tallied by that proposer first: a Tally of the old proposal committing while the new
 *    Propose is in flight would invalidate the Propose (both touch the old proposal), so only
 *    the proposer, which orders the two itself, records timeouts.
 * 4. In a cycle with an open proposal for that cycle, a member that has not voted votes (the
 *    node asks its twin). `GetRound`'s votes are checked, so a restarted node never votes twice.
 * 5. Before genesis the node only tallies a genesis proposal holding a quorum: approving genesis
 *    parameters is a human decision (`mgmt vote`).
 * 6. It looks again at the next schedule boundary: the round's opening while waiting, the
 *    cycle's end inside a cycle, or a staggered tally.
 */
export function plan(input: PlanInput): Plan {
  const { round, nowMs } = input;
  const decided = decidedActions(input);
  const actions: Action[] = [...decided.actions];
  const wakes: number[] = [...decided.wakes];
  if (round.phase === 'cycle' && round.cycle !== null) {
    actions.push(...cycleActions(input, round.cycle, decided));
    const cycleEnds = ms(round.cycleEndsAt);
    if (cycleEnds !== undefined) wakes.push(cycleEnds);
  } else if (round.phase === 'waiting') {
    const opens = ms(round.opensAt);
    if (opens !== undefined) wakes.push(opens);
  } else if (round.phase === 'genesis') {
    const ends = ms(round.proposal?.status === 'open' ? round.proposal.cycleEndsAt : undefined);
    if (ends !== undefined) wakes.push(ends);
  }
  const future = wakes.filter((w) => w > nowMs);
  return { actions, wakeAtMs: future.length > 0 ? Math.min(...future) : undefined, newlyDecided: decided.newlyDecided };
}

/** What {@link decidedActions} found about the open proposal. */
interface Decided {
  readonly actions: readonly Action[];
  readonly wakes: readonly number[];
  readonly newlyDecided: string | undefined;
  /** A quorum is recorded but not tallied: nothing may be proposed over it. */
  readonly sealPending: boolean;
  /** An open proposal whose cycle ended without a decision. */
  readonly timedOut: Proposal | undefined;
}

/** Rules 1, 2 and 5: tallies of a decided proposal, staggered by rank after its proposer. */
function decidedActions(input: PlanInput): Decided {
  const { round, self, members, nowMs, memory } = input;
  const none: Decided = { actions: [], wakes: [], newlyDecided: undefined, sealPending: false, timedOut: undefined };
  const open = round.proposal?.status === 'open' ? round.proposal : undefined;
  const outcome = round.outcome;
  if (open === undefined || outcome === null) return none;
  if (memory.tallied.has(open.id)) {
    // Tallied by this node already, but the chain does not show it yet: no proposing over it.
    return { ...none, sealPending: outcome.verdict === 'sealed' };
  }
  const ends = ms(open.cycleEndsAt);
  const running = ends !== undefined && nowMs < ends;
  const rejected = outcome.verdict === 'failed' && outcome.reason === 'rejected' && running;
  if (outcome.verdict !== 'sealed' && !rejected) {
    return { ...none, timedOut: outcome.verdict === 'failed' ? open : undefined };
  }
  const seen = memory.decidedAt.get(open.id);
  const notBefore = (seen ?? nowMs) + rankAfter(members, open.header.proposer, self) * input.tallyStaggerMs;
  const due = notBefore <= nowMs;
  return {
    actions: due ? [{ kind: 'tally', proposal: open, verdict: rejected ? 'rejected' : 'sealed' }] : [],
    wakes: due ? [] : [notBefore],
    newlyDecided: seen === undefined ? open.id : undefined,
    sealPending: outcome.verdict === 'sealed',
    timedOut: undefined,
  };
}

/** Rules 3 and 4: propose as the expected proposer, vote on the cycle's open proposal. */
function cycleActions(input: PlanInput, cycle: number, decided: Decided): Action[] {
  const { round, self, nowMs, memory } = input;
  const actions: Action[] = [];
  const p = round.proposal;
  const current = p !== null && p.header.height === round.nextHeight && p.header.cycle === cycle ? p : undefined;
  if (current === undefined && !decided.sealPending && round.expectedProposer === self && !memory.proposed.has(cycleKey(round.nextHeight, cycle))) {
    if (decided.timedOut !== undefined) actions.push({ kind: 'tally', proposal: decided.timedOut, verdict: 'timeout' });
    actions.push({ kind: 'propose', height: round.nextHeight, cycle });
  }
  const cycleEnds = ms(round.cycleEndsAt);
  const open = current?.status === 'open' && round.outcome?.verdict === 'open' && cycleEnds !== undefined && nowMs < cycleEnds;
  if (current !== undefined && open && !round.votes.some((v) => v.mspId === self) && !memory.voted.has(current.id)) {
    actions.push({ kind: 'vote', proposal: current });
  }
  return actions;
}
