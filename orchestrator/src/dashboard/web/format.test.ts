/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { duration, parseRoute, shortHash, timeText } from './format';

describe('parseRoute', () => {
  it('reads every page of the dashboard and refuses anything else', () => {
    expect(parseRoute('')).toEqual({ page: 'overview' });
    expect(parseRoute('#/')).toEqual({ page: 'overview' });
    expect(parseRoute('#/cb/12')).toEqual({ page: 'cb', height: 12 });
    expect(parseRoute('#/block/3')).toEqual({ page: 'block', number: 3 });
    expect(parseRoute('#/verify')).toEqual({ page: 'verify' });
    expect(parseRoute('#/cb/-1')).toEqual({ page: 'missing', path: '/cb/-1' });
    expect(parseRoute('#/cb/1e3')).toEqual({ page: 'missing', path: '/cb/1e3' });
  });
});

describe('format', () => {
  it('shortens hashes, spells durations and times', () => {
    expect(shortHash('a'.repeat(64))).toBe('aaaaaaaaaaaa…');
    expect(duration(400)).toBe('0.4 s');
    expect(duration(65_000)).toBe('1 min 05 s');
    expect(duration(-5)).toBe('0.0 s');
    expect(timeText('2026-01-01T00:00:30.000Z')).toBe('2026-01-01 00:00:30 UTC');
  });
});
