/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Algorithm 2 of the paper (node reconfiguration) as a pure state machine: what one primary node
 * knows of the management chain (its copy MC_i), which configuration block is active (H_cc), and
 * whether a consensus round of the primary chain is running. No I/O, no clock: the caller feeds
 * events in and acts on the outcomes (gossip the blocks in `forward`, request the heights in
 * `missing`, start the next round when {@link endRound} says so).
 *
 * Rules, in the paper's words and ours:
 * - A configuration block (CB) is appended only at the next height and only after the caller's
 *   verifier accepts it against its predecessor; a CB above the next height is a *future* block:
 *   it is held, unverified, until the gap below it is filled ("request missing blocks").
 * - A CB at or below the latest height never replaces the stored one (`duplicate` or `stale`).
 * - The active configuration changes only between rounds ({@link endRound}, {@link reconfigure}),
 *   and only when no gap is pending: a node that knows of a newer CB than it holds waits for it
 *   rather than switching to an intermediate configuration ("wait for any missing blocks").
 * - A primary block is valid only under the active configuration ({@link blockValidUnder}).
 *
 * States are immutable values; every function returns a new state, so a caller can keep
 * history, compare, or retry without defensive copies.
 *
 * @example
 * let state = initialPrimaryState(genesis);
 * state = startRound(state).state;
 * const received = receiveConfigBlock(state, cb, verifyWith(params));
 * state = received.state;                       // appended, but not active yet: a round is running
 * received.forward.forEach(gossipToPeers);
 * const ended = endRound(state);                // between rounds: switch if nothing is missing
 * state = ended.state;                          // ended.kind === 'switched', ended.to === cb.height
 * if (ended.kind !== 'waiting') state = startRound(state).state;
 */

import { messageOf } from './errors';
import type { ConfigBlock, GenesisParams } from './types';
import { paramsInForce } from './membership';
import { verifyBlock } from './verifyBlock';

/** What one primary node knows of the management chain and its active configuration. */
export interface PrimaryState {
  /** MC_i: verified configuration blocks, contiguous from genesis; `chain[h].height === h`. */
  readonly chain: readonly ConfigBlock[];
  /** H_cc: height of the configuration block the node currently runs under. */
  readonly activeHeight: number;
  /** Whether a consensus round of the primary chain is in progress. */
  readonly inRound: boolean;
  /**
   * Future blocks held until the gap below them is filled, sorted by height then arrival.
   * They are unverified: each is verified when its turn to be appended comes.
   */
  readonly held: readonly ConfigBlock[];
  /**
   * The highest height known to exist: the latest held block or a height the caller learnt of
   * through {@link noteHeight}. Equal to the latest height when nothing is missing.
   */
  readonly knownHeight: number;
}

/**
 * Checks a block against its predecessor; throws (any error) to reject it. Whatever it throws
 * becomes the `reason` of an `invalid` outcome. {@link verifyWith} wraps the core's verifyBlock.
 */
export type ConfigBlockVerifier = (block: ConfigBlock, previous: ConfigBlock, chain: readonly ConfigBlock[]) => void;

/** What {@link receiveConfigBlock} did with a block. */
export type ReceiveOutcome =
  /** Appended at the next height, with any held blocks it unlocked; `heights` ascending. */
  | { readonly kind: 'appended'; readonly heights: readonly number[] }
  /** Above the next height: held; `missing` are the heights to request. */
  | { readonly kind: 'future'; readonly missing: readonly number[] }
  /** The same block (same hash) is already stored or held. */
  | { readonly kind: 'duplicate' }
  /** At or below the latest height with another hash: never overrides the stored block. */
  | { readonly kind: 'stale'; readonly latestHeight: number }
  /** The verifier rejected it (or its shape is unusable); nothing changed. */
  | { readonly kind: 'invalid'; readonly reason: string };

/** Result of {@link receiveConfigBlock}. */
export interface ReceiveResult {
  readonly state: PrimaryState;
  readonly outcome: ReceiveOutcome;
  /**
   * Blocks that became verified by this call, in height order: gossip them to peers
   * (Algorithm 2, line 4). Empty unless the outcome is `appended`.
   */
  readonly forward: readonly ConfigBlock[];
}

/** Result of {@link startRound}. */
export type StartResult =
  | { readonly started: true; readonly state: PrimaryState; readonly activeHeight: number }
  /** Not started: a round is already running, or the node waits for missing blocks. */
  | { readonly started: false; readonly state: PrimaryState; readonly reason: 'in-round' | 'waiting'; readonly missing: readonly number[] };

