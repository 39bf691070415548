/*
 * SPDX-License-Identifier: Apache-2.0
 */

import canonicalize from 'canonicalize';

import { MgmtError } from './errors';
import type { JsonValue } from './types';

/** Largest integer an I-JSON number may carry: 2^53 - 1. */
export const MAX_IJSON_INTEGER = Number.MAX_SAFE_INTEGER;

/** Nesting deeper than this is refused, so that hostile input cannot exhaust the stack. */
export const MAX_JSON_DEPTH = 64;

/**
 * Checks that a string is well-formed Unicode in the sense of RFC 7493 section 2.1: no lone
 * surrogates and no noncharacters (U+FDD0..U+FDEF and U+xFFFE/U+xFFFF of every plane).
 *
 * @returns a description of the first offending code unit, or `undefined` when the string is fine.
 */
export function unicodeProblem(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    let codePoint = unit;
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = i + 1 < text.length ? text.charCodeAt(i + 1) : 0;
      if (next < 0xdc00 || next > 0xdfff) {
        return `lone surrogate U+${hex4(unit)} at index ${i}`;
      }
      codePoint = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
      i++;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) {
      return `lone surrogate U+${hex4(unit)} at index ${i}`;
    }
    if ((codePoint >= 0xfdd0 && codePoint <= 0xfdef) || (codePoint & 0xfffe) === 0xfffe) {
      return `noncharacter U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
    }
  }
  return undefined;
}

function hex4(unit: number): string {
  return unit.toString(16).toUpperCase().padStart(4, '0');
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Asserts that an in-memory value is I-JSON (RFC 7493): only null, booleans, finite numbers,
 * strings, arrays and plain objects; strings and names well-formed Unicode without noncharacters;
 * integers within +-(2^53-1). Duplicate names cannot occur in a JavaScript object; text with
 * duplicates is refused by {@link parseIJson}.
 *
 * @param path names the value in error messages, e.g. `config`.
 * @throws {@link MgmtError} `MGMT_INVALID_JSON` naming the path of the first offending value.
 */
export function assertIJson(value: unknown, path = '$'): asserts value is JsonValue {
  checkValue(value, path, 0);
}

function checkValue(value: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) {
    throw new MgmtError('MGMT_INVALID_JSON', `${path}: nested deeper than ${MAX_JSON_DEPTH}`);
  }
  if (value === null || typeof value === 'boolean') {
    return;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new MgmtError('MGMT_INVALID_JSON', `${path}: number is not finite`);
    }
    if (Number.isInteger(value) && Math.abs(value) > MAX_IJSON_INTEGER) {
      throw new MgmtError('MGMT_INVALID_JSON', `${path}: integer outside +-(2^53-1)`);
    }
    return;
  }
  if (typeof value === 'string') {
    const problem = unicodeProblem(value);
    if (problem !== undefined) {
      throw new MgmtError('MGMT_INVALID_JSON', `${path}: ${problem}`);
    }
    return;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) {
        throw new MgmtError('MGMT_INVALID_JSON', `${path}[${i}]: array hole`);
      }
      checkValue(value[i], `${path}[${i}]`, depth + 1);
    }
    return;
  }
  if (typeof value === 'object' && isPlainObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const problem = unicodeProblem(key);
      if (problem !== undefined) {
        throw new MgmtError('MGMT_INVALID_JSON', `${path}: member name has ${problem}`);
      }
      checkValue(item, `${path}.${key}`, depth + 1);
    }
    if (Object.getOwnPropertySymbols(value).length > 0) {
      throw new MgmtError('MGMT_INVALID_JSON', `${path}: symbol-keyed property`);
    }
    return;
  }
  const kind = typeof value === 'object' ? 'non-plain object' : typeof value;
  throw new MgmtError('MGMT_INVALID_JSON', `${path}: ${kind} is not JSON`);
}

/**
 * The RFC 8785 (JCS) canonical form of an I-JSON value: the input to every hash of the protocol.
 *
 * @throws {@link MgmtError} `MGMT_INVALID_JSON` when the value is not I-JSON.
 */
export function canonicalJson(value: unknown, path = '$'): string {
  assertIJson(value, path);
  const text = canonicalize(value);
  if (text === undefined) {
    // Unreachable for I-JSON, but canonicalize's type admits it.
    throw new MgmtError('MGMT_INVALID_JSON', `${path}: has no JSON form`);
  }
  return text;
}

// Control characters are exactly what RFC 8259 forbids unescaped in strings.
// eslint-disable-next-line no-control-regex
const STRING_TOKEN = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER_TOKEN = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;

/**
 * Parses JSON text (RFC 8259) strictly and asserts that the result is I-JSON. Unlike
 * `JSON.parse`, which silently keeps the last of duplicate names, duplicates are refused: RFC
 * 7493 forbids them and two parsers could otherwise read the same text differently.
 *
 * @param path names the value in error messages.
 * @throws {@link MgmtError} `MGMT_INVALID_JSON` with the offset of a syntax error or the path of a
 * non-I-JSON value.
 */
export function parseIJson(text: string, path = '$'): JsonValue {
  const parser = new StrictParser(text, path);
  const value = parser.parseDocument();
  assertIJson(value, path);
  return value;
}

class StrictParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly path: string,
  ) {}

  parseDocument(): JsonValue {
    this.skipWhitespace();
    const value = this.parseValue(0);
    this.skipWhitespace();
    if (this.pos !== this.text.length) {
      this.fail('unexpected text after the value');
    }
    return value;
  }

  private parseValue(depth: number): JsonValue {
    if (depth > MAX_JSON_DEPTH) {
      this.fail(`nested deeper than ${MAX_JSON_DEPTH}`);
    }
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.parseObject(depth);
      case '[':
        return this.parseArray(depth);
      case '"':
        return this.parseString();
      case 't':
        return this.literal('true', true);
      case 'f':
        return this.literal('false', false);
      case 'n':
        return this.literal('null', null);
      default:
        return this.parseNumber();
    }
  }

  private parseObject(depth: number): JsonValue {
    const result: Record<string, JsonValue> = {};
    const seen = new Set<string>();
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      if (this.text[this.pos] !== '"') {
        this.fail('expected a member name');
      }
      const name = this.parseString();
      if (seen.has(name)) {
        this.fail(`duplicate member name ${JSON.stringify(name)}`);
      }
      seen.add(name);
      this.skipWhitespace();
      this.expect(':');
      this.skipWhitespace();
      const value = this.parseValue(depth + 1);
      // defineProperty, not assignment: a member named "__proto__" must stay a member.
      Object.defineProperty(result, name, { value, enumerable: true, writable: true, configurable: true });
      this.skipWhitespace();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect('}');
      return result;
    }
  }

  private parseArray(depth: number): JsonValue {
    const result: JsonValue[] = [];
    this.pos++;
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return result;
    }
    for (;;) {
      this.skipWhitespace();
      result.push(this.parseValue(depth + 1));
      this.skipWhitespace();
      if (this.text[this.pos] === ',') {
        this.pos++;
        continue;
      }
      this.expect(']');
      return result;
    }
  }

  private parseString(): string {
    const token = this.match(STRING_TOKEN, 'malformed string');
    return JSON.parse(token) as string;
  }

  private parseNumber(): number {
    const token = this.match(NUMBER_TOKEN, 'unexpected character');
    const value = Number(token);
    if (!Number.isFinite(value)) {
      this.fail(`number ${token} overflows a double`);
    }
    return value;
  }

  private literal<T extends JsonValue>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.pos)) {
      this.fail('unexpected character');
    }
    this.pos += word.length;
    return value;
  }

  private match(pattern: RegExp, problem: string): string {
    pattern.lastIndex = this.pos;
    const found = pattern.exec(this.text);
    if (found === null) {
      this.fail(problem);
    }
    this.pos += found[0].length;
    return found[0];
  }

  private expect(c: string): void {
    if (this.text[this.pos] !== c) {
      this.fail(`expected '${c}'`);
    }
    this.pos++;
  }

  private skipWhitespace(): void {
    while (this.pos < this.text.length && ' \t\n\r'.includes(this.text[this.pos])) {
      this.pos++;
    }
  }

  private fail(problem: string): never {
    const where = this.pos >= this.text.length ? 'end of input' : `offset ${this.pos}`;
    throw new MgmtError('MGMT_INVALID_JSON', `${this.path}: ${problem} at ${where}`);
  }
}
