/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Membership changing along the chain: a CB carrying new params is sealed by the members in force
 * and puts its params in force from the next height, so every proof is checked against the member
 * set and CAs in force at its own height, and a chain with changes verifies from genesis alone.
 */

import { beforeAll, describe, expect, it } from '@jest/globals';

import { createTestConsortium, createTestOrg } from '../testing/pki';
import type { TestOrg } from '../testing/pki';
import { planGenesis, planProposal, sealProposal } from './agreement';
import { membershipChange, membershipChangeProblem, paramsAfter, paramsInForce } from './membership';
import { validateParams } from './params';
import { expectedProposer } from './proposer';
import { quorum } from './quorum';
import { receiveConfigBlock, initialPrimaryState, verifyWith } from './reconfiguration';
import { signVote } from './signatures';
import type { ConfigBlock, GenesisParams, JsonObject, Proposal, Vote } from './types';
import { verifyBlock, verifyChain } from './verifyBlock';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const CONFIG: JsonObject = { batchTimeoutMs: 2000, maxMessageCount: 10 };
const SCHEMA: JsonObject = { type: 'object' };

let orgs: TestOrg[];
let org5: TestOrg;
let org2Rotated: TestOrg;
let params4: GenesisParams;

function paramsOf(members: readonly TestOrg[]): GenesisParams {
  return validateParams({
    members: members.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertificate })),
    cbiSeconds: 30,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 5,
    configSchema: SCHEMA,
  });
}

function vote(org: TestOrg, proposal: Proposal): Vote {
  return {
    proposalId: proposal.id,
    mspId: org.mspId,
    approve: true,
    signature: signVote({ hash: proposal.hash, approve: true, privateKeyPem: org.client.privateKeyPem }),
    certificate: org.client.certificate,
    reason: '',
    timestamp: proposal.header.timestamp,
    txId: 'tx',
  };
}

/** The next block in cycle 0, proposed under `inForce`, approved by `voters`, optionally carrying `newParams`. */
function next(previous: ConfigBlock, inForce: GenesisParams, voters: readonly TestOrg[], newParams?: GenesisParams): ConfigBlock {
  const proposal = planProposal({
    params: inForce,
    latest: previous,
    caller: expectedProposer(inForce.members, previous.hash, 0),
    nowMs: Date.parse(previous.timestamp) + 30_000 + 3,
    config: CONFIG,
    txId: 'tx',
    ...(newParams === undefined ? {} : { newParams }),
  });
  return sealProposal(proposal, voters.map((org) => vote(org, proposal)));
}

beforeAll(async () => {
  orgs = await createTestConsortium();
  org5 = await createTestOrg('Org5MSP');
  org2Rotated = await createTestOrg('Org2MSP');
  params4 = paramsOf(orgs);
});

describe('the safety rules of a params change', () => {
  it('names who is added, removed and rotated', () => {
    const next = paramsOf([orgs[0], org2Rotated, orgs[2], org5]);
    expect(membershipChange(params4, next)).toEqual({ added: ['Org5MSP'], removed: ['Org4MSP'], rotated: ['Org2MSP'] });
  });

  it.each([
    ['one of four leaves', () => paramsOf(orgs.slice(0, 3)), undefined],
    ['two of four leave: a quorum of the old set would not stay in', () => paramsOf(orgs.slice(0, 2)), /removes 2 of 4 members .* at most 1/],
    ['one joins', () => paramsOf([...orgs, org5]), undefined],
    ['a CA rotates', () => paramsOf([orgs[0], org2Rotated, orgs[2], orgs[3]]), undefined],
  ])('%s', (_label, make, problem) => {
    const found = membershipChangeProblem(params4, make());
    if (problem === undefined) expect(found).toBeUndefined();
    else expect(found).toMatch(problem);
  });

  it('admits members one at a time', async () => {
    const org6 = await createTestOrg('Org6MSP');
    expect(membershipChangeProblem(params4, paramsOf([...orgs, org5, org6]))).toMatch(/adds 2 members .* one at a time/);
  });

  it('is enforced when proposing', () => {
    const genesis = sealProposal(planGenesis({ params: params4, caller: 'Org1MSP', nowMs: T0, config: CONFIG, txId: 'tx' }), orgs.map((o) => vote(o, planGenesis({ params: params4, caller: 'Org1MSP', nowMs: T0, config: CONFIG, txId: 'tx' }))));
    expect(() => next(genesis, params4, orgs, paramsOf(orgs.slice(0, 2)))).toThrow(/MGMT_INVALID_PARAMS: params: removes 2 of 4/);
  });
});