/** Result of {@link endRound} and {@link reconfigure}. */
export type ReconfigureResult =
  /** H_cc moved from `from` to `to`, the latest verified height. */
  | { readonly kind: 'switched'; readonly state: PrimaryState; readonly from: number; readonly to: number }
  /** Nothing newer than H_cc is stored. */
  | { readonly kind: 'unchanged'; readonly state: PrimaryState }
  /** A newer block is known but missing: H_cc stays until `missing` arrive (then call {@link reconfigure}). */
  | { readonly kind: 'waiting'; readonly state: PrimaryState; readonly missing: readonly number[] }
  /** Called during a round ({@link reconfigure} only): configurations never change mid-round. */
  | { readonly kind: 'in-round'; readonly state: PrimaryState };

/** Options of {@link receiveConfigBlock}. */
export interface ReceiveOptions {
  /**
   * At most this many future blocks are held (default 64); further ones are dropped as
   * `invalid`, so that a peer cannot grow the state without bound with blocks far ahead.
   */
  readonly maxHeld?: number;
}

const DEFAULT_MAX_HELD = 64;

function latestOf(state: PrimaryState): ConfigBlock {
  return state.chain[state.chain.length - 1];
}

/** Height of the latest verified block in MC_i. */
export function latestHeight(state: PrimaryState): number {
  return state.chain.length - 1;
}

/**
 * The heights above the latest verified one that are known to exist but neither stored nor held:
 * what the node should request. Empty when nothing is missing.
 */
export function missingHeights(state: PrimaryState): number[] {
  const heldHeights = new Set(state.held.map((b) => b.height));
  const missing: number[] = [];
  for (let h = latestHeight(state) + 1; h <= state.knownHeight; h++) {
    if (!heldHeights.has(h)) {
      missing.push(h);
    }
  }
  return missing;
}

/**
 * Whether the node must wait before switching configuration: it knows of a block above its
 * latest verified height (held or announced) that it cannot append yet.
 */
export function isWaiting(state: PrimaryState): boolean {
  return state.knownHeight > latestHeight(state);
}

/**
 * The state of a node that trusts `genesis` (verify it before: {@link verifyWith} cannot check
 * a genesis block against a predecessor). Active configuration: height 0; no round running.
 *
 * @throws RangeError when the block's height is not 0.
 */
export function initialPrimaryState(genesis: ConfigBlock): PrimaryState {
  if (genesis.height !== 0) {
    throw new RangeError(`genesis must have height 0, got ${genesis.height}`);
  }
  return { chain: [genesis], activeHeight: 0, inRound: false, held: [], knownHeight: 0 };
}

function isUsableBlock(cb: unknown): cb is ConfigBlock {
  if (cb === null || typeof cb !== 'object') {
    return false;
  }
  const { height, hash } = cb as { height?: unknown; hash?: unknown };
  return typeof height === 'number' && Number.isSafeInteger(height) && height >= 0 && typeof hash === 'string';
}

/**
 * Algorithm 2, lines 3-8: a gossiped configuration block arrives, during a round or between
 * rounds (either way it is only stored here; {@link endRound} or {@link reconfigure} applies it).
 *
 * - next height and the verifier accepts it: `appended`, together with any held blocks that now
 *   verify in order (a held block that fails is dropped); all of them are in `forward`;
 * - above the next height: `future`, held unverified, with the `missing` heights to request;
 * - the block already stored or held (same hash): `duplicate`;
 * - at or below the latest height with another hash: `stale` (an older block never overrides);
 * - rejected by the verifier, malformed, or beyond `maxHeld`: `invalid` with the reason.
 *
 * @param verify checks the block against its predecessor, throwing to reject it.
 */
