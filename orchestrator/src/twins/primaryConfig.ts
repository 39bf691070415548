/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The primary configuration C^prim that the built-in twins reason about: the orderer batch
 * parameters of the Fabric channel `primary` (docs/architecture.md, "Topology"), and the bounds that the
 * genesis schema puts on them.
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

/** The schema file shipped with the orchestrator (JSON Schema 2020-12), used for genesis by default. */
export const PRIMARY_CONFIG_SCHEMA_FILE = path.resolve(__dirname, '..', '..', 'schemas', 'primary-config.schema.json');

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

function numberAt(schema: JsonObject, key: string, bound: 'minimum' | 'maximum'): number | undefined {
  const properties = schema.properties;
  if (properties === null || typeof properties !== 'object' || Array.isArray(properties)) return undefined;
  const property = properties[key];
  if (property === null || typeof property !== 'object' || Array.isArray(property)) return undefined;
  const value = property[bound];
  return typeof value === 'number' ? value : undefined;
}

/**
 * The bounds a configuration schema puts on the primary configuration: each property's
 * `minimum` and `maximum` (docs/protocol.md, "Genesis params": they are the consortium's bounds). A missing
 * bound is 1 below and `Number.MAX_SAFE_INTEGER` above, the widest a positive integer may be.
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

/**
 * Reads a primary configuration out of a CB's config, falling back to `fallback` for a key
 * that is missing or not an integer (a chain whose schema has other keys).
 */
export function primaryConfigOf(config: Readonly<Record<string, unknown>>, fallback: PrimaryConfig = DEFAULT_PRIMARY_CONFIG): PrimaryConfig {
  const pick = (key: PrimaryConfigKey): number => {
    const value = config[key];
    return typeof value === 'number' && Number.isSafeInteger(value) ? value : fallback[key];
  };
  return { batchTimeoutMs: pick('batchTimeoutMs'), maxMessageCount: pick('maxMessageCount') };
}
