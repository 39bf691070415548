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
import { shareArgs } from './testing/updateSignatures';
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

describe('a CA rotation', () => {
  it("Org2's update of the rotating CB is signed by its old CA's admin (the params at that height); from the next height only the new CA counts", async () => {
    const newOrg2 = await createTestOrg('Org2MSP');
    const rotated = orgs.map((o) => (o.mspId === 'Org2MSP' ? newOrg2 : o));
    const rotation = await h.approveAndTally(await proposeParams(T1, testParams(rotated)), T1 + 1, orgs.slice(0, 3));
    const at = (height: number): { height: string } => ({ height: String(height) });
    // The channels still know only the old root when this CB's update is signed.
    await refused(h.submit(newOrg2.client, 'ShareUpdateSignature', shareArgs(newOrg2, at(rotation.height)), T1 + 2), 'MGMT_BAD_CERTIFICATE');
    await h.submit(orgs[1].client, 'ShareUpdateSignature', shareArgs(orgs[1], at(rotation.height)), T1 + 3);
    // So do the CBs before it.
    await h.submit(orgs[1].client, 'ShareUpdateSignature', shareArgs(orgs[1], { ...at(0), sequence: '4' }), T1 + 4);

    const t2 = T1 + 30_000 + 100;
    const expected = await h.expectedProposer(t2);
    const proposer = expected === 'Org2MSP' ? newOrg2.client : h.client(expected);
    const next = JSON.parse(await h.submit(proposer, 'Propose', [JSON.stringify(TEST_CONFIG)], t2)) as Proposal;
    await refused(h.vote(orgs[1].client, next, true, t2 + 1), 'MGMT_BAD_CERTIFICATE');
    const sealed = await h.approveAndTally(next, t2 + 2, rotated.slice(0, 3));
    expect(sealed.proof.find((p) => p.mspId === 'Org2MSP')?.certificate).toBe(newOrg2.client.certificate);
    await refused(h.submit(orgs[1].client, 'ShareUpdateSignature', shareArgs(orgs[1], at(sealed.height)), t2 + 3), 'MGMT_BAD_CERTIFICATE');
    await h.submit(newOrg2.client, 'ShareUpdateSignature', shareArgs(newOrg2, at(sealed.height)), t2 + 4);

    const blocks = JSON.parse(await h.evaluate(h.client('Org1MSP'), 'GetBlocks', ['0', '2'], t2 + 5)) as ConfigBlock[];
    expect(verifyChain(blocks).params.members.find((m) => m.mspId === 'Org2MSP')?.caCertificate).toBe(newOrg2.caCertificate);
  });

  it('on a chain sealed before the params heights were recorded, the first rotation is still signed by the old CA\'s admin', async () => {
    h.ledger.forget('paramsHeights');
    const newOrg2 = await createTestOrg('Org2MSP');
    const rotation = await h.approveAndTally(await proposeParams(T1, testParams(orgs.map((o) => (o.mspId === 'Org2MSP' ? newOrg2 : o)))), T1 + 1, orgs.slice(0, 3));
    await h.submit(orgs[1].client, 'ShareUpdateSignature', shareArgs(orgs[1], { height: String(rotation.height) }), T1 + 2);
    await refused(h.submit(newOrg2.client, 'ShareUpdateSignature', shareArgs(newOrg2, { height: String(rotation.height), sequence: '4' }), T1 + 3), 'MGMT_BAD_CERTIFICATE');
  });
});
