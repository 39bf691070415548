/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The verified-signature memory of a channel's MSPs: a repeat of a verified (identity, message,
 * signature) skips the curve arithmetic, and nothing else does.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { rmSync } from 'node:fs';
import { MspRegistry, mspDefinitionFromFolder } from 'fabric-config/msp';
import type { MspDefinition, OrgCrypto, SigningIdentity } from 'fabric-config/msp';
import { generateTestOrgs, signerOf } from 'fabric-config/testing';
import { MAX_REMEMBERED_MESSAGE_BYTES, VerifiedSignatureRegistry } from './verifiedSignatures';

let root: string;
let orgs: OrgCrypto[];
let definitions: MspDefinition[];
let user1: SigningIdentity;
let admin1: SigningIdentity;
let user2: SigningIdentity;

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('devnet-verified', 2));
  definitions = orgs.map((o) => mspDefinitionFromFolder(o.mspDir, o.mspId));
  user1 = signerOf(orgs, '1.user');
  admin1 = signerOf(orgs, '1.admin');
  user2 = signerOf(orgs, '2.user');
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

afterEach(() => {
  jest.restoreAllMocks();
});

/** Counts the ECDSA verifications the registry really performs. */
const countVerifications = (): { readonly calls: number } => {
  const spy = jest.spyOn(MspRegistry.prototype, 'verify');
  return {
    get calls() {
      return spy.mock.calls.length;
    },
  };
};

const message = Buffer.from('proposal bytes');

describe('VerifiedSignatureRegistry', () => {
  it('verifies a signature once and answers its repeats from memory', () => {
    const registry = new VerifiedSignatureRegistry(definitions);
    const identity = registry.deserialize(user1.serialize());
    const signature = user1.sign(message);
    const counter = countVerifications();
    expect(registry.verify(identity, message, signature)).toBe(true);
    expect(registry.verify(identity, Buffer.from(message), Buffer.from(signature))).toBe(true);
    expect(registry.verify(identity, message, signature)).toBe(true);
    expect(counter.calls).toBe(1);
  });

  it('refuses a bad signature every time, at full cost, also after the good one was remembered', () => {
    const registry = new VerifiedSignatureRegistry(definitions);
    const identity = registry.deserialize(user1.serialize());
    const good = user1.sign(message);
    expect(registry.verify(identity, message, good)).toBe(true);
    const bad = Buffer.from(good);
    bad[bad.length - 1] ^= 0x01;
    const counter = countVerifications();
    expect(registry.verify(identity, message, bad)).toBe(false);
    expect(registry.verify(identity, message, bad)).toBe(false);
    expect(counter.calls).toBe(2);
  });

  it('does not serve a remembered signature to another certificate, of the same MSP or another', () => {
    const registry = new VerifiedSignatureRegistry(definitions);
    const signature = user1.sign(message);
    expect(registry.verify(registry.deserialize(user1.serialize()), message, signature)).toBe(true);
    const counter = countVerifications();
    expect(registry.verify(registry.deserialize(admin1.serialize()), message, signature)).toBe(false);
    expect(registry.verify(registry.deserialize(user2.serialize()), message, signature)).toBe(false);
    expect(counter.calls).toBe(2);
  });

  it('does not serve a remembered signature for other message bytes', () => {
    const registry = new VerifiedSignatureRegistry(definitions);
    const identity = registry.deserialize(user1.serialize());
    const signature = user1.sign(message);
    expect(registry.verify(identity, message, signature)).toBe(true);
    expect(registry.verify(identity, Buffer.from('proposal bytez'), signature)).toBe(false);
    // A message that is a prefix plus the signature's first byte must not collide either.
    expect(registry.verify(identity, Buffer.concat([message, signature.subarray(0, 1)]), signature.subarray(1))).toBe(false);
  });

  it('still checks the identity against the clock: an expired certificate is refused although its signature is remembered', () => {
    let now = new Date();
    const registry = new VerifiedSignatureRegistry(definitions, { now: () => now });
    const identity = registry.deserialize(user1.serialize());
    const signature = user1.sign(message);
    expect(registry.verify(identity, message, signature)).toBe(true);
    now = new Date(Date.parse(identity.certificate.validTo) + 1000);
    expect(() => registry.deserialize(user1.serialize())).toThrow(/expired or is not yet valid/);
  });

  it('verifies a large message every time, where remembering it would cost as much hashing as it saves', () => {
    const registry = new VerifiedSignatureRegistry(definitions);
    const identity = registry.deserialize(user1.serialize());
    const large = Buffer.alloc(MAX_REMEMBERED_MESSAGE_BYTES + 1, 7);
    const signature = user1.sign(large);
    const counter = countVerifications();
    expect(registry.verify(identity, large, signature)).toBe(true);
    expect(registry.verify(identity, large, signature)).toBe(true);
    expect(counter.calls).toBe(2);
  });

  it('forgets the oldest signature beyond its size, which is then verified again', () => {
    const registry = new VerifiedSignatureRegistry(definitions, { verifiedCacheSize: 1 });
    const identity = registry.deserialize(user1.serialize());
    const first = user1.sign(message);
    const other = Buffer.from('another message');
    const second = user1.sign(other);
    const counter = countVerifications();
    expect(registry.verify(identity, message, first)).toBe(true);
    expect(registry.verify(identity, other, second)).toBe(true);
    expect(registry.verify(identity, message, first)).toBe(true);
    expect(counter.calls).toBe(3);
  });
});
