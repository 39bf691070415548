"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.verifyBlock = verifyBlock;
exports.verifyChain = verifyChain;
const canonicalJson_1 = require("./canonicalJson");
const certificates_1 = require("./certificates");
const config_1 = require("./config");
const errors_1 = require("./errors");
const hash_1 = require("./hash");
const members_1 = require("./members");
const params_1 = require("./params");
const proposer_1 = require("./proposer");
const quorum_1 = require("./quorum");
const round_1 = require("./round");
const signatures_1 = require("./signatures");
const time_1 = require("./time");
const PROOF_FIELDS = ['certificate', 'mspId', 'signature'];
function isObject(value) {
    return value !== null && typeof value === 'object' && !Array.isArray(value);
}
/**
 * Verifies one configuration block against its predecessor and the genesis parameters:
 * height, recomputed hash, prevHash link, proposer formula including the cycle, timestamp
 * strictly after the predecessor, at least CBI later and inside the window of its cycle,
 * configuration against the schema, and the proof: only approvals, at least a quorum, one per
 * member, sorted by MSP ID, each exactly `{mspId, certificate, signature}` with a valid signature
 * and a certificate issued by that member's CA, valid at the block's timestamp, not a peer or
 * orderer. Fields outside the header and the proof are ignored.
 *
 * @returns the block, typed.
 * @throws {@link BlockVerificationError} (code `MGMT_INVALID_BLOCK`) naming the height and reason.
 */
