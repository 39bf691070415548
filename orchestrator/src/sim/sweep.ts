/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Runs the base case and the paper's sweeps, one simulation per (value, seed), sequentially: the
 * machine's cores are shared, and a simulated hour of the base case takes seconds anyway.
 */

import type { SweepMeta } from './report';
import { samplesOf } from './samples';
import type { SampleRow } from './samples';
import { sweepPoint, withOverrides } from './scenario';
import type { Scenario, SweepSpec } from './scenario';
import { runScenario } from './simulation';
import type { RunResult } from './simulation';

/** Options of {@link runBase} and {@link runSweep}. */
export interface SweepRunOptions {
  /** Overrides every point's simulated duration (reduced-duration sweeps). */
  readonly durationSec?: number;
  /** Overrides the seeds. */
  readonly seeds?: readonly number[];
  /** The `source` column of the samples (default `sim`). */
  readonly source?: string;
  /** Called after each run with a one-line description. */
  readonly onRun?: (line: string, result: RunResult) => void;
}

/** Runs the base scenario once per seed; samples go under experiment `base`. */
export function runBase(base: Scenario, options: SweepRunOptions = {}): { samples: SampleRow[]; seeds: number[]; durationSec: number } {
  const seeds = [...(options.seeds ?? [base.seed])];
  const durationSec = options.durationSec ?? base.durationSec;
  const samples: SampleRow[] = [];
  seeds.forEach((seed, i) => {
    const scenario = withOverrides(base, { seed, durationSec }, 'base');
    const result = runScenario(scenario);
    samples.push(...samplesOf(result, options.source ?? 'sim', 'base', 'base'));
    options.onRun?.(`base seed ${seed} (${i + 1}/${seeds.length}): ${result.cbs.length} CBs, ${result.stats.primaryBlocks} blocks`, result);
  });
  return { samples, seeds, durationSec };
}

/** Runs every point of a sweep. */
export function runSweep(spec: SweepSpec, options: SweepRunOptions = {}): { samples: SampleRow[]; meta: SweepMeta } {
  const seeds = [...(options.seeds ?? spec.seeds)];
  const durationSec = options.durationSec ?? spec.base.durationSec;
  const samples: SampleRow[] = [];
  const total = spec.values.length * seeds.length;
  let done = 0;
  for (const value of spec.values) {
    for (const seed of seeds) {
      const scenario = withOverrides(sweepPoint(spec, value, seed), { durationSec }, spec.name);
      const result = runScenario(scenario);
      samples.push(...samplesOf(result, options.source ?? 'sim', spec.name, String(value)));
      done++;
      options.onRun?.(`${spec.name}: ${spec.parameter} = ${value}, seed ${seed} (${done}/${total}): ${result.cbs.length} CBs, ${result.stats.primaryBlocks} blocks`, result);
    }
  }
  return {
    samples,
    meta: {
      name: spec.name,
      title: spec.title,
      parameter: spec.parameter,
      paperFigures: spec.paperFigures,
      values: spec.values.map(String),
      seeds,
      durationSec,
    },
  };
}
