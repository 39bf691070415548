/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { createPrivateKey, createPublicKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';

import { beforeAll, describe, expect, it } from '@jest/globals';
import { p256 } from '@noble/curves/nist';

import { createTestOrg } from '../testing/pki';
import type { TestOrg } from '../testing/pki';
import { assertVoteSignature, decodeBase64Strict, signVote, verifyVoteSignature, voteMessage, voteText } from './signatures';

const hash = 'c0ffee'.padEnd(64, '0');
const badSignature = { name: 'MgmtError', code: 'MGMT_BAD_SIGNATURE' };

let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  org = await createTestOrg('Org1MSP');
  other = await createTestOrg('Org2MSP');
});

describe('vote messages', () => {
  it('are domain separated and distinguish approve from reject', () => {
    expect(voteText(hash, true)).toBe(`mgmt-cb-v1:approve:${hash}`);
    expect(voteText(hash, false)).toBe(`mgmt-cb-v1:reject:${hash}`);
    expect(Buffer.from(voteMessage(hash, true)).toString('utf8')).toBe(`mgmt-cb-v1:approve:${hash}`);
  });

  it('refuse a malformed hash', () => {
    expect(() => voteText(hash.toUpperCase(), true)).toThrow(expect.objectContaining({ code: 'MGMT_BAD_ARGUMENT' }));
  });
});

describe('signVote and verifyVoteSignature', () => {
  it('round-trip with the signer certificate', () => {
    const signature = signVote({ hash, approve: true, privateKeyPem: org.client.privateKeyPem });
    expect(verifyVoteSignature({ hash, approve: true, signature, certificate: org.client.certificate })).toBe(true);
  });

  it('produce low-S, deterministic signatures that Node verifies as plain ECDSA/SHA-256', () => {
    const signature = signVote({ hash, approve: false, privateKeyPem: org.client.privateKeyPem });
    expect(signVote({ hash, approve: false, privateKeyPem: org.client.privateKeyPem })).toBe(signature);
    const der = Buffer.from(signature, 'base64');
    expect(p256.Signature.fromBytes(der, 'der').hasHighS()).toBe(false);
    const publicKey = createPublicKey(org.client.certificate);
    expect(nodeVerify('sha256', voteMessage(hash, false), publicKey, der)).toBe(true);
  });

  it('accept a signature made by Node once its S is normalised, and refuse its high-S twin', () => {
    const key = createPrivateKey(org.client.privateKeyPem);
    let seenHigh = false;
    for (let i = 0; i < 40 && !seenHigh; i++) {
      const der = nodeSign('sha256', voteMessage(hash, true), key);
      const sig = p256.Signature.fromBytes(der, 'der');
      const lowS = sig.hasHighS() ? p256.Point.Fn.ORDER - sig.s : sig.s;
      const low = Buffer.from(new p256.Signature(sig.r, lowS).toBytes('der')).toString('base64');
      expect(verifyVoteSignature({ hash, approve: true, signature: low, certificate: org.client.certificate })).toBe(true);
      if (sig.hasHighS()) {
        seenHigh = true;
        const high = der.toString('base64');
        expect(() => {
          assertVoteSignature({ hash, approve: true, signature: high, certificate: org.client.certificate });
        }).toThrow(/high S/);
      }
    }
    expect(seenHigh).toBe(true);
  });

  it('never lets a rejection pass as an approval', () => {
    const rejection = signVote({ hash, approve: false, privateKeyPem: org.client.privateKeyPem });
    expect(() => {
      assertVoteSignature({ hash, approve: true, signature: rejection, certificate: org.client.certificate });
    }).toThrow(
      expect.objectContaining(badSignature),
    );
  });

  it('refuse a signature over another hash or by another key', () => {
    const signature = signVote({ hash, approve: true, privateKeyPem: org.client.privateKeyPem });
    expect(verifyVoteSignature({ hash: 'ab'.repeat(32), approve: true, signature, certificate: org.client.certificate })).toBe(false);
    expect(verifyVoteSignature({ hash, approve: true, signature, certificate: other.client.certificate })).toBe(false);
  });

  it.each([
    ['not base64', '!!!!', /canonical base64/],
    ['base64 with whitespace', 'MEUC IQ==', /canonical base64/],
    ['base64 without padding', 'MEU', /canonical base64/],
    ['not DER', Buffer.from('hello world!').toString('base64'), /not DER/],
  ])('refuse a signature that is %s', (_label, signature, message) => {
    expect(() => {
      assertVoteSignature({ hash, approve: true, signature, certificate: org.client.certificate });
    }).toThrow(message);
  });

  it('refuse non-canonical DER (a padded integer)', () => {
    const sig = p256.Signature.fromBytes(Buffer.from(signVote({ hash, approve: true, privateKeyPem: org.client.privateKeyPem }), 'base64'), 'der');
    const r = Buffer.from(sig.r.toString(16).padStart(64, '0'), 'hex');
    const s = Buffer.from(sig.s.toString(16).padStart(64, '0'), 'hex');
    // r with two redundant leading zero bytes: BER, not DER.
    const rInt = Buffer.concat([Buffer.from([0x02, r.length + 2, 0, 0]), r]);
    const sInt = Buffer.concat([Buffer.from([0x02, s.length + 1, 0]), s]);
    const body = Buffer.concat([rInt, sInt]);
    const ber = Buffer.concat([Buffer.from([0x30, body.length]), body]).toString('base64');
    expect(verifyVoteSignature({ hash, approve: true, signature: ber, certificate: org.client.certificate })).toBe(false);
  });

  it('refuse a signer key that is not P-256', async () => {
    const p384 = await org.issue({ curve: 'P-384' });
    expect(() => signVote({ hash, approve: true, privateKeyPem: p384.privateKeyPem })).toThrow(/P-256/);
    expect(() => signVote({ hash, approve: true, privateKeyPem: 'garbage' })).toThrow(
      expect.objectContaining({ code: 'MGMT_BAD_ARGUMENT' }),
    );
    const signature = signVote({ hash, approve: true, privateKeyPem: org.client.privateKeyPem });
    expect(() => {
      assertVoteSignature({ hash, approve: true, signature, certificate: p384.certificate });
    }).toThrow(
      expect.objectContaining({ code: 'MGMT_BAD_CERTIFICATE' }),
    );
  });
});

describe('decodeBase64Strict', () => {
  it('accepts only canonical padded base64', () => {
    expect(decodeBase64Strict('AAEC')).toEqual(Buffer.from([0, 1, 2]));
    expect(decodeBase64Strict('AAE=')).toEqual(Buffer.from([0, 1]));
    expect(decodeBase64Strict('AAF=')).toBeUndefined();
    expect(decodeBase64Strict('AA-_')).toBeUndefined();
    expect(decodeBase64Strict('')).toBeUndefined();
  });
});
