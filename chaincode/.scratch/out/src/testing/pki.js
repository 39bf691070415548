"use strict";
/*
 * SPDX-License-Identifier: Apache-2.0
 */
var __createBinding = (this && this.__createBinding) || (Object.create ? (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    var desc = Object.getOwnPropertyDescriptor(m, k);
    if (!desc || ("get" in desc ? !m.__esModule : desc.writable || desc.configurable)) {
      desc = { enumerable: true, get: function() { return m[k]; } };
    }
    Object.defineProperty(o, k2, desc);
}) : (function(o, m, k, k2) {
    if (k2 === undefined) k2 = k;
    o[k2] = m[k];
}));
var __setModuleDefault = (this && this.__setModuleDefault) || (Object.create ? (function(o, v) {
    Object.defineProperty(o, "default", { enumerable: true, value: v });
}) : function(o, v) {
    o["default"] = v;
});
var __importStar = (this && this.__importStar) || (function () {
    var ownKeys = function(o) {
        ownKeys = Object.getOwnPropertyNames || function (o) {
            var ar = [];
            for (var k in o) if (Object.prototype.hasOwnProperty.call(o, k)) ar[ar.length] = k;
            return ar;
        };
        return ownKeys(o);
    };
    return function (mod) {
        if (mod && mod.__esModule) return mod;
        var result = {};
        if (mod != null) for (var k = ownKeys(mod), i = 0; i < k.length; i++) if (k[i] !== "default") __createBinding(result, mod, k[i]);
        __setModuleDefault(result, mod);
        return result;
    };
})();
Object.defineProperty(exports, "__esModule", { value: true });
exports.TEST_MSP_IDS = exports.TEST_NOT_AFTER = exports.TEST_NOT_BEFORE = void 0;
exports.createTestOrg = createTestOrg;
exports.createTestConsortium = createTestConsortium;
/**
 * Test PKI: real ECDSA X.509 CA and member certificates in Fabric's NodeOU style (the role in
 * the subject OU), made with @peculiar/x509 on Node's WebCrypto. Test code only: the build
 * excludes src/testing, and the contract never imports it.
 */
require("reflect-metadata");
const node_crypto_1 = require("node:crypto");
const x509 = __importStar(require("@peculiar/x509"));
// Node's WebCrypto satisfies the provider; the DOM `Crypto` type it is declared with is not in scope.
x509.cryptoProvider.set(node_crypto_1.webcrypto);
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const EC_P384 = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' };
/** Default validity of test certificates: wide enough for any test clock. */
exports.TEST_NOT_BEFORE = new Date('2020-01-01T00:00:00Z');
exports.TEST_NOT_AFTER = new Date('2040-01-01T00:00:00Z');
let serial = 1;
function nextSerial() {
    serial++;
    return serial.toString(16).padStart(2, '0');
}
async function pkcs8Pem(key) {
    const der = Buffer.from(await node_crypto_1.webcrypto.subtle.exportKey('pkcs8', key));
    const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
    return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}
function domainOf(mspId) {
    return `${mspId.replace(/MSP$/, '').toLowerCase()}.example.com`;
}
/**
 * Creates an organisation: a self-signed P-256 CA and a client, an admin, a peer and an orderer
 * certificate issued by it (as cryptogen lays out a Fabric org with NodeOUs enabled).
 */
async function createTestOrg(mspId) {
    const domain = domainOf(mspId);
    const caKeys = await node_crypto_1.webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
    const ca = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: nextSerial(),
        name: `C=US, O=${domain}, CN=ca.${domain}`,
        notBefore: exports.TEST_NOT_BEFORE,
        notAfter: exports.TEST_NOT_AFTER,
        signingAlgorithm: EC_P256,
        keys: caKeys,
        extensions: [
            new x509.BasicConstraintsExtension(true, undefined, true),
            new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
            await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
        ],
    });
    const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey);
    const issue = async (options = {}) => {
        const role = options.role === undefined ? 'client' : options.role;
        const algorithm = options.curve === 'P-384' ? EC_P384 : EC_P256;
        const keys = await node_crypto_1.webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
        const commonName = options.commonName ?? `${role ?? 'user'}${serial}@${domain}`;
        const ou = role === null ? '' : `OU=${role}, `;
        const cert = await x509.X509CertificateGenerator.create({
            serialNumber: nextSerial(),
            subject: `C=US, ${ou}CN=${commonName}`,
            issuer: ca.subject,
            notBefore: options.notBefore ?? exports.TEST_NOT_BEFORE,
            notAfter: options.notAfter ?? exports.TEST_NOT_AFTER,
            signingAlgorithm: EC_P256,
            publicKey: keys.publicKey,
            signingKey: caKeys.privateKey,
            extensions: [
                new x509.BasicConstraintsExtension(false, undefined, true),
                new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
                authorityKeyId,
            ],
        });
        return { mspId, role, certificate: cert.toString('pem'), privateKeyPem: await pkcs8Pem(keys.privateKey) };
    };
    return {
        mspId,
        caCertificate: ca.toString('pem'),
        client: await issue({ role: 'client', commonName: `User1@${domain}` }),
        admin: await issue({ role: 'admin', commonName: `Admin@${domain}` }),
        peer: await issue({ role: 'peer', commonName: `peer0.${domain}` }),
        orderer: await issue({ role: 'orderer', commonName: `orderer0.${domain}` }),
        issue,
    };
}
/** The four-member consortium of the design (n = 3f+1, f = 1). */
exports.TEST_MSP_IDS = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'];
/** Creates one {@link TestOrg} per MSP ID. */
async function createTestConsortium(mspIds = exports.TEST_MSP_IDS) {
    const orgs = [];
    for (const mspId of mspIds) {
        orgs.push(await createTestOrg(mspId));
    }
    return orgs;
}
