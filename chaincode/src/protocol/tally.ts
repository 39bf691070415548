/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { MgmtError } from './errors';
import { quorum, rejectionThreshold } from './quorum';
import type { CycleOutcome, Tally, Vote } from './types';

/** The counts a tally is taken from. */
export interface TallyInput {
  /** Number of members. */
  readonly n: number;
  readonly approvals: number;
  readonly rejections: number;
}

/**
 * The verdict of a cycle's votes: `sealed` with a quorum of approvals, `failed` once so many
 * members rejected that a quorum is impossible (`n - quorum + 1` rejections), `open` otherwise.
 * The two decided verdicts exclude each other: `quorum + (n - quorum + 1) > n`.
 *
 * @example
 * tally({ n: 4, approvals: 3, rejections: 0 }).verdict; // 'sealed'
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` when counts are negative, fractional or exceed n.
 */
export function tally(input: TallyInput): Tally {
  const { n, approvals, rejections } = input;
  const q = quorum(n);
  const threshold = rejectionThreshold(n);
  for (const [name, value] of [['approvals', approvals], ['rejections', rejections]] as const) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new MgmtError('MGMT_BAD_ARGUMENT', `${name} must be a non-negative integer, got ${value}`);
    }
  }
  if (approvals + rejections > n) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `${approvals} approvals and ${rejections} rejections exceed ${n} members`);
  }
  let verdict: Tally['verdict'] = 'open';
  if (approvals >= q) {
    verdict = 'sealed';
  } else if (rejections >= threshold) {
    verdict = 'failed';
  }
  return { verdict, n, approvals, rejections, quorum: q, rejectionThreshold: threshold };
}

/**
 * Tallies recorded votes, counting each member at most once.
 *
 * @param memberIds MSP IDs of all members; votes from anyone else are ignored.
 * @throws {@link MgmtError} `MGMT_DUPLICATE_VOTE` when a member appears twice.
 */
export function tallyVotes(votes: readonly Pick<Vote, 'mspId' | 'approve'>[], memberIds: readonly string[]): Tally {
  const members = new Set(memberIds);
  const seen = new Set<string>();
  let approvals = 0;
  let rejections = 0;
  for (const vote of votes) {
    if (!members.has(vote.mspId)) {
      continue;
    }
    if (seen.has(vote.mspId)) {
      throw new MgmtError('MGMT_DUPLICATE_VOTE', `${vote.mspId} voted twice`);
    }
    seen.add(vote.mspId);
    if (vote.approve) {
      approvals++;
    } else {
      rejections++;
    }
  }
  return tally({ n: members.size, approvals, rejections });
}

/**
 * Combines a tally with the cycle's deadline: an undecided cycle fails by timeout once the
 * deadline has passed. Votes are only accepted before the deadline, so a quorum recorded in time
 * still seals a block that is tallied late.
 *
 * @param cycleEndsAtMs exclusive end of the cycle.
 */
export function cycleOutcome(t: Tally, nowMs: number, cycleEndsAtMs: number): CycleOutcome {
  if (t.verdict === 'sealed') {
    return { verdict: 'sealed', tally: t };
  }
  if (t.verdict === 'failed') {
    return { verdict: 'failed', reason: 'rejected', tally: t };
  }
  if (nowMs >= cycleEndsAtMs) {
    return { verdict: 'failed', reason: 'timeout', tally: t };
  }
  return { verdict: 'open', tally: t };
}
