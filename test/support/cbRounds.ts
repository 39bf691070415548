/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Configuration blocks produced the way management nodes produce them, for end-to-end tests of
 * what consumes them (observer, primary runtime), and a wait until a runtime has one in force:
 * shared with the benchmarks, see orchestrator/src/testing/cbRounds.ts.
 */
export { inForce, onceCaughtUp, openCycle, produceBlock, produceGenesis } from '../../orchestrator/src/testing/cbRounds';
export type { ProducedBlock } from '../../orchestrator/src/testing/cbRounds';
