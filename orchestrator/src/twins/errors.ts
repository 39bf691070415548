/*
 * SPDX-License-Identifier: Apache-2.0
 */

/** Why a twin could not answer; stable so that a management node or a test can branch on it. */
export type TwinErrorCode =
  /** The operator's configuration file cannot be read or is not a JSON object. */
  | 'TWIN_CONFIG_UNREADABLE'
  /** The HTTP twin did not answer within its timeout. */
  | 'TWIN_TIMEOUT'
  /** The HTTP twin's service cannot be reached (connection refused, DNS, TLS). */
  | 'TWIN_UNREACHABLE'
  /** The HTTP twin answered with a status other than 2xx. */
  | 'TWIN_HTTP_STATUS'
  /** The HTTP twin's body is not JSON. */
  | 'TWIN_BAD_JSON'
  /** The HTTP twin's JSON does not have the documented shape. */
  | 'TWIN_BAD_ANSWER'
  /** A twin was asked about a state or configuration it cannot judge (bad input). */
  | 'TWIN_BAD_INPUT';

/**
 * A twin failed to produce an answer, as opposed to answering "reject". The management node
 * abstains (it neither proposes nor votes) and reports it; it never turns a failure into a vote.
 */
export class TwinError extends Error {
  /** The stable code of the failure. */
  readonly code: TwinErrorCode;
  /** Name of the twin that failed. */
  readonly twin: string;

  constructor(code: TwinErrorCode, twin: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${twin}: ${message}`, options);
    this.name = 'TwinError';
    this.code = code;
    this.twin = twin;
  }
}
