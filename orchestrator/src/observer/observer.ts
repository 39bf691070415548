/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The observer (docs/architecture.md, "Data flow", step 5): one per member, it follows the management chain's
 * `ConfigBlockCommitted` events through the member's own peer, verifies every configuration block
 * with the protocol core before anything else sees it, keeps the verified chain on disk, and
 * hands each block on exactly once, in height order.
 *
 * Durability, and why nothing is lost or repeated across a restart:
 * - The gateway's file checkpointer remembers the stream position (block and transaction), so a
 *   restart resumes after the last event processed.
 * - A block is written to the chain store (fsynced) before the event is checkpointed, and handed
 *   on from the store, not from the event; the consumer's return is recorded as the delivered
 *   mark. So a crash after storing re-delivers from the store, never from the stream, and a
 *   replayed event of a stored block is recognised by height and hash and dropped. The one window
 *   left is a crash inside the consumer: that block is handed on again after the restart (its
 *   return was never recorded); the primary runtime treats a repeat as a duplicate.
 * - A height above the next one (events missed while the stream was behind a checkpoint, a
 *   block rejected in transit) is a gap: the missing heights are fetched with `GetBlocks`, 100
 *   per call, and verified in order before the block that revealed the gap.
 *
 * A block that fails verification is reported loudly (a `rejected` event and an error log naming
 * the height and the reason) and is never stored or handed on; the observer then fetches that
 * height again with `GetBlocks`, so a block damaged in transit is replaced by the committed one.
 */
import { EventEmitter } from 'node:events';
import * as path from 'node:path';
import type { Checkpointer } from '@hyperledger/fabric-gateway';
import type { ConfigBlock, GenesisParams, JsonValue } from 'mgmt-chaincode/dist/protocol';
import { EVENTS, MAX_BLOCKS_PER_CALL, messageOf, parseIJson, verifyBlock } from 'mgmt-chaincode/dist/protocol';
import { openSslVerifier } from '../audit/opensslVerifier';
import { MgmtReader } from '../mgmtClient/client';
import type { MgmtEvent } from '../mgmtClient/client';
import { MgmtEventFollower, openFileCheckpointer } from '../mgmtClient/events';
import type { FollowFailure } from '../mgmtClient/events';
import { ChainStore } from './chainStore';
import { ObserverError } from './errors';
import type {
  ConfigBlockReceipt,
  InboundConfigBlock,
  InboundFilter,
  Logger,
  ManagementNetwork,
  RejectedConfigBlock,
  RejectionCode,
  VerifiedConfigBlock,
} from './types';

/** Options of {@link Observer}. */
export interface ObserverOptions {
  /** The member's gateway network for the management channel; the caller closes the gateway. */
  readonly network: ManagementNetwork;
  /** The management chaincode, `mgmt` (DEFAULT_MGMT_CHAINCODE) by default. */
  readonly chaincodeName?: string;
  /** Folder of the observer's state: checkpoint, verified chain, delivered mark. */
  readonly stateDir: string;
  /**
   * Receives each verified block once, in height order; the next block waits for its promise.
   * A throw is retried (with the reconnect backoff) and never skipped.
   */
  readonly onConfigBlock: (verified: VerifiedConfigBlock) => void | Promise<void>;
  /**
   * The genesis hash this member trusts (for instance from the consortium agreement). Without
   * it the first genesis that verifies is trusted: its members' quorum proof is checked, but not
   * who those members are.
   */
  readonly trustedGenesisHash?: string;
  /** Transport seam, for tests: sees every block as it arrives (see {@link InboundFilter}). */
  readonly inbound?: InboundFilter;
  /** Epoch milliseconds, `Date.now` by default. */
  readonly clock?: () => number;
  readonly logger?: Logger;
  /** Reconnect backoff after the peer goes away: doubles from `initialMs` (250) to `maxMs` (10 000). */
  readonly reconnect?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Names the observer in log lines, e.g. the member's MSP ID. */
  readonly name?: string;
}

/** Events of an {@link Observer}; listen with `observer.on(name, listener)`. */
export interface ObserverEvents {
  /** A block passed verification and was stored. */
  verified: [VerifiedConfigBlock];
  /** The consumer returned for a block. */
  delivered: [VerifiedConfigBlock];
  /** A block failed verification; it is neither stored nor handed on. */
  rejected: [RejectedConfigBlock];
  /** A block arrived above the next height; `from`..`to` are fetched. */
  gap: [{ readonly from: number; readonly to: number }];
  /** The event stream is (re)established. */
  connected: [];
  /** The stream or the consumer failed; the observer retries after `retryInMs`. */
  disconnected: [{ readonly error: Error; readonly retryInMs: number }];
}

