/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Test helpers for the management chaincode. The member sessions, votes, genesis parameters and
 * CB rounds are shared with the benchmarks (orchestrator/src/testing/cbRounds.ts); what is only
 * the tests' stays here.
 */
import { EndorseError } from '@hyperledger/fabric-gateway';

export { closeSessions, genesisParams, json, openSessions, seal, sessionOver, sleep, tally, utf8, vote } from '../../orchestrator/src/testing/cbRounds';
import type { MemberSession } from '../../orchestrator/src/testing/cbRounds';
export type { MemberSession };

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

/**
 * Waits until every session's gRPC connection is up again after the network restarted: a client
 * whose peer went away reconnects only after its backoff, and a vote sent before then fails.
 */
export async function reconnected(sessions: readonly MemberSession[], timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  await Promise.all(
    sessions.map(
      (session) =>
        new Promise<void>((resolve, reject) => {
          session.client.waitForReady(deadline, (err) => {
            if (err) reject(new Error(`${session.member.mspId}'s peer connection did not come back: ${err.message}`));
            else resolve();
          });
        }),
    ),
  );
}
