/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Scenarios: what one simulation run models. A scenario file (JSON) states only what differs from
 * the paper's base case ({@link BASE_SCENARIO}); it is checked against {@link SCENARIO_SCHEMA}
 * (JSON Schema 2020-12, with ajv) and then against the rules that span fields. Every error names
 * the field, e.g. `management.nodes: must be <= network.nodes (32), got 40`. Gossip peers beyond
 * every other node are capped at nodes - 1 with a notice on stderr, not refused.
 *
 * Sweep files name a base scenario, one parameter (a dotted path) and its values: see
 * {@link SweepSpec}.
 */

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject } from 'ajv';

/** The package's scenario files (`orchestrator/scenarios`), from `src/sim` or `dist/sim` alike. */
export const SCENARIO_DIR = resolve(__dirname, '..', '..', 'scenarios');

/** Bandwidth of a link, sampled per message: Normal(mean, sd) floored at `min`, in MB/s. */
export interface BandwidthSpec {
  readonly mean: number;
  readonly sd: number;
  readonly min: number;
}

/** The primary chain's nodes, links and positions. */
export interface NetworkSpec {
  /** Number of primary nodes. */
  readonly nodes: number;
  /** Gossip fan-out: random peers each node forwards to. */
  readonly peers: number;
  readonly bandwidthMBps: BandwidthSpec;
  /**
   * Where nodes are: `cities` picks one of a built-in list of world cities per node (as the
   * paper's simulator does), `sphere` draws points uniformly on the globe.
   */
  readonly locations: 'cities' | 'sphere';
  /** Size of a PBFT vote (prepare, commit, view change), in MB. */
  readonly voteSizeMB: number;
  /** Whether votes carry the whole block, as SymbChainSim's messages do (ablation only). */
  readonly votesCarryBlock: boolean;
}

/** An optional transaction workload; without it every block is full (the paper's set-up). */
export interface WorkloadSpec {
  /** Offered load in transactions per second (a steady stream). */
  readonly txPerSec: number;
}

/** The managed (primary) chain. */
export interface PrimarySpec {
  /** Block interval: the proposer waits this long after a round starts before it cuts a block (C^prim batchTimeoutMs). */
  readonly blockIntervalSec: number;
  /** Maximum block size in MB (with txSizeBytes, gives C^prim maxMessageCount). */
  readonly maxBlockSizeMB: number;
  readonly txSizeBytes: number;
  /** PBFT view-change timeout of view 0, in s. */
  readonly viewTimeoutSec: number;
  /** Whether the view timeout doubles with every further view of the same height (PBFT's liveness rule). */
  readonly doubleViewTimeout: boolean;
  /** Processing time of a replica between accepting a block and sending its prepare, in s. */
  readonly validationSec: number;
  /** Crashed primary nodes (the highest indices that are not management nodes first): they never send. */
  readonly crashed: number;
  readonly workload: WorkloadSpec | null;
}

/** The management chain and mechanism (Algorithm 1). */
export interface ManagementSpec {
  /** Run the management chain at all (the twin's short simulations switch it off). */
  readonly enabled: boolean;
  /** Management nodes, drawn at random from the primary nodes. */
  readonly nodes: number;
  /** Configuration block size in MB. */
  readonly cbSizeMB: number;
  /** Configuration block interval, sampled per block: Normal(mean, sd) floored at `min`, in s. */
  readonly cbiSec: { readonly mean: number; readonly sd: number; readonly min: number };
  /** Length of one proposal cycle (PBFT view of the management chain) before it fails, in s. */
  readonly cycleTimeoutSec: number;
  /** Crashed management nodes: their cycles fail by timeout, which exercises proposer rotation. */
  readonly crashed: number;
  /** Probability that a validator's twin rejects a proposal (the cycle fails early when enough do). */
  readonly rejectProbability: number;
  /** Time a proposer's twin takes to decide, and a validator's to validate, in s. */
  readonly twinDecisionSec: number;
}

/** A complete scenario: every field present. */
export interface Scenario {
  readonly name: string;
  readonly description: string;
  readonly seed: number;
  /** Simulated time in seconds. */
  readonly durationSec: number;
  readonly network: NetworkSpec;
  readonly primary: PrimarySpec;
  readonly management: ManagementSpec;
}

