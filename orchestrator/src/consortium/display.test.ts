/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import type { NodeEvent } from '../managementNode/events';
import { RoundTracker, summaryTable } from './display';
import { percentile, summarise } from './stats';

const block = (height: number, proposer = 'Org2MSP', cycle = 0): ConfigBlock => ({
  height,
  hash: `${height}`.padStart(64, 'a'),
  prevHash: '',
  proposer,
  cycle,
  timestamp: '2026-01-01T00:00:00.000Z',
  config: { batchTimeoutMs: 100, maxMessageCount: 10 },
  proof: ['Org1MSP', 'Org2MSP', 'Org3MSP'].map((mspId) => ({ mspId, certificate: 'c', signature: 's' })),
});
const committed = (mspId: string, height: number, delay: number): NodeEvent => ({ type: 'committed', mspId, atMs: 1000 + delay, block: block(height), roundOpensAtMs: 1000, agreementDelayMs: delay, late: false });

describe('percentiles', () => {
  it.each([
    [[5], 50, 5],
    [[1, 2, 3, 4], 50, 2],
    [[1, 2, 3, 4], 95, 4],
    [Array.from({ length: 20 }, (_x, i) => i + 1), 95, 19],
    [Array.from({ length: 20 }, (_x, i) => 20 - i), 50, 10],
  ])('nearest rank of %j at p%d is %d', (values, p, expected) => {
    expect(percentile(values, p)).toBe(expected);
  });

  it('refuses an empty sample and summarises none as undefined', () => {
    expect(() => percentile([], 50)).toThrow(/empty/);
    expect(summarise([])).toBeUndefined();
    expect(summarise([3, 1, 2])).toEqual({ count: 3, min: 1, p50: 2, p95: 3, max: 3, mean: 2 });
  });
});

describe('RoundTracker', () => {
  it('prints each thing once whichever node saw it first, and keeps the earliest agreement delay', () => {
    const t = new RoundTracker(4);
    expect(t.onEvent({ type: 'roundOpened', mspId: 'Org1MSP', atMs: 0, height: 1, round: 0, opensAtMs: 0 })).toHaveLength(1);
    expect(t.onEvent({ type: 'roundOpened', mspId: 'Org2MSP', atMs: 1, height: 1, round: 0, opensAtMs: 0 })).toEqual([]);
    expect(t.onEvent({ type: 'cycleStarted', mspId: 'Org1MSP', atMs: 0, height: 1, round: 0, cycle: 0, proposer: 'Org2MSP', startsAtMs: 0, endsAtMs: 3000 })).toEqual(['  cycle 0: proposer Org2MSP']);
    expect(t.onEvent({ type: 'voteCast', mspId: 'Org1MSP', atMs: 0, height: 1, cycle: 0, proposalId: 'p', voter: 'Org3MSP', approve: false })).toEqual(['    ✖ Org3MSP']);
    expect(t.onEvent({ type: 'voteCast', mspId: 'Org4MSP', atMs: 0, height: 1, cycle: 0, proposalId: 'p', voter: 'Org3MSP', approve: false })).toEqual([]);
    expect(t.onEvent(committed('Org3MSP', 1, 700))[0]).toMatch(/^✔ CB #1 sealed: proposer Org2MSP, cycle 0, approvals 3\/4, agreement 0.70 s/);
    expect(t.onEvent(committed('Org1MSP', 1, 650))).toEqual([]);
    expect(t.onEvent(committed('Org1MSP', 2, 800))).toHaveLength(1);
    expect(t.rows().map((r) => [r.height, r.agreementDelayMs])).toEqual([[1, 650], [2, 800]]);
    expect(t.agreementDelays()).toEqual([650, 800]);
  });

  it("shows a node's timeout as its local view and the chain's failure as the verdict", () => {
    const t = new RoundTracker(4);
    const local = (mspId: string, cycle: number): NodeEvent => ({ type: 'cycleFailed', mspId, atMs: 0, height: 3, cycle, reason: 'timeout', source: 'local' });
    expect(t.onEvent(local('Org1MSP', 0))).toEqual(["  ⌛ cycle 0 of CB #3 timed out locally (Org1MSP: timeout); waiting for the chain's verdict"]);
    expect(t.onEvent(local('Org2MSP', 0))).toEqual([]);
    const chain: NodeEvent = { type: 'cycleFailed', mspId: 'Org2MSP', atMs: 0, height: 3, cycle: 0, reason: 'timeout', source: 'chain', approvals: 1, rejections: 0 };
    expect(t.onEvent(chain)).toEqual(['  ✖ cycle 0 of CB #3 failed on the chain: timeout (1 approvals, 0 rejections)']);
    // The chain sealed cycle 1 before a slow node's clock ran out: nothing is claimed about it.
    t.onEvent({ type: 'committed', mspId: 'Org3MSP', atMs: 1900, block: block(3, 'Org4MSP', 1), roundOpensAtMs: 1000, agreementDelayMs: 900, late: false });
    expect(t.onEvent(local('Org4MSP', 1))).toEqual([]);
  });

  it('ends with a table and p50/p95, with a column for propagation', () => {
    const t = new RoundTracker(4);
    for (let h = 1; h <= 3; h++) t.onEvent(committed('Org1MSP', h, h * 100));
    const lines = summaryTable(t.rows(), new Map([[2, 40]]));
    expect(lines[0]).toMatch(/^height\s+proposer\s+cycle\s+approvals\s+agreement\s+propagation\s+config$/);
    expect(lines[3]).toMatch(/^2\s+Org2MSP\s+0\s+3\s+0.20 s\s+0.04 s/);
    expect(lines[lines.length - 1]).toBe('agreement delay (round open -> CB committed) over 3 CBs: p50 0.20 s, p95 0.30 s, max 0.30 s');
  });
});
