/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import type { MgmtQueryNetwork } from '../mgmtClient/client';

/** What the observer records about a verified configuration block (persisted with it). */
export interface ConfigBlockReceipt {
  /** `event`: the ConfigBlockCommitted stream; `fetch`: GetBlocks (gap or recovery). */
  readonly source: 'event' | 'fetch';
  /** The mgmt channel block whose Tally transaction emitted it; known for `event` only. */
  readonly committedInBlock?: bigint;
  /**
   * A block number no later than the one that committed it: `committedInBlock` when known, else
   * the predecessor's. Anything that happened because of this CB (for instance update signatures)
   * is in this block or later, so a stream started here misses none of it.
   */
  readonly notBeforeBlock: bigint;
  /** The Tally transaction, for `event`. */
  readonly transactionId?: string;
  /** When it arrived, epoch ms (the injected clock). */
  readonly receivedAtMs: number;
  /** When it passed verification, epoch ms. Propagation delay = this - commit time. */
  readonly verifiedAtMs: number;
}

/** A configuration block that passed verification, as handed on. */
export interface VerifiedConfigBlock {
  readonly block: ConfigBlock;
  readonly receipt: ConfigBlockReceipt;
}

/** Why a configuration block was not handed on. */
export type RejectionCode =
  /** It fails the protocol core's verifyBlock (hash, link, proposer, CBI, proof, ...). */
  | 'MGMT_INVALID_BLOCK'
  /** Its payload is not I-JSON. */
  | 'MGMT_INVALID_JSON'
  /** A different block than the verified one at the same height: a fork or tampering. */
  | 'OBSERVER_CONFLICT'
  /** A genesis block whose hash is not the trusted one. */
  | 'OBSERVER_UNTRUSTED_GENESIS';

/** A configuration block that failed verification: reported, never handed on or stored. */
export interface RejectedConfigBlock {
  readonly code: RejectionCode;
  /** The height the block claims, when it has one. */
  readonly height: number | undefined;
  /** The hash the block claims, when it has one. */
  readonly hash: string | undefined;
  readonly reason: string;
  readonly source: 'event' | 'fetch';
  readonly blockNumber?: bigint;
  readonly transactionId?: string;
  readonly atMs: number;
}

/**
 * One configuration block as it arrived, before any check: the transport seam. For `event`, the
 * chaincode event's payload; for `fetch`, one element of a GetBlocks answer re-serialized.
 */
export interface InboundConfigBlock {
  readonly source: 'event' | 'fetch';
  /** UTF-8 JSON of one configuration block. */
  readonly payload: Uint8Array;
  readonly blockNumber?: bigint;
  readonly transactionId?: string;
}

/**
 * Sees (and may replace) every configuration block before it is parsed and verified. Production
 * code passes none; tests use it to alter a block "in transit".
 */
export type InboundFilter = (message: InboundConfigBlock) => InboundConfigBlock;

/** Where log lines go; `console` fits. */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/**
 * The part of a fabric-gateway `Network` (of the mgmt channel) the observer uses: the queries and
 * events of the management client's `MgmtReader`; a `Network` satisfies it. The caller owns the
 * gateway and closes it after the observer stopped.
 */
export type ManagementNetwork = MgmtQueryNetwork;