/**
 * The paper's base case (section 3): 32 primary nodes with 16 peers each, bandwidth
 * Normal(10, 0.5) MB/s per message, 16 management nodes drawn from the primaries, PBFT on both
 * chains, 1 MB blocks every 0.1 s, 0.25 MB configuration blocks, CBI ~ Normal(30 s, 5 s), one hour.
 */
export const BASE_SCENARIO: Scenario = {
  name: 'base',
  description: "The paper's base case (section 3)",
  seed: 1,
  durationSec: 3600,
  network: {
    nodes: 32,
    peers: 16,
    bandwidthMBps: { mean: 10, sd: 0.5, min: 0.1 },
    locations: 'cities',
    voteSizeMB: 0.001,
    votesCarryBlock: false,
  },
  primary: {
    blockIntervalSec: 0.1,
    maxBlockSizeMB: 1,
    txSizeBytes: 1000,
    viewTimeoutSec: 4,
    doubleViewTimeout: true,
    validationSec: 0,
    crashed: 0,
    workload: null,
  },
  management: {
    enabled: true,
    nodes: 16,
    cbSizeMB: 0.25,
    cbiSec: { mean: 30, sd: 5, min: 1 },
    cycleTimeoutSec: 10,
    crashed: 0,
    rejectProbability: 0,
    twinDecisionSec: 0,
  },
};

const positive = { type: 'number', exclusiveMinimum: 0 } as const;
const nonNegative = { type: 'number', minimum: 0 } as const;
const count = (min: number): Record<string, unknown> => ({ type: 'integer', minimum: min });

/** JSON Schema (2020-12) of a scenario file. Every field is optional; unknown fields are errors. */
export const SCENARIO_SCHEMA: Record<string, unknown> = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://example.invalid/mgmt-sim/scenario.schema.json',
  title: 'Simulation scenario',
  type: 'object',
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', minLength: 1, pattern: '^[A-Za-z0-9._-]+$' },
    description: { type: 'string' },
    seed: { type: 'integer', minimum: 0, maximum: 4294967295 },
    durationSec: positive,
    network: {
      type: 'object',
      additionalProperties: false,
      properties: {
        nodes: count(1),
        peers: count(1),
        bandwidthMBps: {
          type: 'object',
          additionalProperties: false,
          properties: { mean: positive, sd: nonNegative, min: positive },
        },
        locations: { enum: ['cities', 'sphere'] },
        voteSizeMB: nonNegative,
        votesCarryBlock: { type: 'boolean' },
      },
    },
    primary: {
      type: 'object',
      additionalProperties: false,
      properties: {
        blockIntervalSec: nonNegative,
        maxBlockSizeMB: positive,
        txSizeBytes: count(1),
        viewTimeoutSec: positive,
        doubleViewTimeout: { type: 'boolean' },
        validationSec: nonNegative,
        crashed: count(0),
        workload: {
          oneOf: [
            { type: 'null' },
            { type: 'object', additionalProperties: false, required: ['txPerSec'], properties: { txPerSec: positive } },
          ],
        },
      },
    },
    management: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        nodes: count(1),
        cbSizeMB: positive,
        cbiSec: {
          type: 'object',
          additionalProperties: false,
          properties: { mean: positive, sd: nonNegative, min: positive },
        },
        cycleTimeoutSec: positive,
        crashed: count(0),
        rejectProbability: { type: 'number', minimum: 0, maximum: 1 },
        twinDecisionSec: nonNegative,
      },
    },
  },
};

/** A scenario or sweep file that fails validation; `errors` name each field. */
export class ScenarioError extends Error {
  readonly errors: readonly string[];

  constructor(source: string, errors: readonly string[]) {
    super(`${source}: ${errors.length === 1 ? errors[0] : `\n  - ${errors.join('\n  - ')}`}`);
    this.name = 'ScenarioError';
    this.errors = errors;
  }
}

const ajv = new Ajv2020({ allErrors: true, strict: true });
const validateInput = ajv.compile(SCENARIO_SCHEMA);

