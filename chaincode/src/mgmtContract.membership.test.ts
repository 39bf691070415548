/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * ProposeParams: membership changing through a CB, judged under the params in force at its own
 * height, in force from the next one.
 */

import './testing/quietLogs';

import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import { verifyChain } from './protocol';
import type { ConfigBlock, GenesisParams, MgmtErrorCode, Proposal, Round } from './protocol';
import { ContractHarness, T0, TEST_CONFIG, testParams } from './testing/harness';
import { createTestConsortium, createTestOrg } from './testing/pki';
import type { TestOrg } from './testing/pki';

let orgs: TestOrg[];
let org5: TestOrg;
let h: ContractHarness;
const T1 = T0 + 30_000;

beforeAll(async () => {
  orgs = await createTestConsortium();
  org5 = await createTestOrg('Org5MSP');
});

beforeEach(async () => {
  h = ContractHarness.fromOrgs([...orgs, org5]);
  const genesis = await h.proposeGenesis(T0, testParams(orgs));
  await h.approveAndTally(genesis, T0 + 1, orgs);
});

async function refused(promise: Promise<unknown>, code: MgmtErrorCode, message?: RegExp): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'MgmtError', code });
  if (message !== undefined) await expect(promise).rejects.toThrow(message);
}

async function proposeParams(atMs: number, params: GenesisParams): Promise<Proposal> {
  const proposer = h.client(await h.expectedProposer(atMs));
  return JSON.parse(await h.submit(proposer, 'ProposeParams', [JSON.stringify(TEST_CONFIG), JSON.stringify(params)], atMs)) as Proposal;
}

async function getParams(atMs: number): Promise<GenesisParams> {
  return JSON.parse(await h.evaluate(h.client('Org1MSP'), 'GetParams', [], atMs)) as GenesisParams;
}

describe('ProposeParams', () => {
  it('admits Org5: sealed by three of the four members in force, five in force from the next height, quorum 4', async () => {
    const proposal = await proposeParams(T1, testParams([...orgs, org5]));
    expect(proposal.header.params?.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP', 'Org5MSP']);
    // Org5 is not a member yet: its vote on its own admission does not count.
    await refused(h.vote(org5.client, proposal, true, T1 + 1), 'MGMT_NOT_MEMBER');
    const admitted = await h.approveAndTally(proposal, T1 + 2, orgs.slice(0, 3));
    expect(admitted.params?.members).toHaveLength(5);
    expect((await getParams(T1 + 10)).members).toHaveLength(5);

    const t2 = T1 + 30_000 + 100;
    const next = await h.proposeAsExpected(t2);
    for (const [i, org] of orgs.slice(0, 3).entries()) await h.vote(org.client, next, true, t2 + 1 + i);
    const open = JSON.parse(await h.evaluate(h.client('Org1MSP'), 'GetRound', [], t2 + 5)) as Round;
    expect(open.outcome?.tally).toMatchObject({ n: 5, approvals: 3, quorum: 4, verdict: 'open' });
    await h.vote(org5.client, next, true, t2 + 6);
    const sealed = JSON.parse(await h.submit(h.client('Org1MSP'), 'Tally', [next.id], t2 + 7)) as ConfigBlock;
    expect(sealed.proof.map((p) => p.mspId)).toContain('Org5MSP');
    const blocks = JSON.parse(await h.evaluate(h.client('Org1MSP'), 'GetBlocks', ['0', '2'], t2 + 8)) as ConfigBlock[];
    expect(verifyChain(blocks).params.members).toHaveLength(5);
  });

  it('removes Org4: its later votes are refused and the quorum is back to 3', async () => {
    const proposal = await proposeParams(T1, testParams(orgs.slice(0, 3)));
    await h.approveAndTally(proposal, T1 + 1, orgs.slice(0, 3));
    const t2 = T1 + 30_000 + 100;
    const next = await h.proposeAsExpected(t2);
    await refused(h.vote(h.client('Org4MSP'), next, true, t2 + 1), 'MGMT_NOT_MEMBER');
  });

  it.each<[string, () => GenesisParams, RegExp]>([
    ['two of four leaving', () => testParams(orgs.slice(0, 2)), /removes 2 of 4 members/],
    ['invalid params', () => testParams(orgs, { cbiSeconds: 0 }), /params.cbiSeconds/],
  ])('refuses %s', async (_label, make, message) => {
    const proposer = h.client(await h.expectedProposer(T1));
    await refused(h.submit(proposer, 'ProposeParams', [JSON.stringify(TEST_CONFIG), JSON.stringify(make())], T1), 'MGMT_INVALID_PARAMS', message);
  });

  it('refuses two new members at once', async () => {
    const org6 = await createTestOrg('Org6MSP');
    const proposer = h.client(await h.expectedProposer(T1));
    await refused(h.submit(proposer, 'ProposeParams', [JSON.stringify(TEST_CONFIG), JSON.stringify(testParams([...orgs, org5, org6]))], T1), 'MGMT_INVALID_PARAMS', /one at a time/);
  });
});
