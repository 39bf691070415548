/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Transaction arguments, which arrive as untrusted strings. Each is checked before the ledger is
 * read, and a malformed one is refused with `MGMT_BAD_ARGUMENT` and the argument's public name.
 */

import { HASH_PATTERN, MAX_REASON_LENGTH, MgmtError, decodeBase64Strict, parseIJson, unicodeProblem } from '../protocol';
import type { JsonValue } from '../protocol';

// At most 16 digits: every such value up to 2^53-1 is exact, larger ones fail the safe-integer check.
const HEIGHT_PATTERN = /^(0|[1-9][0-9]{0,15})$/;

/** The two parts of `InitLedger`'s argument, not yet validated. */
interface GenesisInput {
  readonly params: JsonValue;
  readonly config: JsonValue;
}

export function parseProposalId(proposalId: string): string {
  if (typeof proposalId !== 'string' || !HASH_PATTERN.test(proposalId)) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', 'proposalId must be 64 lowercase hex digits');
  }
  return proposalId;
}

/** A height or a config sequence, in canonical decimal. */
export function parseHeight(text: string, name: string): number {
  const height = typeof text === 'string' && HEIGHT_PATTERN.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(height)) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `${name} must be a non-negative integer, got ${JSON.stringify(text)}`);
  }
  return height;
}

export function parseApprove(text: string): boolean {
  if (text === 'true') {
    return true;
  }
  if (text === 'false') {
    return false;
  }
  throw new MgmtError('MGMT_BAD_ARGUMENT', `approve must be "true" or "false", got ${JSON.stringify(text)}`);
}

export function parseReason(text: string): string {
  if (typeof text !== 'string' || text.length > MAX_REASON_LENGTH) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `reason must be a string of at most ${MAX_REASON_LENGTH} characters`);
  }
  const problem = unicodeProblem(text);
  if (problem !== undefined) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `reason has ${problem}`);
  }
  return text;
}

/** Only the type: the signature itself is judged against the proposal and the caller's key. */
export function parseVoteSignature(signature: string): string {
  if (typeof signature !== 'string') {
    throw new MgmtError('MGMT_BAD_ARGUMENT', 'signature must be a string');
  }
  return signature;
}

export function parseBase64(text: string, name: string, maxBytes: number): Uint8Array {
  const bytes = decodeBase64Strict(text);
  if (bytes === undefined || bytes.length > maxBytes) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `${name} must be canonical base64 of 1 to ${maxBytes} bytes`);
  }
  return bytes;
}

/** `{"params": ..., "config": ...}` and nothing else; the parts are validated by the caller. */
export function parseGenesisInput(paramsJson: string): GenesisInput {
  const input = parseIJson(paramsJson, 'paramsJson');
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', 'paramsJson must be an object {"params": ..., "config": ...}');
  }
  const extra = Object.keys(input).filter((key) => key !== 'params' && key !== 'config');
  if (extra.length > 0 || !('params' in input) || !('config' in input)) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', 'paramsJson must have exactly the fields "params" and "config"');
  }
  return { params: input.params, config: input.config ?? null };
}
