/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { BlockCutter } from './blockCutter';

const params = { maxMessageCount: 3, absoluteMaxBytes: 1000, preferredMaxBytes: 100 };
const msg = (size: number): Uint8Array => new Uint8Array(size);

describe('BlockCutter (Fabric blockcutter rules)', () => {
  it('cuts when the batch reaches MaxMessageCount', () => {
    const cutter = new BlockCutter();
    expect(cutter.ordered(msg(10), params)).toEqual([]);
    expect(cutter.ordered(msg(10), params)).toEqual([]);
    const batches = cutter.ordered(msg(10), params);
    expect(batches.map((b) => b.length)).toEqual([3]);
    expect(cutter.hasPending).toBe(false);
  });

  it('cuts the pending batch before a message that would overflow PreferredMaxBytes', () => {
    const cutter = new BlockCutter();
    cutter.ordered(msg(60), params);
    const batches = cutter.ordered(msg(60), params);
    expect(batches.map((b) => b.length)).toEqual([1]);
    expect(cutter.hasPending).toBe(true);
  });

  it('puts an oversized message alone in its own batch, after the pending ones', () => {
    const cutter = new BlockCutter();
    cutter.ordered(msg(10), params);
    const batches = cutter.ordered(msg(150), params);
    expect(batches.map((b) => b.map((m) => m.length))).toEqual([[10], [150]]);
    expect(cutter.hasPending).toBe(false);
  });

  it('hands out what is pending on a timeout cut', () => {
    const cutter = new BlockCutter();
    cutter.ordered(msg(5), params);
    cutter.ordered(msg(6), params);
    expect(cutter.cut().map((m) => m.length)).toEqual([5, 6]);
    expect(cutter.cut()).toEqual([]);
  });
});
