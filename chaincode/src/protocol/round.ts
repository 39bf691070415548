/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Round and cycle arithmetic. Everything is a function of the latest block's timestamp, so any
 * verifier can recompute it offline.
 *
 * Definitions, with T = timestamp of the latest block, CBI = cbiSeconds, CT =
 * cycleTimeoutSeconds, n = number of members (all in milliseconds below):
 *
 * - Round r (r = 0, 1, ...) opens at `O(r) = T + CBI + r * (n * CT + CBI)`.
 * - Round r consists of n cycles. Cycle j of round r (0 <= j < n) is the half-open window
 *   `[O(r) + j * CT, O(r) + (j + 1) * CT)`, and its FC (failed cycles since the latest block) is
 *   `r * n + j`. FC is the `cycle` field of a block and feeds the proposer formula.
 * - After its n cycles fail, round r is abandoned at `O(r) + n * CT`, and the next round opens
 *   CBI later. Between rounds, and before `T + CBI`, no cycle runs ("waiting").
 * - A cycle that fails early (enough rejections) does not shift the schedule: the next cycle
 *   starts when its window starts. This keeps the cycle of every block a function of its
 *   timestamp, which a verifier checks (`cycleWindow(cycle)` must contain the timestamp).
 */

import { MgmtError } from './errors';
import type { GenesisParams } from './types';

/** The inputs of the arithmetic, in milliseconds. */
export interface Schedule {
  /** Timestamp of the latest configuration block. */
  readonly latestMs: number;
  readonly cbiMs: number;
  readonly cycleMs: number;
  /** Number of members, which is also the number of cycles per round. */
  readonly n: number;
}

/** Where an instant falls relative to the latest block. */
export type RoundPosition =
  | {
      readonly phase: 'waiting';
      /** The round that opens next. */
      readonly round: number;
      readonly opensAtMs: number;
    }
  | {
      readonly phase: 'cycle';
      readonly round: number;
      /** When this round opened. */
      readonly opensAtMs: number;
      /** FC: `round * n + cycleInRound`. */
      readonly cycle: number;
      readonly cycleInRound: number;
      readonly startsAtMs: number;
      /** Exclusive end of the cycle. */
      readonly endsAtMs: number;
    };

/** The window of one cycle. */
export interface CycleWindow {
  readonly round: number;
  readonly cycleInRound: number;
  readonly startsAtMs: number;
  /** Exclusive. */
  readonly endsAtMs: number;
}

function assertInteger(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `${name} must be an integer >= ${min}, got ${value}`);
  }
}

function checkSchedule(s: Schedule): void {
  assertInteger('latestMs', s.latestMs, 0);
  assertInteger('cbiMs', s.cbiMs, 1);
  assertInteger('cycleMs', s.cycleMs, 1);
  assertInteger('n', s.n, 1);
}

/**
 * The schedule after a block with timestamp `latestMs`, under the genesis parameters.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` for a negative or fractional time.
 */
export function scheduleAfter(
  latestMs: number,
  params: Pick<GenesisParams, 'cbiSeconds' | 'cycleTimeoutSeconds' | 'members'>,
): Schedule {
  const schedule = {
    latestMs,
    cbiMs: params.cbiSeconds * 1000,
    cycleMs: params.cycleTimeoutSeconds * 1000,
    n: params.members.length,
  };
  checkSchedule(schedule);
  return schedule;
}

/**
 * Length of one round plus the wait before the next: `n * CT + CBI`.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` for an invalid schedule.
 */
export function roundPeriodMs(s: Schedule): number {
  checkSchedule(s);
  return s.n * s.cycleMs + s.cbiMs;
}

/**
 * When round r opens: `T + CBI + r * (n * CT + CBI)`.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` for an invalid schedule or round.
 */
export function roundOpensAt(s: Schedule, round: number): number {
  assertInteger('round', round, 0);
  return s.latestMs + s.cbiMs + round * roundPeriodMs(s);
}

/**
 * The window of the cycle with the given FC.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` for an invalid schedule or a negative FC.
 */
export function cycleWindow(s: Schedule, fc: number): CycleWindow {
  assertInteger('cycle', fc, 0);
  const round = Math.floor(fc / s.n);
  const cycleInRound = fc - round * s.n;
  const startsAtMs = roundOpensAt(s, round) + cycleInRound * s.cycleMs;
  return { round, cycleInRound, startsAtMs, endsAtMs: startsAtMs + s.cycleMs };
}

/**
 * Where `nowMs` falls: waiting for a round to open, or inside a cycle (with its FC and window).
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` for an invalid schedule or time.
 */
export function locate(s: Schedule, nowMs: number): RoundPosition {
  checkSchedule(s);
  assertInteger('now', nowMs, 0);
  const firstOpen = s.latestMs + s.cbiMs;
  if (nowMs < firstOpen) {
    return { phase: 'waiting', round: 0, opensAtMs: firstOpen };
  }
  const period = roundPeriodMs(s);
  const round = Math.floor((nowMs - firstOpen) / period);
  const opensAtMs = firstOpen + round * period;
  const offset = nowMs - opensAtMs;
  if (offset >= s.n * s.cycleMs) {
    return { phase: 'waiting', round: round + 1, opensAtMs: opensAtMs + period };
  }
  const cycleInRound = Math.floor(offset / s.cycleMs);
  const startsAtMs = opensAtMs + cycleInRound * s.cycleMs;
  return {
    phase: 'cycle',
    round,
    opensAtMs,
    cycle: round * s.n + cycleInRound,
    cycleInRound,
    startsAtMs,
    endsAtMs: startsAtMs + s.cycleMs,
  };
}

/** Whether the cycle with this FC is the last of its round, so that its failure abandons the round. */
export function isLastCycleOfRound(fc: number, n: number): boolean {
  return fc % n === n - 1;
}
