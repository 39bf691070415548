/*
 * SPDX-License-Identifier: Apache-2.0
 */

import type { X509Certificate } from 'node:crypto';

import { pureVerifier } from './cryptoVerifier';
import type { CryptoVerifier } from './cryptoVerifier';
import { MgmtError, messageOf } from './errors';

/** Fabric NodeOU roles that must never act in the protocol: only clients and admins vote. */
const NODE_ROLES: ReadonlySet<string> = new Set(['peer', 'orderer']);

/**
 * Parses a PEM certificate.
 *
 * @param what names the certificate in error messages.
 * @param verifier parses it (default {@link pureVerifier}: a new `X509Certificate` each time).
 * @throws {@link MgmtError} `MGMT_BAD_CERTIFICATE` when the text is not a parseable X.509 certificate.
 */
export function parseCertificate(pem: string, what = 'certificate', verifier: CryptoVerifier = pureVerifier): X509Certificate {
  if (typeof pem !== 'string' || !pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new MgmtError('MGMT_BAD_CERTIFICATE', `${what} is not a PEM certificate`);
  }
  try {
    return verifier.certificate(pem);
  } catch (err) {
    throw new MgmtError('MGMT_BAD_CERTIFICATE', `${what} does not parse: ${messageOf(err)}`, { cause: err });
  }
}

/**
 * Values of the subject's organisational units, where Fabric's NodeOUs put the role
 * (`client`, `admin`, `peer`, `orderer`). Multi-valued RDNs are split as well.
 */
export function subjectOrganizationalUnits(cert: X509Certificate): string[] {
  const units: string[] = [];
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

/**
 * Facts read from a certificate object that no instant changes, by object: with a verifier that
 * parses each PEM once, the certificates of a chain's voters are read once for the whole chain
 * instead of at each of their proof entries. Weak, so the entries go with the certificates; an
 * `X509Certificate`'s fields never change, so an entry cannot go stale. The instant itself is
 * compared at each use ({@link isValidAt}).
 */
interface CertificateFacts {
  node?: boolean;
  /** Validity bounds in milliseconds; NaN when Node's text of them does not parse. */
  validity?: { readonly fromMs: number; readonly toMs: number };
}
const facts = new WeakMap<X509Certificate, CertificateFacts>();

function factsOf(cert: X509Certificate): CertificateFacts {
  let known = facts.get(cert);
  if (known === undefined) {
    known = {};
    facts.set(cert, known);
  }
  return known;
}

/** Whether the certificate belongs to a peer or an orderer node rather than a client or admin. */
export function isNodeIdentity(cert: X509Certificate): boolean {
  const known = factsOf(cert);
  known.node ??= subjectOrganizationalUnits(cert).some((unit) => NODE_ROLES.has(unit.toLowerCase()));
  return known.node;
}

/** Whether `atMs` lies within the certificate's validity period (both ends inclusive). */
export function isValidAt(cert: X509Certificate, atMs: number): boolean {
  const known = factsOf(cert);
  known.validity ??= { fromMs: Date.parse(cert.validFrom), toMs: Date.parse(cert.validTo) };
  const { fromMs, toMs } = known.validity;
  return Number.isFinite(fromMs) && Number.isFinite(toMs) && fromMs <= atMs && atMs <= toMs;
}

/**
 * Keys already read, by certificate object: with a verifier that parses each PEM once, each key
 * is read once (reading it through JWK costs more than anything else in the rule).
 */
const p256Keys = new WeakMap<X509Certificate, Uint8Array>();

/**
 * The uncompressed SEC1 public key (65 bytes) of a P-256 certificate.
 *
 * @returns a fresh copy, the caller's to keep.
 * @throws {@link MgmtError} `MGMT_BAD_CERTIFICATE` when the key is not ECDSA P-256.
 */
export function p256PublicKey(cert: X509Certificate): Uint8Array {
  const known = p256Keys.get(cert);
  if (known !== undefined) {
    return Buffer.from(known);
  }
  const key = cert.publicKey;
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new MgmtError('MGMT_BAD_CERTIFICATE', 'certificate key is not ECDSA P-256');
  }
  const jwk = key.export({ format: 'jwk' });
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    throw new MgmtError('MGMT_BAD_CERTIFICATE', 'certificate key has no affine coordinates');
  }
  const point = Buffer.concat([Buffer.from([0x04]), Buffer.from(jwk.x, 'base64url'), Buffer.from(jwk.y, 'base64url')]);
  p256Keys.set(cert, point);
  return Buffer.from(point);
}

/**
 * Checks that a PEM is a usable CA certificate for a member (basic constraints CA:TRUE).
 *
 * @throws {@link MgmtError} `MGMT_BAD_CERTIFICATE` otherwise.
 */
export function parseCaCertificate(pem: string, what = 'CA certificate'): X509Certificate {
  const ca = parseCertificate(pem, what);
  if (!ca.ca) {
    throw new MgmtError('MGMT_BAD_CERTIFICATE', `${what} is not a CA certificate (basic constraints CA:FALSE)`);
  }
  return ca;
}

/** What {@link checkMemberCertificate} needs to know. */
export interface MemberCertificateCheck {
  /** PEM of the certificate under test. */
  readonly certificate: string;
  /** MSP ID the certificate claims, for messages. */
  readonly mspId: string;
  /** PEM of the member's CA from the genesis params. */
  readonly caCertificate: string;
  /** The instant at which the certificate must be valid. */
  readonly atMs: number;
}

/**
 * The certificate rule of the protocol: not a CA, issued directly by the member's CA from the
 * genesis params, valid at the given instant, ECDSA P-256, and not a peer or orderer identity.
 *
 * @param verifier parses the certificates and answers "issued by" (default {@link pureVerifier});
 * the rule and its messages are the same with any verifier.
 * @returns the parsed certificate.
 * @throws {@link MgmtError} `MGMT_BAD_CERTIFICATE` naming the failed check.
 */
export function checkMemberCertificate(check: MemberCertificateCheck, verifier: CryptoVerifier = pureVerifier): X509Certificate {
  const cert = parseCertificate(check.certificate, `certificate of ${check.mspId}`, verifier);
  const ca = parseCertificate(check.caCertificate, `CA certificate of ${check.mspId}`, verifier);
  if (cert.ca) {
    // As Fabric's MSP does: a CA certificate never acts as an identity.
    throw new MgmtError('MGMT_BAD_CERTIFICATE', `certificate of ${check.mspId} is a CA certificate`);
  }
  if (!verifier.issuedBy(cert, ca)) {
    throw new MgmtError('MGMT_BAD_CERTIFICATE', `certificate is not issued by the ${check.mspId} CA of the genesis params`);
  }
  if (!isValidAt(cert, check.atMs)) {
    throw new MgmtError(
      'MGMT_BAD_CERTIFICATE',
      `certificate of ${check.mspId} (valid ${cert.validFrom} to ${cert.validTo}) is not valid at ${new Date(check.atMs).toISOString()}`,
    );
  }
  if (isNodeIdentity(cert)) {
    throw new MgmtError('MGMT_BAD_CERTIFICATE', `certificate of ${check.mspId} is a peer or orderer identity`);
  }
  p256PublicKey(cert);
  return cert;
}
