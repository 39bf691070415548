/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The registry of refusal codes. Only the message string of an error crosses Fabric's shim
 * (`shim.error(err.message)`), so every refusal starts with one of these codes; clients branch on
 * the code, people read the text.
 */
export const MGMT_ERRORS = {
  MGMT_BAD_ARGUMENT: 'malformed transaction argument',
  MGMT_INVALID_JSON: 'not I-JSON (RFC 7493)',
  MGMT_INVALID_PARAMS: 'invalid genesis parameters',
  MGMT_INVALID_CONFIG: 'configuration does not satisfy the genesis schema',
  MGMT_NOT_INITIALISED: 'the genesis configuration block is not sealed yet',
  MGMT_ALREADY_INITIALISED: 'the genesis configuration block is already sealed',
  MGMT_NOT_MEMBER: 'caller is not a consortium member',
  MGMT_BAD_CERTIFICATE: 'caller certificate is not a valid client or admin certificate of its member CA',
  MGMT_CLOCK_SKEW: 'transaction timestamp too far from the endorser clock',
  MGMT_CBI_NOT_ELAPSED: 'no agreement round is open',
  MGMT_NOT_PROPOSER: 'caller is not the expected proposer of this cycle',
  MGMT_ALREADY_PROPOSED: 'a proposal already exists for this cycle',
  MGMT_SEAL_PENDING: 'an earlier proposal holds a quorum of approvals and must be tallied first',
  MGMT_UNKNOWN_PROPOSAL: 'no such proposal',
  MGMT_STALE_PROPOSAL: 'proposal is no longer open',
  MGMT_DUPLICATE_VOTE: 'member already voted in this cycle',
  MGMT_BAD_SIGNATURE: 'vote signature does not verify',
  MGMT_VOTES_PENDING: 'the cycle is still undecided',
  MGMT_NOT_FOUND: 'no such configuration block',
  MGMT_INVALID_BLOCK: 'configuration block fails verification',
  MGMT_BAD_UPDATE: 'not a channel configuration update (common.ConfigUpdate)',
  MGMT_DUPLICATE_SIGNATURE: 'member already shared its signature of this update',
  MGMT_UNKNOWN_TRANSACTION: 'no such transaction',
} as const;

/** A stable refusal code, e.g. `MGMT_NOT_PROPOSER`. */
export type MgmtErrorCode = keyof typeof MGMT_ERRORS;

const CODES: ReadonlySet<string> = new Set(Object.keys(MGMT_ERRORS));

/**
 * A refusal by the protocol. The message is `CODE: detail` (or `CODE: short text` without a
 * detail) because only the message string reaches a Fabric client.
 *
 * @example
 * throw new MgmtError('MGMT_NOT_PROPOSER', 'expected Org2MSP, got Org3MSP');
 */
export class MgmtError extends Error {
  /** The stable code a client can branch on. */
  readonly code: MgmtErrorCode;
  /** The context-specific part of the message. */
  readonly detail: string;

  constructor(code: MgmtErrorCode, detail?: string, options?: { cause?: unknown }) {
    const text = detail ?? MGMT_ERRORS[code];
    super(`${code}: ${text}`, options);
    this.name = 'MgmtError';
    this.code = code;
    this.detail = text;
  }
}

/**
 * A configuration block that fails verification, naming its height and the reason.
 * Its code is always `MGMT_INVALID_BLOCK`.
 */
export class BlockVerificationError extends MgmtError {
  /** Height of the offending block (as claimed by the block, or its index in a chain). */
  readonly height: number;
  /** Why the block fails, without the height prefix. */
  readonly reason: string;

  constructor(height: number, reason: string, options?: { cause?: unknown }) {
    super('MGMT_INVALID_BLOCK', `height ${height}: ${reason}`, options);
    this.name = 'BlockVerificationError';
    this.height = height;
    this.reason = reason;
  }
}

/**
 * Reads the refusal code back out of an error message that crossed Fabric (a gateway error's
 * details carry `chaincode response 500, MGMT_X: ...`).
 *
 * @returns the first registered code in the message, or `undefined` when there is none.
 */
export function mgmtErrorCodeOf(message: string): MgmtErrorCode | undefined {
  for (const match of message.matchAll(/\bMGMT_[A-Z_]+\b/g)) {
    if (CODES.has(match[0])) {
      return match[0] as MgmtErrorCode;
    }
  }
  return undefined;
}

/** Whether `value` is an {@link MgmtError}, optionally with the given code. */
export function isMgmtError(value: unknown, code?: MgmtErrorCode): value is MgmtError {
  return value instanceof MgmtError && (code === undefined || value.code === code);
}

/** The message of any thrown value, for wrapping a cause into a detail. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
