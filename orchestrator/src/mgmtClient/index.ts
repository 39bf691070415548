/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The orchestrator's one client of the management chain: the contract's transactions, queries
 * and events, typed (./client); the one translation of gateway errors (./errors); the one
 * reconnecting event follower (./events).
 */
export { decodeEvent, DEFAULT_COMMIT_LOOKUP_MS, DEFAULT_MGMT_CHAINCODE, fetchBlocks, MgmtClient, MgmtReader, readProcessedTransaction } from './client';
export type {
  CommitFound,
  CommittedTransaction,
  DecodedEvent,
  EventStream,
  EventStreamOptions,
  MgmtClientOptions,
  MgmtConnection,
  MgmtContractCalls,
  MgmtEvent,
  MgmtEventSource,
  MgmtNetwork,
  MgmtQueryCalls,
  MgmtQueryName,
  MgmtQueryNetwork,
  MgmtReaderOptions,
  MgmtTransactionLookup,
  MgmtTransactionName,
  TallyResult,
  UpdateSignatureInput,
} from './client';
export {
  CONFLICT_VALIDATION_CODES,
  decodeJson,
  isConflict,
  isRefusal,
  LedgerCallError,
  LedgerUnavailableError,
  MgmtRefusalError,
  toLedgerError,
  TransactionInvalidError,
} from './errors';
export type { LedgerCallErrorProperties, LedgerStep } from './errors';
export { MgmtEventFollower, openFileCheckpointer } from './events';
export type { FollowFailure, MgmtEventFollowerOptions } from './events';
