/*
 * SPDX-License-Identifier: Apache-2.0
 */

/** Why an audit could not run to the end, as opposed to a fault it found. */
export type AuditErrorCode =
  /** The export file is not JSON, not an audit export, or of an unsupported version. */
  | 'AUDIT_EXPORT_UNREADABLE'
  /** Reading the management chain, a channel config or a block from the network failed. */
  | 'AUDIT_READ_FAILED';

/**
 * An audit step failed (a network call, a file), shaped like fabric-gateway's errors: a stable
 * `code`, the failing `step`, and the underlying `cause`. Faults in the audited data are never
 * thrown: they are reported as {@link AuditFault}s so that one run names all of them.
 */
export class AuditError extends Error {
  /** The stable code a caller can branch on. */
  readonly code: AuditErrorCode;
  /** What the audit was doing, e.g. `GetBlocks 0..99`. */
  readonly step: string;

  constructor(code: AuditErrorCode, step: string, message: string, options?: { cause?: unknown }) {
    super(`${code}: ${step}: ${message}`, options);
    this.name = 'AuditError';
    this.code = code;
    this.step = step;
  }
}
