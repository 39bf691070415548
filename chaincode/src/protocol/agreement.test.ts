/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { beforeAll, describe, expect, it } from '@jest/globals';

import { createTestConsortium } from '../testing/pki';
import type { TestOrg } from '../testing/pki';
import { admitVote, planGenesis, planProposal, sealProposal } from './agreement';
import type { LatestBlock, PreviousProposal } from './agreement';
import { hashHeader } from './hash';
import { validateParams } from './params';
import { expectedProposer } from './proposer';
import { tally } from './tally';
import type { GenesisParams, JsonObject, Proposal, Vote } from './types';

const T = Date.parse('2026-01-01T00:00:00.000Z');
const CONFIG: JsonObject = { a: 1 };
const latest: LatestBlock = { height: 4, hash: '0'.repeat(63) + '1', timestamp: '2026-01-01T00:00:00.000Z' };

let orgs: TestOrg[];
let params: GenesisParams;

beforeAll(async () => {
  orgs = await createTestConsortium();
  params = validateParams({
    members: orgs.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertificate })),
    cbiSeconds: 30,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 5,
    configSchema: { type: 'object' },
  });
});

function propose(nowMs: number, caller?: string, previous?: PreviousProposal): Proposal {
  const position = Math.max(0, Math.floor((nowMs - T - 30_000) / 10_000));
  return planProposal({
    params,
    latest,
    caller: caller ?? expectedProposer(params.members, latest.hash, position),
    nowMs,
    config: CONFIG,
    previous,
    txId: 'tx1',
  });
}

function previous(proposal: Proposal, approvals: number, rejections: number, status: Proposal['status'] = 'open'): PreviousProposal {
  return { proposal: { ...proposal, status }, tally: tally({ n: 4, approvals, rejections }) };
}

describe('planProposal', () => {
  it('builds the next header in the current cycle, hashed', () => {
    const p = propose(T + 30_000);
    expect(p).toMatchObject({
      status: 'open',
      cycleStartsAt: '2026-01-01T00:00:30.000Z',
      cycleEndsAt: '2026-01-01T00:00:40.000Z',
      txId: 'tx1',
      header: { height: 5, prevHash: latest.hash, cycle: 0, timestamp: '2026-01-01T00:00:30.000Z', config: CONFIG },
    });
    // hash 0x..01 + FC 0 = 1 mod 4: the second member.
    expect(p.header.proposer).toBe('Org2MSP');
    expect(p.id).toBe(hashHeader(p.header));
    expect(p.hash).toBe(p.id);
  });

  it('refuses before the CBI and between rounds', () => {
    expect(() => propose(T + 29_999)).toThrow(expect.objectContaining({ code: 'MGMT_CBI_NOT_ELAPSED' }));
    expect(() => propose(T + 75_000, 'Org1MSP')).toThrow(/round 1 after height 4 opens at 2026-01-01T00:01:40.000Z/);
  });

  it('refuses anyone but the expected proposer', () => {
    expect(() => propose(T + 30_000, 'Org3MSP')).toThrow('MGMT_NOT_PROPOSER: expected Org2MSP for cycle 0, got Org3MSP');
  });

  it('allows one proposal per cycle', () => {
    const first = propose(T + 30_000);
    expect(() => propose(T + 31_000, undefined, previous(first, 0, 0))).toThrow(expect.objectContaining({ code: 'MGMT_ALREADY_PROPOSED' }));
    expect(() => propose(T + 31_000, undefined, previous(first, 0, 2, 'failed'))).toThrow(
      expect.objectContaining({ code: 'MGMT_ALREADY_PROPOSED' }),
    );
  });

  it('moves on after a failed or timed-out cycle', () => {
    const first = propose(T + 30_000);
    expect(propose(T + 40_000, undefined, previous(first, 2, 1)).header).toMatchObject({ cycle: 1, proposer: 'Org3MSP' });
    expect(propose(T + 40_000, undefined, previous(first, 0, 2, 'failed')).header.cycle).toBe(1);
  });

  it('continues FC across an abandoned round', () => {
    // Round 1 opens at T+100s with FC 4; (1 + 4) mod 4 gives Org2MSP again: each round is one full rotation.
    expect(propose(T + 100_000, 'Org2MSP').header).toMatchObject({ cycle: 4, proposer: 'Org2MSP' });
  });

  it('refuses while an earlier proposal holds an untallied quorum', () => {
    const first = propose(T + 30_000);
    expect(() => propose(T + 40_000, undefined, previous(first, 3, 0))).toThrow(expect.objectContaining({ code: 'MGMT_SEAL_PENDING' }));
  });

  it('refuses when the height is sealed or a later cycle has a proposal', () => {
    const later = propose(T + 40_000);
    expect(() => propose(T + 30_000, undefined, previous(later, 0, 0))).toThrow(/later cycle 1/);
    expect(() => propose(T + 50_000, undefined, previous(later, 3, 0, 'sealed'))).toThrow(expect.objectContaining({ code: 'MGMT_STALE_PROPOSAL' }));
  });
});

