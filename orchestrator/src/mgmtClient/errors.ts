/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The one translation of what a call to the management chaincode throws. fabric-gateway reports
 * a failure as an EndorseError, SubmitError, CommitStatusError, CommitError or a plain
 * GatewayError, with the peers' answers (where the chaincode's `MGMT_*` message travels) in
 * `details`; everything the orchestrator does with the management chain goes through ./client,
 * which wraps whatever it caught here, once, into a class per kind of failure (with `code`,
 * `transactionId`, `details` and `cause`). Callers branch on the class: the contract refused
 * (expected, carries the MGMT_ code), the peer could not be reached (retry with backoff), or the
 * transaction committed invalid (MVCC: someone else got there).
 */
import { status as GrpcStatus } from '@grpc/grpc-js';
import { CommitError, CommitStatusError, EndorseError, GatewayError } from '@hyperledger/fabric-gateway';
import { peer } from '@hyperledger/fabric-protos';
import type { MgmtErrorCode } from 'mgmt-chaincode/dist/protocol';
import { mgmtErrorCodeOf } from 'mgmt-chaincode/dist/protocol';

/** Where a call failed, in fabric-gateway's terms. */
export type LedgerStep = 'evaluate' | 'endorse' | 'submit' | 'commitStatus' | 'commit' | 'events' | 'decode';

/** Fields of every {@link LedgerCallError}. */
export interface LedgerCallErrorProperties {
  readonly step: LedgerStep;
  /** The transaction (or `events`) that was called. */
  readonly transaction: string;
  readonly code: string;
  readonly message: string;
  readonly transactionId?: string;
  readonly details?: readonly string[];
  readonly cause?: unknown;
}

/** A failed call to the management chaincode that is neither a refusal, nor unavailability, nor an invalid commit. */
export class LedgerCallError extends Error {
  /** Where the call failed. */
  readonly step: LedgerStep;
  /** Transaction name. */
  readonly transaction: string;
  /** A stable code: an `MGMT_*` refusal, a gRPC status name, or a validation code name. */
  readonly code: string;
  readonly transactionId?: string;
  /** Error details from the peers (fabric-gateway's `ErrorDetail.message`). */
  readonly details: readonly string[];

  constructor(properties: LedgerCallErrorProperties) {
    super(properties.message, { cause: properties.cause });
    this.name = 'LedgerCallError';
    this.step = properties.step;
    this.transaction = properties.transaction;
    this.code = properties.code;
    this.transactionId = properties.transactionId;
    this.details = properties.details ?? [];
  }
}

/** The contract refused the call with an `MGMT_*` code: an expected answer, not a fault. */
export class MgmtRefusalError extends LedgerCallError {
  declare readonly code: MgmtErrorCode;

  constructor(properties: LedgerCallErrorProperties & { readonly code: MgmtErrorCode }) {
    super(properties);
    this.name = 'MgmtRefusalError';
  }
}

/** The peer could not be reached or did not answer in time (gRPC UNAVAILABLE, DEADLINE_EXCEEDED, ...). */
export class LedgerUnavailableError extends LedgerCallError {
  /** The gRPC status code. */
  readonly grpcCode: number;

  constructor(properties: LedgerCallErrorProperties & { readonly grpcCode: number }) {
    super(properties);
    this.name = 'LedgerUnavailableError';
    this.grpcCode = properties.grpcCode;
  }
}

/** The transaction was ordered but committed invalid (e.g. `MVCC_READ_CONFLICT`, validation code 11). */
export class TransactionInvalidError extends LedgerCallError {
  /** Fabric's `TxValidationCode`. */
  readonly validationCode: number;

  constructor(properties: LedgerCallErrorProperties & { readonly validationCode: number }) {
    super(properties);
    this.name = 'TransactionInvalidError';
    this.validationCode = properties.validationCode;
  }
}

/** Validation codes that mean "another transaction of the block changed what this one read". */
export const CONFLICT_VALIDATION_CODES: ReadonlySet<number> = new Set([peer.TxValidationCode.MVCC_READ_CONFLICT, peer.TxValidationCode.PHANTOM_READ_CONFLICT]);

