/*
 * SPDX-License-Identifier: Apache-2.0
 */

import Ajv2020 from 'ajv/dist/2020';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020';

import { canonicalJson } from './canonicalJson';
import { MgmtError, messageOf } from './errors';
import type { JsonObject, JsonValue } from './types';

/** Compiled validators by canonical schema text; a chain has one schema, a verifier a few. */
const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 16;

/**
 * Compiles a configuration schema (JSON Schema 2020-12) in Ajv's strict mode, so that unknown
 * keywords and formats are errors rather than silently ignored bounds. Validation never
 * modifies the data (no defaults, no coercion).
 *
 * @throws {@link MgmtError} `MGMT_INVALID_PARAMS` naming `params.configSchema` when the schema
 * does not compile.
 */
export function compileConfigSchema(schema: JsonObject): ValidateFunction {
  const key = canonicalJson(schema, 'params.configSchema');
  const cached = compiled.get(key);
  if (cached !== undefined) {
    return cached;
  }
  let validate: ValidateFunction;
  try {
    const ajv = new Ajv2020({
      allErrors: true,
      strict: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      logger: false,
    });
    validate = ajv.compile(schema);
  } catch (err) {
    throw new MgmtError('MGMT_INVALID_PARAMS', `params.configSchema: ${messageOf(err)}`, { cause: err });
  }
  if (compiled.size >= MAX_CACHED) {
    compiled.clear();
  }
  compiled.set(key, validate);
  return validate;
}

function describe(errors: readonly ErrorObject[]): string {
  return errors
    .map((e) => `config${e.instancePath.replace(/\//g, '.')} ${e.message ?? 'is invalid'}`)
    .join('; ');
}

/**
 * Validates a primary configuration against the genesis schema; the schema's minimum and
 * maximum keywords are the bounds of the consortium.
 *
 * @returns the configuration, typed as a JSON object.
 * @throws {@link MgmtError} `MGMT_INVALID_CONFIG` listing every violation, or when the
 * configuration is not a JSON object; `MGMT_INVALID_PARAMS` when the schema does not compile.
 */
export function validateConfig(config: JsonValue, schema: JsonObject): JsonObject {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new MgmtError('MGMT_INVALID_CONFIG', 'config must be a JSON object');
  }
  const validate = compileConfigSchema(schema);
  if (!validate(config)) {
    throw new MgmtError('MGMT_INVALID_CONFIG', describe(validate.errors ?? []));
  }
  return config;
}
