/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { maxFaulty, quorum, rejectionThreshold } from './quorum';

describe('quorum', () => {
  it.each([
    [1, 1, 1, 0],
    [2, 2, 1, 0],
    [3, 3, 1, 0],
    [4, 3, 2, 1],
    [5, 4, 2, 1],
    [6, 5, 2, 1],
    [7, 5, 3, 2],
    [10, 7, 4, 3],
    [16, 11, 6, 5],
  ])('n=%i: quorum %i, rejection threshold %i, tolerates %i', (n, q, r, f) => {
    expect(quorum(n)).toBe(q);
    expect(rejectionThreshold(n)).toBe(r);
    expect(maxFaulty(n)).toBe(f);
  });

  it('is more than two thirds, and one less is not', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), (n) => {
        const q = quorum(n);
        return 3 * q > 2 * n && 3 * (q - 1) <= 2 * n && q <= n;
      }),
    );
  });

  it('is 2f+1 when n = 3f+1', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10_000 }), (f) => quorum(3 * f + 1) === 2 * f + 1 && maxFaulty(3 * f + 1) === f));
  });

  it('makes any two quorums share more than the faulty members', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 100_000 }), (n) => 2 * quorum(n) - n > maxFaulty(n)));
  });

  it('makes sealing and early failure exclusive and exhaustive at full turnout', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), (n) => {
        const q = quorum(n);
        const r = rejectionThreshold(n);
        // Both at once would need q + r = n + 1 votes; with everyone voting one of them holds.
        return q + r === n + 1;
      }),
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses n = %p', (n) => {
    expect(() => quorum(n)).toThrow(expect.objectContaining({ code: 'MGMT_BAD_ARGUMENT' }));
  });
});
