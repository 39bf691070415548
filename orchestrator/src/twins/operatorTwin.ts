/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Human governance as a twin: the operator writes the configuration they want into a JSON file
 * (or passes it on the command line), and the member's management node proposes exactly that and
 * approves only that. On a chain of channel models (`"version": 2`) the file states only what
 * the operator wants changed, e.g. `{"version": 2, "application": {"acls": {...}}}`: the
 * configuration in force with those values merged in (objects by key, lists and values whole) is
 * what is proposed and approved, so an operator never restates what they leave alone.
 */
import { readFileSync } from 'node:fs';
import { TwinError } from './errors';
import { isModelConfig } from './primaryConfig';
import type { DigitalTwin, TwinState, Verdict } from './twin';

/** Options of {@link OperatorTwin}: exactly one of `config` and `configFile`. */
export interface OperatorTwinOptions {
  /** A fixed desired configuration. */
  readonly config?: Readonly<Record<string, unknown>>;
  /**
   * A JSON file holding the desired configuration (a JSON object). It is re-read on every
   * decision and validation, so the operator changes their mind by editing the file, with no
   * restart.
   */
  readonly configFile?: string;
  /**
   * Allowance per numeric key: a proposed value within `allowance[key]` (absolute difference) of
   * the desired value is approved. Keys without an allowance must match exactly; so must every
   * non-numeric value.
   */
  readonly allowance?: Readonly<Record<string, number>>;
  /** Name in messages, `operator` by default. */
  readonly name?: string;
}

/**
 * A twin that stands for the operator's own decision.
 *
 * - `decide` returns the desired configuration (from the file, read now).
 * - `validate` approves a proposal iff it has the same keys as the desired configuration and every
 *   value equals the desired one, or, for numbers with an allowance, is within the allowance of
 *   it. The reason names the first key that differs.
 *
 * @example
 * const twin = new OperatorTwin({ configFile: 'desired.json', allowance: { batchTimeoutMs: 50 } });
 */
export class OperatorTwin implements DigitalTwin {
  readonly name: string;
  private readonly options: Readonly<OperatorTwinOptions>;

  /**
   * @throws {@link TwinError} `TWIN_BAD_INPUT` unless exactly one of `config` and `configFile` is
   * given, or when an allowance is negative.
   */
  constructor(options: Readonly<OperatorTwinOptions>) {
    this.name = options.name ?? 'operator';
    if ((options.config === undefined) === (options.configFile === undefined)) {
      throw new TwinError('TWIN_BAD_INPUT', this.name, 'give exactly one of a fixed config and a config file');
    }
    for (const [key, value] of Object.entries(options.allowance ?? {})) {
      if (!Number.isFinite(value) || value < 0) {
        throw new TwinError('TWIN_BAD_INPUT', this.name, `allowance for ${key} must be a non-negative number, got ${value}`);
      }
    }
    this.options = options;
  }

  /**
   * The operator's desired configuration.
   *
   * @throws {@link TwinError} `TWIN_CONFIG_UNREADABLE` when the file cannot be read or is not a
   * JSON object.
   */
  // The operator's decision does not depend on the observed state: that is the point of it.
   
  decide(state: TwinState): Promise<Record<string, unknown>> {
    try {
      return Promise.resolve(this.target(state));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Approves iff the proposal matches the desired configuration (within the allowances).
   *
   * @throws {@link TwinError} `TWIN_CONFIG_UNREADABLE` as {@link OperatorTwin.decide}.
   */
  validate(config: Record<string, unknown>, state: TwinState): Promise<Verdict> {
    let desired: Readonly<Record<string, unknown>>;
    try {
      desired = this.target(state);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (isModelConfig(desired)) {
      const difference = firstDifference(desired, config, '');
      return Promise.resolve(
        difference === undefined
          ? { approve: true, reason: 'matches the operator configuration' }
          : { approve: false, reason: `${difference} differs from the operator's configuration` },
      );
    }
    const keys = [...new Set([...Object.keys(desired), ...Object.keys(config)])].sort();
    for (const key of keys) {
      const want = desired[key];
      const got = config[key];
      if (!(key in config)) return Promise.resolve({ approve: false, reason: `${key} is missing; the operator wants ${JSON.stringify(want)}` });
      if (!(key in desired)) return Promise.resolve({ approve: false, reason: `${key} is not part of the operator's configuration` });
      if (JSON.stringify(want) === JSON.stringify(got)) continue;
      const allowance = this.options.allowance?.[key];
      if (typeof want === 'number' && typeof got === 'number' && allowance !== undefined) {
        if (Math.abs(want - got) <= allowance) continue;
        return Promise.resolve({ approve: false, reason: `${key} ${got} is more than ${allowance} from the operator's ${want}` });
      }
      return Promise.resolve({ approve: false, reason: `${key} ${JSON.stringify(got)} differs from the operator's ${JSON.stringify(want)}` });
    }
    return Promise.resolve({ approve: true, reason: 'matches the operator configuration' });
  }

  /** The desired configuration, merged into the one in force when both are channel models. */
  private target(state: TwinState): Readonly<Record<string, unknown>> {
    const desired = this.desired();
    return isModelConfig(desired) && isModelConfig(state.current) ? mergeModel(state.current, desired) : { ...desired };
  }

  private desired(): Readonly<Record<string, unknown>> {
    if (this.options.config !== undefined) return this.options.config;
    const file = this.options.configFile as string;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new TwinError('TWIN_CONFIG_UNREADABLE', this.name, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new TwinError('TWIN_CONFIG_UNREADABLE', this.name, `${file} must hold a JSON object, e.g. {"batchTimeoutMs": 200, "maxMessageCount": 20}`);
    }
    return parsed as Record<string, unknown>;
  }
}

function isPlainObject(value: unknown): value is Readonly<Record<string, unknown>> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `base` with `change` merged in: objects by key, anything else (lists included) replaced whole. */
export function mergeModel(base: Readonly<Record<string, unknown>>, change: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(change)) {
    const under = merged[key];
    merged[key] = isPlainObject(value) && isPlainObject(under) ? mergeModel(under, value) : value;
  }
  return merged;
}

/** The first path (e.g. `application.acls.peer/Propose`) where two JSON values differ, in key order. */
export function firstDifference(want: unknown, got: unknown, path: string): string | undefined {
  if (isPlainObject(want) && isPlainObject(got)) {
    for (const key of [...new Set([...Object.keys(want), ...Object.keys(got)])].sort()) {
      const found = firstDifference(want[key], got[key], path === '' ? key : `${path}.${key}`);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  return JSON.stringify(want) === JSON.stringify(got) ? undefined : path === '' ? 'the configuration' : path;
}
