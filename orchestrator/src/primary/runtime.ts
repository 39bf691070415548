/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A primary node's side of Algorithm 2 (node reconfiguration), driving the pure state machine of
 * the protocol core (reconfiguration.ts) against a chain adapter:
 *
 *   - MC_i: the node's own copy of the management chain. Blocks come in from the observer (or
 *     any gossip) through receive(); each is verified against its predecessor before it is
 *     appended; a block above the next height is held until the gap is filled.
 *   - H_cc: the height of the active configuration block. It moves only between rounds: when MC_i
 *     grows, the runtime waits for the chain's round boundary, ends the round (the state machine
 *     switches to the latest block unless blocks are missing), has the adapter put that block's
 *     configuration in force, and only then starts the next round under it (lines 11-16).
 *   - A block produced under a configuration other than H_cc is invalid (lines 9-10): checkBlock().
 *
 * The adapter's apply() is where the chain actually changes; the runtime retries it with backoff
 * until the chain runs H_cc, and abandons it as soon as a newer block arrives, so that the node
 * always moves to the latest configuration ("update to configuration in latest block") rather
 * than replaying every intermediate one.
 */
import { EventEmitter } from 'node:events';
import type { ConfigBlock, ConfigBlockVerifier, PrimaryState, ReceiveOutcome } from 'mgmt-chaincode/dist/protocol';
import {
  activeBlock,
  blockValidUnder,
  endRound,
  initialPrimaryState,
  isWaiting,
  latestHeight,
  messageOf,
  receiveConfigBlock,
  startRound,
  verifyWith,
} from 'mgmt-chaincode/dist/protocol';
import type { Logger } from '../observer';
import type { ApplyResult, PrimaryChainAdapter } from './adapter';
import { PrimaryError } from './errors';

/** Options of {@link PrimaryNodeRuntime}. */
export interface PrimaryNodeRuntimeOptions {
  readonly adapter: PrimaryChainAdapter;
  /**
   * The verified management chain to start from, genesis first (for instance the observer's
   * `chain` after a restart). Every block after genesis is verified again on the way in.
   */
  readonly chain: readonly ConfigBlock[];
  /**
   * What the observer knew of each block of `chain`, by height (`observer.entries.map((e) =>
   * e.receipt)` fits): lets the adapter start its streams where the block was committed instead
   * of at the start of the management chain.
   */
  readonly hints?: readonly (ReceiveHints | undefined)[];
  /** Checks a block against its predecessor; the core's full verifyBlock under the genesis params by default. */
  readonly verify?: ConfigBlockVerifier;
  /** Epoch milliseconds, `Date.now` by default. */
  readonly clock?: () => number;
  readonly logger?: Logger;
  /** Backoff of a failed apply: doubles from `initialMs` (500) to `maxMs` (10 000). */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Names the runtime in log lines, e.g. the member's MSP ID. */
  readonly name?: string;
}

/** What the caller knows of a block beyond its content (the observer's receipt fits). */
export interface ReceiveHints {
  /** A management-chain block number no later than the one that committed the block. */
  readonly notBeforeBlock?: bigint;
}

/** A configuration put in force, with the timings the update-delay figure needs. */
export interface AppliedConfiguration {
  readonly height: number;
  readonly result: ApplyResult;
  /** When H_cc moved to this block (between rounds), epoch ms. */
  readonly switchedAtMs: number;
  /** When the adapter reported it in force, epoch ms. */
  readonly inForceAtMs: number;
}

/** Events of a {@link PrimaryNodeRuntime}; listen with `runtime.on(name, listener)`. */
export interface PrimaryRuntimeEvents {
  /** A block reached receive(), and what became of it. */
  received: [{ readonly block: ConfigBlock; readonly outcome: ReceiveOutcome }];
  /** H_cc moved, between rounds. */
  switched: [{ readonly from: number; readonly to: number; readonly atMs: number }];
  /** The chain runs H_cc. */
  applied: [AppliedConfiguration];
  /**
   * Blocks that never had their configuration in force on their own: newer blocks arrived while
   * their updates were being signed, and `inForce` was put in force directly. Allowed (the chain
   * moves to the latest configuration) and reported, so that an operator and the audit see it.
   */
  skipped: [{ readonly heights: readonly number[]; readonly inForce: number }];
  /** apply() failed; it is retried after `retryInMs`. */
  applyFailed: [{ readonly height: number; readonly error: Error; readonly retryInMs: number }];
  /** checkBlock() refused a block produced under another configuration. */
  blockRejected: [{ readonly configHeight: number; readonly activeHeight: number }];
}

/** How many superseded blocks below the target an apply is told about (newest ones). */
const EARLIER_PASSED = 4;

