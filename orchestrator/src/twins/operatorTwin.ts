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
import type { GenesisParams, Member } from 'mgmt-chaincode/dist/protocol';
import { canonicalJson } from 'mgmt-chaincode/dist/protocol';
import type { DigitalTwin, ParamsChange, TwinState, Verdict } from './twin';

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
  /**
   * A JSON file holding the member set the operator wants: `{"members": [{"mspId", "caCertificate"}, …]}`
   * (the `member` entries of organisation files, `mgmt org new`). Re-read at every decision: when
   * it differs from the members in force, the node proposes it (with the other params unchanged)
   * and approves only a params change that makes exactly that set. Without it, params changes are
   * never proposed and always rejected.
   */
  readonly membersFile?: string;
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

  /**
   * The params with the operator's member set, when it differs from the one in force.
   *
   * @throws {@link TwinError} `TWIN_CONFIG_UNREADABLE` when the members file cannot be read or is malformed.
   */
  decideParams(inForce: GenesisParams): Promise<GenesisParams | undefined> {
    try {
      const wanted = this.wantedParams(inForce);
      return Promise.resolve(wanted === undefined || canonicalJson(wanted) === canonicalJson(inForce) ? undefined : wanted);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Approves a params change iff it makes exactly the operator's member set and changes nothing else. */
  validateParams(change: ParamsChange): Promise<Verdict> {
    let wanted: GenesisParams | undefined;
    try {
      wanted = this.wantedParams(change.inForce);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    if (wanted === undefined) return Promise.resolve({ approve: false, reason: `it changes the params (${change.summary}); the operator gave no members file` });
    return Promise.resolve(
      canonicalJson(wanted) === canonicalJson(change.params)
        ? { approve: true, reason: `the member set the operator wants (${change.summary})` }
        : { approve: false, reason: `it changes the params (${change.summary}), which is not the member set the operator wants` },
    );
  }

  /** The params in force with the members file's member set, or undefined without a members file. */
  private wantedParams(inForce: GenesisParams): GenesisParams | undefined {
    const file = this.options.membersFile;
    if (file === undefined) return undefined;
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new TwinError('TWIN_CONFIG_UNREADABLE', this.name, `cannot read ${file}: ${(err as Error).message}`, { cause: err });
    }
    const members = isPlainObject(parsed) ? parsed.members : undefined;
    const valid =
      Array.isArray(members) &&
      members.length > 0 &&
      members.every((m: unknown) => isPlainObject(m) && typeof m.mspId === 'string' && m.mspId !== '' && typeof m.caCertificate === 'string' && m.caCertificate.includes('BEGIN CERTIFICATE'));
    if (!valid) throw new TwinError('TWIN_CONFIG_UNREADABLE', this.name, `${file} must hold {"members": [{"mspId": "Org1MSP", "caCertificate": "-----BEGIN CERTIFICATE-----…"}, …]}`);
    // The chaincode keeps members sorted by MSP ID; so must the proposal.
    // A CA the operator copied with other line ends is the one in force, not a rotation.
    const pem = (text: string): string => text.replace(/\r\n/g, '\n').trim();
    const same = (m: Member): string => inForce.members.find((x) => x.mspId === m.mspId && pem(x.caCertificate) === pem(m.caCertificate))?.caCertificate ?? m.caCertificate;
    const sorted = (members as Member[]).map((m) => ({ mspId: m.mspId, caCertificate: same(m) })).sort((a, b) => (a.mspId < b.mspId ? -1 : a.mspId > b.mspId ? 1 : 0));
    return { ...inForce, members: sorted };
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