describe('planGenesis', () => {
  const genesis = (nowMs: number, prev?: PreviousProposal): Proposal => planGenesis({ params, caller: 'Org3MSP', nowMs, config: CONFIG, previous: prev, txId: 't' });

  it('opens height 0, cycle 0, by the caller, for one cycle', () => {
    expect(genesis(T)).toMatchObject({
      cycleStartsAt: '2026-01-01T00:00:00.000Z',
      cycleEndsAt: '2026-01-01T00:00:10.000Z',
      header: { height: 0, prevHash: '', cycle: 0, proposer: 'Org3MSP', params },
    });
  });

  it.each<[string, number, number, number, Proposal['status'], string | undefined]>([
    ['an open proposal', 1, 0, 5_000, 'open', 'MGMT_ALREADY_PROPOSED'],
    ['a proposal with an untallied quorum', 3, 0, 5_000, 'open', 'MGMT_SEAL_PENDING'],
    ['a sealed genesis', 3, 0, 5_000, 'sealed', 'MGMT_ALREADY_INITIALISED'],
    ['a rejected proposal', 0, 2, 5_000, 'open', undefined],
    ['a proposal failed by Tally', 0, 2, 5_000, 'failed', undefined],
    ['a proposal that timed out', 2, 1, 10_000, 'open', undefined],
  ])('after %s', (_label, approvals, rejections, offset, status, code) => {
    const prev = previous(genesis(T), approvals, rejections, status);
    if (code === undefined) {
      expect(genesis(T + offset, prev).header.timestamp).toBe(new Date(T + offset).toISOString());
    } else {
      expect(() => genesis(T + offset, prev)).toThrow(expect.objectContaining({ code }));
    }
  });
});

describe('admitVote', () => {
  it('admits a first vote before the cycle ends', () => {
    const p = propose(T + 30_000);
    expect(() => { admitVote(p, 'Org1MSP', T + 39_999, false); }).not.toThrow();
  });

  it.each<[string, Partial<Proposal>, number, boolean, string]>([
    ['at the end of the cycle', {}, T + 40_000, false, 'MGMT_STALE_PROPOSAL'],
    ['on a sealed proposal', { status: 'sealed' }, T + 31_000, false, 'MGMT_STALE_PROPOSAL'],
    ['on a failed proposal', { status: 'failed' }, T + 31_000, false, 'MGMT_STALE_PROPOSAL'],
    ['twice', {}, T + 31_000, true, 'MGMT_DUPLICATE_VOTE'],
  ])('refuses a vote %s', (_label, change, now, voted, code) => {
    expect(() => { admitVote({ ...propose(T + 30_000), ...change }, 'Org1MSP', now, voted); }).toThrow(expect.objectContaining({ code }));
  });
});

describe('sealProposal', () => {
  it('keeps only approvals, sorted by MSP ID, with exactly the proof fields', () => {
    const p = propose(T + 30_000);
    const vote = (mspId: string, approve: boolean): Vote => ({
      proposalId: p.id,
      mspId,
      approve,
      signature: `sig-${mspId}`,
      certificate: `cert-${mspId}`,
      reason: 'r',
      timestamp: p.header.timestamp,
      txId: 't',
    });
    const block = sealProposal(p, [vote('Org4MSP', true), vote('Org2MSP', false), vote('Org1MSP', true), vote('Org3MSP', true)]);
    expect(block.proof).toEqual([
      { mspId: 'Org1MSP', certificate: 'cert-Org1MSP', signature: 'sig-Org1MSP' },
      { mspId: 'Org3MSP', certificate: 'cert-Org3MSP', signature: 'sig-Org3MSP' },
      { mspId: 'Org4MSP', certificate: 'cert-Org4MSP', signature: 'sig-Org4MSP' },
    ]);
    expect(block).toMatchObject({ height: 5, hash: p.hash, cycle: 0 });
    expect('params' in block).toBe(false);
  });
});
