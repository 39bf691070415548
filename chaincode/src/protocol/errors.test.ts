/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { BlockVerificationError, MGMT_ERRORS, MgmtError, isMgmtError, mgmtErrorCodeOf } from './errors';

describe('MgmtError', () => {
  it('formats CODE: detail, which is all that crosses the shim', () => {
    const err = new MgmtError('MGMT_NOT_PROPOSER', 'expected Org2MSP, got Org3MSP');
    expect(err).toBeInstanceOf(Error);
    expect(err).toMatchObject({ name: 'MgmtError', code: 'MGMT_NOT_PROPOSER', message: 'MGMT_NOT_PROPOSER: expected Org2MSP, got Org3MSP' });
  });

  it('falls back to the registry text', () => {
    expect(new MgmtError('MGMT_NOT_INITIALISED').message).toBe(`MGMT_NOT_INITIALISED: ${MGMT_ERRORS.MGMT_NOT_INITIALISED}`);
  });

  it('names height and reason of an invalid block', () => {
    const err = new BlockVerificationError(7, 'bad prevHash');
    expect(err).toBeInstanceOf(MgmtError);
    expect(err).toMatchObject({ name: 'BlockVerificationError', code: 'MGMT_INVALID_BLOCK', height: 7, reason: 'bad prevHash' });
    expect(err.message).toBe('MGMT_INVALID_BLOCK: height 7: bad prevHash');
    expect(isMgmtError(err, 'MGMT_INVALID_BLOCK')).toBe(true);
    expect(isMgmtError(err, 'MGMT_BAD_ARGUMENT')).toBe(false);
  });

  it('registers every code under its own name', () => {
    for (const code of Object.keys(MGMT_ERRORS)) {
      expect(code).toMatch(/^MGMT_[A-Z_]+$/);
    }
  });
});

describe('mgmtErrorCodeOf', () => {
  it('reads the code back from a gateway error message', () => {
    expect(mgmtErrorCodeOf('chaincode response 500, MGMT_DUPLICATE_VOTE: Org1MSP already voted')).toBe('MGMT_DUPLICATE_VOTE');
    expect(mgmtErrorCodeOf('MGMT_NOT_A_CODE: x')).toBeUndefined();
    expect(mgmtErrorCodeOf('timeout')).toBeUndefined();
  });
});
