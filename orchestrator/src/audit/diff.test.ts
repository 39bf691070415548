/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import { describeChanges, diffConfig } from './diff';
import type { ConfigChange } from './types';

describe('diffConfig', () => {
  const cases: [string, JsonObject | undefined, JsonObject, ConfigChange[]][] = [
    ['genesis: every key added', undefined, { b: 1, a: 'x' }, [{ key: 'a', kind: 'added', after: 'x' }, { key: 'b', kind: 'added', after: 1 }]],
    ['nothing changed', { a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }, []],
    ['one value changed', { batchTimeoutMs: 100, maxMessageCount: 10 }, { batchTimeoutMs: 200, maxMessageCount: 10 }, [{ key: 'batchTimeoutMs', kind: 'changed', before: 100, after: 200 }]],
    ['a key removed and one added', { a: 1 }, { b: 2 }, [{ key: 'a', kind: 'removed', before: 1 }, { key: 'b', kind: 'added', after: 2 }]],
    ['nested keys as dotted paths', { limits: { batch: { max: 1, min: 0 } } }, { limits: { batch: { max: 2, min: 0 } } }, [{ key: 'limits.batch.max', kind: 'changed', before: 1, after: 2 }]],
    ['arrays compared whole', { list: [1, 2] }, { list: [2, 1] }, [{ key: 'list', kind: 'changed', before: [1, 2], after: [2, 1] }]],
    ['an object replaced by a scalar', { a: { b: 1 } }, { a: 3 }, [{ key: 'a', kind: 'changed', before: { b: 1 }, after: 3 }]],
    ['names with dots quoted', { 'x.y': 1 }, { 'x.y': 2 }, [{ key: '"x.y"', kind: 'changed', before: 1, after: 2 }]],
    ['1 and 1.0 are the same number', { a: 1 }, { a: 1.0 }, []],
  ];
  it.each(cases)('%s', (_name, before, after, expected) => {
    expect(diffConfig(before, after)).toEqual(expected);
  });
});

describe('describeChanges', () => {
  it('writes one line, never starting like a spreadsheet formula', () => {
    const line = describeChanges(diffConfig({ batchTimeoutMs: 100, old: 'x', '-neg': 1 }, { batchTimeoutMs: 200, fresh: true, '-neg': 2 }));
    expect(line).toBe('"-neg": 1→2, batchTimeoutMs: 100→200, fresh: (none)→true, old: "x"→(none)');
    expect(describeChanges([])).toBe('(no change)');
  });
});
