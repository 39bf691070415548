/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The rules of Algorithm 1 as pure functions: who may propose when, which votes are admissible,
 * and what a decided proposal turns into. The chaincode reads state, calls these, and writes.
 */

import { MgmtError } from './errors';
import { hashHeader } from './hash';
import { compareMspIds } from './members';
import { assertMembershipChange } from './membership';
import { expectedProposer } from './proposer';
import { locate, scheduleAfter } from './round';
import { cycleOutcome } from './tally';
import { parseIsoMillis, toIsoMillis } from './time';
import type { ConfigBlock, ConfigBlockHeader, GenesisParams, JsonObject, Proposal, ProofEntry, Tally, Vote } from './types';

/** The latest sealed block, as much of it as the rules need. */
export interface LatestBlock {
  readonly height: number;
  readonly hash: string;
  readonly timestamp: string;
}

/** The most recent proposal for the next height, with the tally of its recorded votes. */
export interface PreviousProposal {
  readonly proposal: Proposal;
  readonly tally: Tally;
}

/** Inputs of {@link planProposal}. */
export interface ProposeInput {
  readonly params: GenesisParams;
  readonly latest: LatestBlock;
  /** MSP ID of the caller (already known to be a member). */
  readonly caller: string;
  readonly nowMs: number;
  readonly config: JsonObject;
  /** The most recent proposal for height `latest.height + 1`, if any. */
  readonly previous?: PreviousProposal;
  readonly txId: string;
  /**
   * A complete new params for the block to carry (validated, members sorted): in force from the
   * next height once sealed. The block itself is judged under `params`.
   */
  readonly newParams?: GenesisParams;
}

/** Inputs of {@link planGenesis}. */
export interface GenesisInput {
  readonly params: GenesisParams;
  readonly caller: string;
  readonly nowMs: number;
  readonly config: JsonObject;
  /** The current genesis proposal, if one exists. */
  readonly previous?: PreviousProposal;
  readonly txId: string;
}

function timeOf(text: string): number {
  const ms = parseIsoMillis(text);
  if (ms === undefined) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `stored time ${JSON.stringify(text)} is malformed`);
  }
  return ms;
}

/** The outcome of a stored proposal at `nowMs`, from its recorded tally. */
export function outcomeOf(previous: PreviousProposal, nowMs: number): ReturnType<typeof cycleOutcome> {
  return cycleOutcome(previous.tally, nowMs, timeOf(previous.proposal.cycleEndsAt));
}

function assertPreviousSettled(previous: PreviousProposal, nowMs: number, cycle: number): void {
  const { proposal } = previous;
  if (proposal.status === 'sealed') {
    throw new MgmtError('MGMT_STALE_PROPOSAL', `proposal ${proposal.id} for height ${proposal.header.height} is already sealed`);
  }
  if (proposal.header.cycle > cycle) {
    throw new MgmtError('MGMT_STALE_PROPOSAL', `a proposal for the later cycle ${proposal.header.cycle} exists`);
  }
  const outcome = proposal.status === 'failed' ? undefined : outcomeOf(previous, nowMs);
  if (outcome?.verdict === 'sealed') {
    throw new MgmtError(
      'MGMT_SEAL_PENDING',
      `proposal ${proposal.id} (cycle ${proposal.header.cycle}) has ${outcome.tally.approvals} approvals; submit Tally first`,
    );
  }
  if (proposal.header.cycle === cycle) {
    throw new MgmtError('MGMT_ALREADY_PROPOSED', `proposal ${proposal.id} already exists for cycle ${cycle}`);
  }
  if (outcome?.verdict === 'open') {
    // Unreachable for a proposal of an earlier cycle (its deadline has passed), kept as a guard.
    throw new MgmtError('MGMT_ALREADY_PROPOSED', `proposal ${proposal.id} is still open`);
  }
}

function makeProposal(header: ConfigBlockHeader, startsAtMs: number, endsAtMs: number, txId: string): Proposal {
  const hash = hashHeader(header);
  return {
    id: hash,
    hash,
    header,
    cycleStartsAt: toIsoMillis(startsAtMs),
    cycleEndsAt: toIsoMillis(endsAtMs),
    status: 'open',
    txId,
  };
}

/**
 * Applies the proposing rules after the latest block: a round must be open (CBI elapsed and not
 * between rounds), the caller must be the expected proposer of the current cycle
 * (`members[(latest.hash + FC) mod n]`), the cycle must not have a proposal yet, and an earlier
 * proposal holding a quorum must be tallied first.
 *
 * @returns the new proposal, status `open`.
 * @throws {@link MgmtError} `MGMT_CBI_NOT_ELAPSED`, `MGMT_NOT_PROPOSER`, `MGMT_ALREADY_PROPOSED`,
 * `MGMT_SEAL_PENDING`, `MGMT_STALE_PROPOSAL`, or `MGMT_INVALID_JSON` for a non-I-JSON config.
 */
