/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import type { GenesisInput } from '../managementNode/genesis';
import type { MgmtLedger, TallyResult } from '../managementNode/ledger';
import { MgmtRefusalError } from '../mgmtClient';
import { GenesisPendingError, sealGenesis } from './genesis';

const input = { params: { members: [1, 2, 3, 4].map((i) => ({ mspId: `Org${i}MSP`, caCertificate: '' })) }, config: {} } as unknown as GenesisInput;
const block = { height: 0, hash: 'h' } as unknown as ConfigBlock;

/** The first member's peer: it answers MGMT_VOTES_PENDING `lagging` times before it has every vote. */
function ledger(lagging: number, refusal: 'MGMT_VOTES_PENDING' | 'MGMT_NOT_MEMBER' = 'MGMT_VOTES_PENDING'): { ledger: MgmtLedger; tallies: () => number } {
  let tallies = 0;
  const fake = {
    getRound: () => Promise.resolve({ phase: 'genesis' }),
    initLedger: () => Promise.resolve({ id: 'p', hash: 'x' }),
    vote: () => Promise.resolve({}),
    tally: (): Promise<TallyResult> => {
      tallies++;
      if (tallies <= lagging) return Promise.reject(new MgmtRefusalError({ step: 'endorse', transaction: 'Tally', code: refusal, message: `${refusal}: 2 approvals` }));
      return Promise.resolve({ outcome: 'sealed', block });
    },
  };
  return { ledger: fake as unknown as MgmtLedger, tallies: () => tallies };
}

describe('sealGenesis', () => {
  const member = (l: MgmtLedger, i: number): { mspId: string; ledger: MgmtLedger; signVote: () => string } => ({ mspId: `Org${i + 1}MSP`, ledger: l, signVote: () => 'sig' });
  const withRound = (round: object): { ledger: MgmtLedger; tallies: () => number; inits: () => number } => {
    const base = ledger(0);
    let inits = 0;
    const fake = { ...(base.ledger as unknown as Record<string, unknown>), getRound: () => Promise.resolve(round), initLedger: () => { inits++; return Promise.resolve({ id: 'p', hash: 'x' }); } };
    return { ledger: fake as unknown as MgmtLedger, tallies: base.tallies, inits: () => inits };
  };
  const proposal = { id: 'g1', header: { proposer: 'Org3MSP' } };

  it('refuses, saying how to go on, while a genesis proposal made elsewhere is open', async () => {
    const first = withRound({ phase: 'genesis', proposal, outcome: { verdict: 'open' } });
    const sealing = sealGenesis([first.ledger, ledger(0).ledger, ledger(0).ledger].map(member), input);
    await expect(sealing).rejects.toBeInstanceOf(GenesisPendingError);
    await expect(sealing).rejects.toThrow(/genesis proposal g1 by Org3MSP is already open .*mgmt --member <mspId> vote g1 --approve.*mgmt tally g1/);
    expect(first.inits()).toBe(0);
  });

  it('tallies a genesis proposal a quorum already approved, and proposes anew after one that failed', async () => {
    const approved = withRound({ phase: 'genesis', proposal, outcome: { verdict: 'sealed' } });
    await expect(sealGenesis([approved.ledger, ledger(0).ledger, ledger(0).ledger].map(member), input)).resolves.toEqual({ block, created: false });
    expect([approved.tallies(), approved.inits()]).toEqual([1, 0]);
    const failed = withRound({ phase: 'genesis', proposal, outcome: { verdict: 'failed' } });
    await expect(sealGenesis([failed.ledger, ledger(0).ledger, ledger(0).ledger].map(member), input)).resolves.toEqual({ block, created: true });
    expect(failed.inits()).toBe(1);
  });

  it("tallies again while the first member's peer has not committed every vote", async () => {
    const first = ledger(2);
    const members = [first.ledger, ledger(0).ledger, ledger(0).ledger].map((l, i) => ({ mspId: `Org${i + 1}MSP`, ledger: l, signVote: () => 'sig' }));
    await expect(sealGenesis(members, input, { retryMs: 1 })).resolves.toEqual({ block, created: true });
    expect(first.tallies()).toBe(3);
  });

  it('gives up after the attempts, and at once on any other refusal', async () => {
    const slow = ledger(10);
    await expect(sealGenesis([{ mspId: 'Org1MSP', ledger: slow.ledger, signVote: () => 's' }, ...[2, 3].map((i) => ({ mspId: `Org${i}MSP`, ledger: ledger(0).ledger, signVote: () => 's' }))], input, { retryMs: 1, attempts: 3 })).rejects.toThrow('MGMT_VOTES_PENDING');
    expect(slow.tallies()).toBe(3);
    const refused = ledger(1, 'MGMT_NOT_MEMBER');
    await expect(sealGenesis([{ mspId: 'Org1MSP', ledger: refused.ledger, signVote: () => 's' }, ...[2, 3].map((i) => ({ mspId: `Org${i}MSP`, ledger: ledger(0).ledger, signVote: () => 's' }))], input, { retryMs: 1 })).rejects.toThrow('MGMT_NOT_MEMBER');
    expect(refused.tallies()).toBe(1);
  });
});
