/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A twin made of threshold rules on what the member observes on the primary channel. It is the
 * simplest model of the primary chain that still closes the loop: full blocks mean the block
 * size limit holds transactions back; sparse blocks that take long to commit mean the batch
 * timer, not the load, cuts blocks; sparse blocks that commit fast leave room to batch more.
 */
import { TwinError } from './errors';
import { canonicalJson } from 'mgmt-chaincode/dist/protocol';
import { clamp, inRange, isModelConfig, PRIMARY_CONFIG_KEYS, primaryConfigOf, withoutPrimaryConfig, withPrimaryConfig } from './primaryConfig';
import type { PrimaryBounds, PrimaryConfig, PrimaryConfigKey } from './primaryConfig';
import type { DigitalTwin, PrimaryMetrics, TwinState, Verdict } from './twin';

/** Thresholds of {@link RulesTwin}; every field has a default. */
export interface RulesTwinThresholds {
  /** Blocks at least this full (0..1) raise maxMessageCount. Default 0.8. */
  readonly highFill: number;
  /** Blocks at most this full count as sparse. Default 0.3. */
  readonly lowFill: number;
  /** Sparse blocks with a commit latency at least this (ms) lower batchTimeoutMs. Default 1000. */
  readonly highLatencyMs: number;
  /** Sparse blocks with a commit latency at most this (ms) raise batchTimeoutMs. Default 250. */
  readonly lowLatencyMs: number;
  /** Below this transaction rate (tx/s) there is no evidence, and the twin holds. Default 0.5. */
  readonly minTxRate: number;
  /** Multiplicative step of a change (at least 1 unit). Default 1.5. */
  readonly growth: number;
  /**
   * Validator's tolerance: thresholds are relaxed by this much (absolute for fill, relative for
   * latency) when judging another member's proposal, because each member sees the primary
   * channel over a slightly different window. Default 0.1.
   */
  readonly slack: number;
  /** A validator refuses a change by more than this factor in one block. Default 2. */
  readonly maxStepFactor: number;
}

/** Options of {@link RulesTwin}. */
export interface RulesTwinOptions extends Partial<RulesTwinThresholds> {
  /** The consortium's bounds (from the genesis schema: `boundsFromSchema`). */
  readonly bounds: PrimaryBounds;
  /** Name in messages, `rules` by default. */
  readonly name?: string;
}

/** Where a rule wants a key to move. */
export type Direction = 'up' | 'down' | 'hold';

/** The rules' opinion on one key, with the evidence. */
export interface RuleOpinion {
  readonly key: PrimaryConfigKey;
  readonly direction: Direction;
  readonly reason: string;
}

/** The thresholds used when none are given. */
export const DEFAULT_RULES: RulesTwinThresholds = {
  highFill: 0.8,
  lowFill: 0.3,
  highLatencyMs: 1000,
  lowLatencyMs: 250,
  minTxRate: 0.5,
  growth: 1.5,
  slack: 0.1,
  maxStepFactor: 2,
};

const pct = (x: number): string => `${Math.round(x * 100)}%`;
const ms = (x: number): string => `${Math.round(x)} ms`;

/**
 * Where the rules want each key to move under some metrics. With `slack` > 0 the thresholds
 * are relaxed towards "change", which is what a validator uses to accept a proposal made on
 * slightly different observations.
 */
