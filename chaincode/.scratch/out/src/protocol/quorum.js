"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.quorum = quorum;
exports.rejectionThreshold = rejectionThreshold;
exports.maxFaulty = maxFaulty;
const errors_1 = require("./errors");
function assertMemberCount(n) {
    if (!Number.isSafeInteger(n) || n < 1) {
        throw new errors_1.MgmtError('MGMT_BAD_ARGUMENT', `member count must be a positive integer, got ${n}`);
    }
}
/**
 * Approvals that seal a block: `floor(2n/3) + 1`, the smallest count above two thirds
 * (2f+1 when n = 3f+1). Any two quorums share more than n/3 members, so they share an honest one.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` unless n is a positive integer.
 */
function quorum(n) {
    assertMemberCount(n);
    return Math.floor((2 * n) / 3) + 1;
}
/**
 * Rejections that fail a cycle early: `n - quorum(n) + 1`. With that many rejections the
 * remaining members cannot reach a quorum any more.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` unless n is a positive integer.
 */
function rejectionThreshold(n) {
    return n - quorum(n) + 1;
}
/**
 * Byzantine members tolerated: `n - quorum(n)`, which is f when n = 3f+1.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` unless n is a positive integer.
 */
function maxFaulty(n) {
    return n - quorum(n);
}
