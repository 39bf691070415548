/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { assertIJson, canonicalJson, parseIJson, unicodeProblem } from './canonicalJson';
import { MgmtError } from './errors';

const invalidJson = { name: 'MgmtError', code: 'MGMT_INVALID_JSON' };

describe('canonicalJson (RFC 8785)', () => {
  it('sorts members by UTF-16 code units and drops whitespace', () => {
    expect(canonicalJson({ b: 1, a: [true, null, 'x'], A: {} })).toBe('{"A":{},"a":[true,null,"x"],"b":1}');
    // RFC 8785 3.2.3 sorts by UTF-16 code units: U+20AC (0x20AC) before U+1F600 (0xD83D 0xDE00).
    expect(canonicalJson({ '\u20ac': 1, '\u{1F600}': 2, '\r': 3 })).toBe('{"\\r":3,"€":1,"😀":2}');
  });

  it('serialises numbers as ECMAScript does', () => {
    expect(canonicalJson([1e-7, 0.1, -0, 100, 4.5, 2 ** 53 - 1, 123456.789e-20])).toBe('[1e-7,0.1,0,100,4.5,9007199254740991,1.23456789e-15]');
  });

  it('refuses values that are not I-JSON', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(MgmtError);
    expect(() => canonicalJson({ a: 2 ** 53 })).toThrow(expect.objectContaining(invalidJson));
  });
});

describe('assertIJson (RFC 7493)', () => {
  it.each([
    ['undefined member', { a: undefined }],
    ['function', { a: (): number => 1 }],
    ['bigint', { a: 1n }],
    ['Date', { a: new Date(0) }],
    ['infinite number', [Infinity]],
    ['integer above 2^53-1', [2 ** 53]],
    ['large integral double', [1e21]],
    ['integer below -(2^53-1)', [-(2 ** 53)]],
    ['lone high surrogate', ['\ud800']],
    ['lone low surrogate', ['a\udc00b']],
    ['noncharacter U+FFFE', ['\ufffe']],
    ['noncharacter U+FDD0', ['\ufdd0']],
    ['plane-1 noncharacter U+1FFFF', ['\u{1FFFF}']],
    ['bad member name', { '\ud800': 1 }],
    // eslint-disable-next-line no-sparse-arrays
    ['array hole', [1, , 3]],
  ])('refuses a %s', (_label, value) => {
    expect(() => { assertIJson(value); }).toThrow(expect.objectContaining(invalidJson));
  });

  it('accepts the largest safe integers, fractions and astral characters', () => {
    expect(() => { assertIJson({ a: [2 ** 53 - 1, -(2 ** 53 - 1), 1.5e-300, 0.5], b: '\u{1F600}', c: null }); }).not.toThrow();
  });

  it('names the path of the offending value', () => {
    expect(() => { assertIJson({ config: { list: [1, Infinity] } }, 'header'); }).toThrow('header.config.list[1]');
  });

  it('reports lone surrogates and noncharacters precisely', () => {
    expect(unicodeProblem('ok \u{10FFFD}')).toBeUndefined();
    expect(unicodeProblem('x\udbff')).toMatch(/lone surrogate U\+DBFF/);
    expect(unicodeProblem('\u{10FFFF}')).toMatch(/noncharacter U\+10FFFF/);
  });
});

describe('parseIJson', () => {
  it('parses what JSON.parse parses', () => {
    const text = '{ "a" : [1, -2.5e3, "x\\n\\u00e9", true, false, null], "b": {} }';
    expect(parseIJson(text)).toEqual(JSON.parse(text));
  });

  it.each([
    ['duplicate member names', '{"a":1,"a":2}', /duplicate member name "a"/],
    ['duplicates nested', '{"x":{"b":1,"b":1}}', /duplicate/],
    ['an escaped lone surrogate', '["\\ud800"]', /lone surrogate/],
    ['an escaped noncharacter', '["\\uffff"]', /noncharacter/],
    ['a number overflowing a double', '[1e400]', /overflows/],
    ['an integer beyond 2^53-1', '[9007199254740993]', /outside/],
    ['trailing text', '{} x', /after the value/],
    ['a trailing comma', '[1,]', /unexpected character/],
    ['single quotes', "{'a':1}", /member name/],
    ['a leading zero', '[01]', /expected ','|expected '\]'/],
    ['a raw control character in a string', '["a\u0001"]', /malformed string/],
    ['empty input', '', /end of input/],
    ['deep nesting', '['.repeat(100) + ']'.repeat(100), /nested deeper/],
  ])('refuses %s', (_label, text, message) => {
    expect(() => parseIJson(text)).toThrow(expect.objectContaining(invalidJson));
    expect(() => parseIJson(text)).toThrow(message);
  });

  it('keeps a member named __proto__ as a plain member', () => {
    const value = parseIJson('{"__proto__":{"polluted":true}}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(canonicalJson(value)).toBe('{"__proto__":{"polluted":true}}');
  });
});
