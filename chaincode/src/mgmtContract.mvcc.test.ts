/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * No hot keys: concurrent transactions endorsed against the same committed state and ordered
 * into one block, validated with Fabric's MVCC and phantom rules by the fake ledger.
 */

import './testing/quietLogs';

import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import type { ConfigBlock, Proposal } from './protocol';
import { ContractHarness, T0, TEST_CONFIG } from './testing/harness';
import type { Endorsed } from './testing/harness';
import { createTestConsortium } from './testing/pki';
import type { TestOrg } from './testing/pki';

const T1 = T0 + 30_000;

let orgs: TestOrg[];
let h: ContractHarness;

beforeAll(async () => {
  orgs = await createTestConsortium();
});

beforeEach(() => {
  h = ContractHarness.fromOrgs(orgs);
});

async function openProposal(): Promise<Proposal> {
  await h.sealGenesis(T0);
  return h.proposeAsExpected(T1);
}

async function endorseVotes(proposal: Proposal, voters: readonly TestOrg[], atMs: number): Promise<Endorsed[]> {
  const endorsed: Endorsed[] = [];
  for (const org of voters) {
    const tx = await h.endorseVote(org.client, proposal, true, atMs);
    expect(tx.error).toBeUndefined();
    endorsed.push(tx);
  }
  return endorsed;
}

/** Fabric composite keys: U+0000, object type, U+0000, then each attribute followed by U+0000. */
function voteKey(proposalId: string, mspId: string): string {
  return `\u0000vote\u0000${proposalId}\u0000${mspId}\u0000`;
}

function proposalKey(proposalId: string): string {
  return `\u0000proposal\u0000${proposalId}\u0000`;
}

describe('concurrent votes', () => {
  it('all commit valid when every member votes in the same block', async () => {
    const proposal = await openProposal();
    const votes = await endorseVotes(proposal, orgs, T1 + 1);
    expect(h.commit(votes)).toEqual(['VALID', 'VALID', 'VALID', 'VALID']);
    const block = JSON.parse(await h.submit(orgs[0].client, 'Tally', [proposal.id], T1 + 2)) as ConfigBlock;
    expect(block.proof).toHaveLength(4);
  });

  it('also for the genesis proposal', async () => {
    const proposal = await h.proposeGenesis(T0);
    const votes = await endorseVotes(proposal, orgs, T0 + 1);
    expect(h.commit(votes)).toEqual(['VALID', 'VALID', 'VALID', 'VALID']);
    expect((JSON.parse(await h.submit(orgs[2].client, 'Tally', [proposal.id], T0 + 2)) as ConfigBlock).height).toBe(0);
  });

  it('each vote writes only its own key and reads no key another vote writes, with no range read', async () => {
    const proposal = await openProposal();
    const votes = await endorseVotes(proposal, orgs, T1 + 1);
    const written = votes.map((v) => [...v.stub.rwset().writes.keys()]);
    expect(written).toEqual(orgs.map((o) => [voteKey(proposal.id, o.mspId)]));
    for (const [i, vote] of votes.entries()) {
      const { reads, ranges } = vote.stub.rwset();
      expect(ranges).toEqual([]);
      const others = written.filter((_, j) => j !== i).flat();
      expect([...reads.keys()].filter((key) => others.includes(key))).toEqual([]);
      expect([...reads.keys()].sort()).toEqual([proposalKey(proposal.id), 'params', voteKey(proposal.id, orgs[i].mspId)].sort());
    }
  });

  it('all commit valid however they are ordered and split into blocks', async () => {
    const proposal = await openProposal();
    const votes = await endorseVotes(proposal, orgs, T1 + 1);
    await fc.assert(
      fc.asyncProperty(fc.shuffledSubarray([0, 1, 2, 3], { minLength: 4, maxLength: 4 }), fc.integer({ min: 0, max: 4 }), async (order, cut) => {
        const fresh = ContractHarness.fromOrgs(orgs);
        // Replay the committed history into a fresh ledger, then commit the same endorsements.
        await fresh.sealGenesis(T0);
        const p = await fresh.proposeAsExpected(T1);
        const again = await Promise.all(order.map((i) => fresh.endorseVote(orgs[i].client, p, true, T1 + 1)));
        const codes = [...fresh.commit(again.slice(0, cut)), ...fresh.commit(again.slice(cut))];
        return codes.every((c) => c === 'VALID') && codes.length === 4;
      }),
      { numRuns: 12 },
    );
    expect(h.commit(votes)).toEqual(['VALID', 'VALID', 'VALID', 'VALID']);
  });

  it('a second vote of the same member in the same block is invalidated by MVCC', async () => {
    const proposal = await openProposal();
    const first = await h.endorseVote(orgs[0].client, proposal, true, T1 + 1);
    const second = await h.endorseVote(orgs[0].admin, proposal, false, T1 + 1);
    expect(h.commit([first, second])).toEqual(['VALID', 'MVCC_READ_CONFLICT']);
  });
});

