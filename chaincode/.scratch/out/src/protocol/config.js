"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
var __importDefault = (this && this.__importDefault) || function (mod) {
    return (mod && mod.__esModule) ? mod : { "default": mod };
};
Object.defineProperty(exports, "__esModule", { value: true });
exports.compileConfigSchema = compileConfigSchema;
exports.validateConfig = validateConfig;
const _2020_1 = __importDefault(require("ajv/dist/2020"));
const canonicalJson_1 = require("./canonicalJson");
const errors_1 = require("./errors");
/** Compiled validators by canonical schema text; a chain has one schema, a verifier a few. */
const compiled = new Map();
const MAX_CACHED = 16;
/**
 * Compiles a configuration schema (JSON Schema 2020-12) in Ajv's strict mode, so that unknown
 * keywords and formats are errors rather than silently ignored bounds. Validation never
 * modifies the data (no defaults, no coercion).
 *
 * @throws {@link MgmtError} `MGMT_INVALID_PARAMS` naming `params.configSchema` when the schema
 * does not compile.
 */
function compileConfigSchema(schema) {
    const key = (0, canonicalJson_1.canonicalJson)(schema, 'params.configSchema');
    const cached = compiled.get(key);
    if (cached !== undefined) {
        return cached;
    }
    let validate;
    try {
        const ajv = new _2020_1.default({
            allErrors: true,
            strict: true,
            strictTypes: false,
            strictTuples: false,
            strictRequired: false,
            logger: false,
        });
        validate = ajv.compile(schema);
    }
    catch (err) {
        throw new errors_1.MgmtError('MGMT_INVALID_PARAMS', `params.configSchema: ${(0, errors_1.messageOf)(err)}`, { cause: err });
    }
    if (compiled.size >= MAX_CACHED) {
        compiled.clear();
    }
    compiled.set(key, validate);
    return validate;
}
function describe(errors) {
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
function validateConfig(config, schema) {
    if (config === null || typeof config !== 'object' || Array.isArray(config)) {
        throw new errors_1.MgmtError('MGMT_INVALID_CONFIG', 'config must be a JSON object');
    }
    const validate = compileConfigSchema(schema);
    if (!validate(config)) {
        throw new errors_1.MgmtError('MGMT_INVALID_CONFIG', describe(validate.errors ?? []));
    }
    return config;
}