/** gRPC statuses that mean "try again later": the peer is down, restarting or overloaded. */
const TRANSIENT: ReadonlySet<number> = new Set([GrpcStatus.UNAVAILABLE, GrpcStatus.DEADLINE_EXCEEDED, GrpcStatus.RESOURCE_EXHAUSTED, GrpcStatus.CANCELLED]);

const grpcName = (code: number): string => GrpcStatus[code] ?? `GRPC_${code}`;

function validationName(code: number): string {
  const entry = Object.entries(peer.TxValidationCode).find(([, value]) => value === code);
  return entry?.[0] ?? `VALIDATION_${code}`;
}

function stepOf(err: GatewayError, fallback: LedgerStep): LedgerStep {
  if (err instanceof EndorseError) return 'endorse';
  if (err instanceof CommitStatusError) return 'commitStatus';
  if (err.name === 'SubmitError') return 'submit';
  return fallback;
}

/**
 * Wraps whatever a fabric-gateway call threw into a {@link LedgerCallError} subclass. The refusal
 * code is read from the error's details (where the chaincode's message travels) and its message.
 * An error that is already a {@link LedgerCallError} is returned unchanged.
 */
export function toLedgerError(err: unknown, transaction: string, fallback: LedgerStep): LedgerCallError {
  if (err instanceof LedgerCallError) return err;
  if (err instanceof CommitError) {
    return new TransactionInvalidError({
      step: 'commit',
      transaction,
      code: validationName(err.code),
      validationCode: err.code,
      transactionId: err.transactionId,
      message: `${transaction} transaction ${err.transactionId} committed invalid: ${validationName(err.code)}`,
      cause: err,
    });
  }
  if (err instanceof GatewayError) {
    const details = err.details.map((d) => `${d.mspId}@${d.address}: ${d.message}`);
    const text = [err.message, ...err.details.map((d) => d.message)].join('\n');
    const transactionId = (err as { transactionId?: string }).transactionId;
    const step = stepOf(err, fallback);
    const refusal = mgmtErrorCodeOf(text);
    if (refusal !== undefined) {
      const at = text.indexOf(refusal);
      const line = text.slice(at).split('\n')[0];
      return new MgmtRefusalError({ step, transaction, code: refusal, transactionId, details, message: line, cause: err });
    }
    if (TRANSIENT.has(err.code)) {
      return new LedgerUnavailableError({
        step,
        transaction,
        code: grpcName(err.code),
        grpcCode: err.code,
        transactionId,
        details,
        message: `${transaction}: peer unavailable (${grpcName(err.code)}): ${err.details[0]?.message ?? err.message}`,
        cause: err,
      });
    }
    return new LedgerCallError({ step, transaction, code: grpcName(err.code), transactionId, details, message: `${transaction} failed at ${step} (${grpcName(err.code)}): ${err.details[0]?.message ?? err.message}`, cause: err });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new LedgerCallError({ step: fallback, transaction, code: 'UNKNOWN', message: `${transaction} failed: ${message}`, cause: err });
}

/** Whether an error is a refusal, optionally with one of the given codes. */
export function isRefusal(err: unknown, ...codes: MgmtErrorCode[]): err is MgmtRefusalError {
  return err instanceof MgmtRefusalError && (codes.length === 0 || codes.includes(err.code));
}

/** Whether an error is an MVCC or phantom-read conflict at commit. */
export function isConflict(err: unknown): err is TransactionInvalidError {
  return err instanceof TransactionInvalidError && CONFLICT_VALIDATION_CODES.has(err.validationCode);
}

const utf8 = new TextDecoder();

/**
 * The JSON answer of a transaction, or of a chaincode event's payload.
 *
 * @throws {@link LedgerCallError} (step `decode`, code `BAD_RESULT`) when it is not JSON.
 */
export function decodeJson(bytes: Uint8Array, transaction: string): unknown {
  const text = utf8.decode(bytes);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new LedgerCallError({ step: 'decode', transaction, code: 'BAD_RESULT', message: `${transaction} returned non-JSON: ${JSON.stringify(text.slice(0, 80))}`, cause: err });
  }
}
