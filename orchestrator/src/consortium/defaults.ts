/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Cycle timeouts of a new chain by backend, from measured agreement delays (round open to CB
 * committed: three ordering rounds, Propose, votes and Tally). The devnet's p95 is under 1 s
 * (`npm run bench:management`); native Fabric's was 7.0 s with ordering rounds of 1-2 s, and a
 * 5 s cycle there failed in every round of a 6-CB run. About twice the p95 leaves room for a slow
 * member without spending long on a proposer that is down.
 */
export const CYCLE_TIMEOUT_DEFAULTS = { devnet: 5, native: 15 } as const;

/** The cycle timeout for the backend a connection file names (`devnet`, `native`, or another: native's). */
export function defaultCycleTimeout(backend: string): number {
  return backend === 'devnet' ? CYCLE_TIMEOUT_DEFAULTS.devnet : CYCLE_TIMEOUT_DEFAULTS.native;
}