class Superseded extends Error {
  constructor(readonly height: number) {
    super(`a block newer than ${height} arrived`);
    this.name = 'Superseded';
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) { resolve(); return; }
    const onAbort = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Algorithm 2 for one primary node: keeps MC_i and H_cc, switches only between rounds, and has
 * the adapter put each new active configuration in force.
 *
 * @example
 * const runtime = new PrimaryNodeRuntime({ adapter, chain: observer.chain, hints: observer.entries.map((e) => e.receipt), name: 'Org1MSP' });
 * const observer = new Observer({ ..., onConfigBlock: (v) => void runtime.receive(v.block, v.receipt) });
 * await runtime.start();
 * await observer.start();
 */
export class PrimaryNodeRuntime extends EventEmitter<PrimaryRuntimeEvents> {
  private readonly adapter: PrimaryChainAdapter;
  private readonly verify: ConfigBlockVerifier;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly retry: { readonly initialMs: number; readonly maxMs: number };
  private readonly abort = new AbortController();
  private readonly notBefore = new Map<number, bigint>();
  private state: PrimaryState;
  private inForce: number | undefined;
  private applying: { readonly height: number; readonly controller: AbortController } | undefined;
  private dirty = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private switchedAtMs = 0;

  /**
   * @throws {@link PrimaryError} `PRIMARY_BAD_CHAIN` when `chain` does not start with a genesis
   * block or a later block fails verification.
   */
  constructor(options: Readonly<PrimaryNodeRuntimeOptions>) {
    super();
    const genesis = options.chain[0];
    if (genesis?.height !== 0 || genesis.params === undefined) {
      throw new PrimaryError('the runtime needs the verified chain from its genesis block', { code: 'PRIMARY_BAD_CHAIN' });
    }
    this.adapter = options.adapter;
    this.verify = options.verify ?? verifyWith(genesis.params);
    this.clock = options.clock ?? Date.now;
    this.retry = { initialMs: options.retry?.initialMs ?? 500, maxMs: options.retry?.maxMs ?? 10_000 };
    const prefix = `[primary${options.name === undefined ? '' : ` ${options.name}`}]`;
    const logger = options.logger ?? console;
    this.logger = {
      info: (m) => { logger.info(`${prefix} ${m}`); },
      warn: (m) => { logger.warn(`${prefix} ${m}`); },
      error: (m) => { logger.error(`${prefix} ${m}`); },
    };
    this.state = initialPrimaryState(genesis);
    options.hints?.forEach((hint, height) => {
      if (hint?.notBeforeBlock !== undefined) this.notBefore.set(height, hint.notBeforeBlock);
    });
    for (const block of options.chain.slice(1)) {
      const { state, outcome } = receiveConfigBlock(this.state, block, this.verify);
      if (outcome.kind !== 'appended') {
        throw new PrimaryError(`block ${block.height} of the starting chain was not appended: ${outcome.kind}`, { code: 'PRIMARY_BAD_CHAIN' });
      }
      this.state = state;
    }
  }

  /** Starts following: the chain is brought to the configuration of the latest block first. */
  start(): void {
    this.loop ??= this.run();
  }

  /** Stops, abandoning an apply in progress; resolves when the loop has ended. Idempotent. */
  async stop(): Promise<void> {
    this.abort.abort();
    this.applying?.controller.abort();
    this.wake?.();
    await this.loop;
  }

  /** H_cc: height of the active configuration block. */
  get activeHeight(): number {
    return this.state.activeHeight;
  }

  /** Height the adapter last confirmed the chain runs (H_cc once applied), undefined before the first apply. */
  get inForceHeight(): number | undefined {
    return this.inForce;
  }

  /** Height of the latest block of MC_i. */
  get latestHeight(): number {
    return latestHeight(this.state);
  }

  /** Whether a round runs under H_cc (false while the node is between rounds, switching). */
  get inRound(): boolean {
    return this.state.inRound;
  }

  /** MC_i. */
  get chain(): readonly ConfigBlock[] {
    return this.state.chain;
  }

  /**
   * Algorithm 2 lines 3-8: a verified (or gossiped) block arrives. It is verified against its
   * predecessor and appended, held as a future block, or refused; a newer block abandons an
   * apply of an older one. Never throws: an invalid block is reported (log and event).
   *
   * @param hints the observer's receipt, or anything else that knows where it was committed.
   */
  receive(block: ConfigBlock, hints: ReceiveHints = {}): ReceiveOutcome {
    const { state, outcome } = receiveConfigBlock(this.state, block, this.verify);
    this.state = state;
    if (hints.notBeforeBlock !== undefined) this.notBefore.set(block.height, hints.notBeforeBlock);
    if (outcome.kind === 'invalid') {
      this.logger.error(`✖ MGMT_INVALID_BLOCK: refused configuration block at height ${String(block.height)}: ${outcome.reason}`);
    } else if (outcome.kind === 'stale') {
      this.logger.warn(`refused block ${block.height}: another block is stored at that height`);
    }
    this.emit('received', { block, outcome });
    if (outcome.kind === 'appended' || outcome.kind === 'future') {
      if (this.applying !== undefined && latestHeight(this.state) > this.applying.height) {
        this.applying.controller.abort(new Superseded(this.applying.height));
      }
      this.dirty = true;
      this.wake?.();
    }
    return outcome;
  }

