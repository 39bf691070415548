"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.VOTE_DOMAIN = void 0;
exports.voteText = voteText;
exports.voteMessage = voteMessage;
exports.decodeBase64Strict = decodeBase64Strict;
exports.assertVoteSignature = assertVoteSignature;
exports.verifyVoteSignature = verifyVoteSignature;
exports.signVote = signVote;
const node_crypto_1 = require("node:crypto");
const p256_1 = require("@noble/curves/p256");
const certificates_1 = require("./certificates");
const errors_1 = require("./errors");
const hash_1 = require("./hash");
/** Domain of every vote message; a new message format gets a new prefix. */
exports.VOTE_DOMAIN = 'mgmt-cb-v1';
/**
 * The text a member signs to vote: `mgmt-cb-v1:approve:<hash>` or `mgmt-cb-v1:reject:<hash>`.
 * The prefix keeps the signature from being valid for any other message signed with the same
 * key, and approve and reject differ so that a rejection cannot pass as an approval.
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` unless hash is 64 lowercase hex digits.
 */
function voteText(hash, approve) {
    if (!hash_1.HASH_PATTERN.test(hash)) {
        throw new errors_1.MgmtError('MGMT_BAD_ARGUMENT', `hash must be 64 lowercase hex digits, got ${JSON.stringify(hash)}`);
    }
    return `${exports.VOTE_DOMAIN}:${approve ? 'approve' : 'reject'}:${hash}`;
}
/**
 * The UTF-8 bytes of {@link voteText}: what ECDSA signs (after SHA-256).
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` as {@link voteText}.
 */
function voteMessage(hash, approve) {
    return Buffer.from(voteText(hash, approve), 'utf8');
}
function digest(message) {
    return (0, node_crypto_1.createHash)('sha256').update(message).digest();
}
/**
 * Decodes canonical base64 (padded, no whitespace, no stray bits).
 *
 * @returns the bytes, or `undefined` when the text is not canonical base64.
 */
function decodeBase64Strict(text) {
    if (typeof text !== 'string' || text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) {
        return undefined;
    }
    const bytes = Buffer.from(text, 'base64');
    return bytes.toString('base64') === text ? bytes : undefined;
}
/**
 * Verifies a vote signature: ECDSA P-256 with SHA-256, DER in canonical base64, low-S only, over
 * {@link voteMessage}, with the public key of the given certificate. Non-canonical DER and
 * high-S signatures are refused, so each vote has exactly one valid encoding.
 *
 * @throws {@link MgmtError} `MGMT_BAD_SIGNATURE` naming why the signature fails, or
 * `MGMT_BAD_CERTIFICATE` when the certificate is unusable.
 */
function assertVoteSignature(check) {
    const publicKey = (0, certificates_1.p256PublicKey)((0, certificates_1.parseCertificate)(check.certificate));
    const der = decodeBase64Strict(check.signature);
    if (der === undefined) {
        throw new errors_1.MgmtError('MGMT_BAD_SIGNATURE', 'signature is not canonical base64');
    }
    let signature;
    try {
        signature = p256_1.p256.Signature.fromDER(der);
    }
    catch (err) {
        throw new errors_1.MgmtError('MGMT_BAD_SIGNATURE', `signature is not DER: ${(0, errors_1.messageOf)(err)}`, { cause: err });
    }
    if (Buffer.compare(Buffer.from(signature.toDERRawBytes()), Buffer.from(der)) !== 0) {
        throw new errors_1.MgmtError('MGMT_BAD_SIGNATURE', 'signature DER is not canonical');
    }
    if (signature.hasHighS()) {
        throw new errors_1.MgmtError('MGMT_BAD_SIGNATURE', 'signature has a high S value');
    }
    const message = voteMessage(check.hash, check.approve);
    if (!p256_1.p256.verify(der, digest(message), publicKey, { lowS: true, prehash: false, format: 'der' })) {
        throw new errors_1.MgmtError('MGMT_BAD_SIGNATURE', `signature does not verify over "${voteText(check.hash, check.approve)}"`);
    }
}
/**
 * Like {@link assertVoteSignature}, as a boolean.
 *
 * @returns true when the signature is valid.
 */
function verifyVoteSignature(check) {
    try {
        assertVoteSignature(check);
        return true;
    }
    catch {
        return false;
    }
}
/**
 * Signs a vote the way the chaincode expects: deterministic (RFC 6979) low-S ECDSA P-256 over
 * SHA-256 of {@link voteMessage}, DER, base64.
 *
 * @example
 * const signature = signVote({ hash: proposal.hash, approve: true, privateKeyPem });
 * await contract.submitTransaction('Vote', proposal.id, 'true', signature, 'within bounds');
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` when the key is not a P-256 private key or the
 * hash is malformed.
 */
function signVote(options) {
    let d;
    try {
        const key = (0, node_crypto_1.createPrivateKey)(options.privateKeyPem);
        if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
            throw new Error('not an ECDSA P-256 key');
        }
        const jwk = key.export({ format: 'jwk' });
        if (typeof jwk.d !== 'string') {
            throw new Error('no private scalar');
        }
        d = Buffer.from(jwk.d, 'base64url');
    }
    catch (err) {
        throw new errors_1.MgmtError('MGMT_BAD_ARGUMENT', `private key: ${(0, errors_1.messageOf)(err)}`, { cause: err });
    }
    const signature = p256_1.p256.sign(digest(voteMessage(options.hash, options.approve)), d, { lowS: true, prehash: false });
    return Buffer.from(signature.toDERRawBytes()).toString('base64');
}
