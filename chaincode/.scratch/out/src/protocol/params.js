"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.MAX_MSP_ID_LENGTH = exports.PARAM_DEFAULTS = void 0;
exports.validateParams = validateParams;
exports.memberIds = memberIds;
const canonicalJson_1 = require("./canonicalJson");
const certificates_1 = require("./certificates");
const config_1 = require("./config");
const errors_1 = require("./errors");
const members_1 = require("./members");
/**
 * Suggested timing for new chains. The chaincode itself applies no defaults: the parameters are
 * part of the genesis hash, so every value is written out explicitly.
 */
exports.PARAM_DEFAULTS = {
    cbiSeconds: 30,
    cycleTimeoutSeconds: 10,
    clockToleranceSeconds: 5,
};
/** Longest MSP ID accepted. */
exports.MAX_MSP_ID_LENGTH = 256;
const PARAM_FIELDS = ['members', 'cbiSeconds', 'cycleTimeoutSeconds', 'clockToleranceSeconds', 'configSchema'];
const MEMBER_FIELDS = ['mspId', 'caCertificate'];
function fail(field, problem) {
    throw new errors_1.MgmtError('MGMT_INVALID_PARAMS', `${field}: ${problem}`);
}
function isObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
}
function checkFields(value, allowed, path) {
    for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) {
            fail(`${path}.${key}`, 'unknown field');
        }
    }
    for (const key of allowed) {
        if (!(key in value)) {
            fail(`${path}.${key}`, 'missing');
        }
    }
}
function integer(value, field, min) {
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
        fail(field, `must be an integer >= ${min}, got ${JSON.stringify(value)}`);
    }
    return value;
}
function member(value, field) {
    if (!isObject(value)) {
        fail(field, 'must be an object {mspId, caCertificate}');
    }
    checkFields(value, MEMBER_FIELDS, field);
    const { mspId, caCertificate } = value;
    if (typeof mspId !== 'string' || mspId.length === 0 || mspId.length > exports.MAX_MSP_ID_LENGTH) {
        fail(`${field}.mspId`, `must be a non-empty string of at most ${exports.MAX_MSP_ID_LENGTH} characters`);
    }
    // Control characters (U+0000 in particular) would corrupt Fabric composite keys.
    if (/[\u0000-\u001f\u007f]/.test(mspId)) {
        fail(`${field}.mspId`, 'must not contain control characters');
    }
    if (typeof caCertificate !== 'string') {
        fail(`${field}.caCertificate`, 'must be a PEM string');
    }
    try {
        (0, certificates_1.parseCaCertificate)(caCertificate);
    }
    catch (err) {
        fail(`${field}.caCertificate`, (0, errors_1.isMgmtError)(err) ? err.detail : String(err));
    }
    return { mspId, caCertificate };
}
/**
 * The one validator of the genesis parameters. It names the field in each error and checks the
 * cross-field rules in full: members non-empty with unique MSP IDs and distinct CA certificates
 * (a CA shared by two members would let an offline verifier confuse their approvals), each CA a
 * parseable CA certificate; `cbiSeconds >= 1`, `cycleTimeoutSeconds >= 1`,
 * `clockToleranceSeconds >= 0`, all integers; `configSchema` a JSON object that compiles as JSON
 * Schema 2020-12; no unknown fields; everything I-JSON.
 *
 * @returns a fresh copy with members sorted by MSP ID.
 * @throws {@link MgmtError} `MGMT_INVALID_PARAMS` naming the field, e.g.
 * `MGMT_INVALID_PARAMS: params.members[2].mspId: duplicate of params.members[0]`.
 */
function validateParams(value, options = {}) {
    const path = options.path ?? 'params';
    if (!isObject(value)) {
        fail(path, 'must be an object');
    }
    try {
        (0, canonicalJson_1.assertIJson)(value, path);
    }
    catch (err) {
        fail(path, (0, errors_1.isMgmtError)(err) ? err.detail : String(err));
    }
    checkFields(value, PARAM_FIELDS, path);
    if (!Array.isArray(value.members) || value.members.length === 0) {
        fail(`${path}.members`, 'must be a non-empty array');
    }
    const members = value.members.map((item, i) => member(item, `${path}.members[${i}]`));
    const firstIndex = new Map();
    const caIndex = new Map();
    members.forEach((m, i) => {
        const dup = firstIndex.get(m.mspId);
        if (dup !== undefined) {
            fail(`${path}.members[${i}].mspId`, `duplicate of ${path}.members[${dup}]`);
        }
        firstIndex.set(m.mspId, i);
        const ca = m.caCertificate.trim();
        const dupCa = caIndex.get(ca);
        if (dupCa !== undefined) {
            fail(`${path}.members[${i}].caCertificate`, `same CA as ${path}.members[${dupCa}]`);
        }
        caIndex.set(ca, i);
    });
    if (options.requireSorted === true && !(0, members_1.isStrictlySorted)(members.map((m) => m.mspId))) {
        fail(`${path}.members`, 'not sorted by MSP ID (UTF-8 byte order)');
    }
    const cbiSeconds = integer(value.cbiSeconds, `${path}.cbiSeconds`, 1);
    const cycleTimeoutSeconds = integer(value.cycleTimeoutSeconds, `${path}.cycleTimeoutSeconds`, 1);
    const clockToleranceSeconds = integer(value.clockToleranceSeconds, `${path}.clockToleranceSeconds`, 0);
    if (!isObject(value.configSchema)) {
        fail(`${path}.configSchema`, 'must be a JSON Schema object');
    }
    const configSchema = value.configSchema;
    try {
        (0, config_1.compileConfigSchema)(configSchema);
    }
    catch (err) {
        fail(`${path}.configSchema`, (0, errors_1.isMgmtError)(err) ? err.detail.replace(/^params\.configSchema: /, '') : String(err));
    }
    return {
        members: (0, members_1.sortMembers)(members),
        cbiSeconds,
        cycleTimeoutSeconds,
        clockToleranceSeconds,
        configSchema,
    };
}
/** MSP IDs of the members, in protocol order. */
function memberIds(params) {
    return params.members.map((m) => m.mspId).sort(members_1.compareMspIds);
}
