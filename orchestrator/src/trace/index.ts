/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Tracing (`--trace <file>` of `mgmt node` and `mgmt consortium`) and its report (`mgmt trace`):
 * every step of every member timestamped, and where the time of each CB goes against the floor
 * of the ordering rounds it needs.
 */
export type { PrimaryStep, StepFields, TraceLine, TraceStep, Tracer, TxStep } from './types';
export { TraceWriter, traceClock } from './writer';
export type { TraceWriterOptions } from './writer';
export { resultFields, tracedClientOptions, tracedContract } from './contract';
export type { TraceableContract } from './contract';
export { tracePrimary } from './primary';
export { parseTrace, readTraceFiles } from './read';
export type { ReadTrace } from './read';
export { analyseTrace, MILESTONES, renderReport, SPANS, STEPS } from './report';
export type { CbTiming, FloorComparison, MilestoneKey, OrderingRound, SpanKey, Stat, StepKey, TraceReport } from './report';