  /**
   * Algorithm 2 lines 9-10: whether a primary block tagged with configuration `configHeight` is
   * valid here, that is produced under H_cc. Refusals are reported as `blockRejected`.
   */
  checkBlock(configHeight: number): boolean {
    const valid = blockValidUnder(this.state, configHeight);
    if (!valid) {
      this.logger.warn(`block produced under configuration ${configHeight} refused: the active configuration is ${this.state.activeHeight}`);
      this.emit('blockRejected', { configHeight, activeHeight: this.state.activeHeight });
    }
    return valid;
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    let delay = this.retry.initialMs;
    while (!signal.aborted) {
      try {
        if (latestHeight(this.state) > this.state.activeHeight && !isWaiting(this.state)) {
          // Lines 11-15: let the running round finish, then switch to the latest block.
          await this.adapter.roundBoundary(signal);
          const ended = endRound(this.state);
          this.state = ended.state;
          if (ended.kind === 'switched') {
            this.switchedAtMs = this.clock();
            this.logger.info(`switching configuration ${ended.from} -> ${ended.to} between rounds`);
            this.emit('switched', { from: ended.from, to: ended.to, atMs: this.switchedAtMs });
          }
        }
        if (this.inForce !== this.state.activeHeight) {
          await this.applyActive();
        }
        // Line 16: the next round runs under H_cc.
        const started = startRound(this.state);
        if (started.started) this.state = started.state;
        delay = this.retry.initialMs;
        await this.idle();
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof Superseded) continue;
        const error = err instanceof Error ? err : new Error(messageOf(err));
        const height = this.state.activeHeight;
        this.logger.warn(`applying configuration ${height} failed (${error.message}); retrying in ${delay} ms`);
        this.emit('applyFailed', { height, error, retryInMs: delay });
        await sleep(delay, signal);
        delay = Math.min(this.retry.maxMs, delay * 2);
      }
    }
  }

  private async applyActive(): Promise<void> {
    const block = activeBlock(this.state);
    const controller = new AbortController();
    const onStop = (): void => { controller.abort(); };
    this.abort.signal.addEventListener('abort', onStop, { once: true });
    this.applying = { height: block.height, controller };
    try {
      const notBeforeBlock = this.notBefore.get(block.height);
      const below = this.inForce ?? 0;
      const earlier = this.state.chain.filter((b) => b.height > below && b.height < block.height).slice(-EARLIER_PASSED);
      const result = await this.adapter.apply(block, {
        signal: controller.signal,
        ...(notBeforeBlock === undefined ? {} : { notBeforeBlock }),
        ...(earlier.length === 0 ? {} : { earlier }),
      });
      this.reportSkipped(block.height, result);
      this.inForce = block.height;
      const applied: AppliedConfiguration = { height: block.height, result, switchedAtMs: this.switchedAtMs, inForceAtMs: this.clock() };
      this.logger.info(`configuration ${block.height} in force (${result.outcome}${result.submitted ? ', submitted here' : ''})`);
      this.emit('applied', applied);
    } catch (err) {
      if (controller.signal.reason instanceof Superseded) throw controller.signal.reason;
      throw err;
    } finally {
      this.applying = undefined;
      this.abort.signal.removeEventListener('abort', onStop);
    }
  }

  /** Heights between the configuration in force before and this one that never were in force. */
  private reportSkipped(height: number, result: ApplyResult): void {
    if (result.outcome !== 'applied') return;
    const from = result.fromHeight ?? this.inForce;
    if (from === undefined || from >= height - 1) return;
    const passed = new Set(result.earlierInForce ?? []);
    const heights: number[] = [];
    for (let h = from + 1; h < height; h++) if (!passed.has(h)) heights.push(h);
    if (heights.length === 0) return;
    this.logger.info(`configuration blocks ${heights.join(', ')} skipped: block ${height} was put in force directly (blocks arrived faster than updates were signed)`);
    this.emit('skipped', { heights, inForce: height });
  }

  /** Waits for receive() to add something, or for stop(). */
  private async idle(): Promise<void> {
    if (!this.dirty && !this.abort.signal.aborted) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
    this.dirty = false;
  }
}
