"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.HASH_PATTERN = void 0;
exports.headerOf = headerOf;
exports.sha256Hex = sha256Hex;
exports.hashHeader = hashHeader;
const node_crypto_1 = require("node:crypto");
const canonicalJson_1 = require("./canonicalJson");
/** A lowercase hex SHA-256 digest. */
exports.HASH_PATTERN = /^[0-9a-f]{64}$/;
/**
 * The hashed header of a block or proposal: `{height, prevHash, proposer, cycle, timestamp,
 * config}` plus `params` at height 0. Everything else (hash, proof, extra fields) is dropped, so
 * that fields outside the header can never change a hash.
 */
function headerOf(block) {
    const { height, prevHash, proposer, cycle, timestamp, config } = block;
    if (height === 0) {
        return { height, prevHash, proposer, cycle, timestamp, config, params: block.params };
    }
    return { height, prevHash, proposer, cycle, timestamp, config };
}
/** Lowercase hex SHA-256 of bytes or of a UTF-8 string. */
function sha256Hex(data) {
    return (0, node_crypto_1.createHash)('sha256').update(data).digest('hex');
}
/**
 * The hash of a configuration block: lowercase hex SHA-256 of the RFC 8785 canonical JSON of
 * its header (see {@link headerOf}).
 *
 * @throws {@link MgmtError} `MGMT_INVALID_JSON` when the header is not I-JSON.
 */
function hashHeader(block) {
    return sha256Hex((0, canonicalJson_1.canonicalJson)(headerOf(block), 'header'));
}
