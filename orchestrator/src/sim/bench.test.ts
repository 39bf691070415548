/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { SPEED_GOALS, benchTable, defaultDuration, judge } from './bench';
import type { BenchRow } from './bench';

describe('bench goals', () => {
  it("are the issue's: 50x SymBChainSim at 32 nodes for 600 s, under a minute for a simulated hour at 256", () => {
    expect(SPEED_GOALS.map((g) => [g.nodes, g.simulatedSec, g.maxWallSec])).toEqual([
      [32, 600, 84.7 / 50],
      [256, 3600, 60],
    ]);
    expect(defaultDuration(32)).toBe(600);
    expect(defaultDuration(256)).toBe(3600);
    expect(defaultDuration(64)).toBe(3600);
  });

  it("judges a run against its size's goal, scaling other durations linearly and saying so", () => {
    expect(judge(64, 3600, 10)).toBeUndefined();
    const fast = judge(32, 600, 0.847);
    expect(fast).toMatchObject({ scaled: false, met: true, wallSecAtGoal: 0.847 });
    expect(fast?.speedupVsSymbChainSim).toBeCloseTo(100, 9);
    expect(judge(32, 600, 1.8)).toMatchObject({ met: false });
    expect(judge(256, 360, 7)).toMatchObject({ scaled: true, met: false, wallSecAtGoal: 70 });
    expect(judge(256, 3600, 59.9)).toMatchObject({ scaled: false, met: true });
  });

  it('prints each figure beside its goal and verdict', () => {
    const row = (nodes: number, simulatedSec: number, wallSec: number): BenchRow => {
      const goal = judge(nodes, simulatedSec, wallSec);
      return { nodes, simulatedSec, wallSec, cpuSec: wallSec / 2, peakRssMiB: 100, events: 123, messages: 456, primaryBlocks: 7, ...(goal === undefined ? {} : { goal }) };
    };
    const lines = benchTable([row(32, 600, 0.5), row(64, 3600, 3), row(256, 360, 7)]).split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[2]).toBe('| 32 | 600 s | 0.50 s | 0.25 s | 100 MiB | 123 | 456 | 7 | >= 50x SymBChainSim (84.7 s): <= 1.69 s per 600 simulated s | met, 169x SymBChainSim |');
    expect(lines[3]).toContain('| 64 | 3600 s | 3.00 s | 1.50 s | 100 MiB | 123 | 456 | 7 | - | - |');
    expect(lines[4]).toContain("| < 60 s per simulated hour | NOT met (70.00 s scaled to the goal's duration) |");
  });
});
