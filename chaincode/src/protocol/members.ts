/*
 * SPDX-License-Identifier: Apache-2.0
 */

import type { Member } from './types';

/** Orders MSP IDs by their UTF-8 bytes, the order every list of members and proof entries uses. */
export function compareMspIds(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** A copy of the members sorted by MSP ID (UTF-8 byte order). */
export function sortMembers<T extends Pick<Member, 'mspId'>>(members: readonly T[]): T[] {
  return [...members].sort((a, b) => compareMspIds(a.mspId, b.mspId));
}

/** Whether MSP IDs are strictly ascending, that is sorted and free of duplicates. */
export function isStrictlySorted(mspIds: readonly string[]): boolean {
  for (let i = 1; i < mspIds.length; i++) {
    if (compareMspIds(mspIds[i - 1], mspIds[i]) >= 0) {
      return false;
    }
  }
  return true;
}

/** The member with this MSP ID, if any. */
export function findMember<T extends Pick<Member, 'mspId'>>(members: readonly T[], mspId: string): T | undefined {
  return members.find((member) => member.mspId === mspId);
}