export function opinions(metrics: PrimaryMetrics, t: RulesTwinThresholds, slack = 0): Record<PrimaryConfigKey, RuleOpinion> {
  const hold = (key: PrimaryConfigKey, reason: string): RuleOpinion => ({ key, direction: 'hold', reason });
  if (!(metrics.txRate >= t.minTxRate)) {
    const why = `no evidence: ${metrics.txRate.toFixed(2)} tx/s < ${t.minTxRate}`;
    return { batchTimeoutMs: hold('batchTimeoutMs', why), maxMessageCount: hold('maxMessageCount', why) };
  }
  const highFill = t.highFill - slack;
  const lowFill = t.lowFill + slack;
  const highLatency = t.highLatencyMs * (1 - slack);
  const lowLatency = t.lowLatencyMs * (1 + slack);
  const fill = metrics.blockFill;
  const latency = metrics.commitLatencyMs;

  const maxMessageCount: RuleOpinion =
    fill >= highFill
      ? { key: 'maxMessageCount', direction: 'up', reason: `full blocks (fill ${pct(fill)} >= ${pct(highFill)})` }
      : hold('maxMessageCount', `blocks not full (fill ${pct(fill)} < ${pct(highFill)})`);

  let batchTimeoutMs: RuleOpinion;
  if (fill > lowFill) {
    batchTimeoutMs = hold('batchTimeoutMs', `blocks not sparse (fill ${pct(fill)} > ${pct(lowFill)})`);
  } else if (latency >= highLatency) {
    batchTimeoutMs = { key: 'batchTimeoutMs', direction: 'down', reason: `sparse blocks commit slowly (fill ${pct(fill)}, latency ${ms(latency)} >= ${ms(highLatency)})` };
  } else if (latency <= lowLatency) {
    batchTimeoutMs = { key: 'batchTimeoutMs', direction: 'up', reason: `sparse blocks commit fast (fill ${pct(fill)}, latency ${ms(latency)} <= ${ms(lowLatency)})` };
  } else {
    batchTimeoutMs = hold('batchTimeoutMs', `latency ${ms(latency)} within ${ms(lowLatency)}..${ms(highLatency)}`);
  }
  return { batchTimeoutMs, maxMessageCount };
}

/**
 * Threshold rules on primary-channel metrics.
 *
 * - `decide`: maxMessageCount up by `growth` when blocks are full; batchTimeoutMs down by
 *   `growth` when blocks are sparse and commit slowly, up when they are sparse and commit fast;
 *   otherwise the current value. Always within the bounds; with no evidence (`minTxRate`) it
 *   proposes the current configuration unchanged.
 * - `validate`: approves a configuration that equals the current one, or whose every value is
 *   within the bounds, moves by at most `maxStepFactor`, and either stays or moves in a direction
 *   the twin's own rules (relaxed by `slack`) agree with. The reason names the evidence.
 */
export class RulesTwin implements DigitalTwin {
  readonly name: string;
  /** The thresholds in force (defaults filled in). */
  readonly thresholds: RulesTwinThresholds;
  private readonly bounds: PrimaryBounds;

  /**
   * @throws {@link TwinError} `TWIN_BAD_INPUT` for inconsistent thresholds or empty bounds.
   */
  constructor(options: Readonly<RulesTwinOptions>) {
    this.name = options.name ?? 'rules';
    const t: RulesTwinThresholds = {
      highFill: options.highFill ?? DEFAULT_RULES.highFill,
      lowFill: options.lowFill ?? DEFAULT_RULES.lowFill,
      highLatencyMs: options.highLatencyMs ?? DEFAULT_RULES.highLatencyMs,
      lowLatencyMs: options.lowLatencyMs ?? DEFAULT_RULES.lowLatencyMs,
      minTxRate: options.minTxRate ?? DEFAULT_RULES.minTxRate,
      growth: options.growth ?? DEFAULT_RULES.growth,
      slack: options.slack ?? DEFAULT_RULES.slack,
      maxStepFactor: options.maxStepFactor ?? DEFAULT_RULES.maxStepFactor,
    };
    const problems: string[] = [];
    if (!(t.lowFill >= 0 && t.lowFill < t.highFill && t.highFill <= 1)) problems.push('need 0 <= lowFill < highFill <= 1');
    if (!(t.lowLatencyMs >= 0 && t.lowLatencyMs < t.highLatencyMs)) problems.push('need 0 <= lowLatencyMs < highLatencyMs');
    if (!(t.growth > 1)) problems.push('growth must be > 1');
    if (!(t.slack >= 0 && t.slack < 1)) problems.push('slack must be in [0, 1)');
    if (!(t.maxStepFactor >= t.growth)) problems.push('maxStepFactor must be >= growth, or the twin would refuse its own steps');
    if (!(t.minTxRate >= 0)) problems.push('minTxRate must be >= 0');
    for (const key of PRIMARY_CONFIG_KEYS) {
      const r = options.bounds[key];
      if (!(Number.isSafeInteger(r.min) && Number.isSafeInteger(r.max) && r.min <= r.max)) problems.push(`bounds of ${key} are empty`);
    }
    if (problems.length > 0) throw new TwinError('TWIN_BAD_INPUT', this.name, problems.join('; '));
    this.thresholds = t;
    this.bounds = options.bounds;
  }

