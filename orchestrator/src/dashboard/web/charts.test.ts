/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The numbers behind the dashboard's charts, on a real chain whose times are known.
 */
import { beforeAll, describe, expect, it } from '@jest/globals';
import { auditEvidence } from '../../audit';
import type { AuditReport } from '../../audit';
import { createTestChain } from '../testing/chain';
import type { TestChain } from '../testing/chain';
import { chartData, membersInForce } from './charts';

let fx: TestChain;
let report: AuditReport;

beforeAll(async () => {
  fx = await createTestChain(5);
  report = auditEvidence(fx.evidence);
});

describe('chartData', () => {
  it('gives each CB its delay to the primary config block that put it in force', () => {
    const [delays] = chartData(report, undefined);
    expect(delays.x).toEqual([0, 1, 2, 3, 4]);
    // The fixture makes each linked config block 2 s after its CB; genesis has none.
    expect(delays.series).toEqual([{ label: 'proposal → in force on the primary channel (s)', values: [null, 2, 2, 2, 2] }]);
  });

  it('adds the agreement delay of CBs the live dashboard saw sealed', () => {
    const sealedAt = new Date(Date.parse(fx.chain[4].timestamp) + 1500).toISOString();
    const [delays] = chartData(report, { readAt: sealedAt, round: null, observed: { sealedAt: { '4': sealedAt }, proposedAt: {} } });
    expect(delays.series[0]).toEqual({ label: 'agreement: proposal → seen sealed (s)', values: [null, null, null, null, 1.5] });
  });

  it("charts agreement, propagation and update delays from the members' traces, where they show both ends", () => {
    const [delays] = chartData(report, undefined, [
      { height: 1, agreementMs: 520, propagationMs: 34, updateMs: 417 },
      { height: 3, propagationMs: 61 },
    ]);
    expect(delays.series.map((s) => s.label)).toEqual([
      'proposal → in force on the primary channel (s)',
      'agreement (trace): round open → CB committed (s)',
      'propagation (trace): CB committed → verified by the quorum-th observer (s)',
      'update (trace): CB committed → in force on primary (s)',
    ]);
    expect(delays.series[2].values).toEqual([null, 0.034, null, 0.061, null]);
    expect(delays.series[1].values).toEqual([null, 0.52, null, null, null]);
    expect(delays.description).toMatch(/from the members' traces/);
    expect(chartData(report, undefined)[0].description).toMatch(/give the members' trace files \(mgmt dashboard --trace\)/);
  });

  it('charts the members in force per height: genesis at 0, a CB with params from the next height', () => {
    const members = (n: number): object => ({ members: Array.from({ length: n }, (_, i) => ({ mspId: `Org${i + 1}MSP` })) });
    const chain = [{ params: members(4) }, {}, { params: members(5) }, {}, { params: members(4) }];
    expect(membersInForce(chain)).toEqual([4, 4, 4, 5, 5]);
    const membership = chartData(report, undefined, [], chain).find((c) => c.id === 'membership');
    expect(membership?.series[0].values).toEqual([4, 4, 4, 5, 5]);
    expect(chartData(report, undefined).some((c) => c.id === 'membership')).toBe(false);
  });

  it('splits inter-block times into normal and switch blocks, and counts failed cycles', () => {
    const [, gaps, failed] = chartData(report, undefined);
    const gap = (h: number): number => (Date.parse(fx.chain[h].timestamp) - Date.parse(fx.chain[h - 1].timestamp)) / 1000;
    // The fixture seals every third CB in cycle 1.
    expect(gaps.series[0].values).toEqual([null, gap(1), gap(2), null, gap(4)]);
    expect(gaps.series[1].values).toEqual([null, null, null, gap(3), null]);
    expect(failed.series[0].values).toEqual([0, 0, 0, 1, 0]);
    expect(failed.x[3]).toBe(Date.parse(fx.chain[3].timestamp) / 1000);
  });
});
