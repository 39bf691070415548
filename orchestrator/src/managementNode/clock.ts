/*
 * SPDX-License-Identifier: Apache-2.0
 */

/** An opaque timer handle (Node's `Timeout`, or whatever an injected clock uses). */
export type TimerHandle = object | number;

/**
 * Time and timers, injected so that tests can drive the schedule. The chain's notion of time is
 * the transaction timestamp, which fabric-gateway takes from this process's clock, so `now()`
 * and the chaincode agree up to the endorsers' tolerance.
 */
export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => setTimeout(callback, Math.max(0, ms)),
  clearTimeout: (handle) => {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

/** Exponential backoff with full jitter avoided: predictable delays read better in logs. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly initialMs: number,
    private readonly maxMs: number,
    private readonly factor = 2,
  ) {}

  /** Attempts since the last success. */
  get attempts(): number {
    return this.attempt;
  }

  /** The delay before the next attempt, and counts it. */
  next(): number {
    const delay = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return delay;
  }

  /** Back to the initial delay after a success. */
  reset(): void {
    this.attempt = 0;
  }
}
