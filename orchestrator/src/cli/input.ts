/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Parsers of option values and of complex input (JSON from a file, or `-` for stdin).
 */
import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import type { JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { parseIJson } from 'mgmt-chaincode/dist/protocol';
import { UsageError } from './errors';

/** A commander parser of integers within a range. */
export function integerIn(min: number, max: number = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer from ${min} to ${max}`);
    }
    return n;
  };
}

/** A commander parser of non-negative numbers. */
export function nonNegativeNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number >= 0');
  return n;
}

/** A commander parser of `key=number,key=number`. */
export function keyNumbers(value: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of value.split(',').filter((p) => p.trim() !== '')) {
    const [key, text] = part.split('=');
    const n = Number(text);
    if (key === undefined || key.trim() === '' || text === undefined || !Number.isFinite(n)) throw new InvalidArgumentError('key=number pairs separated by commas, e.g. batchTimeoutMs=50');
    out[key.trim()] = n;
  }
  return out;
}

/**
 * Reads JSON from a file, or from stdin for `-`, with I-JSON checks (duplicate names are refused,
 * as the chaincode refuses them).
 *
 * @param what what the input is, for messages ("JSON Patch").
 * @throws {@link UsageError} naming the file and the problem.
 */
export function readJsonValue(file: string, what: string, readStdin: () => string = () => readFileSync(0, 'utf8')): JsonValue {
  let text: string;
  try {
    text = file === '-' ? readStdin() : readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read the ${what} ${file === '-' ? 'from stdin' : file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return parseIJson(text, what);
  } catch (err) {
    throw new UsageError(`the ${what} ${file === '-' ? '(stdin)' : file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/**
 * Reads a JSON object from a file, or from stdin for `-` (see {@link readJsonValue}).
 *
 * @param what what the input is, for messages ("configuration file").
 * @throws {@link UsageError} naming the file and the problem.
 */
export function readJsonObject(file: string, what: string, readStdin: () => string = () => readFileSync(0, 'utf8')): JsonObject {
  const value = readJsonValue(file, what, readStdin);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new UsageError(`the ${what} ${file === '-' ? '(stdin)' : file} must hold a JSON object`);
  }
  return value;
}
