/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { Rng } from './rng';

describe('Rng', () => {
  it('repeats its sequence for the same seed and differs for another', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const seqA = Array.from({ length: 20 }, () => a.nextUint32());
    expect(Array.from({ length: 20 }, () => b.nextUint32())).toEqual(seqA);
    expect(Array.from({ length: 20 }, () => c.nextUint32())).not.toEqual(seqA);
  });

  it('forks streams by name, independent of how far the parent has run', () => {
    const a = new Rng(7);
    const b = new Rng(7);
    b.next();
    b.gaussian();
    expect(a.fork('bandwidth').next()).toBe(b.fork('bandwidth').next());
    expect(a.fork('bandwidth').next()).not.toBe(a.fork('overlay').next());
  });

  it('draws uniforms in [0, 1) and normals with the requested moments', () => {
    const rng = new Rng(1);
    let sum = 0;
    let sumSq = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = rng.next();
      expect(u).toBeGreaterThanOrEqual(0);
      expect(u).toBeLessThan(1);
      const x = rng.normal(10, 0.5);
      sum += x;
      sumSq += x * x;
    }
    const mean = sum / n;
    expect(mean).toBeCloseTo(10, 1);
    expect(Math.sqrt(sumSq / n - mean * mean)).toBeCloseTo(0.5, 1);
  });

  it('floors normals at the minimum', () => {
    const rng = new Rng(3);
    for (let i = 0; i < 1000; i++) {
      expect(rng.normal(1, 10, 0.1)).toBeGreaterThanOrEqual(0.1);
    }
  });

  it('samples k distinct indices without the excluded one', () => {
    const rng = new Rng(5);
    for (let i = 0; i < 100; i++) {
      const s = rng.sample(10, 4, 3);
      expect(new Set(s).size).toBe(4);
      expect(s).not.toContain(3);
      s.forEach((x) => { expect(x >= 0 && x < 10).toBe(true); });
    }
    expect(rng.sample(3, 5).sort()).toEqual([0, 1, 2]);
  });
});
