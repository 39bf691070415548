/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The primary configuration C^prim that the built-in twins reason about: the orderer batch
 * parameters of the Fabric channel `primary` (docs/architecture.md, "Topology"), and the bounds that the
 * genesis schema puts on them. A CB's configuration carries them either as the two values of older
 * chains (`{"batchTimeoutMs", "maxMessageCount"}`) or inside a channel model (`"version": 2`:
 * `orderer.batchTimeoutMs`, or `orderer.smartbft.requestBatchMaxIntervalMs` on a SmartBFT channel,
 * and `orderer.batchSize.maxMessageCount`); the twins read and write them in either shape.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import { TwinError } from './errors';

/** The primary channel's batch parameters, as carried in a configuration block's `config`. */
export interface PrimaryConfig {
  /** Orderer BatchTimeout in milliseconds. */
  readonly batchTimeoutMs: number;
  /** Orderer BatchSize.MaxMessageCount. */
  readonly maxMessageCount: number;
}

/** The keys of {@link PrimaryConfig}, in a fixed order for messages. */
export const PRIMARY_CONFIG_KEYS = ['batchTimeoutMs', 'maxMessageCount'] as const;

/** One key of {@link PrimaryConfig}. */
export type PrimaryConfigKey = (typeof PRIMARY_CONFIG_KEYS)[number];

/** An inclusive integer range. */
export interface Range {
  readonly min: number;
  readonly max: number;
}

/** Inclusive bounds of each key of {@link PrimaryConfig}. */
export type PrimaryBounds = Readonly<Record<PrimaryConfigKey, Range>>;

/** The two-value schema of older chains (JSON Schema 2020-12), shipped with the orchestrator. */
export const PRIMARY_CONFIG_SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schemas', 'primary-config.schema.json');

/** The channel model schema (JSON Schema 2020-12), shipped with the orchestrator: new chains' default. */
export const CHANNEL_MODEL_SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schemas', 'channel-config.schema.json');

/** The devnet's genesis batch parameters (BatchTimeout 100ms, MaxMessageCount 10). */
export const DEFAULT_PRIMARY_CONFIG: PrimaryConfig = { batchTimeoutMs: 100, maxMessageCount: 10 };

/**
 * Reads a configuration schema file.
 *
 * @throws {@link TwinError} `TWIN_CONFIG_UNREADABLE` when the file is missing or not a JSON object.
 */
