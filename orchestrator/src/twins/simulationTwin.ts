/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The simulation-based ("model") twin (docs/architecture.md, "Digital twins"): it scores candidate primary
 * configurations C^prim = `{batchTimeoutMs, maxMessageCount}` (Fabric's block interval and block
 * size) for the observed workload by short runs of the project's simulator, proposes the best as
 * proposer, and as validator approves a proposal that scores within a tolerance of the best.
 *
 * Score of a candidate: the mean transaction latency (arrival to block final on a quorum) over a
 * short simulation of the primary chain (no management chain) under the observed transaction rate,
 * after a warm-up. A candidate whose throughput falls short of the offered load (a growing
 * backlog) scores infinity: a configuration that cannot keep up is never good, however fast its
 * blocks. Runs are deterministic (fixed seeds), so every member's twin that sees the same metrics
 * reaches the same verdict, which is what agreement needs.
 */

import { join } from 'node:path';

import { SCENARIO_DIR, loadScenario, withOverrides } from '../sim/scenario';
import type { Scenario } from '../sim/scenario';
import { runScenario } from '../sim/simulation';
import { inRange } from './primaryConfig';
import type { PrimaryBounds, PrimaryConfig } from './primaryConfig';
import type { DigitalTwin, TwinState, Verdict } from './twin';

/** A candidate primary configuration (Fabric's BatchTimeout and BatchSize.MaxMessageCount). */
export type PrimaryConfigCandidate = PrimaryConfig;

/** A candidate's simulated performance. */
export interface CandidateScore {
  readonly config: PrimaryConfigCandidate;
  /** Mean transaction latency in ms; `Infinity` when the candidate cannot keep up with the load. */
  readonly score: number;
  readonly commitLatencyMs: number;
  /** Committed transactions per second. */
  readonly throughput: number;
  readonly blockIntervalMs: number;
  readonly blockFill: number;
}

/** Options of {@link SimulationTwin}. */
export interface SimulationTwinOptions {
  readonly name?: string;
  /**
   * The network the twin models. Default: `scenarios/twin-base.json` (the paper's base network
   * without the management chain).
   */
  readonly scenario?: Scenario;
  /** Candidates to score. Default: batch timeouts 50-2000 ms times batch sizes 100-5000 transactions. */
  readonly candidates?: readonly PrimaryConfigCandidate[];
  /** Simulated seconds per candidate and seed, warm-up included (default 20). */
  readonly durationSec?: number;
  /** Simulated seconds left out of the score at the start (default 5). */
  readonly warmupSec?: number;
  /** Seeds averaged over (default [1]). */
  readonly seeds?: readonly number[];
  /** A proposal is approved when its score is at most `(1 + tolerance)` times the best (default 0.25). */
  readonly tolerance?: number;
  /**
   * The consortium's bounds (from the genesis schema: `boundsFromSchema`); configurations outside
   * are rejected without simulation and candidates outside are skipped. Default: 10 ms to 10 s,
   * 1 to 100000 transactions.
   */
  readonly bounds?: PrimaryBounds;
  /** Offered load assumed when the metrics report none (tx/s, default 100). */
  readonly minTxRate?: number;
}

const DEFAULT_TIMEOUTS = [50, 100, 250, 500, 1000, 2000];
const DEFAULT_COUNTS = [100, 500, 1000, 2000, 5000];

/** The default grid of candidates. */
export function defaultCandidates(): PrimaryConfigCandidate[] {
  return DEFAULT_TIMEOUTS.flatMap((batchTimeoutMs) => DEFAULT_COUNTS.map((maxMessageCount) => ({ batchTimeoutMs, maxMessageCount })));
}

