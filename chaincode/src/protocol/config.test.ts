/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { compileConfigSchema, validateConfig } from './config';
import type { JsonObject } from './types';

const schema: JsonObject = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    batchTimeoutMs: { type: 'integer', minimum: 100, maximum: 10000 },
    maxMessageCount: { type: 'integer', minimum: 1, maximum: 1000 },
  },
  required: ['batchTimeoutMs'],
  additionalProperties: false,
};

const invalidConfig = { name: 'MgmtError', code: 'MGMT_INVALID_CONFIG' };

describe('validateConfig', () => {
  it('accepts a configuration within the bounds, including the bounds', () => {
    expect(validateConfig({ batchTimeoutMs: 100, maxMessageCount: 1000 }, schema)).toEqual({ batchTimeoutMs: 100, maxMessageCount: 1000 });
  });

  it.each([
    ['below a minimum', { batchTimeoutMs: 99 }, 'config.batchTimeoutMs must be >= 100'],
    ['above a maximum', { batchTimeoutMs: 100, maxMessageCount: 1001 }, 'config.maxMessageCount must be <= 1000'],
    ['of the wrong type', { batchTimeoutMs: 'fast' }, 'config.batchTimeoutMs must be integer'],
    ['missing a required field', {}, "config must have required property 'batchTimeoutMs'"],
    ['with an unknown field', { batchTimeoutMs: 200, extra: 1 }, 'must NOT have additional properties'],
  ])('refuses a configuration %s', (_label, config, message) => {
    expect(() => validateConfig(config, schema)).toThrow(expect.objectContaining(invalidConfig));
    expect(() => validateConfig(config, schema)).toThrow(message);
  });

  it('lists every violation', () => {
    expect(() => validateConfig({ batchTimeoutMs: 1, maxMessageCount: 0 }, schema)).toThrow(/batchTimeoutMs.*; config.maxMessageCount/);
  });

  it.each([null, [], 'x', 3])('refuses a configuration that is not an object: %p', (config) => {
    expect(() => validateConfig(config, { type: ['object', 'array', 'string', 'number', 'null'] })).toThrow('config must be a JSON object');
  });

  it('does not modify the configuration (no defaults, no coercion)', () => {
    const withDefault: JsonObject = { type: 'object', properties: { a: { type: 'integer', default: 5 } } };
    const config = {};
    validateConfig(config, withDefault);
    expect(config).toEqual({});
    expect(() => validateConfig({ a: '5' }, withDefault)).toThrow(expect.objectContaining(invalidConfig));
  });

  it('compiles each schema once', () => {
    expect(compileConfigSchema({ ...schema })).toBe(compileConfigSchema(schema));
  });

  it('refuses a schema that does not compile', () => {
    expect(() => compileConfigSchema({ type: 'object', properties: { a: { minimum: 'one' } } })).toThrow(
      expect.objectContaining({ code: 'MGMT_INVALID_PARAMS' }),
    );
  });
});