export function readSchemaFile(file: string = PRIMARY_CONFIG_SCHEMA_FILE): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TwinError('TWIN_CONFIG_UNREADABLE', 'schema', `cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new TwinError('TWIN_CONFIG_UNREADABLE', 'schema', `${file} is not a JSON object`);
  }
  return parsed as JsonObject;
}

type Json = Readonly<Record<string, unknown>>;

function objectAt(value: unknown, ...keys: string[]): Json | undefined {
  let current: unknown = value;
  for (const key of keys) {
    if (current === null || typeof current !== 'object' || Array.isArray(current)) return undefined;
    current = (current as Json)[key];
  }
  return current !== null && typeof current === 'object' && !Array.isArray(current) ? (current as Json) : undefined;
}

/** Where each value lives in a channel model's schema, on etcdraft/devnet and on SmartBFT. */
const MODEL_SCHEMA_PATHS: Readonly<Record<PrimaryConfigKey, readonly (readonly string[])[]>> = {
  batchTimeoutMs: [
    ['properties', 'orderer', 'properties', 'batchTimeoutMs'],
    ['properties', 'orderer', 'properties', 'smartbft', 'properties', 'requestBatchMaxIntervalMs'],
  ],
  maxMessageCount: [['properties', 'orderer', 'properties', 'batchSize', 'properties', 'maxMessageCount']],
};

function numberAt(schema: JsonObject, key: PrimaryConfigKey, bound: 'minimum' | 'maximum'): number | undefined {
  for (const where of [['properties', key], ...MODEL_SCHEMA_PATHS[key]]) {
    const value = objectAt(schema, ...where)?.[bound];
    if (typeof value === 'number') return value;
  }
  return undefined;
}

/**
 * The bounds a configuration schema puts on the primary configuration: each property's
 * `minimum` and `maximum` (docs/protocol.md, "Genesis params": they are the consortium's bounds),
 * in a two-value schema or a channel model schema. A missing bound is 1 below and
 * `Number.MAX_SAFE_INTEGER` above, the widest a positive integer may be.
 */
export function boundsFromSchema(schema: JsonObject): PrimaryBounds {
  const range = (key: PrimaryConfigKey): Range => ({
    min: Math.ceil(numberAt(schema, key, 'minimum') ?? 1),
    max: Math.floor(numberAt(schema, key, 'maximum') ?? Number.MAX_SAFE_INTEGER),
  });
  return { batchTimeoutMs: range('batchTimeoutMs'), maxMessageCount: range('maxMessageCount') };
}

/** Whether a value is a safe integer inside a range. */
export function inRange(value: unknown, range: Range): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= range.min && value <= range.max;
}

/** Clamps an integer into a range. */
export function clamp(value: number, range: Range): number {
  return Math.min(range.max, Math.max(range.min, Math.round(value)));
}

/** Whether a genesis schema describes channel models (its `version` property is the constant 2). */
export function isModelSchema(schema: JsonObject): boolean {
  return objectAt(schema, 'properties', 'version')?.const === 2;
}

/** Whether a CB's configuration is a channel model (`"version": 2`). */
export function isModelConfig(config: Readonly<Record<string, unknown>>): boolean {
  return config.version === 2;
}

/** The model path of a value in a channel model: SmartBFT's block interval where the model names it. */
function modelPath(config: Readonly<Record<string, unknown>>, key: PrimaryConfigKey): readonly string[] {
  if (key === 'maxMessageCount') return ['orderer', 'batchSize', 'maxMessageCount'];
  const bft = objectAt(config, 'orderer', 'smartbft');
  return bft?.requestBatchMaxIntervalMs !== undefined && objectAt(config, 'orderer')?.batchTimeoutMs === undefined
    ? ['orderer', 'smartbft', 'requestBatchMaxIntervalMs']
    : ['orderer', 'batchTimeoutMs'];
}

function valueAt(config: Readonly<Record<string, unknown>>, where: readonly string[]): unknown {
  return objectAt(config, ...where.slice(0, -1))?.[where[where.length - 1]];
}

/**
 * Reads a primary configuration out of a CB's config (either shape), falling back to `fallback`
 * for a key that is missing or not an integer (a chain whose schema has other keys).
 */
export function primaryConfigOf(config: Readonly<Record<string, unknown>>, fallback: PrimaryConfig = DEFAULT_PRIMARY_CONFIG): PrimaryConfig {
  const pick = (key: PrimaryConfigKey): number => {
    const value = isModelConfig(config) ? valueAt(config, modelPath(config, key)) : config[key];
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : fallback[key];
  };
  return { batchTimeoutMs: pick('batchTimeoutMs'), maxMessageCount: pick('maxMessageCount') };
}

/**
 * `current` with the batch values of `next`, in `current`'s shape: for a channel model, a deep copy
 * with only those two values changed (everything else it governs stays as it is).
 */
export function withPrimaryConfig(current: Readonly<Record<string, unknown>>, next: PrimaryConfig): Record<string, unknown> {
  if (!isModelConfig(current)) return { ...next };
  const copy = JSON.parse(JSON.stringify(current)) as Record<string, unknown>;
  for (const key of PRIMARY_CONFIG_KEYS) {
    const where = modelPath(current, key);
    let node = copy;
    for (const segment of where.slice(0, -1)) {
      const child = node[segment];
      node = (node[segment] = child !== null && typeof child === 'object' && !Array.isArray(child) ? child : {}) as Record<string, unknown>;
    }
    node[where[where.length - 1]] = next[key];
  }
  return copy;
}

/** `config` without its batch values: what the rules twin does not judge. */
export function withoutPrimaryConfig(config: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const drop = (object: Readonly<Record<string, unknown>>, name: string): Record<string, unknown> => Object.fromEntries(Object.entries(object).filter(([key]) => key !== name));
  if (!isModelConfig(config)) return Object.fromEntries(Object.entries(config).filter(([key]) => !(PRIMARY_CONFIG_KEYS as readonly string[]).includes(key)));
  let copy = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  for (const key of PRIMARY_CONFIG_KEYS) {
    const where = modelPath(config, key);
    // Rebuild the path down to the value, leaving it out.
    const without = (node: Record<string, unknown>, depth: number): Record<string, unknown> => {
      const name = where[depth];
      if (depth === where.length - 1) return drop(node, name);
      const child = node[name];
      return child !== null && typeof child === 'object' && !Array.isArray(child) ? { ...node, [name]: without(child as Record<string, unknown>, depth + 1) } : node;
    };
    copy = without(copy, 0);
  }
  return copy;
}
