/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A member's digital twin of the primary chain (docs/architecture.md, "Digital twins"): as proposer it decides the
 * next configuration, as validator it judges a proposed one, fed with metrics observed on the
 * primary channel. The management node never applies a twin's answer unchecked: the chaincode
 * validates every configuration against the genesis schema and bounds.
 */

import type { GenesisParams } from 'mgmt-chaincode/dist/protocol';

/** What a member observes on the primary channel. */
export interface PrimaryMetrics {
  /** Committed transactions per second over the observation window. */
  txRate: number;
  /** Mean fraction of the block size limit (MaxMessageCount) that blocks filled, 0..1. */
  blockFill: number;
  /** Mean time from a transaction's timestamp to its block's commit, in ms. */
  commitLatencyMs: number;
  /** Mean time between consecutive blocks, in ms. */
  blockIntervalMs: number;
}

export interface TwinState {
  metrics: PrimaryMetrics;
  /** The active primary configuration C^prim (the latest CB's config). */
  current: Record<string, unknown>;
  /** Height of the latest configuration block. */
  height: number;
}

export interface Verdict {
  approve: boolean;
  reason: string;
}

/** A proposal's new genesis params (a membership change, CBI, cycle, schema) beside those in force. */
export interface ParamsChange {
  /** The params the proposal puts in force from the next height. */
  readonly params: GenesisParams;
  /** The params in force now. */
  readonly inForce: GenesisParams;
  /** What changes, in words: members added, removed, with another CA; other fields. */
  readonly summary: string;
}

export interface DigitalTwin {
  readonly name: string;
  /** The configuration this member proposes when it is the proposer. */
  decide(state: TwinState): Promise<Record<string, unknown>>;
  /** Whether this member approves a proposed configuration, and why. */
  validate(config: Record<string, unknown>, state: TwinState): Promise<Verdict>;
  /**
   * New params this member proposes with its configuration (a membership change), or undefined
   * to keep those in force. Twins without it never propose a params change.
   */
  decideParams?(inForce: GenesisParams, state: TwinState): Promise<GenesisParams | undefined>;
  /**
   * Whether this member approves a proposal that changes the params. A twin without it rejects
   * every such proposal: who is in the consortium is an operator's decision, never a default.
   */
  validateParams?(change: ParamsChange, state: TwinState): Promise<Verdict>;
}
