/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The protocol core's CryptoVerifier for the browser: certificates read by BrowserCertificate
 * (ASN.1 in JavaScript), ECDSA P-256 and SHA-256 by @noble. The core keeps every rule and
 * message (see chaincode/src/protocol/cryptoVerifier.ts); this answers only its questions.
 */
import type { X509Certificate } from 'node:crypto';
import { p256 } from '@noble/curves/nist';
import { sha256 } from '@noble/hashes/sha2';
import type { CryptoVerifier } from 'mgmt-chaincode/dist/protocol';
import { BrowserCertificate } from './certificate';

/**
 * The core types certificates as Node's X509Certificate; a BrowserCertificate has every member
 * the core reads, with Node's spelling. This is the one place the two types meet.
 */
function asNode(certificate: BrowserCertificate): X509Certificate {
  return certificate as unknown as X509Certificate;
}

function asBrowser(certificate: X509Certificate): BrowserCertificate {
  if (!((certificate as unknown) instanceof BrowserCertificate)) throw new Error('not a certificate of the browser verifier');
  return certificate as unknown as BrowserCertificate;
}

/**
 * A verifier that parses each PEM once (a chain's voters sign many blocks) and caches nothing
 * that depends on time, as the interface requires.
 */
export function createBrowserVerifier(): CryptoVerifier {
  const parsed = new Map<string, BrowserCertificate>();
  // "Issued by" does not depend on time: answered once per certificate and CA, not at each proof entry.
  const issued = new WeakMap<BrowserCertificate, WeakMap<BrowserCertificate, boolean>>();
  return {
    certificate(pem: string): X509Certificate {
      let known = parsed.get(pem);
      if (known === undefined) {
        known = new BrowserCertificate(pem);
        parsed.set(pem, known);
      }
      return asNode(known);
    },
    issuedBy(certificate: X509Certificate, ca: X509Certificate): boolean {
      const cert = asBrowser(certificate);
      const issuer = asBrowser(ca);
      let byCa = issued.get(cert);
      if (byCa === undefined) {
        byCa = new WeakMap();
        issued.set(cert, byCa);
      }
      let answer = byCa.get(issuer);
      if (answer === undefined) {
        answer = cert.checkIssued(issuer) && cert.verifiedBy(issuer);
        byCa.set(issuer, answer);
      }
      return answer;
    },
    verifyVote(certificate: X509Certificate, message: Uint8Array, signatureDer: Uint8Array): boolean {
      const key = asBrowser(certificate).p256Point();
      if (key === undefined) return false;
      try {
        return p256.verify(signatureDer, sha256(message), key, { lowS: true, prehash: false, format: 'der' });
      } catch {
        return false;
      }
    },
  };
}