export function receiveConfigBlock(
  state: PrimaryState,
  cb: ConfigBlock,
  verify: ConfigBlockVerifier,
  options: ReceiveOptions = {},
): ReceiveResult {
  const unchanged = (outcome: ReceiveOutcome): ReceiveResult => ({ state, outcome, forward: [] });
  if (!isUsableBlock(cb)) {
    return unchanged({ kind: 'invalid', reason: 'not a configuration block with an integer height and a hash' });
  }
  const latest = latestHeight(state);
  if (cb.height <= latest) {
    const stored = state.chain[cb.height];
    return unchanged(stored.hash === cb.hash ? { kind: 'duplicate' } : { kind: 'stale', latestHeight: latest });
  }
  if (state.held.some((b) => b.height === cb.height && b.hash === cb.hash)) {
    return unchanged({ kind: 'duplicate' });
  }
  if (cb.height > latest + 1) {
    const maxHeld = options.maxHeld ?? DEFAULT_MAX_HELD;
    if (state.held.length >= maxHeld) {
      return unchanged({ kind: 'invalid', reason: `already holding ${state.held.length} future blocks (limit ${maxHeld})` });
    }
    // Stable insertion by height: the first copy of a height is tried first when the gap fills.
    const held = [...state.held, cb].sort((a, b) => a.height - b.height);
    const next: PrimaryState = { ...state, held, knownHeight: Math.max(state.knownHeight, cb.height) };
    return { state: next, outcome: { kind: 'future', missing: missingHeights(next) }, forward: [] };
  }

  const reason = rejection(verify, cb, latestOf(state), state.chain);
  if (reason !== undefined) {
    return unchanged({ kind: 'invalid', reason });
  }
  const chain = [...state.chain, cb];
  let held = state.held.filter((b) => b.height !== cb.height);
  // Drain held blocks that now continue the chain; a copy that fails verification is dropped
  // and the next copy of the same height, if any, gets its turn.
  for (;;) {
    const nextHeight = chain.length;
    const candidates = held.filter((b) => b.height === nextHeight);
    if (candidates.length === 0) {
      break;
    }
    const previous = chain[chain.length - 1];
    const accepted = candidates.find((b) => rejection(verify, b, previous, chain) === undefined);
    held = held.filter((b) => b.height !== nextHeight);
    if (accepted === undefined) {
      break;
    }
    chain.push(accepted);
  }
  held = held.filter((b) => b.height > chain.length - 1);
  const appended = chain.slice(state.chain.length);
  const knownHeight = Math.max(state.knownHeight, chain.length - 1, ...held.map((b) => b.height));
  return {
    state: { ...state, chain, held, knownHeight },
    outcome: { kind: 'appended', heights: appended.map((b) => b.height) },
    forward: appended,
  };
}

function rejection(verify: ConfigBlockVerifier, block: ConfigBlock, previous: ConfigBlock, chain: readonly ConfigBlock[]): string | undefined {
  try {
    verify(block, previous, chain);
    return undefined;
  } catch (err) {
    return messageOf(err);
  }
}

/**
 * Records that a configuration block at `height` exists, learnt other than by receiving it (for
 * instance a committed primary block tagged with that configuration, or a peer's announcement).
 * Until it arrives, {@link endRound} waits instead of switching.
 */
export function noteHeight(state: PrimaryState, height: number): PrimaryState {
  if (!Number.isSafeInteger(height) || height <= state.knownHeight) {
    return state;
  }
  return { ...state, knownHeight: height };
}

/**
 * Algorithm 2, line 2: a consensus round starts under the active configuration. Refused while a
 * round runs, and while the node waits for missing blocks (line 12: it must not start a round
 * under a configuration it knows to be outdated).
 */
export function startRound(state: PrimaryState): StartResult {
  if (state.inRound) {
    return { started: false, state, reason: 'in-round', missing: [] };
  }
  if (isWaiting(state)) {
    return { started: false, state, reason: 'waiting', missing: missingHeights(state) };
  }
  return { started: true, state: { ...state, inRound: true }, activeHeight: state.activeHeight };
}

/**
 * Algorithm 2, lines 11-15: the round ended (committed or failed). Outside the round, the node
 * switches to the latest verified block if it holds one newer than H_cc and nothing is missing.
 * Ending a round that is not running is harmless: it only re-runs the switch.
 */
export function endRound(state: PrimaryState): ReconfigureResult {
  return reconfigure({ ...state, inRound: false });
}

/**
 * The between-rounds switch on its own: call it when a missing block arrives while the node
 * waits (after a `waiting` result). During a round it changes nothing and says `in-round`.
 */
export function reconfigure(state: PrimaryState): ReconfigureResult {
  if (state.inRound) {
    return { kind: 'in-round', state };
  }
  if (isWaiting(state)) {
    return { kind: 'waiting', state, missing: missingHeights(state) };
  }
  const latest = latestHeight(state);
  if (latest > state.activeHeight) {
    return { kind: 'switched', state: { ...state, activeHeight: latest }, from: state.activeHeight, to: latest };
  }
  return { kind: 'unchanged', state };
}

/**
 * Algorithm 2, lines 9-10: a primary block is valid only if it was produced under the node's
 * active configuration. Both older and newer tags are invalid.
 *
 * @param configHeight the configuration height the block is tagged with.
 */
export function blockValidUnder(state: PrimaryState, configHeight: number): boolean {
  return configHeight === state.activeHeight;
}

/** The active configuration block (the one at H_cc). */
export function activeBlock(state: PrimaryState): ConfigBlock {
  return state.chain[state.activeHeight];
}

/**
 * A verifier that runs the core's full {@link verifyBlock} (hash, link, proposer, CBI, cycle
 * window, schema, signed quorum proof) under the params in force at the block's height: the
 * genesis parameters, or those of a later CB of the chain that changed them.
 */
export function verifyWith(genesisParams: GenesisParams): ConfigBlockVerifier {
  return (block, previous, chain) => {
    verifyBlock(block, { previous, params: paramsInForce(chain, block.height) ?? genesisParams });
  };
}
