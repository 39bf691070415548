/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A member's digital twin of the primary chain (docs/architecture.md, "Digital twins"): as proposer it decides the
 * next configuration, as validator it judges a proposed one, fed with metrics observed on the
 * primary channel. The management node never applies a twin's answer unchecked: the chaincode
 * validates every configuration against the genesis schema and bounds.
 */

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

export interface DigitalTwin {
  readonly name: string;
  /** The configuration this member proposes when it is the proposer. */
  decide(state: TwinState): Promise<Record<string, unknown>>;
  /** Whether this member approves a proposed configuration, and why. */
  validate(config: Record<string, unknown>, state: TwinState): Promise<Verdict>;
}
