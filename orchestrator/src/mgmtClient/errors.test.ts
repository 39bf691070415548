/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { Metadata, status } from '@grpc/grpc-js';
import type { ServiceError } from '@grpc/grpc-js';
import { CommitError, EndorseError, GatewayError } from '@hyperledger/fabric-gateway';
import { isConflict, isRefusal, LedgerCallError, LedgerUnavailableError, MgmtRefusalError, toLedgerError, TransactionInvalidError } from './errors';

function serviceError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${details}`), { code, details, metadata: new Metadata() });
}

describe('toLedgerError', () => {
  it('reads the MGMT_ code of an endorsement refusal from the error details', () => {
    const err = new EndorseError({
      code: status.ABORTED,
      details: [{ address: '127.0.0.1:7051', mspId: 'Org1MSP', message: 'chaincode response 500, MGMT_NOT_PROPOSER: expected Org2MSP for cycle 0, got Org1MSP' }],
      cause: serviceError(status.ABORTED, 'failed to endorse transaction'),
      transactionId: 'tx1',
      message: 'failed to endorse transaction, see attached details for more info',
    });
    const wrapped = toLedgerError(err, 'Propose', 'submit');
    expect(wrapped).toBeInstanceOf(MgmtRefusalError);
    expect(wrapped).toMatchObject({ name: 'MgmtRefusalError', code: 'MGMT_NOT_PROPOSER', step: 'endorse', transaction: 'Propose', transactionId: 'tx1' });
    expect(wrapped.message).toBe('MGMT_NOT_PROPOSER: expected Org2MSP for cycle 0, got Org1MSP');
    expect(wrapped.cause).toBe(err);
    expect(isRefusal(wrapped, 'MGMT_NOT_PROPOSER')).toBe(true);
    expect(isRefusal(wrapped, 'MGMT_DUPLICATE_VOTE')).toBe(false);
  });

  it.each([
    ['UNAVAILABLE', status.UNAVAILABLE],
    ['DEADLINE_EXCEEDED', status.DEADLINE_EXCEEDED],
  ])('classifies %s as unavailable', (name, code) => {
    const err = new GatewayError({ code, details: [], cause: serviceError(code, 'No connection established') });
    const wrapped = toLedgerError(err, 'GetRound', 'evaluate');
    expect(wrapped).toBeInstanceOf(LedgerUnavailableError);
    expect(wrapped).toMatchObject({ name: 'LedgerUnavailableError', code: name, grpcCode: code, step: 'evaluate' });
  });

  it('classifies an invalid commit by its validation code (MVCC_READ_CONFLICT = 11)', () => {
    const err = new CommitError({ code: 11, transactionId: 'tx2', message: 'Transaction tx2 failed to commit with status code 11 (MVCC_READ_CONFLICT)' });
    const wrapped = toLedgerError(err, 'Tally', 'submit');
    expect(wrapped).toBeInstanceOf(TransactionInvalidError);
    expect(wrapped).toMatchObject({ code: 'MVCC_READ_CONFLICT', validationCode: 11, step: 'commit', transactionId: 'tx2' });
    expect(isConflict(wrapped)).toBe(true);
  });

  it('keeps other failures as LedgerCallError with the gRPC status name, and passes wrapped errors through', () => {
    const err = new GatewayError({ code: status.UNKNOWN, details: [{ address: 'a', mspId: 'Org1MSP', message: 'chaincode response 500, something else' }], cause: serviceError(status.UNKNOWN, 'x') });
    const wrapped = toLedgerError(err, 'GetRound', 'evaluate');
    expect(wrapped.constructor).toBe(LedgerCallError);
    expect(wrapped).toMatchObject({ code: 'UNKNOWN', step: 'evaluate' });
    expect(toLedgerError(wrapped, 'x', 'submit')).toBe(wrapped);
    expect(toLedgerError(new Error('boom'), 'Vote', 'submit')).toMatchObject({ name: 'LedgerCallError', code: 'UNKNOWN', message: 'Vote failed: boom' });
  });
});
