/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { expectedProposer, proposerIndex } from './proposer';

const hashArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((bytes) => Buffer.from(bytes).toString('hex'));
const members = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'].map((mspId) => ({ mspId }));

describe('proposer selection', () => {
  it('is (hash + FC) mod n on the full 256-bit hash', () => {
    const hash = `${'f'.repeat(63)}e`; // 2^256 - 2
    // 2^256 = 4^128 is 0 mod 4, so 2^256 - 2 is 2 mod 4.
    expect(proposerIndex(hash, 0, 4)).toBe(2);
    expect(proposerIndex(hash, 1, 4)).toBe(3);
    expect(proposerIndex(hash, 2, 4)).toBe(0);
    expect(expectedProposer(members, hash, 0)).toBe('Org3MSP');
    expect(proposerIndex('0'.repeat(64), 7, 3)).toBe(1);
  });

  it('matches the BigInt formula for any hash, FC and n', () => {
    fc.assert(
      fc.property(hashArb, fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 64 }), (hash, cycle, n) => {
        const expected = Number((BigInt(`0x${hash}`) + BigInt(cycle)) % BigInt(n));
        const index = proposerIndex(hash, cycle, n);
        return index === expected && index >= 0 && index < n;
      }),
    );
  });

  it('moves to the next member with every failed cycle', () => {
    fc.assert(
      fc.property(hashArb, fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 64 }), (hash, cycle, n) => {
        return proposerIndex(hash, cycle + 1, n) === (proposerIndex(hash, cycle, n) + 1) % n;
      }),
    );
  });

  it('gives every member exactly one turn in any n consecutive cycles (an absent member is passed)', () => {
    fc.assert(
      fc.property(hashArb, fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 32 }), (hash, start, n) => {
        const turns = new Set<number>();
        for (let i = 0; i < n; i++) {
          turns.add(proposerIndex(hash, start + i, n));
        }
        return turns.size === n;
      }),
    );
  });

  it.each([
    ['an uppercase hash', 'A'.repeat(64), 0, 4],
    ['a short hash', 'a'.repeat(63), 0, 4],
    ['a negative FC', 'a'.repeat(64), -1, 4],
    ['a fractional FC', 'a'.repeat(64), 0.5, 4],
    ['no members', 'a'.repeat(64), 0, 0],
  ])('refuses %s', (_label, hash, cycle, n) => {
    expect(() => proposerIndex(hash, cycle, n)).toThrow(expect.objectContaining({ code: 'MGMT_BAD_ARGUMENT' }));
  });
});