describe('a chain whose membership changes', () => {
  let genesis: ConfigBlock;
  let admit5: ConfigBlock;
  let params5: GenesisParams;
  let afterAdmit: ConfigBlock;

  beforeAll(() => {
    const proposal = planGenesis({ params: params4, caller: 'Org1MSP', nowMs: T0, config: CONFIG, txId: 'tx' });
    genesis = sealProposal(proposal, orgs.slice(0, 3).map((o) => vote(o, proposal)));
    params5 = paramsOf([...orgs, org5]);
    // Sealed by the four members in force: a quorum of 3 suffices at its own height.
    admit5 = next(genesis, params4, orgs.slice(0, 3), params5);
    // From the next height five members are in force: a quorum of 4, and Org5's vote counts.
    afterAdmit = next(admit5, params5, [orgs[0], orgs[1], orgs[2], org5]);
  });

  it('verifies from genesis alone, each proof under the members in force at its height', () => {
    const verified = verifyChain([genesis, admit5, afterAdmit]);
    expect(verified.params).toEqual(params5);
    expect(quorum(verified.params.members.length)).toBe(4);
    expect(paramsInForce([genesis, admit5, afterAdmit], 1)).toEqual(params4);
    expect(paramsInForce([genesis, admit5, afterAdmit], 2)).toEqual(params5);
    expect(paramsAfter(admit5, params4)).toEqual(params5);
    expect(paramsAfter(afterAdmit, params5)).toEqual(params5);
  });

  it('refuses a block after the admission with only three approvals, and one proved by a non-member before it', () => {
    const short = next(admit5, params5, orgs.slice(0, 3));
    expect(() => verifyBlock(short, { previous: admit5, params: params5 })).toThrow(/quorum/);
    const early = next(genesis, params4, [orgs[0], orgs[1], org5]);
    expect(() => verifyBlock(early, { previous: genesis, params: params4 })).toThrow(/Org5MSP/);
  });

  it('keeps old blocks verifiable after a CA rotation, and refuses the old CA afterwards', () => {
    const rotated = paramsOf([orgs[0], org2Rotated, orgs[2], orgs[3]]);
    const rotation = next(genesis, params4, orgs.slice(0, 3), rotated);
    const withNewCa = next(rotation, rotated, [orgs[0], org2Rotated, orgs[2]]);
    expect(verifyChain([genesis, rotation, withNewCa]).params).toEqual(rotated);
    const withOldCa = next(rotation, rotated, [orgs[0], orgs[1], orgs[2]]);
    expect(() => verifyBlock(withOldCa, { previous: rotation, params: rotated })).toThrow(/Org2MSP/);
  });

  it('is followed by a primary node (Algorithm 2) that started from genesis', () => {
    const state = initialPrimaryState(genesis);
    const first = receiveConfigBlock(state, admit5, verifyWith(params4));
    const second = receiveConfigBlock(first.state, afterAdmit, verifyWith(params4));
    expect(second.outcome).toEqual({ kind: 'appended', heights: [2] });
    const short = next(admit5, params5, orgs.slice(0, 3));
    expect(receiveConfigBlock(first.state, short, verifyWith(params4)).outcome.kind).toBe('invalid');
  });
});