function verifyBlock(block, context = {}) {
    const expectedHeight = context.previous === undefined ? 0 : context.previous.height + 1;
    const fail = (reason, cause) => {
        throw new errors_1.BlockVerificationError(expectedHeight, reason, cause === undefined ? undefined : { cause });
    };
    const wrap = (what, fn) => {
        try {
            return fn();
        }
        catch (err) {
            return fail(`${what}: ${(0, errors_1.isMgmtError)(err) ? err.message : (0, errors_1.messageOf)(err)}`, err);
        }
    };
    if (!isObject(block)) {
        return fail('not a JSON object');
    }
    const { height, hash, prevHash, proposer, cycle, timestamp, config, proof } = block;
    if (height !== expectedHeight) {
        return fail(`height is ${JSON.stringify(height)}, expected ${expectedHeight}`);
    }
    if (typeof hash !== 'string' || !hash_1.HASH_PATTERN.test(hash)) {
        return fail('hash is not 64 lowercase hex digits');
    }
    if (typeof prevHash !== 'string') {
        return fail('prevHash is not a string');
    }
    if (typeof proposer !== 'string') {
        return fail('proposer is not a string');
    }
    if (typeof cycle !== 'number' || !Number.isSafeInteger(cycle) || cycle < 0) {
        return fail('cycle is not a non-negative integer');
    }
    const ts = (0, time_1.parseIsoMillis)(timestamp);
    if (ts === undefined) {
        return fail('timestamp is not YYYY-MM-DDTHH:mm:ss.sssZ');
    }
    if (!isObject(config)) {
        return fail('config is not a JSON object');
    }
    if (!Array.isArray(proof)) {
        return fail('proof is not an array');
    }
    const header = block;
    const recomputed = wrap('header', () => (0, hash_1.hashHeader)(header));
    if (recomputed !== hash) {
        return fail(`hash ${hash} does not match the header (recomputed ${recomputed})`);
    }
    let params;
    if (expectedHeight === 0) {
        params = wrap('params', () => (0, params_1.validateParams)(block.params, { requireSorted: true }));
        if (context.params !== undefined && (0, canonicalJson_1.canonicalJson)(context.params) !== (0, canonicalJson_1.canonicalJson)(block.params)) {
            return fail('params differ from the trusted genesis params');
        }
        if (prevHash !== '') {
            return fail('prevHash of genesis must be ""');
        }
        if (cycle !== 0) {
            return fail('cycle of genesis must be 0');
        }
        if ((0, members_1.findMember)(params.members, proposer) === undefined) {
            return fail(`proposer ${proposer} is not a member`);
        }
    }
    else {
        const previous = context.previous;
        if (context.params === undefined) {
            return fail('genesis params are needed to verify this block');
        }
        params = context.params;
        if ('params' in block) {
            return fail('params may only appear at height 0');
        }
        if (prevHash !== previous.hash) {
            return fail(`prevHash ${prevHash} does not link to block ${previous.height} (${previous.hash})`);
        }
        const prevTs = (0, time_1.parseIsoMillis)(previous.timestamp);
        if (ts <= prevTs) {
            return fail(`timestamp ${timestamp} is not after ${previous.timestamp}`);
        }
        if (ts - prevTs < params.cbiSeconds * 1000) {
            return fail(`timestamp ${timestamp} is less than CBI (${params.cbiSeconds}s) after ${previous.timestamp}`);
        }
        const window = wrap('cycle', () => (0, round_1.cycleWindow)((0, round_1.scheduleAfter)(prevTs, params), cycle));
        if (ts < window.startsAtMs || ts >= window.endsAtMs) {
            return fail(`timestamp ${timestamp} is outside cycle ${cycle} ` +
                `[${new Date(window.startsAtMs).toISOString()}, ${new Date(window.endsAtMs).toISOString()})`);
        }
        const expected = wrap('proposer', () => (0, proposer_1.expectedProposer)(params.members, previous.hash, cycle));
        if (proposer !== expected) {
            return fail(`proposer is ${proposer}, expected ${expected} for cycle ${cycle}`);
        }
    }
    wrap('config', () => (0, config_1.validateConfig)(config, params.configSchema));
    verifyProof(proof, hash, params, ts, fail);
    return block;
}
function verifyProof(proof, hash, params, ts, fail) {
    const q = (0, quorum_1.quorum)(params.members.length);
    if (proof.length < q) {
        fail(`proof has ${proof.length} approvals, quorum is ${q}`);
    }
    const entries = proof.map((entry, i) => {
        if (!isObject(entry)) {
            return fail(`proof[${i}] is not an object`);
        }
        const keys = Object.keys(entry).sort();
        if (keys.length !== PROOF_FIELDS.length || keys.some((k, j) => k !== PROOF_FIELDS[j])) {
            return fail(`proof[${i}] must have exactly the fields mspId, certificate, signature`);
        }
        const { mspId, certificate, signature } = entry;
        if (typeof mspId !== 'string' || typeof certificate !== 'string' || typeof signature !== 'string') {
            return fail(`proof[${i}] fields must be strings`);
        }
        return { mspId, certificate, signature };
    });
    if (!(0, members_1.isStrictlySorted)(entries.map((e) => e.mspId))) {
        fail('proof entries are not sorted by MSP ID or repeat a member');
    }
    entries.forEach((entry, i) => {
        const member = (0, members_1.findMember)(params.members, entry.mspId);
        if (member === undefined) {
            return fail(`proof[${i}]: ${entry.mspId} is not a member`);
        }
        try {
            (0, certificates_1.checkMemberCertificate)({ certificate: entry.certificate, mspId: entry.mspId, caCertificate: member.caCertificate, atMs: ts });
            (0, signatures_1.assertVoteSignature)({ hash, approve: true, signature: entry.signature, certificate: entry.certificate });
        }
        catch (err) {
            return fail(`proof[${i}] (${entry.mspId}): ${(0, errors_1.messageOf)(err)}`, err);
        }
        return undefined;
    });
}
/**
 * Verifies a run of consecutive blocks. Without `from`, the run must start with the genesis
 * block; with `from`, it continues after `from.previous` under `from.params`.
 *
 * @returns the genesis params and the last block.
 * @throws {@link BlockVerificationError} for the first block that fails, or for an empty run.
 */
function verifyChain(blocks, from = {}) {
    let previous = from.previous;
    let params = from.params;
    for (const block of blocks) {
        const verified = verifyBlock(block, { previous, params });
        if (verified.height === 0) {
            params = verified.params;
        }
        previous = verified;
    }
    if (previous === undefined || params === undefined) {
        throw new errors_1.BlockVerificationError(0, 'no blocks to verify');
    }
    return { params, latest: previous };
}
