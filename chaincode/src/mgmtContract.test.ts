/*
 * SPDX-License-Identifier: Apache-2.0
 */

import './testing/quietLogs';

import { beforeAll, beforeEach, describe, expect, it } from '@jest/globals';

import { blockKey } from './mgmtContract';
import { signVote, verifyChain } from './protocol';
import type { ConfigBlock, CycleFailure, GenesisParams, MgmtErrorCode, Proposal, Round, Vote } from './protocol';
import { ContractHarness, T0, TEST_CONFIG, testParams } from './testing/harness';
import { createTestConsortium, createTestOrg } from './testing/pki';
import type { TestIdentity, TestOrg } from './testing/pki';

let orgs: TestOrg[];
let outsider: TestOrg;
let h: ContractHarness;

beforeAll(async () => {
  orgs = await createTestConsortium();
  outsider = await createTestOrg('Org5MSP');
});

beforeEach(() => {
  h = ContractHarness.fromOrgs(orgs);
});

async function refused(promise: Promise<unknown>, code: MgmtErrorCode, message?: string | RegExp): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'MgmtError', code });
  if (message !== undefined) {
    await expect(promise).rejects.toThrow(message);
  }
}

function client(mspId: string): TestIdentity {
  return h.client(mspId);
}

function lastEvent(): { name: string; payload: unknown } {
  const event = h.ledger.events.at(-1);
  if (event === undefined) {
    throw new Error('no events');
  }
  return { name: event.name, payload: JSON.parse(event.payload) as unknown };
}

async function round(atMs: number): Promise<Round> {
  return JSON.parse(await h.evaluate(client('Org1MSP'), 'GetRound', [], atMs)) as Round;
}

function initArgs(params: unknown = testParams(orgs), config: unknown = TEST_CONFIG): string[] {
  return [JSON.stringify({ params, config })];
}

/** Genesis sealed at T0; the first round opens at T1. */
const T1 = T0 + 30_000;

