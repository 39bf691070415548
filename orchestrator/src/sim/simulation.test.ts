/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { resultJson } from './cli';
import { summarize } from './metrics';
import { samplesCsv, samplesOf } from './samples';
import { BASE_SCENARIO, withOverrides } from './scenario';
import { buildModel, runScenario } from './simulation';

const short = (overrides: Record<string, unknown> = {}) => withOverrides(BASE_SCENARIO, { durationSec: 300, ...overrides });

function fingerprint(overrides: Record<string, unknown> = {}): string {
  const result = runScenario(short(overrides));
  return JSON.stringify(resultJson(result)) + samplesCsv(samplesOf(result, 'sim', 'base', 'base'));
}

describe('runScenario', () => {
  it('gives the same output, byte for byte, for the same seed', () => {
    const first = fingerprint({ seed: 11 });
    expect(fingerprint({ seed: 11 })).toBe(first);
    expect(fingerprint({ seed: 12 })).not.toBe(first);
  });

  it('measures every agreed configuration block in the base case', () => {
    const result = runScenario(short());
    expect(result.stats.cbsAgreed).toBeGreaterThanOrEqual(7);
    expect(result.cbs.length).toBeGreaterThanOrEqual(result.stats.cbsAgreed - 1);
    for (const cb of result.cbs) {
      expect(cb.agreement).toBeGreaterThan(0);
      expect(cb.propagation).toBeGreaterThanOrEqual(0);
      expect(cb.update).toBeGreaterThanOrEqual(0);
      expect(cb.agreement + cb.propagation + cb.update).toBeCloseTo(cb.total, 9);
    }
    // One switch per applied CB: the switch blocks are where a configuration height changes.
    expect(result.interBlock.switch.length).toBe(result.stats.cbsApplied);
    expect(result.stats.primaryMinCommitVotes).toBeGreaterThanOrEqual(result.quorum);
  });

  it('never makes the median propagation delay worse with more bandwidth, over a fixed seed set', () => {
    for (const seed of [1, 2, 3]) {
      let previous = Infinity;
      for (const mean of [2.5, 5, 10, 20, 40]) {
        const result = runScenario(short({ seed, 'network.bandwidthMBps.mean': mean }));
        const median = summarize(result.cbs.map((cb) => cb.propagation)).median;
        expect(median).toBeLessThanOrEqual(previous);
        previous = median;
      }
    }
  });

  it('never applies a reconfiguration mid-round', () => {
    // Check at every switch that the node is between rounds, both in PBFT and in Algorithm 2,
    // under conditions that make configuration blocks race with rounds (slow, uneven links).
    for (const overrides of [{}, { 'network.bandwidthMBps.mean': 2.5, 'network.bandwidthMBps.sd': 2 }, { 'management.cbiSec.mean': 5, 'management.cbiSec.sd': 3 }]) {
      const model = buildModel(short(overrides));
      const switched = model.metrics.switched.bind(model.metrics);
      let switches = 0;
      model.metrics.switched = (node, from, to, at) => {
        expect(model.primary.pbft.inRound(node)).toBe(false);
        expect(model.primary.stateOf(node).inRound).toBe(false);
        expect(to).toBeGreaterThan(from);
        switches++;
        switched(node, from, to, at);
      };
      model.runUntil(300);
      expect(switches).toBeGreaterThan(0);
      expect(model.primary.midRoundSwitches).toBe(0);
    }
  });

  it('rotates the management proposer past crashed nodes (failed cycles)', () => {
    const result = runScenario(withOverrides(BASE_SCENARIO, { durationSec: 900, 'management.crashed': 5 }));
    const failed = result.cbs.filter((cb) => cb.failedCycles > 0);
    expect(failed.length).toBeGreaterThan(0);
    for (const cb of failed) {
      // Each failed cycle costs a cycle timeout before the next proposer gets its turn.
      expect(cb.agreement).toBeGreaterThan(cb.failedCycles * BASE_SCENARIO.management.cycleTimeoutSec);
    }
    expect(result.stats.cbsAgreed).toBeGreaterThan(10);
  });

  it('reports a workload as a twin sees it', () => {
    const result = runScenario(withOverrides(BASE_SCENARIO, { durationSec: 60, 'management.enabled': false, 'primary.workload': { txPerSec: 1000 } }), { warmupSec: 10 });
    expect(result.observation.txRate).toBeGreaterThan(900);
    expect(result.observation.txRate).toBeLessThan(1100);
    expect(result.observation.blockFill).toBeLessThan(1);
    expect(result.observation.commitLatencyMs).toBeGreaterThan(100);
    expect(result.stats.cbsAgreed).toBe(0);
  });
});
