/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each member's liveness as the management chain shows it, for members whose node health the
 * dashboard cannot poll: its newest vote and proposal, and whether it approved the newest CB.
 * The chain gives sealed CBs (proposer, proof); the rounds the dashboard reads add votes with
 * their times, rejections, and proposals that failed.
 */
import type { JsonValue, Round } from 'mgmt-chaincode/dist/protocol';
import type { MemberActivity } from './types';

type LastVote = NonNullable<MemberActivity['lastVote']>;
type LastProposal = NonNullable<MemberActivity['lastProposal']>;

/** What the chain says, computed once per chain read. */
export interface ChainFacts {
  readonly latestHeight: number | null;
  /** MSP IDs in the newest CB's proof. */
  readonly latestProof: ReadonlySet<string>;
  /** The newest CB whose proof holds each member's approval. */
  readonly lastApproval: ReadonlyMap<string, number>;
  readonly lastProposal: ReadonlyMap<string, LastProposal>;
  /** The members of the newest params on the chain (genesis or the last membership change); empty before genesis. */
  readonly members: readonly string[];
}

function field(value: JsonValue | undefined, name: string): JsonValue | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? value[name] : undefined;
}

function mspIdsOf(list: JsonValue | undefined): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((entry) => field(entry, 'mspId')).filter((id): id is string => typeof id === 'string');
}

/**
 * Reads the chain as served (untrusted JSON: the audit and the page verify it; a malformed
 * block only leaves a member without evidence here).
 */
export function chainFactsOf(chain: readonly JsonValue[]): ChainFacts {
  const lastApproval = new Map<string, number>();
  const lastProposal = new Map<string, LastProposal>();
  let members: string[] = [];
  let latestProof = new Set<string>();
  let latestHeight: number | null = null;
  for (const block of chain) {
    const height = field(block, 'height');
    if (typeof height !== 'number') continue;
    latestHeight = height;
    const proof = mspIdsOf(field(block, 'proof'));
    latestProof = new Set(proof);
    for (const mspId of proof) lastApproval.set(mspId, height);
    const proposer = field(block, 'proposer');
    const hash = field(block, 'hash');
    const timestamp = field(block, 'timestamp');
    if (typeof proposer === 'string' && typeof hash === 'string' && typeof timestamp === 'string') lastProposal.set(proposer, { height, hash, at: timestamp, sealed: true });
    const params = field(block, 'params');
    if (params !== undefined) members = mspIdsOf(field(params, 'members'));
  }
  return { latestHeight, latestProof, lastApproval, lastProposal, members };
}

/** Keeps the votes and proposals seen in the rounds read, which the chain alone does not show. */
export class RoundSightings {
  private readonly votes = new Map<string, LastVote>();
  private readonly proposals = new Map<string, LastProposal>();

  /** Notes a GetRound answer's proposal and votes. */
  note(round: Round): void {
    const proposal = round.proposal;
    if (proposal === null) return;
    const height = proposal.header.height;
    const seen = this.proposals.get(proposal.header.proposer);
    if (seen === undefined || seen.height <= height) {
      this.proposals.set(proposal.header.proposer, { height, hash: proposal.hash, at: proposal.header.timestamp, sealed: proposal.status === 'sealed' });
    }
    for (const vote of round.votes) {
      if (vote.proposalId !== proposal.id) continue;
      const before = this.votes.get(vote.mspId);
      if (before === undefined || before.height <= height) this.votes.set(vote.mspId, { height, approve: vote.approve, at: vote.timestamp });
    }
  }

  /** A member's activity: the newer of the chain's and the rounds' evidence (the rounds' at equal height: they carry times). */
  activityOf(facts: ChainFacts, mspId: string): MemberActivity {
    const approvedAt = facts.lastApproval.get(mspId);
    const roundVote = this.votes.get(mspId);
    const lastVote = roundVote !== undefined && (approvedAt === undefined || roundVote.height >= approvedAt) ? roundVote : approvedAt === undefined ? undefined : { height: approvedAt, approve: true };
    const chainProposal = facts.lastProposal.get(mspId);
    const roundProposal = this.proposals.get(mspId);
    let lastProposal = roundProposal !== undefined && (chainProposal === undefined || roundProposal.height > chainProposal.height) ? roundProposal : chainProposal;
    // A proposal seen open in a round and sealed since: the chain knows it is sealed.
    if (roundProposal !== undefined && chainProposal?.hash === roundProposal.hash) lastProposal = chainProposal;
    return {
      ...(lastVote === undefined ? {} : { lastVote }),
      ...(lastProposal === undefined ? {} : { lastProposal }),
      ...(facts.latestHeight === null ? {} : { votedInLatestCb: facts.latestProof.has(mspId) }),
    };
  }
}
