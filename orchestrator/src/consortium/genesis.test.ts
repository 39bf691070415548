/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import type { GenesisInput } from '../managementNode/genesis';
import type { MgmtLedger, TallyResult } from '../managementNode/ledger';
import { MgmtRefusalError } from '../mgmtClient';
import { sealGenesis } from './genesis';

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
