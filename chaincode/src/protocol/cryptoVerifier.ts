/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { createHash, X509Certificate } from 'node:crypto';

import { p256 } from '@noble/curves/nist';

/**
 * The cryptographic primitives under the protocol's certificate and signature rules, injected
 * so that a verifier of long chains (`mgmt audit`, the observer) can answer them faster than the
 * chaincode does, while every rule, error code and message stays the core's: which certificate
 * is checked against which CA, canonical base64, canonical DER, low S, validity, roles and key
 * type are all decided in `certificates.ts` and `signatures.ts` before or after asking. So a
 * verifier changes the speed of a verdict, never the verdict.
 *
 * Implementations answer with a boolean (or, for {@link CryptoVerifier.certificate}, throw when
 * the PEM does not parse); they must not throw for an invalid signature or issuer. They may cache
 * facts that do not depend on time (a parsed certificate by PEM, "issued by this CA"); validity in
 * time is the core's check, made at each use.
 */
export interface CryptoVerifier {
  /**
   * Parses a PEM X.509 certificate. The core has already checked the PEM armour and words the
   * error; any throw means "does not parse". May return the same object for the same PEM, so
   * callers must treat it as read-only.
   */
  certificate(pem: string): X509Certificate;
  /**
   * Whether the certificate was issued by the CA: its issuer is the CA's subject (and the key
   * identifiers agree, as OpenSSL's `X509_check_issued`) and its signature verifies under the
   * CA's public key. Both were parsed by {@link CryptoVerifier.certificate} of this verifier.
   */
  issuedBy(certificate: X509Certificate, ca: X509Certificate): boolean;
  /**
   * Whether `signatureDer` verifies as ECDSA over SHA-256 of `message` under the public key of the
   * certificate (parsed by {@link CryptoVerifier.certificate} of this verifier). The core asks
   * only for a certificate whose key it has found to be P-256 and a signature it has found to be
   * canonical DER with 1 <= r < n and low S (s <= n/2); outside that, the answer is unspecified
   * (OpenSSL, for one, accepts the high-S twin).
   */
  verifyVote(certificate: X509Certificate, message: Uint8Array, signatureDer: Uint8Array): boolean;
}

/**
 * The chaincode's verifier, and the default everywhere: certificates parsed by `node:crypto`'s
 * `X509Certificate` on each use (issuer and certificate signature checked by it, as the
 * certificate rule always did), vote signatures verified in pure JavaScript by `@noble/curves`
 * (low-S only). Stateless.
 */
export const pureVerifier: CryptoVerifier = Object.freeze({
  certificate(pem: string): X509Certificate {
    return new X509Certificate(pem);
  },
  issuedBy(certificate: X509Certificate, ca: X509Certificate): boolean {
    return certificate.checkIssued(ca) && certificate.verify(ca.publicKey);
  },
  verifyVote(certificate: X509Certificate, message: Uint8Array, signatureDer: Uint8Array): boolean {
    try {
      const publicKey = uncompressedP256Key(certificate);
      const digest = createHash('sha256').update(message).digest();
      return p256.verify(signatureDer, digest, publicKey, { lowS: true, prehash: false, format: 'der' });
    } catch {
      return false;
    }
  },
});

/**
 * The uncompressed SEC1 public key (65 bytes) of an EC certificate. The key type rule is
 * `p256PublicKey` in certificates.ts, which the core applies before asking.
 */
function uncompressedP256Key(cert: X509Certificate): Uint8Array {
  const jwk = cert.publicKey.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new Error('certificate key has no affine coordinates');
  }
  return Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
}
