/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Chaincode support: chaincode-as-a-service processes and the peer side of their protocol.
 */
export type { HistoryEntry, KeyValue, RangePage, StateAccess } from './stateAccess';
export {
  ccaasPackageId,
  ChaincodeError,
  ChaincodeRuntime,
  QUERY_BATCH_SIZE,
  TOTAL_QUERY_LIMIT,
} from './runtime';
export type {
  ChaincodeErrorCode,
  ChaincodeExitInfo,
  ChaincodeLaunch,
  ChaincodeRuntimeEvents,
  ChaincodeRuntimeOptions,
  ChaincodeTls,
  InvokeRequest,
  InvokeResult,
} from './runtime';
