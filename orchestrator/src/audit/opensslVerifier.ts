/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The protocol core's cryptographic questions answered by OpenSSL (node:crypto), for verifiers of
 * long chains: `mgmt audit` and the observer. The core's `verifyBlock` keeps every rule, code and
 * message (canonical base64, canonical DER, low S, the certificate rule); this only parses each
 * certificate once and verifies ECDSA natively instead of in pure JavaScript.
 */
import { verify as verifySignature, X509Certificate } from 'node:crypto';
import type { CryptoVerifier } from 'mgmt-chaincode/dist/protocol';

/** Options of {@link createOpenSslVerifier}. */
export interface OpenSslVerifierOptions {
  /**
   * Certificates kept parsed, by PEM. When full, the cache starts over, so a stream of
   * untrusted certificates costs time, not memory. Default 4096.
   */
  readonly maxCertificates?: number;
}

/**
 * A {@link CryptoVerifier} backed by OpenSSL: certificates parsed once per PEM and "issued by"
 * answered once per (certificate, CA) pair, both facts that do not depend on time (validity is
 * the core's check, made at each use); vote signatures verified with `crypto.verify` (ECDSA
 * P-256, SHA-256, DER). On every question the core asks, the answers are those of the core's
 * `pureVerifier` (`opensslVerifier.test.ts` checks it), about 40 times faster per signature.
 *
 * @example
 * const verifier = createOpenSslVerifier();
 * let previous = verifyBlock(blocks[0], { verifier });
 * for (const block of blocks.slice(1)) previous = verifyBlock(block, { previous, params, verifier });
 */
export function createOpenSslVerifier(options: Readonly<OpenSslVerifierOptions> = {}): CryptoVerifier {
  const max = options.maxCertificates ?? 4096;
  const parsed = new Map<string, X509Certificate>();
  /** Per certificate, per CA: issued by it or not. Weak, so entries go with the certificates. */
  const issued = new WeakMap<X509Certificate, WeakMap<X509Certificate, boolean>>();

  return Object.freeze({
    certificate(pem: string): X509Certificate {
      let certificate = parsed.get(pem);
      if (certificate === undefined) {
        // A PEM that does not parse throws here, and is not cached.
        certificate = new X509Certificate(pem);
        if (parsed.size >= max) parsed.clear();
        parsed.set(pem, certificate);
      }
      return certificate;
    },
    issuedBy(certificate: X509Certificate, ca: X509Certificate): boolean {
      let byCa = issued.get(certificate);
      if (byCa === undefined) {
        byCa = new WeakMap();
        issued.set(certificate, byCa);
      }
      let answer = byCa.get(ca);
      if (answer === undefined) {
        // The pure verifier's very check, made once.
        answer = certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
        byCa.set(ca, answer);
      }
      return answer;
    },
    verifyVote(certificate: X509Certificate, message: Uint8Array, signatureDer: Uint8Array): boolean {
      try {
        return verifySignature('sha256', message, { key: certificate.publicKey, dsaEncoding: 'der' }, signatureDer);
      } catch {
        return false;
      }
    },
  });
}

/**
 * One OpenSSL verifier for the process, for long-lived verifiers of a single consortium's chain
 * (the observer): its certificate cache is bounded by {@link OpenSslVerifierOptions.maxCertificates}.
 */
export const openSslVerifier: CryptoVerifier = createOpenSslVerifier();
