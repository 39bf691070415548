/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { createHash } from 'node:crypto';

import { describe, expect, it } from '@jest/globals';

import { hashHeader, headerOf } from './hash';
import type { ConfigBlock, GenesisParams } from './types';

const header = {
  height: 3,
  prevHash: 'ab'.repeat(32),
  proposer: 'Org2MSP',
  cycle: 1,
  timestamp: '2026-01-01T00:00:30.000Z',
  config: { maxMessageCount: 10, batchTimeoutMs: 2000 },
};

describe('headerOf', () => {
  it('keeps exactly the hashed fields above genesis', () => {
    const block = { ...header, hash: 'x', proof: [], sealedBy: 'tx1', params: { ignored: true } } as unknown as ConfigBlock;
    expect(Object.keys(headerOf(block)).sort()).toEqual(['config', 'cycle', 'height', 'prevHash', 'proposer', 'timestamp']);
  });

  it('adds params at height 0', () => {
    const params = { cbiSeconds: 1 } as unknown as GenesisParams;
    expect(headerOf({ ...header, height: 0, params }).params).toBe(params);
  });
});

describe('hashHeader', () => {
  it('is lowercase hex sha256 of the canonical JSON of the header', () => {
    const canonical =
      '{"config":{"batchTimeoutMs":2000,"maxMessageCount":10},"cycle":1,"height":3,' +
      `"prevHash":"${'ab'.repeat(32)}","proposer":"Org2MSP","timestamp":"2026-01-01T00:00:30.000Z"}`;
    expect(hashHeader(header)).toBe(createHash('sha256').update(canonical, 'utf8').digest('hex'));
  });

  it('does not depend on member order, proof or extra fields', () => {
    const reordered = { config: { batchTimeoutMs: 2000, maxMessageCount: 10 }, timestamp: header.timestamp, cycle: 1, proposer: 'Org2MSP', prevHash: header.prevHash, height: 3 };
    const withProof = { ...header, proof: [{ mspId: 'Org1MSP', certificate: 'c', signature: 's' }], txId: 'abc' };
    expect(hashHeader(reordered)).toBe(hashHeader(header));
    expect(hashHeader(withProof)).toBe(hashHeader(header));
  });

  it('changes with every header field', () => {
    const base = hashHeader(header);
    for (const changed of [
      { ...header, height: 4 },
      { ...header, prevHash: 'cd'.repeat(32) },
      { ...header, proposer: 'Org3MSP' },
      { ...header, cycle: 2 },
      { ...header, timestamp: '2026-01-01T00:00:30.001Z' },
      { ...header, config: { maxMessageCount: 11, batchTimeoutMs: 2000 } },
    ]) {
      expect(hashHeader(changed)).not.toBe(base);
    }
  });

  it('refuses a genesis header without params', () => {
    expect(() => hashHeader({ ...header, height: 0 })).toThrow(expect.objectContaining({ code: 'MGMT_INVALID_JSON' }));
  });
});
