/*
 * SPDX-License-Identifier: Apache-2.0
 */

/** Codes of {@link ObserverError}. */
export type ObserverErrorCode =
  /** The local copy of the management chain does not read back as a linked chain. */
  | 'OBSERVER_STORE_CORRUPT'
  /** Reading or writing the observer's state folder failed. */
  | 'OBSERVER_STORE_IO'
  /** GetBlocks failed or answered something unusable. */
  | 'OBSERVER_FETCH_FAILED'
  /** start() on an observer that is running or was stopped. */
  | 'OBSERVER_STATE';

/** Options of {@link ObserverError}. */
export interface ObserverErrorOptions {
  readonly code: ObserverErrorCode;
  /** The mgmt transaction involved, when there is one. */
  readonly transactionId?: string;
  /** Extra context, e.g. the file or height. */
  readonly details?: string;
  readonly cause?: unknown;
}

/** A failure of the observer itself (not a rejected block, which is reported, not thrown). */
export class ObserverError extends Error {
  readonly code: ObserverErrorCode;
  readonly transactionId: string | undefined;
  readonly details: string | undefined;

  constructor(message: string, options: Readonly<ObserverErrorOptions>) {
    super(`${options.code}: ${message}`, { cause: options.cause });
    this.name = 'ObserverError';
    this.code = options.code;
    this.transactionId = options.transactionId;
    this.details = options.details;
  }
}
