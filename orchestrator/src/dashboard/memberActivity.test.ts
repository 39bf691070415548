/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import type { JsonValue, Round } from 'mgmt-chaincode/dist/protocol';
import { chainFactsOf, RoundSightings } from './memberActivity';

const cb = (height: number, proposer: string, voters: string[], extra: Record<string, JsonValue> = {}): JsonValue => ({
  height,
  hash: `h${height}`,
  proposer,
  timestamp: `2026-01-01T00:0${height}:00.000Z`,
  proof: voters.map((mspId) => ({ mspId, certificate: '', signature: '' })),
  ...extra,
});

const CHAIN: JsonValue[] = [
  cb(0, 'Org1MSP', ['Org1MSP', 'Org2MSP', 'Org3MSP'], { params: { members: [{ mspId: 'Org1MSP' }, { mspId: 'Org2MSP' }, { mspId: 'Org3MSP' }, { mspId: 'Org4MSP' }] } }),
  cb(1, 'Org2MSP', ['Org1MSP', 'Org3MSP', 'Org4MSP']),
  cb(2, 'Org3MSP', ['Org1MSP', 'Org2MSP', 'Org3MSP']),
];

function round(height: number, proposer: string, votes: { mspId: string; approve: boolean }[], status: 'open' | 'failed' = 'open'): Round {
  return {
    nextHeight: height,
    proposal: { id: `p${height}`, hash: `p${height}`, header: { height, proposer, timestamp: '2026-01-01T00:09:00.000Z' }, status },
    votes: votes.map((v, i) => ({ proposalId: `p${height}`, mspId: v.mspId, approve: v.approve, timestamp: `2026-01-01T00:09:0${i}.000Z` })),
  } as unknown as Round;
}

describe('chainFactsOf', () => {
  it("reads the newest CB's proof, each member's newest approval and proposal, and the members in force", () => {
    const facts = chainFactsOf(CHAIN);
    expect(facts.latestHeight).toBe(2);
    expect([...facts.latestProof]).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP']);
    expect(Object.fromEntries(facts.lastApproval)).toEqual({ Org1MSP: 2, Org2MSP: 2, Org3MSP: 2, Org4MSP: 1 });
    expect(facts.lastProposal.get('Org2MSP')).toEqual({ height: 1, hash: 'h1', at: '2026-01-01T00:01:00.000Z', sealed: true });
    expect(facts.members).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
  });

  it('skips malformed blocks and knows nothing before genesis', () => {
    expect(chainFactsOf([]).latestHeight).toBeNull();
    expect(chainFactsOf(['garbage', null, { height: 'x' }, cb(0, 'Org1MSP', ['Org1MSP'])]).latestHeight).toBe(0);
  });
});

describe('RoundSightings', () => {
  it('uses the chain alone for a member the rounds never showed', () => {
    expect(new RoundSightings().activityOf(chainFactsOf(CHAIN), 'Org4MSP')).toEqual({ lastVote: { height: 1, approve: true }, votedInLatestCb: false });
    expect(new RoundSightings().activityOf(chainFactsOf([]), 'Org4MSP')).toEqual({});
  });

  it('adds the votes (with their times, rejections too) and proposals seen in rounds', () => {
    const sightings = new RoundSightings();
    sightings.note(round(3, 'Org4MSP', [{ mspId: 'Org1MSP', approve: true }, { mspId: 'Org4MSP', approve: false }], 'failed'));
    const facts = chainFactsOf(CHAIN);
    expect(sightings.activityOf(facts, 'Org4MSP')).toEqual({
      lastVote: { height: 3, approve: false, at: '2026-01-01T00:09:01.000Z' },
      lastProposal: { height: 3, hash: 'p3', at: '2026-01-01T00:09:00.000Z', sealed: false },
      votedInLatestCb: false,
    });
    // Org2's newest evidence is still the chain's.
    expect(sightings.activityOf(facts, 'Org2MSP')).toMatchObject({ lastVote: { height: 2, approve: true }, lastProposal: { height: 1, sealed: true } });
  });

  it('says a proposal seen open is sealed once the chain has it', () => {
    const sightings = new RoundSightings();
    const open = round(2, 'Org3MSP', []);
    sightings.note({ ...open, proposal: { ...open.proposal, id: 'h2', hash: 'h2' } } as Round);
    expect(sightings.activityOf(chainFactsOf(CHAIN.slice(0, 2)), 'Org3MSP').lastProposal).toMatchObject({ height: 2, sealed: false });
    expect(sightings.activityOf(chainFactsOf(CHAIN), 'Org3MSP').lastProposal).toMatchObject({ height: 2, sealed: true });
  });
});