describe('InitLedger', () => {
  it('opens a genesis proposal by the caller with sorted members, and emits ProposalCreated', async () => {
    const proposal = JSON.parse(await h.submit(client('Org3MSP'), 'InitLedger', initArgs(), T0)) as Proposal;
    expect(proposal).toMatchObject({
      status: 'open',
      cycleStartsAt: '2026-01-01T00:00:00.000Z',
      cycleEndsAt: '2026-01-01T00:00:10.000Z',
      header: { height: 0, prevHash: '', proposer: 'Org3MSP', cycle: 0, timestamp: '2026-01-01T00:00:00.000Z', config: TEST_CONFIG },
    });
    expect(proposal.header.params?.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    expect(lastEvent()).toEqual({ name: 'ProposalCreated', payload: proposal });
    const r = await round(T0 + 1);
    expect(r).toMatchObject({ phase: 'genesis', nextHeight: 0, cycle: 0, proposal: { id: proposal.id }, outcome: { verdict: 'open' } });
  });

  it('truncates the transaction timestamp to milliseconds', async () => {
    h.extraNanos = 999_999;
    const proposal = JSON.parse(await h.submit(client('Org1MSP'), 'InitLedger', initArgs(), T0 + 7)) as Proposal;
    expect(proposal.header.timestamp).toBe('2026-01-01T00:00:00.007Z');
  });

  it.each<[string, () => string[], MgmtErrorCode, RegExp]>([
    ['text that is not JSON', () => ['{params'], 'MGMT_INVALID_JSON', /paramsJson/],
    ['duplicate member names', () => ['{"params":{},"params":{},"config":{}}'], 'MGMT_INVALID_JSON', /duplicate member name "params"/],
    ['an array', () => ['[]'], 'MGMT_BAD_ARGUMENT', /must be an object/],
    ['a missing config', () => [JSON.stringify({ params: testParams(orgs) })], 'MGMT_BAD_ARGUMENT', /exactly the fields/],
    ['an extra field', () => [JSON.stringify({ params: testParams(orgs), config: TEST_CONFIG, x: 1 })], 'MGMT_BAD_ARGUMENT', /exactly the fields/],
    ['invalid params', () => initArgs(testParams(orgs, { cbiSeconds: 0 })), 'MGMT_INVALID_PARAMS', /params.cbiSeconds/],
    ['a config outside the bounds', () => initArgs(testParams(orgs), { ...TEST_CONFIG, maxMessageCount: 5000 }), 'MGMT_INVALID_CONFIG', /<= 1000/],
  ])('refuses %s', async (_label, args, code, message) => {
    await refused(h.submit(client('Org1MSP'), 'InitLedger', args(), T0), code, message);
  });

  it('refuses a caller outside the proposed members', async () => {
    await refused(h.submit(outsider.client, 'InitLedger', initArgs(), T0), 'MGMT_NOT_MEMBER', /Org5MSP is not among Org1MSP, Org2MSP/);
  });

  it('refuses a peer identity of a member', async () => {
    await refused(h.submit(h.org('Org1MSP').peer, 'InitLedger', initArgs(), T0), 'MGMT_BAD_CERTIFICATE', /peer or orderer/);
  });

  it('refuses a timestamp beyond the clock tolerance', async () => {
    h.endorserSkewMs = 5_001;
    await refused(h.submit(client('Org1MSP'), 'InitLedger', initArgs(), T0), 'MGMT_CLOCK_SKEW', /more than 5s/);
    h.endorserSkewMs = -5_000;
    await expect(h.submit(client('Org1MSP'), 'InitLedger', initArgs(), T0)).resolves.toBeDefined();
  });

  it('refuses a second genesis proposal while the first is open', async () => {
    await h.proposeGenesis(T0);
    await refused(h.submit(client('Org2MSP'), 'InitLedger', initArgs(), T0 + 9_999), 'MGMT_ALREADY_PROPOSED', /open until 2026-01-01T00:00:10.000Z/);
  });

  it('lets any member replace a rejected genesis proposal, even before the Tally', async () => {
    const first = await h.proposeGenesis(T0);
    await h.vote(client('Org2MSP'), first, false, T0 + 1);
    await h.vote(client('Org3MSP'), first, false, T0 + 2);
    const second = JSON.parse(await h.submit(client('Org4MSP'), 'InitLedger', initArgs(), T0 + 3)) as Proposal;
    expect(second.header.proposer).toBe('Org4MSP');
    expect(second.id).not.toBe(first.id);
    // Votes on the replaced proposal are over: it failed.
    const block = await h.approveAndTally(second, T0 + 4);
    expect(block.hash).toBe(second.hash);
  });

  it('lets any member replace a genesis proposal that timed out', async () => {
    const first = await h.proposeGenesis(T0);
    await h.vote(client('Org1MSP'), first, true, T0 + 1);
    await expect(h.submit(client('Org2MSP'), 'InitLedger', initArgs(), T0 + 10_000)).resolves.toBeDefined();
  });

  it('refuses to replace a genesis proposal that holds a quorum', async () => {
    const first = await h.proposeGenesis(T0);
    for (const mspId of ['Org1MSP', 'Org2MSP', 'Org3MSP']) {
      await h.vote(client(mspId), first, true, T0 + 1);
    }
    await refused(h.submit(client('Org4MSP'), 'InitLedger', initArgs(), T0 + 20_000), 'MGMT_SEAL_PENDING');
  });

  it('refuses once genesis is sealed', async () => {
    await h.sealGenesis(T0);
    await refused(h.submit(client('Org2MSP'), 'InitLedger', initArgs(), T0 + 60_000), 'MGMT_ALREADY_INITIALISED');
  });
});

describe('before genesis is sealed', () => {
  it.each<[string, string[], MgmtErrorCode]>([
    ['GetParams', [], 'MGMT_NOT_INITIALISED'],
    ['GetMembers', [], 'MGMT_NOT_INITIALISED'],
    ['GetLatest', [], 'MGMT_NOT_INITIALISED'],
    ['GetBlock', ['0'], 'MGMT_NOT_FOUND'],
  ] as const)('%s refuses with %s', async (fn, args, code) => {
    await h.proposeGenesis(T0);
    await refused(h.evaluate(client('Org1MSP'), fn as 'GetParams', args, T0 + 1), code);
  });

  it('Propose refuses', async () => {
    await h.proposeGenesis(T0);
    await refused(h.submit(client('Org1MSP'), 'Propose', [JSON.stringify(TEST_CONFIG)], T0 + 1), 'MGMT_NOT_INITIALISED');
  });

  it('GetBlocks answers an empty page and GetRound the genesis phase', async () => {
    expect(await h.evaluate(client('Org1MSP'), 'GetBlocks', ['0', '10'], T0)).toBe('[]');
    expect(await round(T0)).toMatchObject({ phase: 'genesis', nextHeight: 0, latestHash: '', proposal: null, votes: [], outcome: null });
  });

  it('genesis votes are judged under the proposed params', async () => {
    const proposal = await h.proposeGenesis(T0);
    const signature = signVote({ hash: proposal.hash, approve: true, privateKeyPem: outsider.client.privateKeyPem });
    await refused(h.submit(outsider.client, 'Vote', [proposal.id, 'true', signature, ''], T0 + 1), 'MGMT_NOT_MEMBER');
  });
});

describe('sealing genesis', () => {
  it('stores the block, the params and the latest pointer, and emits ConfigBlockCommitted', async () => {
    const block = await h.sealGenesis(T0);
    expect(lastEvent()).toEqual({ name: 'ConfigBlockCommitted', payload: block });
    expect(JSON.parse(await h.evaluate(client('Org2MSP'), 'GetLatest', [], T0 + 10))).toEqual(block);
    expect(JSON.parse(await h.evaluate(client('Org2MSP'), 'GetBlock', ['0'], T0 + 10))).toEqual(block);
    const params = JSON.parse(await h.evaluate(client('Org2MSP'), 'GetParams', [], T0 + 10)) as GenesisParams;
    expect(params).toEqual(block.params);
    expect(JSON.parse(await h.evaluate(client('Org2MSP'), 'GetMembers', [], T0 + 10))).toEqual(params.members);
    expect(block.proof.map((p) => p.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    expect(() => verifyChain([block])).not.toThrow();
    expect(await round(T0 + 10)).toMatchObject({ phase: 'waiting', nextHeight: 1, latestHash: block.hash, opensAt: '2026-01-01T00:00:30.000Z' });
  });

  it('fails a rejected genesis proposal with CycleFailed', async () => {
    const proposal = await h.proposeGenesis(T0);
    await h.vote(client('Org3MSP'), proposal, false, T0 + 1, 'bounds too wide');
    await h.vote(client('Org4MSP'), proposal, false, T0 + 2);
    const failure = JSON.parse(await h.submit(client('Org2MSP'), 'Tally', [proposal.id], T0 + 3)) as CycleFailure;
    expect(failure).toEqual({
      proposalId: proposal.id,
      height: 0,
      cycle: 0,
      reason: 'rejected',
      approvals: 0,
      rejections: 2,
      quorum: 3,
      roundAbandoned: false,
      nextCycleStartsAt: null,
    });
    expect(lastEvent()).toEqual({ name: 'CycleFailed', payload: failure });
  });
});

describe('with genesis sealed', () => {
  let genesis: ConfigBlock;

  beforeEach(async () => {
    genesis = await h.sealGenesis(T0);
  });

  async function proposer(atMs: number): Promise<TestIdentity> {
    return client(await h.expectedProposer(atMs));
  }

  async function notProposer(atMs: number): Promise<TestIdentity> {
    const expected = await h.expectedProposer(atMs);
    return client(orgs.map((o) => o.mspId).find((id) => id !== expected) as string);
  }

  function propose(identity: TestIdentity, atMs: number, config: unknown = TEST_CONFIG): Promise<string> {
    return h.submit(identity, 'Propose', [JSON.stringify(config)], atMs);
  }

  describe('Propose', () => {
    it('lets the expected proposer propose once the CBI has elapsed', async () => {
      const identity = await proposer(T1);
      const proposal = JSON.parse(await propose(identity, T1)) as Proposal;
      expect(proposal).toMatchObject({
        status: 'open',
        cycleStartsAt: '2026-01-01T00:00:30.000Z',
        cycleEndsAt: '2026-01-01T00:00:40.000Z',
        header: { height: 1, prevHash: genesis.hash, proposer: identity.mspId, cycle: 0, config: TEST_CONFIG },
      });
      expect(lastEvent()).toEqual({ name: 'ProposalCreated', payload: proposal });
      expect(await round(T1 + 1)).toMatchObject({ phase: 'cycle', cycle: 0, expectedProposer: identity.mspId, proposal: { id: proposal.id } });
    });

    it('refuses before the CBI has elapsed', async () => {
      await refused(propose(await proposer(T1), T1 - 1), 'MGMT_CBI_NOT_ELAPSED', /opens at 2026-01-01T00:00:30.000Z/);
    });

    it('refuses anyone but the expected proposer', async () => {
      const expected = await h.expectedProposer(T1);
      await refused(propose(await notProposer(T1), T1), 'MGMT_NOT_PROPOSER', new RegExp(`expected ${expected} for cycle 0`));
    });

    it('refuses a non-member and a non-client identity', async () => {
      await refused(propose(outsider.client, T1), 'MGMT_NOT_MEMBER');
      const expected = await h.expectedProposer(T1);
      await refused(propose(h.org(expected).orderer, T1), 'MGMT_BAD_CERTIFICATE');
    });

    it('accepts the admin identity of the expected proposer', async () => {
      const expected = await h.expectedProposer(T1);
      await expect(propose(h.org(expected).admin, T1)).resolves.toBeDefined();
    });

    it('refuses a second proposal in the same cycle', async () => {
      const identity = await proposer(T1);
      await propose(identity, T1);
      await refused(propose(identity, T1 + 5_000, { ...TEST_CONFIG, maxMessageCount: 20 }), 'MGMT_ALREADY_PROPOSED');
    });

    it.each<[string, string, MgmtErrorCode]>([
      ['a configuration outside the bounds', JSON.stringify({ batchTimeoutMs: 50, maxMessageCount: 10 }), 'MGMT_INVALID_CONFIG'],
      ['a configuration with unknown fields', JSON.stringify({ ...TEST_CONFIG, x: 1 }), 'MGMT_INVALID_CONFIG'],
      ['a configuration that is not an object', '[1]', 'MGMT_INVALID_CONFIG'],
      ['text that is not JSON', 'batchTimeoutMs=2000', 'MGMT_INVALID_JSON'],
      ['duplicate names', '{"batchTimeoutMs":2000,"batchTimeoutMs":3000,"maxMessageCount":1}', 'MGMT_INVALID_JSON'],
    ])('refuses %s', async (_label, configJson, code) => {
      await refused(h.submit(await proposer(T1), 'Propose', [configJson], T1), code);
    });

    it('refuses a timestamp beyond the clock tolerance', async () => {
      const identity = await proposer(T1);
      h.endorserSkewMs = -5_001;
      await refused(propose(identity, T1), 'MGMT_CLOCK_SKEW');
    });

    it('passes the turn to the next member after a cycle without a proposal', async () => {
      const first = await h.expectedProposer(T1);
      const second = await h.expectedProposer(T1 + 10_000);
      const index = orgs.findIndex((o) => o.mspId === first);
      expect(second).toBe(orgs[(index + 1) % orgs.length]?.mspId);
      const proposal = JSON.parse(await propose(client(second), T1 + 10_000)) as Proposal;
      expect(proposal.header).toMatchObject({ cycle: 1, proposer: second });
      const block = await h.approveAndTally(proposal, T1 + 10_001);
      expect(() => verifyChain([genesis, block])).not.toThrow();
    });

    it('waits a CBI after an abandoned round, and keeps counting FC', async () => {
      // Round 0: cycles at T1 .. T1+40s; abandoned; round 1 opens at T1+70s with FC 4.
      await refused(propose(await proposer(T1), T1 + 40_000), 'MGMT_CBI_NOT_ELAPSED', /round 1 after height 0 opens at 2026-01-01T00:01:40.000Z/);
      expect(await round(T1 + 50_000)).toMatchObject({ phase: 'waiting', round: 1, cycle: null, expectedProposer: null });
      const proposal = JSON.parse(await propose(await proposer(T1 + 70_000), T1 + 70_000)) as Proposal;
      expect(proposal.header.cycle).toBe(4);
      const block = await h.approveAndTally(proposal, T1 + 70_001);
      expect(() => verifyChain([genesis, block])).not.toThrow();
    });

    it('refuses while an earlier proposal holds an untallied quorum, which a late Tally still seals', async () => {
      const proposal = JSON.parse(await propose(await proposer(T1), T1)) as Proposal;
      for (const mspId of ['Org1MSP', 'Org2MSP', 'Org3MSP']) {
        await h.vote(client(mspId), proposal, true, T1 + 1);
      }
      await refused(propose(await proposer(T1 + 10_000), T1 + 10_000), 'MGMT_SEAL_PENDING', /submit Tally first/);
      const block = JSON.parse(await h.submit(client('Org4MSP'), 'Tally', [proposal.id], T1 + 15_000)) as ConfigBlock;
      expect(block.hash).toBe(proposal.hash);
    });
  });

  describe('Vote', () => {
    let proposal: Proposal;

    beforeEach(async () => {
      proposal = JSON.parse(await propose(await proposer(T1), T1)) as Proposal;
    });

    function voteArgs(identity: TestIdentity, approve: boolean, reason = ''): string[] {
      return [proposal.id, String(approve), signVote({ hash: proposal.hash, approve, privateKeyPem: identity.privateKeyPem }), reason];
    }

    it('records the vote on its own key and emits VoteCast', async () => {
      const vote = JSON.parse(await h.vote(client('Org2MSP'), proposal, false, T1 + 1, 'batch timeout too low')) as Vote;
      expect(vote).toMatchObject({ proposalId: proposal.id, mspId: 'Org2MSP', approve: false, reason: 'batch timeout too low', timestamp: '2026-01-01T00:00:30.001Z' });
      expect(vote.certificate).toBe(client('Org2MSP').certificate);
      expect(lastEvent()).toEqual({ name: 'VoteCast', payload: { proposalId: proposal.id, height: 1, cycle: 0, mspId: 'Org2MSP', approve: false } });
      expect((await round(T1 + 2)).votes).toEqual([vote]);
    });

    it('accepts an admin identity', async () => {
      await expect(h.vote(h.org('Org3MSP').admin, proposal, true, T1 + 1)).resolves.toBeDefined();
    });

    it.each<[string, (args: string[]) => string[], RegExp]>([
      ['an approve flag other than true/false', (a) => [a[0], 'yes', a[2], ''], /approve must be "true" or "false"/],
      ['a malformed proposal id', (a) => ['xyz', 'true', a[2], ''], /proposalId must be 64 lowercase hex digits/],
      ['an overlong reason', (a) => [a[0], 'true', a[2], 'x'.repeat(1025)], /at most 1024/],
      ['a reason with a lone surrogate', (a) => [a[0], 'true', a[2], '\ud800'], /lone surrogate/],
    ])('refuses %s', async (_label, change, message) => {
      await refused(h.submit(client('Org1MSP'), 'Vote', change(voteArgs(client('Org1MSP'), true)), T1 + 1), 'MGMT_BAD_ARGUMENT', message);
    });

    it('refuses an unknown proposal', async () => {
      const args = voteArgs(client('Org1MSP'), true);
      await refused(h.submit(client('Org1MSP'), 'Vote', ['ab'.repeat(32), ...args.slice(1)], T1 + 1), 'MGMT_UNKNOWN_PROPOSAL');
    });

    it('refuses a second vote of the same member in the cycle', async () => {
      await h.vote(client('Org1MSP'), proposal, true, T1 + 1);
      await refused(h.vote(client('Org1MSP'), proposal, false, T1 + 2), 'MGMT_DUPLICATE_VOTE');
      await refused(h.vote(h.org('Org1MSP').admin, proposal, true, T1 + 2), 'MGMT_DUPLICATE_VOTE');
    });

    it('refuses a rejection signature presented as an approval', async () => {
      const rejection = voteArgs(client('Org1MSP'), false);
      await refused(h.submit(client('Org1MSP'), 'Vote', [proposal.id, 'true', rejection[2], ''], T1 + 1), 'MGMT_BAD_SIGNATURE', /does not verify/);
    });

    it("refuses a signature made with another member's key", async () => {
      const args = voteArgs(client('Org2MSP'), true);
      await refused(h.submit(client('Org1MSP'), 'Vote', args, T1 + 1), 'MGMT_BAD_SIGNATURE');
    });

    it('refuses a signature that is not base64 DER', async () => {
      await refused(h.submit(client('Org1MSP'), 'Vote', [proposal.id, 'true', 'not-a-signature', ''], T1 + 1), 'MGMT_BAD_SIGNATURE');
    });

    it('refuses a vote after the cycle ended', async () => {
      await refused(h.vote(client('Org1MSP'), proposal, true, T1 + 10_000), 'MGMT_STALE_PROPOSAL', /ended at 2026-01-01T00:00:40.000Z/);
    });

    it('refuses a vote after the proposal was sealed', async () => {
      for (const mspId of ['Org1MSP', 'Org2MSP', 'Org3MSP']) {
        await h.vote(client(mspId), proposal, true, T1 + 1);
      }
      await h.submit(client('Org1MSP'), 'Tally', [proposal.id], T1 + 2);
      await refused(h.vote(client('Org4MSP'), proposal, true, T1 + 3), 'MGMT_STALE_PROPOSAL', /is sealed/);
    });

    it('refuses a non-member', async () => {
      await refused(h.submit(outsider.client, 'Vote', voteArgs(outsider.client, true), T1 + 1), 'MGMT_NOT_MEMBER');
    });

    it.each(['peer', 'orderer'] as const)('refuses a %s identity of a member', async (role) => {
      const identity = h.org('Org1MSP')[role];
      await refused(h.submit(identity, 'Vote', voteArgs(identity, true), T1 + 1), 'MGMT_BAD_CERTIFICATE', /peer or orderer/);
    });

    it("refuses a certificate not issued by the member's own CA", async () => {
      const foreign = { ...client('Org2MSP'), mspId: 'Org1MSP' };
      await refused(h.submit(foreign, 'Vote', voteArgs(foreign, true), T1 + 1), 'MGMT_BAD_CERTIFICATE', /not issued by the Org1MSP CA/);
    });

    it("refuses a certificate that was not valid at the proposal's time", async () => {
      const later = await h.org('Org1MSP').issue({ notBefore: new Date(T1 + 1_000) });
      await refused(h.submit(later, 'Vote', voteArgs(later, true), T1 + 2_000), 'MGMT_BAD_CERTIFICATE', /not valid at 2026-01-01T00:00:30.000Z/);
    });

    it('refuses a timestamp beyond the clock tolerance', async () => {
      h.endorserSkewMs = 60_000;
      await refused(h.vote(client('Org1MSP'), proposal, true, T1 + 1), 'MGMT_CLOCK_SKEW');
    });
  });

  describe('Tally', () => {
    let proposal: Proposal;

    beforeEach(async () => {
      proposal = JSON.parse(await propose(await proposer(T1), T1)) as Proposal;
    });

    async function tally(atMs: number, identity: TestIdentity = client('Org1MSP')): Promise<string> {
      return h.submit(identity, 'Tally', [proposal.id], atMs);
    }

    it('refuses while the cycle is undecided', async () => {
      await h.vote(client('Org1MSP'), proposal, true, T1 + 1);
      await h.vote(client('Org2MSP'), proposal, true, T1 + 2);
      await h.vote(client('Org3MSP'), proposal, false, T1 + 3);
      await refused(tally(T1 + 4), 'MGMT_VOTES_PENDING', /2 approvals and 1 rejections of 4; quorum 3/);
    });

    it('seals with a quorum of approvals; the proof holds the approvals only, sorted', async () => {
      await h.vote(client('Org4MSP'), proposal, true, T1 + 1);
      await h.vote(client('Org1MSP'), proposal, false, T1 + 2);
      await h.vote(client('Org3MSP'), proposal, true, T1 + 3);
      await h.vote(client('Org2MSP'), proposal, true, T1 + 4);
      const block = JSON.parse(await tally(T1 + 5, client('Org1MSP'))) as ConfigBlock;
      expect(block).toMatchObject({ height: 1, hash: proposal.hash, prevHash: genesis.hash, timestamp: proposal.header.timestamp, cycle: 0 });
      expect(block.proof.map((p) => p.mspId)).toEqual(['Org2MSP', 'Org3MSP', 'Org4MSP']);
      expect(Object.keys(block).sort()).toEqual(['config', 'cycle', 'hash', 'height', 'prevHash', 'proof', 'proposer', 'timestamp']);
      expect(lastEvent()).toEqual({ name: 'ConfigBlockCommitted', payload: block });
      expect(JSON.parse(await h.evaluate(client('Org1MSP'), 'GetLatest', [], T1 + 6))).toEqual(block);
      expect(() => verifyChain([genesis, block])).not.toThrow();
      expect(await round(T1 + 6)).toMatchObject({ nextHeight: 2, latestHash: block.hash, phase: 'waiting', proposal: null });
    });

    it('fails the cycle early with n - quorum + 1 rejections; the schedule does not move', async () => {
      await h.vote(client('Org1MSP'), proposal, false, T1 + 1);
      await h.vote(client('Org2MSP'), proposal, false, T1 + 2);
      const failure = JSON.parse(await tally(T1 + 3)) as CycleFailure;
      expect(failure).toEqual({
        proposalId: proposal.id,
        height: 1,
        cycle: 0,
        reason: 'rejected',
        approvals: 0,
        rejections: 2,
        quorum: 3,
        roundAbandoned: false,
        nextCycleStartsAt: '2026-01-01T00:00:40.000Z',
      });
      expect(lastEvent()).toEqual({ name: 'CycleFailed', payload: failure });
      await refused(h.vote(client('Org3MSP'), proposal, true, T1 + 4), 'MGMT_STALE_PROPOSAL', /is failed/);
      await refused(propose(client(proposal.header.proposer), T1 + 5), 'MGMT_ALREADY_PROPOSED');
      await refused(propose(await proposer(T1 + 10_000), T1 + 9_999), 'MGMT_NOT_PROPOSER');
      const next = JSON.parse(await propose(await proposer(T1 + 10_000), T1 + 10_000)) as Proposal;
      expect(next.header.cycle).toBe(1);
      expect(await round(T1 + 10_001)).toMatchObject({ cycle: 1, proposal: { id: next.id }, votes: [] });
    });

    it('fails the cycle by timeout once it has ended without a quorum', async () => {
      await h.vote(client('Org1MSP'), proposal, true, T1 + 1);
      await refused(tally(T1 + 9_999), 'MGMT_VOTES_PENDING');
      const failure = JSON.parse(await tally(T1 + 10_000)) as CycleFailure;
      expect(failure).toMatchObject({ reason: 'timeout', approvals: 1, rejections: 0, roundAbandoned: false });
    });

    it('reports an abandoned round when the last cycle of a round fails', async () => {
      const lastCycleAt = T1 + 30_000;
      const last = JSON.parse(await propose(await proposer(lastCycleAt), lastCycleAt)) as Proposal;
      expect(last.header.cycle).toBe(3);
      const failure = JSON.parse(await h.submit(client('Org2MSP'), 'Tally', [last.id], lastCycleAt + 10_000)) as CycleFailure;
      expect(failure).toMatchObject({ cycle: 3, reason: 'timeout', roundAbandoned: true, nextCycleStartsAt: '2026-01-01T00:01:40.000Z' });
    });

    it('refuses a second Tally, an unknown proposal and a malformed id', async () => {
      await h.vote(client('Org1MSP'), proposal, false, T1 + 1);
      await h.vote(client('Org2MSP'), proposal, false, T1 + 2);
      await tally(T1 + 3);
      await refused(tally(T1 + 4), 'MGMT_STALE_PROPOSAL', /already failed/);
      await refused(h.submit(client('Org1MSP'), 'Tally', ['cd'.repeat(32)], T1 + 4), 'MGMT_UNKNOWN_PROPOSAL');
      await refused(h.submit(client('Org1MSP'), 'Tally', ['x'], T1 + 4), 'MGMT_BAD_ARGUMENT');
    });

    it('refuses a proposal whose height is already sealed', async () => {
      const block = await h.approveAndTally(proposal, T1 + 1);
      expect(block.height).toBe(1);
      // A stale proposal for height 1, recorded before the seal, cannot be sealed any more.
      const stale = { ...proposal, id: 'ef'.repeat(32), hash: 'ef'.repeat(32) };
      const { stub } = h.context(client('Org1MSP'), T1 + 10);
      await stub.putState(stub.createCompositeKey('proposal', [stale.id]), Buffer.from(JSON.stringify(stale)));
      h.ledger.commitBlock([stub]);
      await refused(h.submit(client('Org1MSP'), 'Tally', [stale.id], T1 + 11), 'MGMT_STALE_PROPOSAL', /latest block is 1/);
    });

    it('refuses a proposal that a later proposal for the same height superseded', async () => {
      // Recorded as open for height 1 but no longer the open proposal: a late vote must not seal it.
      const superseded = { ...proposal, id: 'ab'.repeat(32), hash: 'ab'.repeat(32) };
      const { stub } = h.context(client('Org1MSP'), T1 + 2);
      await stub.putState(stub.createCompositeKey('proposal', [superseded.id]), Buffer.from(JSON.stringify(superseded)));
      h.ledger.commitBlock([stub]);
      await refused(h.submit(client('Org1MSP'), 'Tally', [superseded.id], T1 + 3), 'MGMT_STALE_PROPOSAL', /superseded by proposal/);
    });

    it('refuses a non-member', async () => {
      await refused(tally(T1 + 1, outsider.client), 'MGMT_NOT_MEMBER');
    });
  });
});

describe('history queries', () => {
  async function seed(count: number): Promise<void> {
    const { stub } = h.context(client('Org1MSP'), T0);
    for (let height = 0; height < count; height++) {
      await stub.putState(blockKey(height), Buffer.from(JSON.stringify({ height })));
    }
    await stub.putState('latest', Buffer.from(JSON.stringify({ height: count - 1, hash: 'ab'.repeat(32), timestamp: '2026-01-01T00:00:00.000Z' })));
    h.ledger.commitBlock([stub]);
  }

  async function heights(from: string, to: string): Promise<number[]> {
    const blocks = JSON.parse(await h.evaluate(client('Org1MSP'), 'GetBlocks', [from, to], T0)) as { height: number }[];
    return blocks.map((b) => b.height);
  }

  it('GetBlocks is inclusive at both ends', async () => {
    await seed(10);
    expect(await heights('3', '5')).toEqual([3, 4, 5]);
    expect(await heights('7', '7')).toEqual([7]);
  });

  it('GetBlocks returns at most 100 blocks, so long chains are read page by page', async () => {
    await seed(250);
    const pages: number[][] = [];
    for (let from = 0; from < 250; ) {
      const page = await heights(String(from), '1000');
      pages.push(page);
      from = (page.at(-1) as number) + 1;
    }
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    expect(pages.flat()).toEqual(Array.from({ length: 250 }, (_, i) => i));
  });

  it('GetBlocks stops at the latest block', async () => {
    await seed(10);
    expect(await heights('8', '20')).toEqual([8, 9]);
    expect(await heights('10', '20')).toEqual([]);
  });

  it.each([
    ['from after to', '5', '4'],
    ['a negative height', '-1', '3'],
    ['a leading zero', '01', '3'],
    ['a fraction', '1.5', '3'],
    ['an unsafe integer', '0', '9007199254740992'],
    ['a non-number', 'latest', '3'],
  ])('GetBlocks refuses %s', async (_label, from, to) => {
    await seed(3);
    await refused(h.evaluate(client('Org1MSP'), 'GetBlocks', [from, to], T0), 'MGMT_BAD_ARGUMENT');
  });

  it('GetBlock refuses a missing or malformed height', async () => {
    await seed(3);
    await refused(h.evaluate(client('Org1MSP'), 'GetBlock', ['3'], T0), 'MGMT_NOT_FOUND', /height 3/);
    await refused(h.evaluate(client('Org1MSP'), 'GetBlock', [''], T0), 'MGMT_BAD_ARGUMENT');
  });
});
