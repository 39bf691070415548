/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Human governance as a twin: the operator writes the configuration they want into a JSON file
 * (or passes it on the command line), and the member's management node proposes exactly that and
 * approves only that.
 */
import { readFileSync } from 'node:fs';
import { TwinError } from './errors';
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
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  decide(_state: TwinState): Promise<Record<string, unknown>> {
    try {
      return Promise.resolve({ ...this.desired() });
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Approves iff the proposal matches the desired configuration (within the allowances).
   *
   * @throws {@link TwinError} `TWIN_CONFIG_UNREADABLE` as {@link OperatorTwin.decide}.
   */
  // eslint-disable-next-line @typescript-eslint/no-unused-vars
  validate(config: Record<string, unknown>, _state: TwinState): Promise<Verdict> {
    let desired: Readonly<Record<string, unknown>>;
    try {
      desired = this.desired();
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
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
