/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Test PKI: real ECDSA X.509 CA and member certificates in Fabric's NodeOU style (the role in
 * the subject OU), made with @peculiar/x509 on Node's WebCrypto. Test code only: the build
 * excludes src/testing, and the contract never imports it.
 */

import 'reflect-metadata';

import { webcrypto } from 'node:crypto';

import * as x509 from '@peculiar/x509';

// Node's WebCrypto satisfies the provider; the DOM `Crypto` type it is declared with is not in scope.
(x509.cryptoProvider as { set(provider: unknown): unknown }).set(webcrypto);

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const EC_P384 = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' } as const;

/** Fabric NodeOU roles. */
export type NodeRole = 'client' | 'admin' | 'peer' | 'orderer';

/** A member identity: what a Fabric wallet holds. */
export interface TestIdentity {
  readonly mspId: string;
  readonly role: NodeRole | null;
  /** PEM certificate, as `SerializedIdentity.id_bytes` carries it. */
  readonly certificate: string;
  /** PEM PKCS#8 private key. */
  readonly privateKeyPem: string;
}

/** Options of {@link TestOrg.issue}. */
export interface IssueOptions {
  /** The NodeOU role in the subject, or null for none. Default `client`. */
  readonly role?: NodeRole | null;
  readonly commonName?: string;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  /** Key curve of the issued certificate, P-256 unless testing refusals. */
  readonly curve?: 'P-256' | 'P-384';
}

/** One member organisation with its CA and the usual identities. */
export interface TestOrg {
  readonly mspId: string;
  readonly caCertificate: string;
  readonly client: TestIdentity;
  readonly admin: TestIdentity;
  readonly peer: TestIdentity;
  readonly orderer: TestIdentity;
  /** Issues another certificate from this org's CA. */
  issue(options?: IssueOptions): Promise<TestIdentity>;
}

/** Default validity of test certificates: wide enough for any test clock. */
export const TEST_NOT_BEFORE = new Date('2020-01-01T00:00:00Z');
export const TEST_NOT_AFTER = new Date('2040-01-01T00:00:00Z');

let serial = 1;

function nextSerial(): string {
  serial++;
  return serial.toString(16).padStart(2, '0');
}

async function pkcs8Pem(key: webcrypto.CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PRIVATE KEY-----\n${lines.join('\n')}\n-----END PRIVATE KEY-----\n`;
}

function domainOf(mspId: string): string {
  return `${mspId.replace(/MSP$/, '').toLowerCase()}.example.com`;
}

/**
 * Creates an organisation: a self-signed P-256 CA and a client, an admin, a peer and an orderer
 * certificate issued by it (as cryptogen lays out a Fabric org with NodeOUs enabled).
 */
export async function createTestOrg(mspId: string): Promise<TestOrg> {
  const domain = domainOf(mspId);
  const caKeys = await webcrypto.subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: nextSerial(),
    name: `C=US, O=${domain}, CN=ca.${domain}`,
    notBefore: TEST_NOT_BEFORE,
    notAfter: TEST_NOT_AFTER,
    signingAlgorithm: EC_P256,
    keys: caKeys,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const authorityKeyId = await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey);

  const issue = async (options: IssueOptions = {}): Promise<TestIdentity> => {
    const role = options.role === undefined ? 'client' : options.role;
    const algorithm = options.curve === 'P-384' ? EC_P384 : EC_P256;
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const commonName = options.commonName ?? `${role ?? 'user'}${serial}@${domain}`;
    const ou = role === null ? '' : `OU=${role}, `;
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: nextSerial(),
      subject: `C=US, ${ou}CN=${commonName}`,
      issuer: ca.subject,
      notBefore: options.notBefore ?? TEST_NOT_BEFORE,
      notAfter: options.notAfter ?? TEST_NOT_AFTER,
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
export const TEST_MSP_IDS = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'] as const;

/** Creates one {@link TestOrg} per MSP ID. */
export async function createTestConsortium(mspIds: readonly string[] = TEST_MSP_IDS): Promise<TestOrg[]> {
  const orgs: TestOrg[] = [];
  for (const mspId of mspIds) {
    orgs.push(await createTestOrg(mspId));
  }
  return orgs;
}
