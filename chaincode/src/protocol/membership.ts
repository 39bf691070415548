/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Membership and management parameters that change along the chain. A CB above height 0 may
 * carry a complete new `params`: it is proposed, rotated and sealed under the params in force at
 * its own height, and its params are in force from the next height on. The params in force at
 * height h are those of the latest CB below h that carries params (genesis at least), so a chain
 * with membership changes and CA rotations verifies offline from genesis alone: every proof is
 * checked against the member set and CAs in force at its height.
 *
 * A change keeps a quorum of the old members in (at most n - quorum(n) removed), admits members
 * one at a time, and may replace a member's CA certificate (rotation); it may also change the CBI,
 * the timeouts and the schema.
 */

import { MgmtError } from './errors';
import { quorum } from './quorum';
import type { ConfigBlock, GenesisParams, Member } from './types';

/** What a params change does to the member set. */
export interface MembershipChange {
  /** MSP IDs admitted, sorted. */
  readonly added: readonly string[];
  /** MSP IDs removed, sorted. */
  readonly removed: readonly string[];
  /** MSP IDs whose CA certificate changes, sorted. */
  readonly rotated: readonly string[];
}

const sameCa = (a: Member, b: Member): boolean => a.caCertificate.trim() === b.caCertificate.trim();

/** The members added, removed and rotated from `current` to `next`. */
export function membershipChange(current: Pick<GenesisParams, 'members'>, next: Pick<GenesisParams, 'members'>): MembershipChange {
  const before = new Map(current.members.map((m) => [m.mspId, m]));
  const after = new Map(next.members.map((m) => [m.mspId, m]));
  return {
    added: [...after.keys()].filter((id) => !before.has(id)).sort(),
    removed: [...before.keys()].filter((id) => !after.has(id)).sort(),
    rotated: [...after.values()].filter((m) => before.has(m.mspId) && !sameCa(before.get(m.mspId) as Member, m)).map((m) => m.mspId).sort(),
  };
}

/**
 * Why a params change breaks the safety rules, or undefined when it keeps them: at most
 * n - quorum(n) of the n members in force removed (so a quorum of the old set stays in), at most
 * one member added.
 */
export function membershipChangeProblem(current: Pick<GenesisParams, 'members'>, next: Pick<GenesisParams, 'members'>): string | undefined {
  const change = membershipChange(current, next);
  const n = current.members.length;
  const maxRemoved = n - quorum(n);
  if (change.removed.length > maxRemoved) {
    return `removes ${change.removed.length} of ${n} members (${change.removed.join(', ')}); at most ${maxRemoved} may leave in one block, so that a quorum of the members in force stays in`;
  }
  if (change.added.length > 1) {
    return `adds ${change.added.length} members (${change.added.join(', ')}); members are admitted one at a time`;
  }
  return undefined;
}

/**
 * Checks a params change against the safety rules.
 *
 * @throws {@link MgmtError} `MGMT_INVALID_PARAMS` naming the rule broken.
 */
export function assertMembershipChange(current: GenesisParams, next: GenesisParams): void {
  const problem = membershipChangeProblem(current, next);
  if (problem !== undefined) throw new MgmtError('MGMT_INVALID_PARAMS', `params: ${problem}`);
}

/**
 * The params in force at `height` of a chain: those of the latest block below `height` that
 * carries params. Undefined when none does (the chain has no genesis below `height`).
 *
 * @param chain - blocks indexed by height (at least those below `height`).
 */
export function paramsInForce(chain: readonly Pick<ConfigBlock, 'params'>[], height: number): GenesisParams | undefined {
  for (let h = Math.min(height, chain.length) - 1; h >= 0; h--) {
    const params = chain[h]?.params;
    if (params !== undefined) return params;
  }
  return undefined;
}

/** The params in force after `block`: its own when it carries them, else `params`. */
export function paramsAfter(block: Pick<ConfigBlock, 'params'>, params: GenesisParams): GenesisParams {
  return block.params ?? params;
}
