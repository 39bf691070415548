/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { genesisMembersProblem } from './memberPrimary';

const consortium = [
  { mspId: 'Org1MSP', caCertificate: 'CA1' },
  { mspId: 'Org2MSP', caCertificate: 'CA2' },
];

describe('genesisMembersProblem', () => {
  it('accepts a genesis naming exactly the consortium, whatever the order and line endings', () => {
    expect(genesisMembersProblem([{ mspId: 'Org2MSP', caCertificate: 'CA2\r\n' }, { mspId: 'Org1MSP', caCertificate: 'CA1' }], consortium)).toBeUndefined();
  });

  it('refuses a genesis that names only a quorum of the consortium (a minority could seal it): a member admitted later anchors the chain by its hash', () => {
    const five = [1, 2, 3, 4, 5].map((i) => ({ mspId: `Org${i}MSP`, caCertificate: `CA${i}` }));
    expect(genesisMembersProblem(five.slice(0, 4), five)).toMatch(/missing Org5MSP/);
  });

  it("accepts a member's CA that the verified chain rotated to later (its connection file after a rotation), and only that one", () => {
    const rotated = [consortium[0], { mspId: 'Org2MSP', caCertificate: 'CA2-NEW' }];
    expect(genesisMembersProblem(consortium, rotated)).toMatch(/another CA certificate for Org2MSP/);
    expect(genesisMembersProblem(consortium, rotated, [{ mspId: 'Org2MSP', caCertificate: 'CA2-NEW\r\n' }])).toBeUndefined();
    expect(genesisMembersProblem(consortium, rotated, [{ mspId: 'Org1MSP', caCertificate: 'CA2-NEW' }])).toMatch(/another CA certificate for Org2MSP/);
  });

  it.each([
    ['a genesis naming one member only', [{ mspId: 'Org1MSP', caCertificate: 'CA1' }], /missing Org2MSP/],
    ['an unknown member', [...consortium, { mspId: 'Org9MSP', caCertificate: 'CA9' }], /unknown Org9MSP/],
    ['another CA for a member', [{ mspId: 'Org1MSP', caCertificate: 'EVIL' }, consortium[1]], /another CA certificate for Org1MSP/],
  ])('refuses %s', (_name, genesis, message) => {
    expect(genesisMembersProblem(genesis, consortium)).toMatch(message);
  });
});
