/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import type { ConfigBlock, GenesisParams } from 'mgmt-chaincode/dist/protocol';
import { membershipAt } from './chain';
import type { ChainVerdict } from './chain';

const params = (members: [string, string][]): GenesisParams => ({ members: members.map(([mspId, caCertificate]) => ({ mspId, caCertificate })) }) as unknown as GenesisParams;
const block = (height: number, p?: GenesisParams): ConfigBlock => ({ height, ...(p === undefined ? {} : { params: p }) }) as unknown as ConfigBlock;

describe('membershipAt', () => {
  const four = params([['Org1MSP', 'CA1'], ['Org2MSP', 'CA2'], ['Org3MSP', 'CA3'], ['Org4MSP', 'CA4']]);
  const five = params([['Org1MSP', 'CA1'], ['Org2MSP', 'CA2'], ['Org3MSP', 'CA3'], ['Org4MSP', 'CA4'], ['Org5MSP', 'CA5']]);
  const rotated = params([['Org1MSP', 'CA1'], ['Org2MSP', 'NEW'], ['Org3MSP', 'CA3'], ['Org5MSP', 'CA5']]);
  // Genesis, a CB admitting Org5, a CB without params, a CB removing Org4 and rotating Org2's CA.
  const verdict: ChainVerdict = {
    verified: [block(0, four), block(1, five), block(2), block(3, rotated)],
    paramsAt: [four, four, five, five],
  };

  it('names who a CB admits, removes or gives another CA, from the next height', () => {
    expect(membershipAt(verdict, 1)).toBe('admits Org5MSP');
    expect(membershipAt(verdict, 3)).toBe('removes Org4MSP, replaces the CA of Org2MSP');
  });

  it('is empty for genesis, a CB without params, and a height the browser did not verify', () => {
    expect(membershipAt(verdict, 0)).toBe('');
    expect(membershipAt(verdict, 2)).toBe('');
    expect(membershipAt(verdict, 7)).toBe('');
  });
});
