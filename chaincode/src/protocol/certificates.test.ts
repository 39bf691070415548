/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { X509Certificate } from 'node:crypto';

import { beforeAll, describe, expect, it } from '@jest/globals';

import { createTestOrg } from '../testing/pki';
import type { TestOrg } from '../testing/pki';
import { checkMemberCertificate, isNodeIdentity, isValidAt, parseCaCertificate, parseCertificate, subjectOrganizationalUnits } from './certificates';
import { pureVerifier } from './cryptoVerifier';
import type { CryptoVerifier } from './cryptoVerifier';

const AT = Date.parse('2026-01-01T00:00:00.000Z');
const badCertificate = { name: 'MgmtError', code: 'MGMT_BAD_CERTIFICATE' };

let org1: TestOrg;
let org2: TestOrg;

beforeAll(async () => {
  org1 = await createTestOrg('Org1MSP');
  org2 = await createTestOrg('Org2MSP');
});

function check(certificate: string, atMs = AT, caCertificate = org1.caCertificate): X509Certificate {
  return checkMemberCertificate({ certificate, mspId: 'Org1MSP', caCertificate, atMs });
}

describe('checkMemberCertificate', () => {
  it('accepts client and admin certificates of the member CA', () => {
    expect(check(org1.client.certificate)).toBeInstanceOf(X509Certificate);
    expect(check(org1.admin.certificate)).toBeInstanceOf(X509Certificate);
  });

  it('accepts a certificate without NodeOUs (an MSP without them)', async () => {
    expect(check((await org1.issue({ role: null })).certificate)).toBeInstanceOf(X509Certificate);
  });

  it.each(['peer', 'orderer'] as const)('refuses a %s identity', (role) => {
    expect(() => check(org1[role].certificate)).toThrow(expect.objectContaining(badCertificate));
    expect(() => check(org1[role].certificate)).toThrow(/peer or orderer/);
  });

  it("refuses a certificate of another member's CA", () => {
    expect(() => check(org2.client.certificate)).toThrow(/not issued by the Org1MSP CA/);
  });

  it('refuses the CA certificate itself, although it is self-issued', () => {
    expect(() => check(org1.caCertificate)).toThrow(/is a CA certificate/);
  });

  it('checks validity at the given instant, both ends inclusive', async () => {
    const notBefore = new Date('2025-06-01T00:00:00Z');
    const notAfter = new Date('2025-12-31T23:59:59Z');
    const { certificate } = await org1.issue({ notBefore, notAfter });
    expect(() => check(certificate, notBefore.getTime())).not.toThrow();
    expect(() => check(certificate, notAfter.getTime())).not.toThrow();
    expect(() => check(certificate, notBefore.getTime() - 1)).toThrow(/not valid at 2025-05-31T23:59:59.999Z/);
    expect(() => check(certificate, notAfter.getTime() + 1000)).toThrow(expect.objectContaining(badCertificate));
  });

  it('refuses a key that is not P-256', async () => {
    const { certificate } = await org1.issue({ curve: 'P-384' });
    expect(() => check(certificate)).toThrow(/not ECDSA P-256/);
  });

  it('refuses text that is not a certificate', () => {
    expect(() => check('hello')).toThrow(/not a PEM certificate/);
    expect(() => check('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).toThrow(/does not parse/);
  });
});

describe('facts remembered per certificate object', () => {
  /** Parses each PEM once, as a chain verifier's verifier does, so the same object comes back. */
  function parsingOnce(): CryptoVerifier {
    const parsed = new Map<string, X509Certificate>();
    return {
      ...pureVerifier,
      certificate: (pem) => {
        const known = parsed.get(pem) ?? pureVerifier.certificate(pem);
        parsed.set(pem, known);
        return known;
      },
    };
  }

  it('validity is judged at each instant asked, whichever instant came first', async () => {
    const notBefore = new Date('2025-06-01T00:00:00Z');
    const notAfter = new Date('2025-12-31T23:59:59Z');
    const { certificate } = await org1.issue({ notBefore, notAfter });
    const inside = notAfter.getTime();
    const after = notAfter.getTime() + 1000;
    const verifier = parsingOnce();
    const at = (atMs: number): X509Certificate => checkMemberCertificate({ certificate, mspId: 'Org1MSP', caCertificate: org1.caCertificate, atMs }, verifier);
    expect(at(inside)).toBe(verifier.certificate(certificate));
    expect(() => at(after)).toThrow(/not valid at 2026-01-01T00:00:00.000Z/);
    expect(() => at(notBefore.getTime() - 1)).toThrow(/not valid at 2025-05-31T23:59:59.999Z/);
    expect(() => at(inside)).not.toThrow();
    const cert = verifier.certificate(certificate);
    expect([isValidAt(cert, after), isValidAt(cert, inside), isValidAt(cert, after)]).toEqual([false, true, false]);
  });

  it('the role of each certificate is its own', () => {
    const verifier = parsingOnce();
    for (let round = 0; round < 2; round++) {
      expect(isNodeIdentity(verifier.certificate(org1.peer.certificate))).toBe(true);
      expect(isNodeIdentity(verifier.certificate(org1.client.certificate))).toBe(false);
      expect(() => checkMemberCertificate({ certificate: org1.peer.certificate, mspId: 'Org1MSP', caCertificate: org1.caCertificate, atMs: AT }, verifier)).toThrow(
        /peer or orderer/,
      );
    }
  });
});

describe('NodeOU roles', () => {
  it('reads the subject OUs', () => {
    expect(subjectOrganizationalUnits(parseCertificate(org1.peer.certificate))).toEqual(['peer']);
    expect(isNodeIdentity(parseCertificate(org1.orderer.certificate))).toBe(true);
    expect(isNodeIdentity(parseCertificate(org1.admin.certificate))).toBe(false);
  });

  it('finds a role hidden in a multi-valued RDN, case-insensitively', async () => {
    const { certificate } = await org1.issue({ role: null, commonName: 'x' });
    const cert = parseCertificate(certificate);
    const fake = Object.create(cert, { subject: { value: 'C=US\nCN=x + OU=Peer' } }) as X509Certificate;
    expect(isNodeIdentity(fake)).toBe(true);
  });
});

describe('parseCaCertificate', () => {
  it('accepts a CA and refuses a leaf certificate', () => {
    expect(parseCaCertificate(org1.caCertificate).ca).toBe(true);
    expect(() => parseCaCertificate(org1.client.certificate)).toThrow(/not a CA certificate/);
  });
});
