/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The one-command consortium (`mgmt consortium`) and its parts.
 */
export { Consortium, DEFAULT_DATA_DIR, REPO_ROOT } from './runner';
export type { ConsortiumOptions, ConsortiumResult, MemberContext, MemberHooks, TwinContext } from './runner';
export { deployChaincode, NetworkStartError, startDevnet } from './devnetProcess';
export type { DevnetHandle, DevnetProcessOptions } from './devnetProcess';
export { RoundTracker, summaryTable } from './display';
export type { CbRow } from './display';
export { sealGenesis } from './genesis';
export type { GenesisMember, GenesisOutcome } from './genesis';
export { percentile, seconds, summarise } from './stats';
export type { SampleSummary } from './stats';
export { Workload } from './workload';
export type { WorkloadOptions, WorkloadStats } from './workload';