function fieldOf(error: ErrorObject): string {
  const path = error.instancePath.replace(/^\//, '').split('/').filter((p) => p !== '').join('.');
  if (error.keyword === 'additionalProperties') {
    const extra = (error.params as { additionalProperty: string }).additionalProperty;
    return path === '' ? extra : `${path}.${extra}`;
  }
  return path === '' ? '(scenario)' : path;
}

function describeError(error: ErrorObject): string {
  if (error.keyword === 'additionalProperties') {
    return `${fieldOf(error)}: unknown field`;
  }
  return `${fieldOf(error)}: ${error.message ?? 'is invalid'}`;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) {
    return over === undefined ? base : over;
  }
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (key === '$schema') {
      continue;
    }
    out[key] = merge(base[key], value);
  }
  return out;
}

/** Checks the rules that span fields of a complete scenario; returns the errors. */
export function crossFieldErrors(s: Scenario): string[] {
  const errors: string[] = [];
  const n = s.network.nodes;
  if (n < 4) {
    errors.push(`network.nodes: PBFT needs at least 4 nodes, got ${n}`);
  }
  if (s.network.bandwidthMBps.min > s.network.bandwidthMBps.mean) {
    errors.push(`network.bandwidthMBps.min: must be <= mean (${s.network.bandwidthMBps.mean}), got ${s.network.bandwidthMBps.min}`);
  }
  if (s.management.nodes > n) {
    errors.push(`management.nodes: must be <= network.nodes (${n}), got ${s.management.nodes}`);
  }
  if (s.management.crashed >= s.management.nodes) {
    errors.push(`management.crashed: must be < management.nodes (${s.management.nodes}), got ${s.management.crashed}`);
  }
  if (s.primary.crashed >= n) {
    errors.push(`primary.crashed: must be < network.nodes (${n}), got ${s.primary.crashed}`);
  }
  if (s.primary.crashed > n - s.management.nodes && s.management.enabled) {
    errors.push(`primary.crashed: at most ${n - s.management.nodes} (the nodes that are not management nodes), got ${s.primary.crashed}`);
  }
  if (s.management.cbiSec.min > s.management.cbiSec.mean) {
    errors.push(`management.cbiSec.min: must be <= mean (${s.management.cbiSec.mean}), got ${s.management.cbiSec.min}`);
  }
  return errors;
}

/**
 * Validates a parsed scenario file and completes it with the base case.
 *
 * @param source names the input in error messages (a file name).
 * @throws {@link ScenarioError} listing every schema and cross-field error.
 */
export function resolveScenario(input: unknown, source = 'scenario', base: Scenario = BASE_SCENARIO): Scenario {
  if (!validateInput(input)) {
    throw new ScenarioError(source, (validateInput.errors ?? []).map(describeError));
  }
  const merged = merge(base, input) as Scenario;
  const errors = crossFieldErrors(merged);
  if (errors.length > 0) {
    throw new ScenarioError(source, errors);
  }
  return capPeers(merged, source);
}

/** Where {@link capPeers} reports; by default one line on stderr. */
let noticeSink: (line: string) => void = (line) => {
  process.stderr.write(`${line}\n`);
};
/** Notices already given (a sweep resolves each point more than once). */
const noticesGiven = new Set<string>();

/**
 * Sends scenario notices (not errors) to `sink` instead of stderr; returns the previous sink.
 * Each distinct notice is given once per process.
 */
export function setNoticeSink(sink: (line: string) => void): (line: string) => void {
  const previous = noticeSink;
  noticeSink = sink;
  noticesGiven.clear();
  return previous;
}

/**
 * A node gossips to at most every other node: `network.peers` >= `network.nodes` (say, the base
 * case's 16 peers with `--set network.nodes=16`) is capped at nodes - 1, with a notice.
 */
function capPeers(s: Scenario, source: string): Scenario {
  const n = s.network.nodes;
  if (s.network.peers < n) {
    return s;
  }
  const notice = `notice: ${source}: network.peers ${s.network.peers} >= network.nodes ${n}; gossiping to ${n - 1} peers (every other node)`;
  if (!noticesGiven.has(notice)) {
    noticesGiven.add(notice);
    noticeSink(notice);
  }
  return { ...s, network: { ...s.network, peers: n - 1 } };
}

function readJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ScenarioError(file, [`cannot read: ${(err as Error).message}`]);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ScenarioError(file, [`not JSON: ${(err as Error).message}`]);
  }
}

