/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Following the management chaincode's events for as long as a component runs: the one
 * reconnect-with-backoff loop of the orchestrator (the management node, the observer and the
 * primary adapter each run one). A stream that fails or ends is reopened after the last event
 * handled, so nothing is skipped: the checkpoint moves past an event only once its handler
 * returned, and a handler that throws has the stream reopened (with backoff) at that event.
 */
import { promises as fs } from 'node:fs';
import { checkpointers } from '@hyperledger/fabric-gateway';
import type { Checkpointer } from '@hyperledger/fabric-gateway';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import { Backoff, systemClock } from '../managementNode/clock';
import type { Clock, TimerHandle } from '../managementNode/clock';
import type { EventStream, EventStreamOptions, MgmtEvent } from './client';

/** A failed or ended stream, as {@link MgmtEventFollowerOptions.onFailure} hears of it. */
export interface FollowFailure {
  /** A `LedgerCallError` from the stream, the handler's error, or "the chaincode event stream ended". */
  readonly error: Error;
  /** When the stream is reopened, ms. */
  readonly retryInMs: number;
  /** Failures in a row, 1 for the first. */
  readonly attempt: number;
}

/** Options of {@link MgmtEventFollower}. */
export interface MgmtEventFollowerOptions {
  /** Opens one stream (`MgmtReader.events`, or a fake's). */
  readonly open: (position: EventStreamOptions) => Promise<EventStream<MgmtEvent>>;
  /** Remembers the position across reopenings; a fresh in-memory one by default ({@link openFileCheckpointer} persists it). */
  readonly checkpointer?: Checkpointer;
  /** Where the stream starts while the checkpoint is empty; the next block by default. */
  readonly startBlock?: bigint;
  /** Handles one event; the next one waits for it. A throw reopens the stream at this event, after a backoff. */
  readonly onEvent: (event: MgmtEvent) => void | Promise<void>;
  /** Runs before every opening; a throw counts as a failure of the stream. */
  readonly beforeOpen?: () => Promise<void>;
  /** The stream is open (again). */
  readonly onConnected?: () => void;
  /** The stream failed or ended, or a handler threw; it is reopened after `retryInMs`. Not called once stopped. */
  readonly onFailure?: (failure: FollowFailure) => void;
  /** Reopening backoff, ms: doubles from `initialMs` (250) to `maxMs` (10 000); back to `initialMs` after an event handled. */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Timers of the backoff; the process clock by default. */
  readonly clock?: Clock;
}

/**
 * A file checkpointer (fabric-gateway's), replaced by an empty one when the file is unreadable:
 * the gateway writes it in place, so a crash mid-write can leave it so. Losing it costs a replay
 * from the start block, which a consumer that recognises what it has seen turns into duplicates.
 *
 * @param onUnreadable - told why the file was discarded.
 * @throws whatever creating an empty checkpoint file throws.
 */
export async function openFileCheckpointer(file: string, onUnreadable?: (err: unknown) => void): Promise<Checkpointer> {
  try {
    return await checkpointers.file(file);
  } catch (err) {
    onUnreadable?.(err);
    await fs.rm(file, { force: true });
    return checkpointers.file(file);
  }
}

/**
 * Follows the management chaincode's events: opens the stream, hands each event on in order,
 * checkpoints it once handled, and reopens the stream after the checkpoint with exponential
 * backoff when it fails, ends, or a handler throws.
 *
 * @example
 * const follower = new MgmtEventFollower({
 *   open: (position) => client.events(position),
 *   onEvent: (event) => { if (event.decoded?.name === 'VoteCast') look(); },
 *   onFailure: ({ error, retryInMs }) => log(`${error.message}; reopening in ${retryInMs} ms`),
 * });
 * follower.start();
 * // ...
 * await follower.stop();
 */
export class MgmtEventFollower {
  private readonly options: Readonly<MgmtEventFollowerOptions>;
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly checkpointer: Checkpointer;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private stream: EventStream<MgmtEvent> | undefined;
  private sleeping: { readonly timer: TimerHandle; readonly resolve: () => void } | undefined;

  constructor(options: Readonly<MgmtEventFollowerOptions>) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff(options.retry?.initialMs ?? 250, options.retry?.maxMs ?? 10_000);
    this.checkpointer = options.checkpointer ?? checkpointers.inMemory();
  }

  /** Whether {@link stop} was called. */
  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Starts following in the background.
   *
   * @throws Error when started before, or after {@link stop}.
   */
  start(): void {
    if (this.loop !== undefined || this.stopped) throw new Error('an event follower starts once');
    this.loop = this.run();
  }

  /**
   * Stops following: closes the stream and cuts a backoff short. Resolves once the loop ended,
   * which waits for the handler of the event in hand. Idempotent.
   */
  stop(): Promise<void> {
    this.stopped = true;
    this.stream?.close();
    if (this.sleeping !== undefined) {
      this.clock.clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
      this.sleeping = undefined;
    }
    return this.loop ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let stream: EventStream<MgmtEvent> | undefined;
      try {
        await this.options.beforeOpen?.();
        if (this.stopped) break;
        stream = await this.options.open({ checkpoint: this.checkpointer, startBlock: this.options.startBlock });
        this.stream = stream;
        if (this.stopped) break;
        this.options.onConnected?.();
        for await (const event of stream) {
          if (this.stopped) break;
          await this.options.onEvent(event);
          // Only now: the event is handled, so a reopened stream may move past it.
          await this.checkpointer.checkpointChaincodeEvent(event);
          this.backoff.reset();
        }
        if (!this.stopped) throw new Error('the chaincode event stream ended');
      } catch (err) {
        if (this.stopped) break;
        const retryInMs = this.backoff.next();
        this.options.onFailure?.({ error: err instanceof Error ? err : new Error(messageOf(err)), retryInMs, attempt: this.backoff.attempts });
        await this.sleep(retryInMs);
      } finally {
        stream?.close();
        this.stream = undefined;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, resolve };
    });
  }
}
