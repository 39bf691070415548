/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { assertClockSkew, parseIsoMillis, toIsoMillis } from './time';

describe('timestamps', () => {
  it('format UTC with milliseconds', () => {
    expect(toIsoMillis(Date.UTC(2026, 0, 2, 3, 4, 5, 6))).toBe('2026-01-02T03:04:05.006Z');
  });

  it('parse only the canonical form', () => {
    expect(parseIsoMillis('2026-01-02T03:04:05.006Z')).toBe(Date.UTC(2026, 0, 2, 3, 4, 5, 6));
    for (const text of ['2026-01-02T03:04:05Z', '2026-01-02T03:04:05.006+00:00', '2026-02-30T00:00:00.000Z', '2026-01-02 03:04:05.006Z', 42]) {
      expect(parseIsoMillis(text)).toBeUndefined();
    }
  });

  it('refuse times without a canonical form', () => {
    expect(() => toIsoMillis(1.5)).toThrow(expect.objectContaining({ code: 'MGMT_BAD_ARGUMENT' }));
    expect(() => toIsoMillis(Date.UTC(10000, 0, 1))).toThrow(expect.objectContaining({ code: 'MGMT_BAD_ARGUMENT' }));
  });
});

describe('assertClockSkew', () => {
  it.each([
    [0, 0, 0, true],
    [5_000, 0, 5, true],
    [0, 5_000, 5, true],
    [5_001, 0, 5, false],
    [0, 5_001, 5, false],
    [1, 0, 0, false],
  ])('tx %i ms vs endorser %i ms with tolerance %i s: accepted %p', (tx, endorser, tolerance, ok) => {
    const run = (): void => { assertClockSkew(1_700_000_000_000 + tx, 1_700_000_000_000 + endorser, tolerance); };
    if (ok) {
      expect(run).not.toThrow();
    } else {
      expect(run).toThrow(expect.objectContaining({ code: 'MGMT_CLOCK_SKEW' }));
    }
  });
});