  /** The next configuration under the rules. */
  decide(state: TwinState): Promise<Record<string, unknown>> {
    const current = this.currentOf(state);
    const rules = opinions(state.metrics, this.thresholds);
    const next: Record<PrimaryConfigKey, number> = { ...current };
    for (const key of PRIMARY_CONFIG_KEYS) {
      next[key] = this.step(current[key], rules[key].direction, key);
    }
    // A channel model keeps everything else it governs as it is: the rules tune batch values only.
    return Promise.resolve(withPrimaryConfig(state.current, next));
  }

  /** Whether the rules agree with a proposed configuration; see the class comment. */
  validate(config: Record<string, unknown>, state: TwinState): Promise<Verdict> {
    const current = this.currentOf(state);
    if (isModelConfig(config) || isModelConfig(state.current)) {
      const rest = (c: Record<string, unknown>): string => canonicalJson(withoutPrimaryConfig(c));
      if (rest(config) !== rest(state.current)) {
        return Promise.resolve({ approve: false, reason: 'it changes more than the batch values, which is not for the rules twin to approve (an operator twin judges policies, capabilities, ACLs and anchor peers)' });
      }
    } else {
      const extra = Object.keys(config).filter((key) => !(PRIMARY_CONFIG_KEYS as readonly string[]).includes(key));
      if (extra.length > 0) return Promise.resolve({ approve: false, reason: `unknown keys ${extra.join(', ')}` });
    }
    const values = isModelConfig(config) ? primaryConfigOf(config, { batchTimeoutMs: Number.NaN, maxMessageCount: Number.NaN }) : config;
    for (const key of PRIMARY_CONFIG_KEYS) {
      const r = this.bounds[key];
      if (!inRange(values[key], r)) {
        return Promise.resolve({ approve: false, reason: `${key} ${JSON.stringify(values[key])} is not an integer within ${r.min}..${r.max}` });
      }
    }
    const proposed = values as unknown as PrimaryConfig;
    const changed = PRIMARY_CONFIG_KEYS.filter((key) => proposed[key] !== current[key]);
    if (changed.length === 0) return Promise.resolve({ approve: true, reason: 'no change' });
    const rules = opinions(state.metrics, this.thresholds, this.thresholds.slack);
    const agreed: string[] = [];
    for (const key of changed) {
      const from = current[key];
      const to = proposed[key];
      const factor = Math.max(to / from, from / to);
      // A one-unit step is always allowed: from 1, any increase is a factor of 2 or more.
      if (factor > this.thresholds.maxStepFactor && Math.abs(to - from) > 1) {
        return Promise.resolve({ approve: false, reason: `${key} ${from}->${to} is a step larger than x${this.thresholds.maxStepFactor}` });
      }
      const direction: Direction = to > from ? 'up' : 'down';
      if (rules[key].direction !== direction) {
        return Promise.resolve({ approve: false, reason: `${key} ${from}->${to} goes ${direction}, my rules say ${rules[key].direction}: ${rules[key].reason}` });
      }
      agreed.push(`${key} ${from}->${to}: ${rules[key].reason}`);
    }
    return Promise.resolve({ approve: true, reason: agreed.join('; ') });
  }

  private currentOf(state: TwinState): PrimaryConfig {
    const c = primaryConfigOf(state.current);
    return { batchTimeoutMs: clamp(c.batchTimeoutMs, this.bounds.batchTimeoutMs), maxMessageCount: clamp(c.maxMessageCount, this.bounds.maxMessageCount) };
  }

  private step(value: number, direction: Direction, key: PrimaryConfigKey): number {
    const g = this.thresholds.growth;
    if (direction === 'up') return clamp(Math.max(value + 1, Math.round(value * g)), this.bounds[key]);
    if (direction === 'down') return clamp(Math.min(value - 1, Math.round(value / g)), this.bounds[key]);
    return value;
  }
}
