/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * An X.509 certificate read without node:crypto, for the protocol core in the browser. It
 * exposes exactly what the core reads from Node's `X509Certificate` (subject, validity, `ca`,
 * the public key as `ec`/`prime256v1` with a JWK export) and what the browser verifier needs
 * (issuer check, signature check), with Node's spelling of each value, so that the core's
 * messages read the same in the browser as on the command line.
 *
 * DOM-free on purpose: the unit tests run it under Node beside the real `X509Certificate`.
 */
import { ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_keyUsage,
  id_ce_subjectKeyIdentifier,
  KeyUsage,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import type { Name } from '@peculiar/asn1-x509';
import { p256 } from '@noble/curves/nist';
import { sha256, sha384 } from '@noble/hashes/sha2';

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
/** Named curves by OID, with OpenSSL's names (what Node's `namedCurve` reports). */
const CURVES: Readonly<Record<string, string>> = {
  '1.2.840.10045.3.1.7': 'prime256v1',
  '1.3.132.0.34': 'secp384r1',
  '1.3.132.0.35': 'secp521r1',
};
/** ECDSA signature algorithms a P-256 CA may sign a certificate with. */
const ECDSA_HASHES: Readonly<Record<string, (data: Uint8Array) => Uint8Array>> = {
  '1.2.840.10045.4.3.2': sha256,
  '1.2.840.10045.4.3.3': sha384,
};
/** OpenSSL's short names of the attribute types Fabric certificates use. */
const SHORT_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.17': 'postalCode',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
};
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** The JWK of an EC public key, as Node's `KeyObject.export({ format: 'jwk' })` gives it. */
export interface EcJwk {
  readonly kty: 'EC';
  readonly crv: string;
  readonly x: string;
  readonly y: string;
}

/** The part of Node's `KeyObject` the core reads. */
export interface CertificatePublicKey {
  readonly asymmetricKeyType: string;
  readonly asymmetricKeyDetails: { readonly namedCurve?: string };
  export(options: { format: 'jwk' }): EcJwk;
}

function base64url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function hex(bytes: Uint8Array, separator = ''): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(separator);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

