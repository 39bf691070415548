/*
 * SPDX-License-Identifier: Apache-2.0
 */

/** Codes of {@link PrimaryError}. */
export type PrimaryErrorCode =
  /** The runtime was given a chain that does not start at a genesis block, or does not verify. */
  | 'PRIMARY_BAD_CHAIN'
  /** A block's configuration cannot be mapped to the chain's parameters. */
  | 'PRIMARY_BAD_CONFIG'
  /** The channel is linked to another block than the verified one at that height. */
  | 'PRIMARY_LINK_MISMATCH'
  /** Reading the channel or submitting to its orderer failed. */
  | 'PRIMARY_ORDERER'
  /** Sharing a signature through the management chain failed. */
  | 'PRIMARY_SHARE_FAILED';

/** Options of {@link PrimaryError}. */
export interface PrimaryErrorOptions {
  readonly code: PrimaryErrorCode;
  /** The management or channel transaction involved, when there is one. */
  readonly transactionId?: string;
  /** Extra context, e.g. the orderer's answer. */
  readonly details?: string;
  readonly cause?: unknown;
}

/** A failure of the primary runtime or of a chain adapter. */
export class PrimaryError extends Error {
  readonly code: PrimaryErrorCode;
  readonly transactionId: string | undefined;
  readonly details: string | undefined;

  constructor(message: string, options: Readonly<PrimaryErrorOptions>) {
    super(`${options.code}: ${message}`, { cause: options.cause });
    this.name = 'PrimaryError';
    this.code = options.code;
    this.transactionId = options.transactionId;
    this.details = options.details;
  }
}