const CHECKPOINT_FILE = 'checkpoint.json';
const utf8 = new TextDecoder();

class ConsumerError extends Error {
  constructor(height: number, cause: unknown) {
    super(`the consumer failed on block ${height}: ${messageOf(cause)}`, { cause });
    this.name = 'ConsumerError';
  }
}

function claimed(value: JsonValue | undefined): { height: number | undefined; hash: string | undefined } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { height: undefined, hash: undefined };
  const { height, hash } = value;
  return {
    height: typeof height === 'number' && Number.isSafeInteger(height) && height >= 0 ? height : undefined,
    hash: typeof hash === 'string' ? hash : undefined,
  };
}

/**
 * Follows, verifies, stores and hands on the management chain's configuration blocks.
 *
 * @example
 * const observer = new Observer({
 *   network: gateway.getNetwork('mgmt'),
 *   stateDir: '/var/lib/mgmt/org1/observer',
 *   onConfigBlock: ({ block }) => runtime.receive(block),
 * });
 * observer.on('rejected', (r) => alert(r));
 * await observer.start();
 * // ... on shutdown:
 * await observer.stop();
 * gateway.close();
 */
export class Observer extends EventEmitter<ObserverEvents> {
  private readonly options: Readonly<ObserverOptions>;
  /** The management contract's queries and events, through the member's gateway. */
  private readonly client: MgmtReader;
  private readonly clock: () => number;
  private readonly logger: Logger;
  private readonly abort = new AbortController();
  private store: ChainStore | undefined;
  private follower: MgmtEventFollower | undefined;
  private state: 'new' | 'running' | 'stopped' = 'new';

  constructor(options: Readonly<ObserverOptions>) {
    super();
    this.options = options;
    this.client = new MgmtReader({ network: options.network, chaincodeName: options.chaincodeName });
    this.clock = options.clock ?? Date.now;
    const prefix = `[observer${options.name === undefined ? '' : ` ${options.name}`}]`;
    const logger = options.logger ?? console;
    this.logger = {
      info: (m) => { logger.info(`${prefix} ${m}`); },
      warn: (m) => { logger.warn(`${prefix} ${m}`); },
      error: (m) => { logger.error(`${prefix} ${m}`); },
    };
  }

  /**
   * Opens the state folder and starts following the chain in the background. Blocks verified
   * before a previous stop but not acknowledged by the consumer are handed on first.
   *
   * @throws {@link ObserverError} `OBSERVER_STATE` if already started; `OBSERVER_STORE_CORRUPT` or
   * `OBSERVER_STORE_IO` if the state folder cannot be used.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new ObserverError(`cannot start an observer that is ${this.state}`, { code: 'OBSERVER_STATE' });
    this.state = 'running';
    this.store = await ChainStore.open(this.options.stateDir);
    let checkpointer: Checkpointer;
    try {
      checkpointer = await this.openCheckpointer();
    } catch (err) {
      await this.store.close();
      this.state = 'stopped';
      throw err;
    }
    this.logger.info(`resuming with ${this.store.latestHeight + 1} verified blocks, ${this.store.deliveredHeight + 1} handed on`);
    this.follower = new MgmtEventFollower({
      open: (position) => this.client.events(position),
      checkpointer,
      startBlock: 0n,
      retry: { initialMs: this.options.reconnect?.initialMs ?? 250, maxMs: this.options.reconnect?.maxMs ?? 10_000 },
      // Blocks stored before a restart (or a failed consumer) are handed on before anything new.
      beforeOpen: () => this.deliverPending(),
      onConnected: () => {
        this.emit('connected');
      },
      onEvent: (event) => this.onEvent(event),
      onFailure: (failure) => {
        this.onFailure(failure);
      },
    });
    this.follower.start();
  }

  /** Stops following the chain and waits for the block in hand to be finished. Idempotent. */
  async stop(): Promise<void> {
    if (this.state !== 'stopped') {
      this.state = 'stopped';
      this.abort.abort();
    }
    // Every caller waits, also one that stops the observer from inside its own consumer.
    await this.follower?.stop();
    await this.store?.close();
  }

  /** MC_i: the verified blocks, by height. */
  get chain(): readonly ConfigBlock[] {
    return this.entries.map((e) => e.block);
  }

  /** The verified blocks with their receipts (arrival and verification times). */
  get entries(): readonly VerifiedConfigBlock[] {
    return this.store?.entries ?? [];
  }

  /** Height of the latest verified block, -1 before genesis. */
  get latestHeight(): number {
    return this.store?.latestHeight ?? -1;
  }

  /** Height of the latest block the consumer returned for, -1 before any. */
  get deliveredHeight(): number {
    return this.store?.deliveredHeight ?? -1;
  }

