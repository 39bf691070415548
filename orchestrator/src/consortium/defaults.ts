/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Cycle timeouts of a new chain by backend, from measured agreement delays (round open to CB
 * committed: three ordering rounds, Propose, votes and Tally). The devnet's p95 is under 1 s
 * (`npm run bench:management`). On native Fabric one measured run had a p95 of 7.0 s with
 * ordering rounds of 1-2 s, and a 5 s cycle failed in every round there; a later run on the same
 * topology had p95 0.90 s (`FABRIC_BACKEND=native npm run consortium -- --rounds 6 --cbi 3
 * --cycle-timeout 5`, 2026-12-02). The default covers twice the slow run's p95: a long cycle
 * costs time only while a proposer is down.
 */
export const CYCLE_TIMEOUT_DEFAULTS = { devnet: 5, native: 15 } as const;

/** The cycle timeout for the backend a connection file names (`devnet`, `native`, or another: native's). */
export function defaultCycleTimeout(backend: string): number {
  return backend === 'devnet' ? CYCLE_TIMEOUT_DEFAULTS.devnet : CYCLE_TIMEOUT_DEFAULTS.native;
}