export function planProposal(input: ProposeInput): Proposal {
  const { params, latest, caller, nowMs } = input;
  const position = locate(scheduleAfter(timeOf(latest.timestamp), params), nowMs);
  if (position.phase === 'waiting') {
    throw new MgmtError(
      'MGMT_CBI_NOT_ELAPSED',
      `round ${position.round} after height ${latest.height} opens at ${toIsoMillis(position.opensAtMs)}, now ${toIsoMillis(nowMs)}`,
    );
  }
  const expected = expectedProposer(params.members, latest.hash, position.cycle);
  if (caller !== expected) {
    throw new MgmtError('MGMT_NOT_PROPOSER', `expected ${expected} for cycle ${position.cycle}, got ${caller}`);
  }
  if (input.previous !== undefined) {
    assertPreviousSettled(input.previous, nowMs, position.cycle);
  }
  if (input.newParams !== undefined) assertMembershipChange(params, input.newParams);
  const header: ConfigBlockHeader = {
    height: latest.height + 1,
    prevHash: latest.hash,
    proposer: caller,
    cycle: position.cycle,
    timestamp: toIsoMillis(nowMs),
    config: input.config,
    ...(input.newParams === undefined ? {} : { params: input.newParams }),
  };
  return makeProposal(header, position.startsAtMs, position.endsAtMs, input.txId);
}

/**
 * Applies the genesis rules: any member may open the genesis proposal (height 0, cycle 0, its
 * own cycle of `cycleTimeoutSeconds` from now) unless one is still undecided; a genesis
 * proposal that failed (rejected, or timed out without a quorum) may be replaced, one that
 * holds a quorum must be tallied instead.
 *
 * @returns the new genesis proposal, status `open`.
 * @throws {@link MgmtError} `MGMT_ALREADY_PROPOSED`, `MGMT_SEAL_PENDING`,
 * `MGMT_ALREADY_INITIALISED`, or `MGMT_INVALID_JSON`.
 */
export function planGenesis(input: GenesisInput): Proposal {
  const { params, caller, nowMs, previous } = input;
  if (previous !== undefined) {
    const outcome = previous.proposal.status === 'open' ? outcomeOf(previous, nowMs) : undefined;
    if (previous.proposal.status === 'sealed') {
      throw new MgmtError('MGMT_ALREADY_INITIALISED', `genesis ${previous.proposal.id} is sealed`);
    }
    if (outcome?.verdict === 'sealed') {
      throw new MgmtError('MGMT_SEAL_PENDING', `genesis proposal ${previous.proposal.id} has a quorum; submit Tally`);
    }
    if (outcome?.verdict === 'open') {
      throw new MgmtError(
        'MGMT_ALREADY_PROPOSED',
        `genesis proposal ${previous.proposal.id} is open until ${previous.proposal.cycleEndsAt}`,
      );
    }
  }
  const header: ConfigBlockHeader = {
    height: 0,
    prevHash: '',
    proposer: caller,
    cycle: 0,
    timestamp: toIsoMillis(nowMs),
    config: input.config,
    params,
  };
  return makeProposal(header, nowMs, nowMs + params.cycleTimeoutSeconds * 1000, input.txId);
}

/**
 * Whether a vote may be recorded: the proposal must still be open (not tallied) and the vote's
 * timestamp before the end of the proposal's cycle; the member must not have voted on it.
 *
 * @throws {@link MgmtError} `MGMT_STALE_PROPOSAL` or `MGMT_DUPLICATE_VOTE`.
 */
export function admitVote(proposal: Proposal, mspId: string, nowMs: number, alreadyVoted: boolean): void {
  if (proposal.status !== 'open') {
    throw new MgmtError('MGMT_STALE_PROPOSAL', `proposal ${proposal.id} is ${proposal.status}`);
  }
  if (nowMs >= timeOf(proposal.cycleEndsAt)) {
    throw new MgmtError('MGMT_STALE_PROPOSAL', `cycle ${proposal.header.cycle} of proposal ${proposal.id} ended at ${proposal.cycleEndsAt}`);
  }
  if (alreadyVoted) {
    throw new MgmtError('MGMT_DUPLICATE_VOTE', `${mspId} already voted on proposal ${proposal.id}`);
  }
}

/**
 * The block a sealed proposal becomes: its header, its hash, and the approvals as proof, sorted
 * by MSP ID, each exactly `{mspId, certificate, signature}`.
 */
export function sealProposal(proposal: Proposal, votes: readonly Vote[]): ConfigBlock {
  const proof: ProofEntry[] = votes
    .filter((vote) => vote.approve)
    .sort((a, b) => compareMspIds(a.mspId, b.mspId))
    .map((vote) => ({ mspId: vote.mspId, certificate: vote.certificate, signature: vote.signature }));
  const { height, prevHash, proposer, cycle, timestamp, config, params } = proposal.header;
  const block: ConfigBlock =
    params !== undefined
      ? { height, hash: proposal.hash, prevHash, proposer, cycle, timestamp, config, params, proof }
      : { height, hash: proposal.hash, prevHash, proposer, cycle, timestamp, config, proof };
  return block;
}
