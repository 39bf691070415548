/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Fakes of what a member's gateway answers when a submit's outcome is unknown, for the unit tests
 * of the management client and of its tracing: fabric-gateway's own error classes and a real
 * qscc ProcessedTransaction, so the code under test reads them as it reads the real ones.
 */
import { Metadata, status } from '@grpc/grpc-js';
import { GatewayError } from '@hyperledger/fabric-gateway';
import { SubmitError } from '@hyperledger/fabric-gateway/dist/submiterror';
import { common, peer } from '@hyperledger/fabric-protos';
import type { MgmtQueryCalls } from '../mgmtClient/client';

const bytes = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));

/** What qscc's GetTransactionByID answers for a committed endorser transaction with `result` as its chaincode response. */
export function processedTransaction(result: unknown, validationCode: number): Uint8Array {
  const response = new peer.Response();
  response.setStatus(200);
  response.setPayload(bytes(result));
  const chaincodeAction = new peer.ChaincodeAction();
  chaincodeAction.setResponse(response);
  const responsePayload = new peer.ProposalResponsePayload();
  responsePayload.setExtension$(chaincodeAction.serializeBinary());
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(responsePayload.serializeBinary());
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setAction(endorsed);
  const action = new peer.TransactionAction();
  action.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.setActionsList([action]);
  const payload = new common.Payload();
  payload.setData(transaction.serializeBinary());
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  const processed = new peer.ProcessedTransaction();
  processed.setTransactionenvelope(envelope);
  processed.setValidationcode(validationCode);
  return processed.serializeBinary();
}

/** The gateway's answer when too few SmartBFT orderers accepted a transaction (fabric internal/pkg/gateway/submit.go). */
export function quorumNotReached(transactionId: string): SubmitError {
  return new SubmitError({
    code: status.UNAVAILABLE,
    details: [
      { address: '127.0.0.1:17050', mspId: 'Org1MSP', message: 'received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=failed to submit request: request already processed' },
      { address: '127.0.0.1:17060', mspId: 'Org2MSP', message: 'received unsuccessful response from orderer: status=SERVICE_UNAVAILABLE, info=failed to submit request: request already processed' },
    ],
    cause: Object.assign(new Error('14 UNAVAILABLE: insufficient number of orderers could successfully process transaction to satisfy quorum requirement'), { code: status.UNAVAILABLE, details: 'x', metadata: new Metadata() }),
    transactionId,
  });
}

/** qscc on the channel `mgmt`: the transaction's ProcessedTransaction once `committedAfter` lookups have said "no such transaction ID". */
export function qscc(calls: string[], answer: Uint8Array | undefined, committedAfter = 0): MgmtQueryCalls {
  let lookups = 0;
  return {
    evaluateTransaction: (name, ...args) => {
      calls.push(`qscc ${name}(${args.join(', ')})`);
      if (answer === undefined || lookups++ < committedAfter) return Promise.reject(new GatewayError({ code: status.UNKNOWN, details: [{ address: 'peer0:7051', mspId: 'Org1MSP', message: `no such transaction ID [${args[1]}] in index` }], cause: Object.assign(new Error('2 UNKNOWN'), { code: status.UNKNOWN, details: 'x', metadata: new Metadata() }) }));
      return Promise.resolve(answer);
    },
  };
}
