/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { cycleWindow, isLastCycleOfRound, locate, roundOpensAt, roundPeriodMs, scheduleAfter } from './round';
import type { Schedule } from './round';

const T = Date.parse('2026-01-01T00:00:00.000Z');
const members = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'].map((mspId) => ({ mspId, caCertificate: '' }));
// CBI 30 s, cycles of 10 s, n = 4: rounds open at T+30s, T+100s, T+170s, ...
const s = scheduleAfter(T, { cbiSeconds: 30, cycleTimeoutSeconds: 10, members });

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  latestMs: fc.integer({ min: 0, max: 4_000_000_000_000 }),
  cbiMs: fc.integer({ min: 1, max: 3600 }).map((x) => x * 1000),
  cycleMs: fc.integer({ min: 1, max: 600 }).map((x) => x * 1000),
  n: fc.integer({ min: 1, max: 32 }),
});

describe('round arithmetic, by example', () => {
  it.each([
    ['just after the latest block', 0, { phase: 'waiting', round: 0, opensAtMs: T + 30_000 }],
    ['1 ms before the CBI elapses', 29_999, { phase: 'waiting', round: 0 }],
    ['when the CBI elapses', 30_000, { phase: 'cycle', round: 0, cycle: 0, startsAtMs: T + 30_000, endsAtMs: T + 40_000 }],
    ['in the second cycle', 45_000, { phase: 'cycle', round: 0, cycle: 1, cycleInRound: 1 }],
    ['in the last cycle of round 0', 69_999, { phase: 'cycle', round: 0, cycle: 3 }],
    ['after round 0 is abandoned', 70_000, { phase: 'waiting', round: 1, opensAtMs: T + 100_000 }],
    ['when round 1 opens', 100_000, { phase: 'cycle', round: 1, cycle: 4, cycleInRound: 0 }],
    ['in round 2', 175_000, { phase: 'cycle', round: 2, cycle: 8 }],
  ])('%s', (_label, offset, expected) => {
    expect(locate(s, T + offset)).toMatchObject(expected);
  });

  it('rebuilds any cycle window from its FC', () => {
    expect(cycleWindow(s, 5)).toEqual({ round: 1, cycleInRound: 1, startsAtMs: T + 110_000, endsAtMs: T + 120_000 });
    expect(roundOpensAt(s, 2)).toBe(T + 170_000);
    expect(roundPeriodMs(s)).toBe(70_000);
  });

  it('marks the last cycle of each round', () => {
    expect([0, 1, 2, 3, 4, 7, 8].map((fc) => isLastCycleOfRound(fc, 4))).toEqual([false, false, false, true, false, true, false]);
  });

  it.each([
    ['a negative time', { ...s, latestMs: -1 }],
    ['a zero CBI', { ...s, cbiMs: 0 }],
    ['a fractional cycle', { ...s, cycleMs: 0.5 }],
    ['no members', { ...s, n: 0 }],
  ])('refuses %s', (_label, bad) => {
    expect(() => locate(bad, T)).toThrow(expect.objectContaining({ code: 'MGMT_BAD_ARGUMENT' }));
  });
});

describe('round arithmetic, by property', () => {
  it('places every instant in the window of the cycle it reports', () => {
    fc.assert(
      fc.property(scheduleArb, fc.integer({ min: 0, max: 100_000_000 }), (sched, offset) => {
        const now = sched.latestMs + offset;
        const at = locate(sched, now);
        if (at.phase === 'waiting') {
          return at.opensAtMs > now && at.opensAtMs === roundOpensAt(sched, at.round);
        }
        const window = cycleWindow(sched, at.cycle);
        return (
          window.startsAtMs <= now &&
          now < window.endsAtMs &&
          window.startsAtMs === at.startsAtMs &&
          at.cycle === at.round * sched.n + at.cycleInRound &&
          at.opensAtMs === roundOpensAt(sched, at.round)
        );
      }),
    );
  });

  it('numbers cycles consecutively, with no cycle before the CBI and exactly CBI between rounds', () => {
    fc.assert(
      fc.property(scheduleArb, fc.nat({ max: 10_000 }), (sched, fcNumber) => {
        const w = cycleWindow(sched, fcNumber);
        const next = cycleWindow(sched, fcNumber + 1);
        const gap = next.startsAtMs - w.endsAtMs;
        const expectedGap = isLastCycleOfRound(fcNumber, sched.n) ? sched.cbiMs : 0;
        return (
          w.endsAtMs - w.startsAtMs === sched.cycleMs &&
          gap === expectedGap &&
          w.startsAtMs >= sched.latestMs + sched.cbiMs &&
          locate(sched, w.startsAtMs).phase === 'cycle' &&
          locate(sched, w.endsAtMs - 1).phase === 'cycle'
        );
      }),
    );
  });

  it('never lets FC go backwards as time passes', () => {
    fc.assert(
      fc.property(scheduleArb, fc.nat({ max: 50_000_000 }), fc.nat({ max: 50_000_000 }), (sched, a, b) => {
        const [early, late] = a <= b ? [a, b] : [b, a];
        const x = locate(sched, sched.latestMs + early);
        const y = locate(sched, sched.latestMs + late);
        return x.round <= y.round && (x.phase !== 'cycle' || y.phase !== 'cycle' || x.cycle <= y.cycle);
      }),
    );
  });
});
