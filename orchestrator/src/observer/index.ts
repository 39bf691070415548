/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The observer: follows the management chain's committed configuration blocks, verifies each with
 * the protocol core, keeps the verified chain on disk and hands every block on once, in order.
 */
export { Observer } from './observer';
export type { ObserverEvents, ObserverOptions } from './observer';
export { assertStateFolderFree, ChainStore, storedGenesisHash } from './chainStore';
export { ObserverError } from './errors';
export type { ObserverErrorCode, ObserverErrorOptions } from './errors';
export type {
  ConfigBlockReceipt,
  InboundConfigBlock,
  InboundFilter,
  Logger,
  ManagementNetwork,
  RejectedConfigBlock,
  RejectionCode,
  VerifiedConfigBlock,
} from './types';
