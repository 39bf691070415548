/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { MgmtError } from './errors';
import { HASH_PATTERN } from './hash';
import type { Member } from './types';

/**
 * Index of the proposer of the block after `latestHash`, in cycle `fc`:
 * `(BigInt('0x' + latestHash) + FC) mod n` (paper section 2.1). Consecutive cycles move to the
 * next member, so n consecutive cycles give every member one turn.
 *
 * @param latestHash lowercase hex hash of the latest block.
 * @param fc failed cycles since the latest block (a non-negative integer).
 * @param n number of members.
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` for a malformed hash, a negative or fractional
 * FC, or a non-positive n.
 */
export function proposerIndex(latestHash: string, fc: number, n: number): number {
  if (!HASH_PATTERN.test(latestHash)) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `latest hash must be 64 lowercase hex digits, got ${JSON.stringify(latestHash)}`);
  }
  if (!Number.isSafeInteger(fc) || fc < 0) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `cycle must be a non-negative integer, got ${fc}`);
  }
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `member count must be a positive integer, got ${n}`);
  }
  return Number((BigInt(`0x${latestHash}`) + BigInt(fc)) % BigInt(n));
}

/**
 * MSP ID of the member expected to propose in cycle `fc` after the latest block.
 *
 * @param members the genesis members, sorted by MSP ID.
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` as {@link proposerIndex}.
 */
export function expectedProposer(members: readonly Pick<Member, 'mspId'>[], latestHash: string, fc: number): string {
  // proposerIndex refuses n = 0, so the index is always in range.
  return members[proposerIndex(latestHash, fc, members.length)].mspId;
}
