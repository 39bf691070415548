/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { createHash } from 'node:crypto';

import { canonicalJson } from './canonicalJson';
import type { ConfigBlockHeader } from './types';

/** A lowercase hex SHA-256 digest. */
export const HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * The hashed header of a block or proposal: `{height, prevHash, proposer, cycle, timestamp,
 * config}` plus `params` at height 0. Everything else (hash, proof, extra fields) is dropped, so
 * that fields outside the header can never change a hash.
 */
export function headerOf(block: ConfigBlockHeader): ConfigBlockHeader {
  const { height, prevHash, proposer, cycle, timestamp, config } = block;
  if (height === 0) {
    return { height, prevHash, proposer, cycle, timestamp, config, params: block.params };
  }
  return { height, prevHash, proposer, cycle, timestamp, config };
}

/** Lowercase hex SHA-256 of bytes or of a UTF-8 string. */
export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The hash of a configuration block: lowercase hex SHA-256 of the RFC 8785 canonical JSON of
 * its header (see {@link headerOf}).
 *
 * @throws {@link MgmtError} `MGMT_INVALID_JSON` when the header is not I-JSON.
 */
export function hashHeader(block: ConfigBlockHeader): string {
  return sha256Hex(canonicalJson(headerOf(block), 'header'));
}
