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

  it('keeps reserved insertion orders and moves rescheduled events, for any mix of operations', () => {
    // Model: a list of (time, order, id); the queue must pop its minimum by (time, order).
    type Op = { kind: 'push'; time: number } | { kind: 'reserve'; count: number; time: number } | { kind: 'move'; pick: number; time: number } | { kind: 'pop' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), time: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('reserve' as const), count: fc.integer({ min: 1, max: 5 }), time: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('move' as const), pick: fc.nat(), time: fc.integer({ min: 0, max: 20 }) }),
      fc.record({ kind: fc.constant('pop' as const) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const q = new EventQueue(2);
        const model: { time: number; order: number; id: number; slot: number }[] = [];
        const byOrder = (x: { time: number; order: number }, y: { time: number; order: number }): number => x.time - y.time || x.order - y.order;
        let next = 0;
        let id = 0;
        for (const o of ops) {
          if (o.kind === 'push') {
            q.push(o.time, 0, 0, id);
            model.push({ time: o.time, order: next++, id: id++, slot: -1 });
          } else if (o.kind === 'reserve') {
            // Reserve a block of orders and schedule only the last one: the others stay unused.
            const first = q.reserve(o.count);
            expect(first).toBe(next);
            next += o.count;
            const slot = q.pushOrdered(o.time, first + o.count - 1, 0, 0, id);
            model.push({ time: o.time, order: first + o.count - 1, id: id++, slot });
          } else if (o.kind === 'move') {
            const movable = model.filter((e) => e.slot >= 0);
            if (movable.length > 0) {
              const e = movable[o.pick % movable.length];
              const order = q.reserve(1);
              next++;
              q.reschedule(e.slot, o.time, order);
              e.time = o.time;
              e.order = order;
            }
          } else {
            model.sort(byOrder);
            const expected = model.shift();
            const slot = q.pop();
            if (expected === undefined) {
              expect(slot).toBe(-1);
            } else {
              expect({ time: q.time[slot], a: q.a[slot] }).toEqual({ time: expected.time, a: expected.id });
              expect([q.currentTime, q.currentOrder]).toEqual([expected.time, expected.order]);
              q.release(slot);
            }
          }
        }
        model.sort(byOrder);
        expect(drain(q)).toEqual(model.map((e) => ({ time: e.time, a: e.id })));
      }),
    );
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