/** Node's (OpenSSL's) text of a time: `Jan  1 00:00:00 2020 GMT`, which Date.parse reads. */
export function opensslTime(date: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[date.getUTCMonth()]} ${String(date.getUTCDate()).padStart(2, ' ')} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} ${date.getUTCFullYear()} GMT`;
}

/** Node's multi-line text of a name: one `SN=value` line per RDN, multi-valued RDNs joined by ` + `. */
function nameText(name: Name): string {
  return name
    .map((rdn) => rdn.map((attribute) => `${SHORT_NAMES[attribute.type] ?? attribute.type}=${attribute.value.toString().replace(/\+/g, '\\+')}`).join(' + '))
    .join('\n');
}

/** The bytes of a PEM certificate, or a throw naming why not. */
function pemToDer(pem: string): Uint8Array {
  const match = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----/.exec(pem);
  if (match === null) throw new Error('no PEM certificate block');
  const binary = atob(match[1].replace(/\s+/g, ''));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** A parsed certificate with Node's `X509Certificate` field names (the ones the core reads). */
export class BrowserCertificate {
  readonly raw: Uint8Array;
  readonly subject: string;
  readonly issuer: string;
  readonly validFrom: string;
  readonly validTo: string;
  readonly serialNumber: string;
  /** As Node's `ca`: basic constraints CA:TRUE, and key usage (when present) allows certificate signing. */
  readonly ca: boolean;
  readonly publicKey: CertificatePublicKey;
  readonly fingerprint256: string;
  private readonly parsed: Certificate;
  /** SEC1 point of an EC key; empty for other keys. */
  private readonly point: Uint8Array;

  constructor(pem: string) {
    this.raw = pemToDer(pem);
    this.parsed = AsnConvert.parse(this.raw, Certificate);
    const tbs = this.parsed.tbsCertificate;
    this.subject = nameText(tbs.subject);
    this.issuer = nameText(tbs.issuer);
    this.validFrom = opensslTime(tbs.validity.notBefore.getTime());
    this.validTo = opensslTime(tbs.validity.notAfter.getTime());
    this.serialNumber = hex(new Uint8Array(tbs.serialNumber));
    this.fingerprint256 = hex(sha256(this.raw), ':');
    const constraints = this.extension(id_ce_basicConstraints, BasicConstraints);
    const usage = this.extension(id_ce_keyUsage, KeyUsage);
    this.ca = constraints?.cA === true && (usage === undefined || usage.toJSON().includes('keyCertSign'));
    const spki = tbs.subjectPublicKeyInfo;
    const isEc = spki.algorithm.algorithm === EC_PUBLIC_KEY;
    const curveOid = isEc && spki.algorithm.parameters !== null && spki.algorithm.parameters !== undefined ? AsnConvert.parse(spki.algorithm.parameters, ECParameters).namedCurve : undefined;
    const namedCurve = curveOid === undefined ? undefined : CURVES[curveOid];
    this.point = namedCurve === 'prime256v1' ? p256.Point.fromBytes(new Uint8Array(spki.subjectPublicKey)).toBytes(false) : new Uint8Array();
    const point = this.point;
    this.publicKey = {
      asymmetricKeyType: isEc ? 'ec' : 'unknown',
      asymmetricKeyDetails: namedCurve === undefined ? {} : { namedCurve },
      export(): EcJwk {
        if (point.length !== 65) throw new Error('only P-256 keys export to JWK here');
        return { kty: 'EC', crv: 'P-256', x: base64url(point.slice(1, 33)), y: base64url(point.slice(33)) };
      },
    };
  }

  private extension<T>(oid: string, type: new () => T): T | undefined {
    const found = this.parsed.tbsCertificate.extensions?.find((e) => e.extnID === oid);
    return found === undefined ? undefined : AsnConvert.parse(found.extnValue, type);
  }

  /** The uncompressed SEC1 P-256 key, or undefined for any other key. */
  p256Point(): Uint8Array | undefined {
    return this.point.length === 65 ? this.point : undefined;
  }

  /**
   * As OpenSSL's `X509_check_issued(ca, this)`: the issuer name is the CA's subject, the authority
   * key identifier (when both sides have one) is the CA's subject key identifier, and the CA's
   * key usage (when present) allows certificate signing. The signature is {@link verifiedBy}'s.
   */
  checkIssued(ca: BrowserCertificate): boolean {
    const tbs = this.parsed.tbsCertificate;
    const caTbs = ca.parsed.tbsCertificate;
    if (!equalBytes(new Uint8Array(AsnConvert.serialize(tbs.issuer)), new Uint8Array(AsnConvert.serialize(caTbs.subject)))) return false;
    const aki = this.extension(id_ce_authorityKeyIdentifier, AuthorityKeyIdentifier)?.keyIdentifier;
    const ski = ca.extension(id_ce_subjectKeyIdentifier, SubjectKeyIdentifier);
    if (aki !== undefined && ski !== undefined && !equalBytes(new Uint8Array(aki.buffer), new Uint8Array(ski.buffer))) return false;
    const usage = ca.extension(id_ce_keyUsage, KeyUsage);
    return usage === undefined || usage.toJSON().includes('keyCertSign');
  }

  /** Whether this certificate's signature verifies under the CA's P-256 key (ECDSA with SHA-256 or SHA-384). */
  verifiedBy(ca: BrowserCertificate): boolean {
    const key = ca.p256Point();
    const hash = ECDSA_HASHES[this.parsed.signatureAlgorithm.algorithm];
    if (key === undefined || hash === undefined) return false;
    try {
      const digest = hash(new Uint8Array(this.parsed.tbsCertificateRaw ?? AsnConvert.serialize(this.parsed.tbsCertificate)));
      // Certificate signatures, unlike votes, may have a high S (OpenSSL accepts both).
      return p256.verify(new Uint8Array(this.parsed.signatureValue), digest, key, { prehash: false, lowS: false, format: 'der' });
    } catch {
      return false;
    }
  }
}
