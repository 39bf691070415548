"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.parseCertificate = parseCertificate;
exports.subjectOrganizationalUnits = subjectOrganizationalUnits;
exports.isNodeIdentity = isNodeIdentity;
exports.isValidAt = isValidAt;
exports.p256PublicKey = p256PublicKey;
exports.parseCaCertificate = parseCaCertificate;
exports.checkMemberCertificate = checkMemberCertificate;
const node_crypto_1 = require("node:crypto");
const errors_1 = require("./errors");
/** Fabric NodeOU roles that must never act in the protocol: only clients and admins vote. */
const NODE_ROLES = new Set(['peer', 'orderer']);
/**
 * Parses a PEM certificate.
 *
 * @param what names the certificate in error messages.
 * @throws {@link MgmtError} `MGMT_BAD_CERTIFICATE` when the text is not a parseable X.509 certificate.
 */
function parseCertificate(pem, what = 'certificate') {
    if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) {
        throw new errors_1.MgmtError('MGMT_BAD_CERTIFICATE', `${what} is not a PEM certificate`);
    }
    try {
        return new node_crypto_1.X509Certificate(pem);
    }
    catch (err) {
        throw new errors_1.MgmtError('MGMT_BAD_CERTIFICATE', `${what} does not parse: ${(0, errors_1.messageOf)(err)}`, { cause: err });
    }
}
/**
 * Values of the subject's organisational units, where Fabric's NodeOUs put the role
 * (`client`, `admin`, `peer`, `orderer`). Multi-valued RDNs are split as well.
 */
function subjectOrganizationalUnits(cert) {
    const units = [];
    for (const line of cert.subject.split('\n')) {
        // Node prints a multi-valued RDN on one line as `A=x + B=y`, escaping '+' inside values.
        for (const part of line.split(' + ')) {
            const eq = part.indexOf('=');
            if (eq > 0 && part.slice(0, eq) === 'OU') {
                units.push(part.slice(eq + 1).replace(/\\(.)/g, '$1'));
            }
        }
    }
    return units;
}
/** Whether the certificate belongs to a peer or an orderer node rather than a client or admin. */
function isNodeIdentity(cert) {
    return subjectOrganizationalUnits(cert).some((unit) => NODE_ROLES.has(unit.toLowerCase()));
}
/** Whether `atMs` lies within the certificate's validity period (both ends inclusive). */
function isValidAt(cert, atMs) {
    const from = Date.parse(cert.validFrom);
    const to = Date.parse(cert.validTo);
    return Number.isFinite(from) && Number.isFinite(to) && from <= atMs && atMs <= to;
}
/**
 * The uncompressed SEC1 public key (65 bytes) of a P-256 certificate.
 *
 * @throws {@link MgmtError} `MGMT_BAD_CERTIFICATE` when the key is not ECDSA P-256.
 */
function p256PublicKey(cert) {
    const key = cert.publicKey;
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
        throw new errors_1.MgmtError('MGMT_BAD_CERTIFICATE', 'certificate key is not ECDSA P-256');
    }
    const jwk = key.export({ format: 'jwk' });
    if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
        throw new errors_1.MgmtError('MGMT_BAD_CERTIFICATE', 'certificate key has no affine coordinates');
    }
    return Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}
/**
 * Checks that a PEM is a usable CA certificate for a member (basic constraints CA:TRUE).
 *
 * @throws {@link MgmtError} `MGMT_BAD_CERTIFICATE` otherwise.
 */
function parseCaCertificate(pem, what = 'CA certificate') {
    const ca = parseCertificate(pem, what);
    if (!ca.ca) {
        throw new errors_1.MgmtError('MGMT_BAD_CERTIFICATE', `${what} is not a CA certificate (basic constraints CA:FALSE)`);
    }
    return ca;
}
/**
 * The certificate rule of the protocol: issued directly by the member's CA from the genesis
 * params, valid at the given instant, ECDSA P-256, and not a peer or orderer identity.
 *
 * @returns the parsed certificate.
 * @throws {@link MgmtError} `MGMT_BAD_CERTIFICATE` naming the failed check.
 */
function checkMemberCertificate(check) {
    const cert = parseCertificate(check.certificate, `certificate of ${check.mspId}`);
    const ca = parseCertificate(check.caCertificate, `CA certificate of ${check.mspId}`);
    if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey)) {
        throw new errors_1.MgmtError('MGMT_BAD_CERTIFICATE', `certificate is not issued by the ${check.mspId} CA of the genesis params`);
    }
    if (!isValidAt(cert, check.atMs)) {
        throw new errors_1.MgmtError('MGMT_BAD_CERTIFICATE', `certificate of ${check.mspId} (valid ${cert.validFrom} to ${cert.validTo}) is not valid at ${new Date(check.atMs).toISOString()}`);
    }
    if (isNodeIdentity(cert)) {
        throw new errors_1.MgmtError('MGMT_BAD_CERTIFICATE', `certificate of ${check.mspId} is a peer or orderer identity`);
    }
    p256PublicKey(cert);
    return cert;
}