describe('Tally against concurrent transactions', () => {
  it('a vote landing before a Tally in the same block invalidates only the Tally, which is resubmitted', async () => {
    const proposal = await openProposal();
    h.commit(await endorseVotes(proposal, orgs.slice(0, 3), T1 + 1));
    const tally = await h.endorse(orgs[0].client, 'Tally', [proposal.id], T1 + 2);
    const lateVote = await h.endorseVote(orgs[3].client, proposal, true, T1 + 2);
    expect(h.commit([lateVote, tally])).toEqual(['VALID', 'MVCC_READ_CONFLICT']);
    expect(h.ledger.events.filter((e) => e.name === 'ConfigBlockCommitted')).toHaveLength(1); // genesis only
    const block = JSON.parse(await h.submit(orgs[1].client, 'Tally', [proposal.id], T1 + 3)) as ConfigBlock;
    expect(block.proof).toHaveLength(4);
  });

  it('a vote ordered after a sealing Tally in the same block is invalid: the block is already sealed', async () => {
    const proposal = await openProposal();
    h.commit(await endorseVotes(proposal, orgs.slice(0, 3), T1 + 1));
    const tally = await h.endorse(orgs[0].client, 'Tally', [proposal.id], T1 + 2);
    const lateVote = await h.endorseVote(orgs[3].client, proposal, true, T1 + 2);
    expect(h.commit([tally, lateVote])).toEqual(['VALID', 'MVCC_READ_CONFLICT']);
    const latest = JSON.parse(await h.evaluate(orgs[0].client, 'GetLatest', [], T1 + 3)) as ConfigBlock;
    expect(latest.proof).toHaveLength(3);
  });

  it('of two concurrent Tally transactions exactly one commits, so one height has one block', async () => {
    const proposal = await openProposal();
    h.commit(await endorseVotes(proposal, orgs, T1 + 1));
    const tallies = await Promise.all(orgs.map((o) => h.endorse(o.client, 'Tally', [proposal.id], T1 + 2)));
    expect(h.commit(tallies)).toEqual(['VALID', 'MVCC_READ_CONFLICT', 'MVCC_READ_CONFLICT', 'MVCC_READ_CONFLICT']);
    const sealed = h.ledger.events.filter((e) => e.name === 'ConfigBlockCommitted');
    expect(sealed).toHaveLength(2);
    expect((JSON.parse(sealed[1].payload) as ConfigBlock).hash).toBe(proposal.hash);
  });

  it('a Propose and a Tally racing for the same height cannot both commit', async () => {
    await h.sealGenesis(T0);
    const first = await h.proposeAsExpected(T1, TEST_CONFIG);
    h.commit(await endorseVotes(first, orgs.slice(0, 2), T1 + 1));
    // Cycle 0 times out; its Tally and the proposal of cycle 1 are endorsed concurrently.
    const proposer = h.client(await h.expectedProposer(T1 + 10_000));
    const propose = await h.endorse(proposer, 'Propose', [JSON.stringify(TEST_CONFIG)], T1 + 10_000);
    const tally = await h.endorse(orgs[0].client, 'Tally', [first.id], T1 + 10_000);
    expect(propose.error).toBeUndefined();
    expect(tally.error).toBeUndefined();
    expect(h.commit([tally, propose])).toEqual(['VALID', 'MVCC_READ_CONFLICT']);
  });
});
