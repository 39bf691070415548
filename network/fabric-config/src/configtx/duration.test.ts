import { describe, expect, it } from '@jest/globals';
import { formatGoDuration, formatGoDurationNanos, parseGoDuration, parseGoDurationNanos } from './duration';

describe('parseGoDuration', () => {
  it.each([
    ['2s', 2000],
    ['500ms', 500],
    ['1m30s', 90_000],
    ['1.5s', 1500],
    ['0.5h', 1_800_000],
    ['300us', 0.3],
    ['300\u00b5s', 0.3],
    ['300\u03bcs', 0.3],
    ['1500ns', 0.0015],
    ['1h2m3s4ms', 3_723_004],
    ['.5s', 500],
    ['5.s', 5000],
    ['+2s', 2000],
    ['-2s', -2000],
    ['0', 0],
    ['-0', 0],
    ['0s', 0],
  ])('%s is %p ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['2', 'time: missing unit in duration "2"'],
    ['1m30', 'time: missing unit in duration "1m30"'],
    ['2 s', 'time: unknown unit " s" in duration "2 s"'],
    ['2S', 'time: unknown unit "S" in duration "2S"'],
    ['2d', 'time: unknown unit "d" in duration "2d"'],
    ['abc', 'time: invalid duration "abc"'],
    ['.s', 'time: invalid duration ".s"'],
    ['s', 'time: invalid duration "s"'],
    ['-', 'time: invalid duration "-"'],
    ['1..5s', 'time: missing unit in duration "1..5s"'],
    ['9999999999999999999h', 'time: invalid duration "9999999999999999999h"'],
  ])('%p is refused', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(expect.objectContaining({ name: 'ConfigtxError', code: 'CONFIGTX_BAD_DURATION', message }));
  });

  it('keeps nanosecond precision', () => {
    expect(parseGoDurationNanos('1.000000001s')).toBe(1_000_000_001n);
    expect(parseGoDurationNanos('1.0000000019s')).toBe(1_000_000_001n);
  });
});

describe('formatGoDuration (Go Duration.String)', () => {
  it.each([
    [0, '0s'],
    [2000, '2s'],
    [500, '500ms'],
    [90_000, '1m30s'],
    [1500, '1.5s'],
    [3_600_000, '1h0m0s'],
    [1_800_000, '30m0s'],
    [0.3, '300\u00b5s'],
    [1.5, '1.5ms'],
    [0.0005, '500ns'],
    [-2000, '-2s'],
    [3_723_004, '1h2m3.004s'],
  ])('%p ms is %s', (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it('round-trips through parseGoDuration', () => {
    for (const text of ['2s', '500ms', '1m30s', '1.5s', '1h0m0s', '300\u00b5s', '1h2m3.004s']) {
      expect(formatGoDurationNanos(parseGoDurationNanos(text))).toBe(text);
    }
  });
});
