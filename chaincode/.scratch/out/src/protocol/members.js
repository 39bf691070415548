"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.compareMspIds = compareMspIds;
exports.sortMembers = sortMembers;
exports.isStrictlySorted = isStrictlySorted;
exports.findMember = findMember;
/** Orders MSP IDs by their UTF-8 bytes, the order every list of members and proof entries uses. */
function compareMspIds(a, b) {
    return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}
/** A copy of the members sorted by MSP ID (UTF-8 byte order). */
function sortMembers(members) {
    return [...members].sort((a, b) => compareMspIds(a.mspId, b.mspId));
}
/** Whether MSP IDs are strictly ascending, that is sorted and free of duplicates. */
function isStrictlySorted(mspIds) {
    for (let i = 1; i < mspIds.length; i++) {
        if (compareMspIds(mspIds[i - 1], mspIds[i]) >= 0) {
            return false;
        }
    }
    return true;
}
/** The member with this MSP ID, if any. */
function findMember(members, mspId) {
    return members.find((member) => member.mspId === mspId);
}
