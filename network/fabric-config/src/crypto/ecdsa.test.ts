import { describe, expect, it } from '@jest/globals';
import { createHash, generateKeyPairSync, verify as nodeVerify } from 'node:crypto';
import { p256 } from '@noble/curves/nist';
import { sha256, signLowS, verifyLowS } from './ecdsa';

const N = p256.Point.CURVE().n;
const HALF_N = N >> 1n;

function newKeyPair(namedCurve = 'prime256v1'): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function flipS(der: Uint8Array): Uint8Array {
  const sig = p256.Signature.fromBytes(der, 'der');
  return new p256.Signature(sig.r, N - sig.s).toBytes('der');
}

describe('sha256', () => {
  it('matches node:crypto', () => {
    const data = Buffer.from('fabric');
    expect(sha256(data).equals(createHash('sha256').update(data).digest())).toBe(true);
  });
});

describe('signLowS / verifyLowS', () => {
  const keys = newKeyPair();
  const message = Buffer.from('proposal bytes');

  it('always emits low-S DER signatures that verify', () => {
    for (let i = 0; i < 64; i++) {
      const der = signLowS(keys.privateKeyPem, message);
      expect(p256.Signature.fromBytes(der, 'der').s <= HALF_N).toBe(true);
      expect(verifyLowS(keys.publicKeyPem, message, der)).toBe(true);
    }
  });

  it('signs SHA-256 of the message, so @noble/curves verifies it over the digest with lowS', () => {
    const der = signLowS(keys.privateKeyPem, message);
    const spkiDer = Buffer.from(keys.publicKeyPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const point = spkiDer.subarray(spkiDer.length - 65);
    expect(p256.verify(der, sha256(message), point, { prehash: false, lowS: true, format: 'der' })).toBe(true);
  });

  it('refuses a high-S signature that node:crypto itself would accept', () => {
    const highS = flipS(signLowS(keys.privateKeyPem, message));
    expect(nodeVerify('sha256', message, keys.publicKeyPem, highS)).toBe(true);
    expect(verifyLowS(keys.publicKeyPem, message, highS)).toBe(false);
  });

  it('accepts a public or private KeyObject as the key', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const der = signLowS(privateKey, message);
    expect(verifyLowS(publicKey, message, der)).toBe(true);
    expect(verifyLowS(privateKey, message, der)).toBe(true);
  });

  it.each([
    ['a different message', (der: Uint8Array): [Uint8Array, Uint8Array] => [Buffer.from('other'), der]],
    ['a flipped bit', (der: Uint8Array): [Uint8Array, Uint8Array] => [message, Buffer.from(der).fill(der[10] ^ 1, 10, 11)]],
    ['an empty signature', (): [Uint8Array, Uint8Array] => [message, new Uint8Array()]],
    ['random bytes', (): [Uint8Array, Uint8Array] => [message, Buffer.alloc(70, 0x5a)]],
    ['a trailing byte', (der: Uint8Array): [Uint8Array, Uint8Array] => [message, Buffer.concat([der, Buffer.from([0])])]],
    ['the compact (r||s) form', (der: Uint8Array): [Uint8Array, Uint8Array] => [message, p256.Signature.fromBytes(der, 'der').toBytes('compact')]],
    ['a zero r', (): [Uint8Array, Uint8Array] => [message, Buffer.from([0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01])]],
  ])('refuses %s without throwing', (_name, mutate) => {
    const [msg, sig] = mutate(signLowS(keys.privateKeyPem, message));
    expect(verifyLowS(keys.publicKeyPem, msg, sig)).toBe(false);
  });

  it('refuses the wrong key, a garbage key and a non-P-256 key without throwing', () => {
    const der = signLowS(keys.privateKeyPem, message);
    expect(verifyLowS(newKeyPair().publicKeyPem, message, der)).toBe(false);
    expect(verifyLowS('not a key', message, der)).toBe(false);
    expect(verifyLowS(newKeyPair('secp384r1').publicKeyPem, message, der)).toBe(false);
  });

  it('throws when asked to sign with a public or non-P-256 key', () => {
    expect(() => signLowS(keys.publicKeyPem, message)).toThrow();
    expect(() => signLowS(newKeyPair('secp384r1').privateKeyPem, message)).toThrow(/P-256/);
  });
});
