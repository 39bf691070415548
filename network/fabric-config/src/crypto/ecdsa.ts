/**
 * ECDSA P-256 over SHA-256 the way Fabric's BCCSP does it: DER signatures, and only low-S ones.
 *
 * Fabric rejects a signature whose S is above half the curve order (F vendored
 * `fabric-lib-go/bccsp/sw/ecdsa.go`, `utils/ecdsa.go`), because (r, s) and (r, n - s) are both
 * valid and would otherwise make every signed message malleable. `node:crypto` signs high-S half
 * of the time and verifies high-S happily, so both directions are normalised here.
 *
 * @packageDocumentation
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  X509Certificate,
} from 'node:crypto';
import { p256 } from '@noble/curves/nist';

/** Order of the P-256 group. */
const CURVE_ORDER: bigint = p256.Point.CURVE().n;
/** Fabric's `halfOrder` (N / 2, rounded down); S above it is "high". */
const HALF_ORDER: bigint = CURVE_ORDER >> 1n;
/** Width of r and s in an IEEE P1363 (r || s) P-256 signature. */
const SCALAR_BYTES = 32;

/**
 * SHA-256 of `data`.
 *
 * @param data - bytes to hash.
 * @returns the 32-byte digest.
 */
export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/**
 * Signs `message` as Fabric does: SHA-256, ECDSA P-256, S normalised to low-S, DER-encoded.
 *
 * @param privateKey - a PKCS#8 (or SEC1) PEM private key, or a `KeyObject` already parsed from one.
 * @param message - the bytes to sign (hashed here; do not pre-hash).
 * @returns the DER signature, always low-S.
 * @throws Error when the key cannot be parsed or is not an EC P-256 private key.
 * @example
 * ```ts
 * const signature = signLowS(readFileSync(keyPath, 'utf8'), proposalBytes);
 * ```
 */
export function signLowS(privateKey: string | KeyObject, message: Uint8Array): Buffer {
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.type !== 'private') {
    throw new Error(`signLowS needs a private key, got a ${key.type} key`);
  }
  assertP256(key);
  // P1363 gives fixed-width r || s, so S can be read and replaced without parsing DER.
  const raw = nodeSign('sha256', message, { key, dsaEncoding: 'ieee-p1363' });
  return toLowS(raw, 'der');
}

/**
 * Rewrites a P-256 signature to its low-S twin (s := n - s when s > n/2), which verifies against
 * the same key and message. For signatures made elsewhere (WebCrypto, `node:crypto`, X.509
 * generators) that Fabric would otherwise reject half of the time.
 *
 * @param signature - an IEEE P1363 (64-byte r || s) signature, as WebCrypto produces.
 * @param output - `'der'` for Fabric's wire form, `'p1363'` to keep WebCrypto's form.
 * @returns the low-S signature in the requested encoding.
 * @throws Error when `signature` is not 64 bytes or r/s are out of range.
 */
export function toLowS(signature: Uint8Array, output: 'der' | 'p1363'): Buffer {
  if (signature.length !== 2 * SCALAR_BYTES) {
    throw new Error(`expected a ${String(2 * SCALAR_BYTES)}-byte P1363 signature, got ${String(signature.length)} bytes`);
  }
  const r = bytesToBigInt(signature.subarray(0, SCALAR_BYTES));
  let s = bytesToBigInt(signature.subarray(SCALAR_BYTES));
  if (s > HALF_ORDER) {
    s = CURVE_ORDER - s;
  }
  const normalised = new p256.Signature(r, s);
  return Buffer.from(normalised.toBytes(output === 'der' ? 'der' : 'compact'));
}

/**
 * Verifies a Fabric signature: SHA-256, ECDSA P-256, strict DER, low-S only.
 *
 * Never throws: a malformed key, a non-P-256 key, a non-canonical DER encoding, r or s out of
 * range, a high-S signature or a wrong signature all give `false`, because callers turn any of
 * these into the same refusal.
 *
 * @param publicKeyOrCertPem - a PEM certificate, a PEM public key, or a public/private `KeyObject`.
 * @param message - the signed bytes (hashed here).
 * @param derSignature - the DER-encoded ECDSA signature.
 * @returns `true` only for a valid low-S signature of `message` by that key.
 * @throws never.
 */
export function verifyLowS(
  publicKeyOrCertPem: string | KeyObject,
  message: Uint8Array,
  derSignature: Uint8Array,
): boolean {
  try {
    const key = toPublicKey(publicKeyOrCertPem);
    if (!isP256(key)) {
      return false;
    }
    const compact = parseStrictLowS(derSignature);
    if (compact === undefined) {
      return false;
    }
    // The P1363 bytes come from the parsed (r, s), so OpenSSL checks exactly what was range-checked.
    return nodeVerify('sha256', message, { key, dsaEncoding: 'ieee-p1363' }, compact);
  } catch {
    return false;
  }
}

/**
 * Returns the P1363 (r || s) form of a canonical DER, low-S signature, or `undefined`.
 * Re-encoding and comparing rejects BER variants (long-form lengths, padded integers, trailing
 * bytes) that a lenient parser would accept, so one signature has exactly one accepted encoding.
 */
function parseStrictLowS(derSignature: Uint8Array): Uint8Array | undefined {
  let signature: InstanceType<typeof p256.Signature>;
  try {
    signature = p256.Signature.fromBytes(Uint8Array.from(derSignature), 'der');
  } catch {
    return undefined;
  }
  if (signature.r <= 0n || signature.r >= CURVE_ORDER || signature.s <= 0n || signature.s > HALF_ORDER) {
    return undefined;
  }
  if (Buffer.compare(Buffer.from(signature.toBytes('der')), Buffer.from(derSignature)) !== 0) {
    return undefined;
  }
  return signature.toBytes('compact');
}

function toPublicKey(input: string | KeyObject): KeyObject {
  if (typeof input !== 'string') {
    return input.type === 'private' ? createPublicKey(input) : input;
  }
  return input.includes('CERTIFICATE') ? new X509Certificate(input).publicKey : createPublicKey(input);
}

function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

function assertP256(key: KeyObject): void {
  if (!isP256(key)) {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    throw new Error(`expected an EC P-256 key, got ${key.asymmetricKeyType ?? 'unknown'}${curve ? ` ${curve}` : ''}`);
  }
}

function bytesToBigInt(bytes: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(bytes).toString('hex') || '0'}`);
}
