/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { EventQueue } from './eventQueue';

function drain(q: EventQueue): { time: number; a: number }[] {
  const out: { time: number; a: number }[] = [];
  for (let slot = q.pop(); slot >= 0; slot = q.pop()) {
    out.push({ time: q.time[slot], a: q.a[slot] });
    q.release(slot);
  }
  return out;
}

describe('EventQueue', () => {
  it('pops by time, and in insertion order among equal times', () => {
    const q = new EventQueue(2);
    q.push(3, 0, 0, 1);
    q.push(1, 0, 0, 2);
    q.push(3, 0, 0, 3);
    q.push(2, 0, 0, 4);
    q.push(1, 0, 0, 5);
    expect(drain(q)).toEqual([
      { time: 1, a: 2 },
      { time: 1, a: 5 },
      { time: 2, a: 4 },
      { time: 3, a: 1 },
      { time: 3, a: 3 },
    ]);
    expect(q.pop()).toBe(-1);
    expect(q.peekTime()).toBe(Infinity);
  });

  it('keeps every field of an event through growth and slot reuse', () => {
    const q = new EventQueue(1);
    for (let i = 0; i < 50; i++) {
      q.push(50 - i, i % 7, i, i + 1, i + 2, i + 3, i + 4);
    }
    const slot = q.pop();
    expect(q.fields(slot)).toEqual({ kind: 49 % 7, target: 49, a: 50, b: 51, c: 52, d: 53 });
    q.release(slot);
    q.push(0.5, 1, 2, 3, 4, 5, 6);
    expect(q.fields(q.pop())).toEqual({ kind: 1, target: 2, a: 3, b: 4, c: 5, d: 6 });
    expect(q.size).toBe(49);
  });

  it('orders like a stable sort by time, for any interleaving of pushes and pops', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(-1)), { maxLength: 200 }), (ops) => {
        const q = new EventQueue(4);
        const model: { time: number; a: number }[] = [];
        let id = 0;
        for (const op of ops) {
          if (op >= 0) {
            q.push(op, 0, 0, id);
            model.push({ time: op, a: id });
            id++;
          } else {
            model.sort((x, y) => x.time - y.time || x.a - y.a);
            const expected = model.shift();
            const slot = q.pop();
            if (expected === undefined) {
              expect(slot).toBe(-1);
            } else {
              expect({ time: q.time[slot], a: q.a[slot] }).toEqual(expected);
              q.release(slot);
            }
          }
        }
        model.sort((x, y) => x.time - y.time || x.a - y.a);
        expect(drain(q)).toEqual(model);
      }),
    );
  });
});
