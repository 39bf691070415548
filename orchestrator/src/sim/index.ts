/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The discrete-event simulator of the paper's section 3 (see README.md beside this file): one
 * scenario with {@link runScenario}, the paper's sweeps with {@link runSweep}, the report with
 * {@link writeReport}, the command line with {@link createSimCommand}.
 */

export { createSimCommand, main, resultJson } from './cli';
export type { CbRecord, PrimaryObservation, Summary } from './metrics';
export { summarize } from './metrics';
export { findings, writeReport } from './report';
export type { Finding, ReportContext, SweepMeta } from './report';
export { METRICS, parseSamplesCsv, readSamplesCsv, samplesCsv, samplesOf, summarizeSamples, summaryCsv, writeSamplesCsv } from './samples';
export type { MetricName, SampleRow, SummaryRow } from './samples';
export { BASE_SCENARIO, SCENARIO_DIR, SCENARIO_SCHEMA, ScenarioError, loadScenario, loadSweep, resolveScenario, sweepPoint, withOverrides } from './scenario';
export type { BandwidthSpec, ManagementSpec, NetworkSpec, PrimarySpec, Scenario, SweepSpec, WorkloadSpec } from './scenario';
export { buildModel, runScenario } from './simulation';
export type { ModelOptions, RunOptions, RunResult, RunStats, SimulationModel } from './simulation';
export { runBase, runSweep } from './sweep';
export type { SweepRunOptions } from './sweep';