/**
 * Reads and validates a scenario file.
 *
 * @throws {@link ScenarioError} when the file is unreadable, not JSON, or invalid.
 */
export function loadScenario(file: string): Scenario {
  return resolveScenario(readJson(file), file);
}

/**
 * Sets a dotted path (`network.bandwidthMBps.mean`) in a scenario, returning a new scenario that is
 * validated again.
 *
 * @throws {@link ScenarioError} when the path is unknown or the result invalid.
 */
export function withOverrides(scenario: Scenario, overrides: Readonly<Record<string, unknown>>, source = 'overrides'): Scenario {
  let patch: Record<string, unknown> = {};
  for (const [path, value] of Object.entries(overrides)) {
    const keys = path.split('.');
    const nested = keys.reduceRight<unknown>((acc, key) => ({ [key]: acc }), value);
    patch = merge(patch, nested) as Record<string, unknown>;
  }
  // A complete scenario is itself a valid input, so the merged result goes through the same checks.
  return resolveScenario(merge(scenario, patch), source, scenario);
}

/** One sweep of the paper's figures: a parameter and its values over a base scenario. */
export interface SweepSpec {
  /** File-safe name, e.g. `bandwidth-mean`. */
  readonly name: string;
  /** Human title for the figure, e.g. `Bandwidth mean (MB/s)`. */
  readonly title: string;
  /** The paper's figures this sweep corresponds to, e.g. `4a, 5a`. */
  readonly paperFigures: string;
  /** The scenario every point starts from (already resolved). */
  readonly base: Scenario;
  /** Extra fixed settings applied to every point, dotted paths. */
  readonly overrides: Readonly<Record<string, unknown>>;
  /** The swept dotted path. */
  readonly parameter: string;
  readonly values: readonly number[];
  readonly seeds: readonly number[];
}

const SWEEP_SCHEMA = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'parameter', 'values'],
  properties: {
    $schema: { type: 'string' },
    name: { type: 'string', pattern: '^[A-Za-z0-9._-]+$' },
    title: { type: 'string' },
    paperFigures: { type: 'string' },
    base: { type: 'string' },
    overrides: { type: 'object' },
    parameter: { type: 'string', pattern: '^[A-Za-z]+(\\.[A-Za-z]+)+$' },
    values: { type: 'array', minItems: 1, items: { type: 'number' } },
    seeds: { type: 'array', minItems: 1, items: { type: 'integer', minimum: 0, maximum: 4294967295 } },
  },
} as const;
const validateSweep = ajv.compile(SWEEP_SCHEMA);

/**
 * Reads a sweep file. Its `base` is a scenario file relative to the sweep file (default: the base
 * case); every point is validated up front so that a bad value fails before hours of simulation.
 *
 * @throws {@link ScenarioError} naming the field or the failing point.
 */
export function loadSweep(file: string): SweepSpec {
  const input = readJson(file);
  if (!validateSweep(input)) {
    throw new ScenarioError(file, (validateSweep.errors ?? []).map(describeError));
  }
  const spec = input as { name: string; title?: string; paperFigures?: string; base?: string; overrides?: Record<string, unknown>; parameter: string; values: number[]; seeds?: number[] };
  const base = spec.base === undefined ? BASE_SCENARIO : loadScenario(resolve(dirname(file), spec.base));
  const overrides = spec.overrides ?? {};
  for (const value of spec.values) {
    withOverrides(base, { ...overrides, [spec.parameter]: value }, `${file}: ${spec.parameter} = ${value}`);
  }
  return {
    name: spec.name,
    title: spec.title ?? spec.parameter,
    paperFigures: spec.paperFigures ?? '',
    base,
    overrides,
    parameter: spec.parameter,
    values: spec.values,
    seeds: spec.seeds ?? [base.seed],
  };
}

/** The scenario of one sweep point. */
export function sweepPoint(spec: SweepSpec, value: number, seed: number): Scenario {
  const s = withOverrides(spec.base, { ...spec.overrides, [spec.parameter]: value, seed }, `${spec.name}: ${spec.parameter} = ${value}`);
  return { ...s, name: `${spec.name}-${value}` };
}