/** Reads a candidate out of a configuration, or explains why it is not one. */
export function candidateOf(config: Readonly<Record<string, unknown>>): PrimaryConfigCandidate | string {
  const { batchTimeoutMs, maxMessageCount } = config;
  if (typeof batchTimeoutMs !== 'number' || !Number.isInteger(batchTimeoutMs) || batchTimeoutMs < 1) {
    return `batchTimeoutMs must be a positive integer, got ${JSON.stringify(batchTimeoutMs)}`;
  }
  if (typeof maxMessageCount !== 'number' || !Number.isInteger(maxMessageCount) || maxMessageCount < 1) {
    return `maxMessageCount must be a positive integer, got ${JSON.stringify(maxMessageCount)}`;
  }
  return { batchTimeoutMs, maxMessageCount };
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A digital twin that decides and validates by simulation. */
export class SimulationTwin implements DigitalTwin {
  readonly name: string;
  private readonly scenario: Scenario;
  private readonly candidates: readonly PrimaryConfigCandidate[];
  private readonly durationSec: number;
  private readonly warmupSec: number;
  private readonly seeds: readonly number[];
  private readonly tolerance: number;
  private readonly bounds: PrimaryBounds;
  private readonly minTxRate: number;
  private readonly cache = new Map<string, CandidateScore>();

  constructor(options: SimulationTwinOptions = {}) {
    this.name = options.name ?? 'simulation';
    this.scenario = options.scenario ?? loadScenario(join(SCENARIO_DIR, 'twin-base.json'));
    this.candidates = options.candidates ?? defaultCandidates();
    this.durationSec = options.durationSec ?? 20;
    this.warmupSec = options.warmupSec ?? 5;
    this.seeds = options.seeds ?? [1];
    this.tolerance = options.tolerance ?? 0.25;
    this.bounds = options.bounds ?? { batchTimeoutMs: { min: 10, max: 10_000 }, maxMessageCount: { min: 1, max: 100_000 } };
    this.minTxRate = options.minTxRate ?? 100;
    if (this.warmupSec >= this.durationSec) {
      throw new RangeError(`warmupSec (${this.warmupSec}) must be below durationSec (${this.durationSec})`);
    }
  }

  private load(state: TwinState): number {
    const rate = state.metrics.txRate;
    // Rounded so that members observing nearly the same rate share simulations and verdicts.
    return Math.max(this.minTxRate, Math.round(Number.isFinite(rate) ? rate : 0));
  }

  private outOfBounds(c: PrimaryConfigCandidate): string | undefined {
    for (const key of ['batchTimeoutMs', 'maxMessageCount'] as const) {
      const range = this.bounds[key];
      const value: number = c[key];
      if (!inRange(value, range)) {
        return `${key} ${String(value)} is outside [${range.min}, ${range.max}]`;
      }
    }
    return undefined;
  }

  /**
   * Scores one candidate under an offered load (tx/s) by simulation; cached per (candidate, load).
   */
  score(config: PrimaryConfigCandidate, txPerSec: number): CandidateScore {
    const key = `${config.batchTimeoutMs}/${config.maxMessageCount}/${txPerSec}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) {
      return cached;
    }
    const txSize = this.scenario.primary.txSizeBytes;
    let latency = 0;
    let throughput = 0;
    let interval = 0;
    let fill = 0;
    for (const seed of this.seeds) {
      const scenario = withOverrides(
        this.scenario,
        {
          seed,
          durationSec: this.durationSec,
          'management.enabled': false,
          'primary.blockIntervalSec': config.batchTimeoutMs / 1000,
          'primary.maxBlockSizeMB': (config.maxMessageCount * txSize) / 1e6,
          'primary.workload': { txPerSec },
        },
        `${this.name} candidate ${key}`,
      );
      const obs = runScenario(scenario, { warmupSec: this.warmupSec }).observation;
      latency += obs.commitLatencyMs;
      throughput += obs.txRate;
      interval += obs.blockIntervalMs;
      fill += obs.blockFill;
    }
    const k = this.seeds.length;
    const result: CandidateScore = {
      config,
      commitLatencyMs: latency / k,
      throughput: throughput / k,
      blockIntervalMs: interval / k,
      blockFill: fill / k,
      // Keeping up means committing (nearly) what arrives; 5 % covers the fluid model's edges.
      score: throughput / k >= 0.95 * txPerSec && Number.isFinite(latency / k) ? latency / k : Infinity,
    };
    this.cache.set(key, result);
    return result;
  }

  /** Scores every candidate (and the current configuration) for the observed load, best first. */
  async rank(state: TwinState): Promise<CandidateScore[]> {
    const load = this.load(state);
    const pool = [...this.candidates];
    const current = candidateOf(state.current);
    if (typeof current !== 'string' && !pool.some((c) => c.batchTimeoutMs === current.batchTimeoutMs && c.maxMessageCount === current.maxMessageCount)) {
      pool.push(current);
    }
    const scores: CandidateScore[] = [];
    for (const c of pool) {
      if (this.outOfBounds(c) === undefined) {
        scores.push(this.score(c, load));
        await yieldToEventLoop();
      }
    }
    // Stable: equal scores keep the candidate order, so every member picks the same one.
    return scores.map((s, i) => ({ s, i })).sort((a, b) => a.s.score - b.s.score || a.i - b.i).map((x) => x.s);
  }

  /** The best-scoring configuration for the observed load; other keys of the current configuration are kept. */
  async decide(state: TwinState): Promise<Record<string, unknown>> {
    const ranked = await this.rank(state);
    const best = ranked[0];
    if (best === undefined) {
      return { ...state.current };
    }
    if (!Number.isFinite(best.score)) {
      // Nothing keeps up: the candidate with the highest throughput falls behind the least.
      const fastest = ranked.reduce((a, b) => (b.throughput > a.throughput ? b : a), best);
      return { ...state.current, batchTimeoutMs: fastest.config.batchTimeoutMs, maxMessageCount: fastest.config.maxMessageCount };
    }
    return { ...state.current, batchTimeoutMs: best.config.batchTimeoutMs, maxMessageCount: best.config.maxMessageCount };
  }

  /** Approves a configuration that scores within the tolerance of the best candidate. */
  async validate(config: Record<string, unknown>, state: TwinState): Promise<Verdict> {
    const candidate = candidateOf(config);
    if (typeof candidate === 'string') {
      return { approve: false, reason: candidate };
    }
    const bounds = this.outOfBounds(candidate);
    if (bounds !== undefined) {
      return { approve: false, reason: bounds };
    }
    const load = this.load(state);
    const ranked = await this.rank(state);
    const best = ranked[0];
    const own = this.score(candidate, load);
    const describe = (s: CandidateScore): string =>
      `${s.config.batchTimeoutMs} ms / ${s.config.maxMessageCount} tx: ${Number.isFinite(s.score) ? `${s.score.toFixed(0)} ms mean latency` : `cannot keep up (${s.throughput.toFixed(0)} of ${load} tx/s)`}`;
    if (!Number.isFinite(own.score)) {
      return { approve: false, reason: `at ${load} tx/s, ${describe(own)}` };
    }
    if (best === undefined || own.score <= best.score * (1 + this.tolerance)) {
      return { approve: true, reason: `at ${load} tx/s, ${describe(own)}; best ${best === undefined ? 'n/a' : describe(best)}` };
    }
    return { approve: false, reason: `at ${load} tx/s, ${describe(own)} is more than ${Math.round(this.tolerance * 100)} % worse than ${describe(best)}` };
  }
}
