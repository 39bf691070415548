/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Test helpers for the management chaincode. The member sessions, votes, genesis parameters and
 * CB rounds are shared with the benchmarks (orchestrator/src/testing/cbRounds.ts); what is only
 * the tests' stays here.
 */
import { EndorseError } from '@hyperledger/fabric-gateway';

export { closeSessions, genesisParams, json, openSessions, sleep, tally, utf8, vote } from '../../orchestrator/src/testing/cbRounds';
export type { MemberSession } from '../../orchestrator/src/testing/cbRounds';

/** The MGMT_ code a refusal carries, from the endorsement error's details. */
export async function refusalCode(action: Promise<unknown>): Promise<string> {
  try {
    await action;
  } catch (err) {
    const text = err instanceof EndorseError ? err.details.map((d) => d.message).join(' ') : String(err);
    const match = /MGMT_[A-Z_]+/.exec(text);
    return match ? match[0] : `no MGMT code in: ${text}`;
  }
  return 'accepted';
}
