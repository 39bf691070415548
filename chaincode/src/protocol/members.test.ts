/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { compareMspIds, findMember, isStrictlySorted, sortMembers } from './members';

describe('member order', () => {
  it('is UTF-8 byte order, which differs from JavaScript string order for astral characters', () => {
    const fullwidth = '\uFF5EMSP';
    const emoji = '\u{1F600}MSP';
    expect([emoji, fullwidth].sort()).toEqual([emoji, fullwidth]);
    expect(sortMembers([{ mspId: emoji }, { mspId: fullwidth }]).map((m) => m.mspId)).toEqual([fullwidth, emoji]);
  });

  it('puts upper case before lower case and shorter prefixes first', () => {
    const ids = ['org1MSP', 'Org10MSP', 'Org1MSP', 'Org1'];
    expect(sortMembers(ids.map((mspId) => ({ mspId }))).map((m) => m.mspId)).toEqual(['Org1', 'Org10MSP', 'Org1MSP', 'org1MSP']);
    expect(compareMspIds('Org1MSP', 'Org1MSP')).toBe(0);
  });

  it('does not modify its input', () => {
    const members = [{ mspId: 'B' }, { mspId: 'A' }];
    sortMembers(members);
    expect(members[0]?.mspId).toBe('B');
  });

  it('detects unsorted and duplicate IDs', () => {
    expect(isStrictlySorted(['Org1MSP', 'Org2MSP', 'Org3MSP'])).toBe(true);
    expect(isStrictlySorted([])).toBe(true);
    expect(isStrictlySorted(['Org2MSP', 'Org1MSP'])).toBe(false);
    expect(isStrictlySorted(['Org1MSP', 'Org1MSP'])).toBe(false);
  });

  it('finds a member by MSP ID', () => {
    expect(findMember([{ mspId: 'A' }, { mspId: 'B' }], 'B')).toEqual({ mspId: 'B' });
    expect(findMember([{ mspId: 'A' }], 'a')).toBeUndefined();
  });
});
