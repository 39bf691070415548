/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { canonicalJson } from 'mgmt-chaincode/dist/protocol';
import type { JsonObject, JsonValue } from 'mgmt-chaincode/dist/protocol';
import type { ConfigChange } from './types';

function isObject(value: JsonValue | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A key of a nested object as one dotted path; names with dots or brackets are quoted so paths stay unambiguous. */
function childKey(parent: string, name: string): string {
  const part = /^[A-Za-z_$][\w$-]*$/.test(name) ? name : JSON.stringify(name);
  return parent === '' ? part : `${parent}.${part}`;
}

function same(a: JsonValue, b: JsonValue): boolean {
  // Canonical JSON compares numbers and key order the way the CB hash does.
  return canonicalJson(a) === canonicalJson(b);
}

function collect(before: JsonObject, after: JsonObject, prefix: string, out: ConfigChange[]): void {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  for (const name of names) {
    const key = childKey(prefix, name);
    const b = Object.prototype.hasOwnProperty.call(before, name) ? before[name] : undefined;
    const a = Object.prototype.hasOwnProperty.call(after, name) ? after[name] : undefined;
    if (b === undefined && a !== undefined) {
      out.push({ key, kind: 'added', after: a });
    } else if (a === undefined && b !== undefined) {
      out.push({ key, kind: 'removed', before: b });
    } else if (a !== undefined && b !== undefined) {
      if (isObject(a) && isObject(b)) {
        collect(b, a, key, out);
      } else if (!same(a, b)) {
        // Arrays and scalars are leaves: a reordered list is one change, not many.
        out.push({ key, kind: 'changed', before: b, after: a });
      }
    }
  }
}

/**
 * The key-level difference between two configurations: nested objects are walked and named by
 * dotted paths (`limits.batch.max`), arrays and scalars compared whole. Without `before` (the
 * genesis block) every key is reported as added.
 *
 * @param before - the previous CB's configuration, or undefined for genesis.
 * @param after - this CB's configuration.
 * @returns the changes, sorted by key.
 * @throws MgmtError (`MGMT_INVALID_JSON`) when a value is not I-JSON (never for a verified CB).
 */
export function diffConfig(before: JsonObject | undefined, after: JsonObject): ConfigChange[] {
  const out: ConfigChange[] = [];
  collect(before ?? {}, after, '', out);
  return out;
}

/** A JSON value for a one-line summary. */
function show(value: JsonValue): string {
  return typeof value === 'string' ? JSON.stringify(value) : canonicalJson(value);
}

/**
 * One line for a list of changes: `batchTimeoutMs: 100→200, newKey: (none)→1, oldKey: 2→(none)`.
 * It never starts with `+`, `-`, `=` or `@` (keys that would are quoted), so a spreadsheet
 * opening the CSV export does not take it for a formula.
 *
 * @param changes - as {@link diffConfig} returns them.
 * @returns the summary, or `(no change)` for an empty list.
 */
export function describeChanges(changes: readonly ConfigChange[]): string {
  if (changes.length === 0) return '(no change)';
  return changes
    .map((c) => {
      switch (c.kind) {
        case 'added':
          return `${c.key}: (none)→${show(c.after)}`;
        case 'removed':
          return `${c.key}: ${show(c.before)}→(none)`;
        case 'changed':
          return `${c.key}: ${show(c.before)}→${show(c.after)}`;
      }
    })
    .join(', ');
}
