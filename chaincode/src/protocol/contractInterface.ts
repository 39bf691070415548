/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The chaincode's public interface as constants, so that clients (orchestrator, tests) and the
 * contract spell names and limits the same way.
 */

/** Transaction names: submitted ones change the ledger, evaluated ones are queries. */
export const TRANSACTIONS = {
  submit: ['InitLedger', 'Propose', 'ProposeParams', 'Vote', 'Tally', 'ShareUpdateSignature'],
  evaluate: ['GetParams', 'GetMembers', 'GetLatest', 'GetBlock', 'GetBlocks', 'GetRound', 'GetUpdateSignatures'],
} as const;

/** Chaincode event names; payloads are UTF-8 JSON. */
export const EVENTS = {
  /** A proposal opened (payload: `Proposal`). */
  ProposalCreated: 'ProposalCreated',
  /** A vote was recorded (payload: `VoteCast`); lets clients submit `Tally` without polling. */
  VoteCast: 'VoteCast',
  /** A block was sealed (payload: `ConfigBlock`). */
  ConfigBlockCommitted: 'ConfigBlockCommitted',
  /** A cycle failed (payload: `CycleFailure`). */
  CycleFailed: 'CycleFailed',
  /**
   * A member admin's signature of a primary channel configuration update was recorded
   * (payload: `UpdateSignatureShared`); lets orchestrators assemble the update without polling.
   */
  UpdateSignatureShared: 'UpdateSignatureShared',
} as const;

/** A chaincode event name. */
export type EventName = keyof typeof EVENTS;

/** Most blocks `GetBlocks` returns per call. */
export const MAX_BLOCKS_PER_CALL = 100;

/** Longest `reason` a vote may carry, in UTF-16 code units. */
export const MAX_REASON_LENGTH = 1024;
