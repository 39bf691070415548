/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Failures of the chaincode runtime itself. A chaincode that refuses a transaction answers with a
 * response (status 500), which is a result and not one of these.
 */

/** Why the runtime could not run a transaction or a chaincode; `message` matches the Fabric peer's text where one exists. */
/**
 * `SEND_FAILED`: the transaction could not be sent to the chaincode (it is larger than gRPC's
 * message limit); the message is the peer's "transaction returned with failure: [txid] error
 * sending TRANSACTION: ..." and the stream stays up for every other transaction.
 */
export type ChaincodeErrorCode = 'NOT_RUNNING' | 'ALREADY_RUNNING' | 'LAUNCH_FAILED' | 'STREAM_TERMINATED' | 'TIMEOUT' | 'DUPLICATE_TXID' | 'SEND_FAILED';

/** A failure of the runtime itself (as opposed to a chaincode response with status 500). */
export class ChaincodeError extends Error {
  readonly code: ChaincodeErrorCode;
  readonly chaincodeName: string;
  readonly transactionId?: string;

  constructor(code: ChaincodeErrorCode, message: string, chaincodeName: string, transactionId?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ChaincodeError';
    this.code = code;
    this.chaincodeName = chaincodeName;
    this.transactionId = transactionId;
  }
}
