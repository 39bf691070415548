/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The one encoding of an ECDSA P-256 signature a vote may carry: DER `SEQUENCE { INTEGER r,
 * INTEGER s }` with minimal lengths and minimal integers, 1 <= r, s < n, low S. Read byte by byte,
 * without big integers: an audit checks three of these a CB, and the round trip through
 * `@noble/curves` (parse, re-encode, compare) was a quarter of an audit's time besides ECDSA.
 * `derSignature.test.ts` checks that it accepts exactly what that round trip accepted.
 */

/** The P-256 group order n, big-endian. */
const ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
/** floor(n / 2): the largest low S. */
const HALF_ORDER = Buffer.from('7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8', 'hex');
const SCALAR_BYTES = 32;

/** A signature's r and s, each as 32 big-endian bytes. */
export interface SignatureScalars {
  readonly r: Buffer;
  readonly s: Buffer;
}

/** Why a signature is refused: not canonical DER (the reason), or a high S. */
export type DerSignatureVerdict = { readonly ok: true; readonly scalars: SignatureScalars } | { readonly ok: false; readonly notDer: string } | { readonly ok: false; readonly highS: true };

/** A DER INTEGER at `at`: its value bytes (sign byte dropped) and where the next element starts. */
function readInteger(der: Uint8Array, at: number, end: number, name: string): { value: Buffer; next: number } | string {
  if (at + 2 > end || der[at] !== 0x02) return `${name} is not an INTEGER`;
  const length = der[at + 1];
  // A scalar takes at most 33 bytes (a sign byte and 32), so a long-form length is never DER here.
  if (length === 0 || length > SCALAR_BYTES + 1) return `${name} has a length of ${length} bytes`;
  const start = at + 2;
  if (start + length > end) return `${name} runs past the signature`;
  if ((der[start] & 0x80) !== 0) return `${name} is negative`;
  if (der[start] === 0 && length > 1 && (der[start + 1] & 0x80) === 0) return `${name} has an unnecessary leading zero`;
  const value = Buffer.from(der.subarray(der[start] === 0 ? start + 1 : start, start + length));
  if (value.length > SCALAR_BYTES) return `${name} is larger than the group order`;
  return { value: leftPad(value), next: start + length };
}

function leftPad(bytes: Buffer): Buffer {
  if (bytes.length === SCALAR_BYTES) return bytes;
  const out = Buffer.alloc(SCALAR_BYTES);
  bytes.copy(out, SCALAR_BYTES - bytes.length);
  return out;
}

const isZero = (b: Buffer): boolean => b.every((x) => x === 0);

/**
 * Reads a vote signature's DER bytes.
 *
 * @returns its scalars when it is canonical DER with 1 <= r, s < n and a low S; otherwise why not.
 */
export function readDerSignature(der: Uint8Array): DerSignatureVerdict {
  if (der.length < 2 || der[0] !== 0x30) return { ok: false, notDer: 'not a SEQUENCE' };
  const length = der[1];
  // Two INTEGERs of at most 35 bytes each: below 128, so only the short form is DER.
  if ((length & 0x80) !== 0) return { ok: false, notDer: 'a long-form SEQUENCE length' };
  if (2 + length !== der.length) return { ok: false, notDer: `a SEQUENCE of ${length} bytes in ${der.length - 2}` };
  const r = readInteger(der, 2, der.length, 'r');
  if (typeof r === 'string') return { ok: false, notDer: r };
  const s = readInteger(der, r.next, der.length, 's');
  if (typeof s === 'string') return { ok: false, notDer: s };
  if (s.next !== der.length) return { ok: false, notDer: 'bytes after s' };
  for (const [name, value] of [['r', r.value], ['s', s.value]] as const) {
    if (isZero(value) || Buffer.compare(value, ORDER) >= 0) return { ok: false, notDer: `${name} is not between 1 and the group order` };
  }
  if (Buffer.compare(s.value, HALF_ORDER) > 0) return { ok: false, highS: true };
  return { ok: true, scalars: { r: r.value, s: s.value } };
}
