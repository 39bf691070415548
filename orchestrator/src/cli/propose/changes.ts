/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What a proposed configuration changes relative to the one in force, shown before it is
 * proposed so that an operator sees what the others will vote on.
 */
import type { JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { canonicalJson } from 'mgmt-chaincode/dist/protocol';

/** One value that differs. */
export interface ConfigChange {
  /** JSON Pointer of the value, as a patch names it, e.g. `/orderer/batchTimeoutMs`. */
  readonly path: string;
  /** Absent when the value is added. */
  readonly before?: JsonValue;
  /** Absent when the value is removed. */
  readonly after?: JsonValue;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && value !== undefined && typeof value === 'object' && !Array.isArray(value);
}

function member(object: JsonObject, key: string): JsonValue | undefined {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

const escapePointer = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The values that differ between two configurations, objects compared member by member and
 * anything else (arrays too: the model's lists are whole values) as one value.
 *
 * @returns the changes, in the order of `before`'s members, then the members only `after` has.
 */
export function configChanges(before: JsonValue, after: JsonValue): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const walk = (b: JsonValue | undefined, a: JsonValue | undefined, at: string): void => {
    if (isObject(b) && isObject(a)) {
      const keys = [...Object.keys(b), ...Object.keys(a).filter((k) => member(b, k) === undefined)];
      for (const key of keys) walk(member(b, key), member(a, key), `${at}/${escapePointer(key)}`);
      return;
    }
    // Canonical text, so that the order of an object's members inside an array is no change.
    if (b !== undefined && a !== undefined && canonicalJson(b) === canonicalJson(a)) return;
    changes.push({ path: at, ...(b === undefined ? {} : { before: b }), ...(a === undefined ? {} : { after: a }) });
  };
  walk(before, after, '');
  return changes;
}

/** `/orderer/batchTimeoutMs: 2000 -> 500`; `(none)` for an absent side. */
export function formatChange(change: ConfigChange): string {
  const show = (value: JsonValue | undefined): string => (value === undefined ? '(none)' : JSON.stringify(value));
  return `${change.path === '' ? '(the whole configuration)' : change.path}: ${show(change.before)} -> ${show(change.after)}`;
}
