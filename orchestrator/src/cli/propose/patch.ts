/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt propose --patch`: a JSON Patch (RFC 6902) applied to the configuration in force, so that an
 * operator states only what changes. fast-json-patch applies the operations; the checks of the
 * document itself are done here first, so that every problem names its operation precisely.
 */
import { applyOperation, getValueByPointer, JsonPatchError } from 'fast-json-patch';
import type { Operation } from 'fast-json-patch';
import type { JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { CliError, UsageError } from '../errors';

/** The operations of RFC 6902 (fast-json-patch also knows an internal `_get`, refused here). */
export const PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;

/** One checked operation of a JSON Patch document. */
export type PatchOperation =
  | { readonly op: 'add' | 'replace' | 'test'; readonly path: string; readonly value: JsonValue }
  | { readonly op: 'remove'; readonly path: string }
  | { readonly op: 'move' | 'copy'; readonly path: string; readonly from: string };

const EXAMPLE = '[{"op":"replace","path":"/orderer/batchTimeoutMs","value":500}]';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

/** `patch operation 2 (replace /orderer/batchTimeoutMs)`: operations are counted from 0, as `jq '.[2]'` counts them. */
function label(index: number, op?: JsonValue, path?: JsonValue): string {
  if (op === undefined && path === undefined) return `patch operation ${index}`;
  const opText = op === undefined ? 'no op' : typeof op === 'string' ? op : JSON.stringify(op);
  return `patch operation ${index} (${opText}${typeof path === 'string' ? ` ${path === '' ? '""' : path}` : ''})`;
}

/** Why a JSON Pointer (RFC 6901) is malformed, or undefined. */
function pointerProblem(pointer: JsonValue | undefined): string | undefined {
  if (typeof pointer !== 'string') return 'is missing or not a string';
  if (pointer !== '' && !pointer.startsWith('/')) return 'must be a JSON Pointer: empty (the whole configuration) or starting with /';
  if (/~(?![01])/.test(pointer)) return 'has a ~ not followed by 0 or 1 (~0 stands for ~, ~1 for /)';
  // fast-json-patch throws a bare TypeError for these; refusing them here names the operation.
  const segments = pointer.split('/');
  if (segments.some((s, i) => s === '__proto__' || (s === 'prototype' && segments[i - 1] === 'constructor'))) return 'names __proto__ or constructor/prototype, which are refused';
  return undefined;
}

/**
 * Checks a JSON Patch document: an array of operations, each with a known op, JSON Pointers and
 * the members its op needs. Members RFC 6902 does not define are ignored, as it says.
 *
 * @param document - the parsed patch file.
 * @param source - the file (or `(stdin)`), for messages.
 * @throws {@link UsageError} naming the first bad operation by its index and op.
 */
export function parsePatch(document: JsonValue, source: string): PatchOperation[] {
  if (!Array.isArray(document)) throw new UsageError(`the JSON Patch ${source} must be an array of operations (RFC 6902), e.g. ${EXAMPLE}`);
  return document.map((item, index): PatchOperation => {
    if (!isObject(item)) throw new UsageError(`${label(index)} must be an object such as {"op":"replace","path":"/orderer/batchTimeoutMs","value":500}`);
    const { op, path } = item;
    const at = label(index, op, path);
    if (typeof op !== 'string' || !(PATCH_OPS as readonly string[]).includes(op)) throw new UsageError(`${at}: op must be one of ${PATCH_OPS.join(', ')}`);
    const pathProblem = pointerProblem(path);
    if (pathProblem !== undefined || typeof path !== 'string') throw new UsageError(`${at}: path ${pathProblem ?? 'is not a string'}`);
    switch (op) {
      case 'add':
      case 'replace':
      case 'test': {
        const value = item.value;
        if (value === undefined) throw new UsageError(`${at}: value is missing`);
        return { op, path, value };
      }
      case 'remove':
        return { op, path };
      default: {
        const from = item.from;
        const fromProblem = pointerProblem(from);
        if (fromProblem !== undefined || typeof from !== 'string') throw new UsageError(`${at}: from ${fromProblem ?? 'is not a string'}`);
        if (op === 'move' && path.startsWith(`${from}/`)) throw new UsageError(`${at}: cannot move ${from} into itself`);
        return { op: op as 'move' | 'copy', path, from };
      }
    }
  });
}

/** What the value at a pointer is, for a message ("nothing" when there is none). */
function valueAt(document: JsonValue, pointer: string): string {
  let value: unknown;
  try {
    value = getValueByPointer(document, pointer);
  } catch {
    value = undefined;
  }
  return value === undefined ? 'nothing' : JSON.stringify(value);
}

/** Why an operation does not apply, in the operator's terms. */
function applyProblem(err: unknown, document: JsonValue, operation: PatchOperation): string {
  if (!(err instanceof JsonPatchError)) throw err;
  switch (err.name) {
    case 'TEST_OPERATION_FAILED':
      return `test failed: the configuration has ${valueAt(document, operation.path)} there, the patch expects ${JSON.stringify((operation as { value: JsonValue }).value)}; the configuration in force is not the one the patch was written for (\`mgmt latest --json | jq .config\` shows it)`;
    case 'OPERATION_PATH_UNRESOLVABLE':
      return operation.op === 'add' ? 'the parent of the path does not exist' : 'path does not exist';
    case 'OPERATION_PATH_CANNOT_ADD':
      return 'the parent of the path does not exist';
    case 'OPERATION_FROM_UNRESOLVABLE':
      return `from ${(operation as { from: string }).from} does not exist`;
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
      return 'the path goes through an array with something other than an index (or - for the end)';
    case 'OPERATION_VALUE_OUT_OF_BOUNDS':
      return 'the array index is past the end of the array';
    default:
      return err.message;
  }
}

/**
 * Applies checked operations to a configuration, all or nothing.
 *
 * @param config - the configuration in force; never modified (it is also the "before" of the
 *   change list, and the caller's copy of the latest CB).
 * @param operations - from {@link parsePatch}.
 * @returns the patched document (any JSON value: `replace ""` may put anything in its place).
 * @throws {@link CliError} naming the first operation that does not apply by its index and op;
 *   a failed `test` says the configuration is not the one the patch expected.
 */
export function applyConfigPatch(config: JsonObject, operations: readonly PatchOperation[]): JsonValue {
  let document: JsonValue = structuredClone(config);
  operations.forEach((operation, index) => {
    try {
      // The operation is copied too: fast-json-patch inserts values by reference, and a later
      // operation could then modify the caller's patch through the document.
      document = applyOperation(document, structuredClone(operation) as Operation, true, true, true, index).newDocument;
    } catch (err) {
      throw new CliError(`${label(index, operation.op, operation.path)}: ${applyProblem(err, document, operation)}; nothing proposed`, { cause: err });
    }
  });
  return document;
}
