/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { MgmtError } from './errors';

function assertMemberCount(n: number): void {
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `member count must be a positive integer, got ${n}`);
  }
}

/**
 * Approvals that seal a block: `floor(2n/3) + 1`, the smallest count above two thirds
 * (2f+1 when n = 3f+1). Any two quorums share more than n/3 members, so they share an honest one.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` unless n is a positive integer.
 */
export function quorum(n: number): number {
  assertMemberCount(n);
  return Math.floor((2 * n) / 3) + 1;
}

/**
 * Rejections that fail a cycle early: `n - quorum(n) + 1`. With that many rejections the
 * remaining members cannot reach a quorum any more.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` unless n is a positive integer.
 */
export function rejectionThreshold(n: number): number {
  return n - quorum(n) + 1;
}

/**
 * Byzantine members tolerated: `n - quorum(n)`, which is f when n = 3f+1.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` unless n is a positive integer.
 */
export function maxFaulty(n: number): number {
  return n - quorum(n);
}
