/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Chaincode support: chaincode-as-a-service processes and the peer side of their protocol.
 */
export type { HistoryEntry, KeyValue, RangePage, StateAccess } from './stateAccess';
export { ChaincodeError } from './errors';
export { ccaasPackageId } from './packageId';
export { QUERY_BATCH_SIZE, TOTAL_QUERY_LIMIT } from './queryResponses';
export { ChaincodeRuntime } from './runtime';
export type { ChaincodeErrorCode } from './errors';
export type { ChaincodeTls } from './dial';
export type { ChaincodeExitInfo, ChaincodeLaunch, ChaincodeRuntimeEvents } from './launcher';
export type { ChaincodeRuntimeOptions } from './runtime';
export type { InvokeRequest, InvokeResult } from './transactionContext';
