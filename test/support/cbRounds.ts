/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Produces configuration blocks on the management chaincode the way management nodes do
 * (genesis, then for each block: wait for the round, the expected proposer proposes, members
 * approve, one tallies), for end-to-end tests of what consumes them (observer, primary runtime).
 * The management nodes themselves are tested elsewhere.
 */
import type { ConfigBlock, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import type { ConnectionFile } from '../../orchestrator/src/gateway';
import type { MemberSession } from './mgmt';
import { genesisParams, json, sleep, tally, vote } from './mgmt';

/** A sealed block and when its Tally returned as committed (epoch ms). */
export interface ProducedBlock {
  readonly block: ConfigBlock;
  readonly committedAtMs: number;
}

/** Opens, approves (3 of 4) and tallies the genesis block. */
export async function produceGenesis(sessions: readonly MemberSession[], connection: ConnectionFile, timing: { cbiSeconds: number; cycleTimeoutSeconds: number }): Promise<ProducedBlock> {
  const [first] = sessions as [MemberSession];
  const proposal = await json<Proposal>(first.mgmt.submitTransaction('InitLedger', genesisParams(connection, timing)));
  await Promise.all(sessions.slice(0, 3).map((s) => vote(s, proposal.hash, true, 'genesis')));
  const block = await json<ConfigBlock>(tally(first, proposal.id));
  return { block, committedAtMs: Date.now() };
}

/** Waits until a cycle without a proposal of its own is running, and returns the round. */
async function openCycle(sessions: readonly MemberSession[]): Promise<Round> {
  const [first] = sessions as [MemberSession];
  for (let attempt = 0; attempt < 200; attempt++) {
    const r = await json<Round>(first.mgmt.evaluateTransaction('GetRound'));
    const proposedThisCycle = r.proposal !== null && r.proposal.header.height === r.nextHeight && r.proposal.header.cycle === r.cycle;
    if (r.phase === 'cycle' && !proposedThisCycle) return r;
    // Sleep until the instant the schedule names, not a fixed poll.
    const until = r.phase === 'waiting' ? r.opensAt : r.cycleEndsAt;
    const waitMs = until === null ? 100 : Date.parse(until) - Date.parse(r.now);
    await sleep(Math.max(20, Math.min(waitMs + 20, 5_000)));
  }
  throw new Error('no agreement cycle opened');
}

/**
 * The next configuration block with `config`: proposed by the expected proposer as soon as its
 * cycle opens, approved by `approvers` members (3 by default: the quorum of 4), tallied.
 */
export async function produceBlock(sessions: readonly MemberSession[], config: Record<string, number>, approvers = 3): Promise<ProducedBlock> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const r = await openCycle(sessions);
    const proposer = sessions.find((s) => s.member.mspId === r.expectedProposer);
    if (proposer === undefined) throw new Error(`no session for ${String(r.expectedProposer)}`);
    let proposal: Proposal;
    try {
      proposal = await json<Proposal>(proposer.mgmt.submitTransaction('Propose', JSON.stringify(config)));
    } catch {
      // The cycle rolled over between GetRound and Propose: try the next one.
      continue;
    }
    const voters = [proposer, ...sessions.filter((s) => s !== proposer)].slice(0, approvers);
    await Promise.all(voters.map((s) => vote(s, proposal.hash, true, 'e2e')));
    const block = await json<ConfigBlock>(tally(proposer, proposal.id));
    return { block, committedAtMs: Date.now() };
  }
  throw new Error(`could not produce a block with ${JSON.stringify(config)}`);
}