  /**
   * Resolves once the block at `height` has been handed on (at once if it already was).
   *
   * @throws Error when `timeoutMs` passes first, or the observer stops.
   */
  waitForDelivered(height: number, timeoutMs = 60_000): Promise<VerifiedConfigBlock> {
    const done = this.entries[height];
    if (done !== undefined && this.deliveredHeight >= height) return Promise.resolve(done);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.off('delivered', onDelivered);
        this.abort.signal.removeEventListener('abort', onStop);
      };
      const onDelivered = (v: VerifiedConfigBlock): void => {
        if (v.block.height < height) return;
        cleanup();
        resolve(this.entries[height] ?? v);
      };
      const onStop = (): void => {
        cleanup();
        reject(new Error(`observer stopped before block ${height} was handed on`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`block ${height} was not handed on within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on('delivered', onDelivered);
      this.abort.signal.addEventListener('abort', onStop, { once: true });
    });
  }

  private openCheckpointer(): Promise<Checkpointer> {
    const file = path.join(this.options.stateDir, CHECKPOINT_FILE);
    // Losing it costs a replay from block 0, which the store turns into duplicates, never repeats.
    return openFileCheckpointer(file, (err) => {
      this.logger.warn(`checkpoint ${file} is unreadable (${messageOf(err)}); replaying the stream from block 0`);
    });
  }

  /** One chaincode event: a block is stored and handed on before the follower checkpoints the event. */
  private async onEvent(event: MgmtEvent): Promise<void> {
    if (event.eventName !== EVENTS.ConfigBlockCommitted) return;
    await this.accept({ source: 'event', payload: event.payload, blockNumber: event.blockNumber, transactionId: event.transactionId }, true);
    await this.deliverPending();
  }

  private onFailure({ error, retryInMs }: FollowFailure): void {
    if (error instanceof ConsumerError) this.logger.error(`${error.message}; retrying in ${retryInMs} ms`);
    else this.logger.warn(`event stream failed (${error.message}); reconnecting in ${retryInMs} ms`);
    this.emit('disconnected', { error, retryInMs });
  }

  private async deliverPending(): Promise<void> {
    const store = this.requireStore();
    while (store.deliveredHeight < store.latestHeight && !this.abort.signal.aborted) {
      const height = store.deliveredHeight + 1;
      const entry = store.entries[height];
      try {
        await this.options.onConfigBlock(entry);
      } catch (err) {
        throw new ConsumerError(height, err);
      }
      await store.markDelivered(height);
      this.emit('delivered', entry);
    }
  }

  private requireStore(): ChainStore {
    if (this.store === undefined) throw new ObserverError('the observer is not started', { code: 'OBSERVER_STATE' });
    return this.store;
  }

  /**
   * Checks one arriving block and stores it if it verifies. Fills a gap below it first.
   *
   * @param recover on a rejection, fetch the same height again (not for fetched blocks, which
   *   would loop).
   * @throws {@link ObserverError} `OBSERVER_FETCH_FAILED` when a gap cannot be filled: the
   *   stream is then retried without checkpointing the event, so the block comes again.
   */
  private async accept(arrived: InboundConfigBlock, recover: boolean): Promise<void> {
    const store = this.requireStore();
    const message = this.options.inbound ? this.options.inbound(arrived) : arrived;
    const receivedAtMs = this.clock();
    let value: JsonValue;
    try {
      value = parseIJson(utf8.decode(message.payload), 'payload');
    } catch (err) {
      this.reject(message, 'MGMT_INVALID_JSON', messageOf(err), undefined, undefined);
      return;
    }
    const { height, hash } = claimed(value);
    if (height !== undefined && height <= store.latestHeight) {
      const stored = store.entries[height]?.block;
      if (stored?.hash !== hash) {
        this.reject(message, 'OBSERVER_CONFLICT', `differs from the verified block ${height} (${stored?.hash ?? '?'})`, height, hash);
      }
      return;
    }
    if (height !== undefined && height > store.latestHeight + 1) {
      const from = store.latestHeight + 1;
      this.emit('gap', { from, to: height - 1 });
      this.logger.warn(`block ${height} arrived after ${store.latestHeight}: fetching ${from}..${height - 1}`);
      await this.fetch(from, height - 1);
      if (store.latestHeight !== height - 1) {
        throw new ObserverError(`could not fill the gap ${from}..${height - 1} below block ${height}`, {
          code: 'OBSERVER_FETCH_FAILED',
          transactionId: message.transactionId,
        });
      }
    }
    const verified = this.verify(value, message, height, hash);
    if (verified === undefined) {
      if (recover && height !== undefined) await this.fetch(height, height);
      return;
    }
    const entry: VerifiedConfigBlock = { block: verified, receipt: this.receipt(message, verified.height, receivedAtMs) };
    await store.append(entry);
    this.emit('verified', entry);
  }

  private receipt(message: InboundConfigBlock, height: number, receivedAtMs: number): ConfigBlockReceipt {
    const previous = this.requireStore().entries[height - 1]?.receipt;
    const committedInBlock = message.source === 'event' ? message.blockNumber : undefined;
    return {
      source: message.source,
      ...(committedInBlock === undefined ? {} : { committedInBlock }),
      // A fetched block was committed no earlier than its predecessor.
      notBeforeBlock: committedInBlock ?? previous?.committedInBlock ?? previous?.notBeforeBlock ?? 0n,
      ...(message.transactionId === undefined ? {} : { transactionId: message.transactionId }),
      receivedAtMs,
      verifiedAtMs: this.clock(),
    };
  }

  private verify(value: JsonValue, message: InboundConfigBlock, height: number | undefined, hash: string | undefined): ConfigBlock | undefined {
    const store = this.requireStore();
    const genesis = store.entries[0]?.block;
    try {
      if (height === 0 || genesis === undefined) {
        const block = verifyBlock(value, { verifier: openSslVerifier });
        const trusted = this.options.trustedGenesisHash;
        if (trusted !== undefined && block.hash !== trusted) {
          this.reject(message, 'OBSERVER_UNTRUSTED_GENESIS', `genesis ${block.hash} is not the trusted ${trusted}`, height, hash);
          return undefined;
        }
        return block;
      }
      const previous = store.entries[store.latestHeight]?.block;
      return verifyBlock(value, { previous, params: this.paramsInForce(store.entries), verifier: openSslVerifier });
    } catch (err) {
      this.reject(message, 'MGMT_INVALID_BLOCK', messageOf(err), height, hash);
      return undefined;
    }
  }

  /** Params in force after the verified chain, scanning only what was appended since the last call. */
  private paramsCache: { scanned: number; params: GenesisParams | undefined } = { scanned: 0, params: undefined };

  private paramsInForce(chain: readonly { readonly block: ConfigBlock }[]): GenesisParams {
    // A chain store reloaded or replaced starts the scan again.
    if (chain.length < this.paramsCache.scanned) this.paramsCache = { scanned: 0, params: undefined };
    let { params } = this.paramsCache;
    for (let h = this.paramsCache.scanned; h < chain.length; h++) params = chain[h]?.block.params ?? params;
    this.paramsCache = { scanned: chain.length, params };
    if (params === undefined) throw new Error('no genesis params in the verified chain');
    return params;
  }

  private reject(message: InboundConfigBlock, code: RejectionCode, reason: string, height: number | undefined, hash: string | undefined): void {
    const rejected: RejectedConfigBlock = {
      code,
      height,
      hash,
      reason,
      source: message.source,
      ...(message.blockNumber === undefined ? {} : { blockNumber: message.blockNumber }),
      ...(message.transactionId === undefined ? {} : { transactionId: message.transactionId }),
      atMs: this.clock(),
    };
    const where = message.source === 'event' ? `event of tx ${message.transactionId ?? '?'} in block ${String(message.blockNumber ?? '?')}` : 'GetBlocks';
    this.logger.error(`✖ ${code}: REJECTED configuration block at height ${height ?? '?'} (${where}), never applied: ${reason}`);
    this.emit('rejected', rejected);
  }

  /** GetBlocks from..to, in pages of 100; each block goes through the same checks. */
  private async fetch(from: number, to: number): Promise<void> {
    const store = this.requireStore();
    let next = from;
    while (next <= to && !this.abort.signal.aborted) {
      const last = Math.min(to, next + MAX_BLOCKS_PER_CALL - 1);
      let blocks: unknown;
      try {
        blocks = await this.client.getBlocks(next, last);
      } catch (err) {
        throw new ObserverError(`GetBlocks(${next}, ${last}) failed: ${messageOf(err)}`, { code: 'OBSERVER_FETCH_FAILED', cause: err });
      }
      if (!Array.isArray(blocks)) throw new ObserverError(`GetBlocks(${next}, ${last}) did not answer an array`, { code: 'OBSERVER_FETCH_FAILED' });
      if (blocks.length === 0) return;
      const before = store.latestHeight;
      for (const block of blocks) {
        await this.accept({ source: 'fetch', payload: Buffer.from(JSON.stringify(block), 'utf8') }, false);
      }
      // Nothing new verified: the rest cannot link either; the caller decides what that means.
      if (store.latestHeight === before) return;
      next = store.latestHeight + 1;
    }
  }
}
