/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The seam between Algorithm 2 (PrimaryNodeRuntime, chain-agnostic) and the chain being
 * reconfigured. The Fabric `primary` channel is one implementation (FabricPrimaryAdapter); a
 * simulator or another platform plugs in the same way.
 */
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';

/** What {@link PrimaryChainAdapter.apply} found or did. */
export type ApplyOutcome =
  /** The chain was not running the block's configuration; now it is (whoever submitted it). */
  | 'applied'
  /** The chain already ran it, linked to this very block: nothing was done (applying twice). */
  | 'in-force'
  /** The chain runs the configuration of a newer block: an older one never overrides it. */
  | 'superseded';

/** Result of {@link PrimaryChainAdapter.apply}. */
export interface ApplyResult {
  readonly outcome: ApplyOutcome;
  /** Height of the block the chain's configuration is linked to afterwards, if any. */
  readonly chainHeight: number | undefined;
  /** Whether this node's own submission is the one that put it in force. */
  readonly submitted: boolean;
  /** Height the chain's configuration was linked to when this apply began, if known. */
  readonly fromHeight?: number;
  /** Earlier blocks (from {@link ApplyContext.earlier}) put in force on the way, oldest first. */
  readonly earlierInForce?: readonly number[];
}

/** Context of one {@link PrimaryChainAdapter.apply} call. */
export interface ApplyContext {
  /** Aborted when the runtime stops or a newer block makes this one moot; apply then rejects. */
  readonly signal: AbortSignal;
  /**
   * A management-chain block number no later than the one that committed the configuration
   * block (from the observer's receipt), for streams that must not miss what followed it.
   */
  readonly notBeforeBlock?: bigint;
  /**
   * Verified blocks between the one in force and this one, oldest first, that were superseded
   * before they were put in force. Members may already have shared enough signatures for one of
   * them: submitting it is progress, where abandoning it each time a newer block arrives could
   * leave the chain on an old configuration for as long as blocks keep coming faster than
   * updates are signed. The adapter never signs these itself, only submits what others signed.
   */
  readonly earlier?: readonly ConfigBlock[];
}

/**
 * A chain whose configuration the management chain controls. Implementations must make
 * {@link apply} idempotent (applying the same block twice changes nothing) and monotonic (an
 * older block never overrides a newer one), because every member applies every block, after
 * restarts too.
 */
export interface PrimaryChainAdapter {
  /**
   * Resolves at the next boundary between two consensus rounds of the chain (at once when no
   * round is running), so that a configuration never changes in the middle of a round.
   *
   * @throws when `signal` is aborted.
   */
  roundBoundary(signal: AbortSignal): Promise<void>;

  /**
   * Puts the configuration of a verified block in force, and resolves once the chain runs it
   * (or runs a newer one).
   *
   * @throws when `context.signal` is aborted, or the chain cannot be reached (the runtime
   * retries with backoff).
   */
  apply(cb: ConfigBlock, context: ApplyContext): Promise<ApplyResult>;

  /**
   * Height of the configuration block whose configuration the chain runs now, as the chain
   * itself records it; `undefined` when it runs one that no block put in force (its initial one).
   */
  activeConfigHeight(): Promise<number | undefined>;
}
