/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * One transaction while a chaincode runs it, as the peer keeps it (core/chaincode/transaction_context.go):
 * the request with the state it may touch, the queries it has open, and how it is settled.
 */
import type { peer } from '@hyperledger/fabric-protos';
import type { OpenQueries } from './queryResponses';
import type { StateAccess } from './stateAccess';

/** One transaction to execute on a launched chaincode. */
export interface InvokeRequest {
  channelId: string;
  txId: string;
  signedProposal: peer.SignedProposal;
  input: peer.ChaincodeInput;
  state: StateAccess;
  /** Send INIT instead of TRANSACTION. */
  isInit?: boolean;
  /** Defaults to the runtime's `executeTimeoutMs` (Fabric's `chaincode.executetimeout`, 30 s). */
  timeoutMs?: number;
}

/** What the chaincode answered. A status of 400 or more is a chaincode refusal, not a runtime failure. */
export interface InvokeResult {
  response: { status: number; message: string; payload: Uint8Array };
  /** The chaincode's `setEvent`; the peer adds chaincode_id and tx_id when it builds the ChaincodeAction. */
  event?: { eventName: string; payload: Uint8Array };
}

/** One transaction in flight on a chaincode stream. */
export interface TransactionContext {
  readonly key: string;
  readonly request: InvokeRequest;
  readonly namespace: string;
  done: boolean;
  /** Shim requests of one transaction are served one after another, in arrival order. */
  queue: Promise<void>;
  readonly queries: OpenQueries;
  timer?: NodeJS.Timeout;
  resolve(result: InvokeResult): void;
  reject(error: Error): void;
}

/** The peer keys transaction contexts by channel and txid (transaction_contexts.go). */
export function transactionKey(channelId: string, txId: string): string {
  return `${channelId}\u0000${txId}`;
}
