/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The observer against an in-memory management channel that emits chaincode events as the peer's
 * gateway does (start block, checkpoint with after-transaction) and answers GetBlocks, with real
 * configuration blocks sealed by the chaincode over its fake ledger.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChaincodeEvent, ChaincodeEventsOptions, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import { ContractHarness, T0 } from '../../../chaincode/src/testing/harness';
import { ChainStore } from './chainStore';
import { Observer } from './observer';
import type { ObserverOptions } from './observer';
import type { InboundConfigBlock, Logger, ManagementNetwork, RejectedConfigBlock, VerifiedConfigBlock } from './types';

interface Committed {
  readonly event: ChaincodeEvent;
}

class FakeStream implements AsyncIterator<ChaincodeEvent> {
  private index: number;
  private closed = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;

  constructor(
    private readonly log: Committed[],
    start: number,
  ) {
    this.index = start;
  }

  poke(): void {
    this.wake?.();
  }

  fail(error: Error): void {
    this.failure = error;
    this.poke();
  }

  close(): void {
    this.closed = true;
    this.poke();
  }

  async next(): Promise<IteratorResult<ChaincodeEvent>> {
    for (;;) {
      if (this.closed) return { done: true, value: undefined };
      if (this.failure) throw this.failure;
      const entry = this.log[this.index];
      if (entry) {
        this.index++;
        return { done: false, value: entry.event };
      }
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }
}

/** An in-memory mgmt channel: commit() adds a block with one event; streams follow. */
export class FakeManagementNetwork implements ManagementNetwork {
  readonly log: Committed[] = [];
  readonly blocks: ConfigBlock[] = [];
  readonly streams: FakeStream[] = [];
  /** Heights whose ConfigBlockCommitted event is not emitted (a peer that lost them). */
  readonly silent = new Set<number>();
  getBlocksCalls: [number, number][] = [];
  private nextBlock = 5n;

  /** Commits a CB: stored for GetBlocks, and its event (unless silenced) in a block of its own. */
  commit(cb: ConfigBlock, extraEvents: string[] = []): bigint {
    const blockNumber = this.nextBlock++;
    this.blocks[cb.height] = cb;
    extraEvents.forEach((name, i) => { this.push(blockNumber, `tx-${blockNumber}-${i}`, name, Buffer.from('{}')); });
    if (!this.silent.has(cb.height)) {
      this.push(blockNumber, `tx-${blockNumber}-tally`, 'ConfigBlockCommitted', Buffer.from(JSON.stringify(cb)));
    }
    return blockNumber;
  }

  private push(blockNumber: bigint, transactionId: string, eventName: string, payload: Uint8Array): void {
    this.log.push({ event: { blockNumber, transactionId, chaincodeName: 'mgmt', eventName, payload } });
    this.streams.forEach((s) => { s.poke(); });
  }

  /** Makes every open stream fail, as when the peer goes away. */
  breakStreams(error = new Error('14 UNAVAILABLE: peer went away')): void {
    this.streams.forEach((s) => { s.fail(error); });
  }

  getChaincodeEvents(_chaincodeName: string, options: ChaincodeEventsOptions = {}): Promise<CloseableAsyncIterable<ChaincodeEvent>> {
    const startBlock = options.checkpoint?.getBlockNumber() ?? options.startBlock;
    const after = options.checkpoint?.getTransactionId();
    let start = startBlock === undefined ? this.log.length : this.log.findIndex((c) => c.event.blockNumber >= startBlock);
    if (start < 0) start = this.log.length;
    if (after !== undefined) {
      const at = this.log.findIndex((c) => c.event.transactionId === after);
      if (at >= start) start = at + 1;
    }
    const stream = new FakeStream(this.log, start);
    this.streams.push(stream);
    const iterable = {
      [Symbol.asyncIterator]: (): AsyncIterator<ChaincodeEvent> => stream,
      close: (): void => { stream.close(); },
    };
    return Promise.resolve(iterable as unknown as CloseableAsyncIterable<ChaincodeEvent>);
  }

  getContract(): { evaluateTransaction(name: string, ...args: string[]): Promise<Uint8Array> } {
    return {
      evaluateTransaction: (name: string, ...args: string[]): Promise<Uint8Array> => {
        if (name !== 'GetBlocks') return Promise.reject(new Error(`unexpected ${name}`));
        const from = Number(args[0]);
        const to = Math.min(Number(args[1]), from + 99);
        this.getBlocksCalls.push([from, to]);
        const answer = this.blocks.slice(from, to + 1).filter((b) => b !== undefined);
        return Promise.resolve(Buffer.from(JSON.stringify(answer)));
      },
    };
  }
}

// ---------------------------------------------------------------------------------------------

let chain: ConfigBlock[];
const dirs: string[] = [];
const running: Observer[] = [];

beforeAll(async () => {
  const h = await ContractHarness.create();
  chain = [await h.sealGenesis(T0)];
  for (let i = 1; i <= 6; i++) {
    const t = Date.parse(chain[i - 1].timestamp) + 30_000;
    const proposal = await h.proposeAsExpected(t, { batchTimeoutMs: 1000 + i * 100, maxMessageCount: 10 + i });
    chain.push(await h.approveAndTally(proposal, t + 1));
  }
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((o) => o.stop()));
  dirs.splice(0).forEach((d) => { rmSync(d, { recursive: true, force: true }); });
});

function stateDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'observer-unit-'));
  dirs.push(dir);
  return dir;
}

interface Harness {
  observer: Observer;
  delivered: VerifiedConfigBlock[];
  rejected: RejectedConfigBlock[];
  errors: string[];
}

function quietLogger(errors: string[]): Logger {
  return { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
}

async function observe(net: ManagementNetwork, dir: string, options: Partial<ObserverOptions> = {}): Promise<Harness> {
  const delivered: VerifiedConfigBlock[] = [];
  const rejected: RejectedConfigBlock[] = [];
  const errors: string[] = [];
  const observer = new Observer({
    network: net,
    stateDir: dir,
    onConfigBlock: (v) => {
      delivered.push(v);
    },
    logger: quietLogger(errors),
    reconnect: { initialMs: 5, maxMs: 20 },
    ...options,
  });
  observer.on('rejected', (r) => rejected.push(r));
  running.push(observer);
  await observer.start();
  return { observer, delivered, rejected, errors };
}

const heights = (vs: readonly VerifiedConfigBlock[]): number[] => vs.map((v) => v.block.height);

function tamper(message: InboundConfigBlock, height: number): InboundConfigBlock {
  const cb = JSON.parse(Buffer.from(message.payload).toString('utf8')) as ConfigBlock;
  if (cb.height !== height) return message;
  const altered = { ...cb, config: { ...cb.config, maxMessageCount: 999 } };
  return { ...message, payload: Buffer.from(JSON.stringify(altered)) };
}

describe('Observer', () => {
  it('verifies and hands on every block once, in order, with when it was verified', async () => {
    const net = new FakeManagementNetwork();
    let now = 1_000;
    const { observer, delivered } = await observe(net, stateDir(), { clock: () => (now += 10) });
    const committedIn = chain.slice(0, 4).map((cb) => net.commit(cb, ['VoteCast']));
    await observer.waitForDelivered(3, 5_000);
    expect(heights(delivered)).toEqual([0, 1, 2, 3]);
    expect(delivered.map((v) => v.block.hash)).toEqual(chain.slice(0, 4).map((b) => b.hash));
    expect(delivered.map((v) => v.receipt.committedInBlock)).toEqual(committedIn);
    for (const { receipt } of delivered) {
      expect(receipt).toMatchObject({ source: 'event', notBeforeBlock: receipt.committedInBlock });
      expect(receipt.verifiedAtMs).toBeGreaterThan(receipt.receivedAtMs);
    }
    expect(observer.chain.map((b) => b.height)).toEqual([0, 1, 2, 3]);
    expect(net.getBlocksCalls).toEqual([]);
  });

  it('restarted mid-stream, resumes from its checkpoint: every block exactly once, in order', async () => {
    const net = new FakeManagementNetwork();
    const dir = stateDir();
    chain.slice(0, 4).forEach((cb) => net.commit(cb));
    const firstDelivered: VerifiedConfigBlock[] = [];
    const holder: { observer?: Observer } = {};
    // Stops itself while handling block 1, with blocks 2 and 3 already on the stream.
    const first = await observe(net, dir, {
      onConfigBlock: (v) => {
        firstDelivered.push(v);
        if (v.block.height === 1) void holder.observer?.stop();
      },
    });
    holder.observer = first.observer;
    await first.observer.waitForDelivered(1, 5_000).catch(() => undefined);
    await first.observer.stop();
    expect(heights(firstDelivered)).toEqual([0, 1]);
    net.commit(chain[4]);

    const second = await observe(net, dir);
    net.commit(chain[5]);
    await second.observer.waitForDelivered(5, 5_000);
    expect([...heights(firstDelivered), ...heights(second.delivered)]).toEqual([0, 1, 2, 3, 4, 5]);
    await second.observer.stop();

    // Even with the checkpoint lost (replay from block 0), nothing is handed on twice.
    rmSync(path.join(dir, 'checkpoint.json'));
    const third = await observe(net, dir);
    net.commit(chain[6]);
    await third.observer.waitForDelivered(6, 5_000);
    expect(heights(third.delivered)).toEqual([6]);
    expect(third.rejected).toEqual([]);
  });

  it('hands on again after a restart a block whose consumer did not return', async () => {
    const net = new FakeManagementNetwork();
    const dir = stateDir();
    chain.slice(0, 3).forEach((cb) => net.commit(cb));
    const crashing = await observe(net, dir, {
      onConfigBlock: (v) => {
        if (v.block.height === 2) throw new Error('consumer crashed');
        crashing.delivered.push(v);
      },
    });
    const crashing2 = crashing;
    await new Promise<void>((resolve) => crashing2.observer.once('disconnected', () => { resolve(); }));
    await crashing.observer.stop();
    expect(heights(crashing.delivered)).toEqual([0, 1]);
    expect(crashing.errors.join('\n')).toMatch(/consumer failed on block 2/);
    const next = await observe(net, dir);
    await next.observer.waitForDelivered(2, 5_000);
    expect(heights(next.delivered)).toEqual([2]);
  });

  it('fetches missing heights with GetBlocks when a block arrives above the next one', async () => {
    const net = new FakeManagementNetwork();
    net.silent.add(1).add(2);
    const gaps: { from: number; to: number }[] = [];
    const { observer, delivered } = await observe(net, stateDir());
    observer.on('gap', (g) => gaps.push(g));
    const committed = chain.slice(0, 4).map((cb) => net.commit(cb));
    await observer.waitForDelivered(3, 5_000);
    expect(heights(delivered)).toEqual([0, 1, 2, 3]);
    expect(gaps).toEqual([{ from: 1, to: 2 }]);
    expect(net.getBlocksCalls).toEqual([[1, 2]]);
    expect(delivered.map((v) => v.receipt.source)).toEqual(['event', 'fetch', 'fetch', 'event']);
    // A fetched block's lower bound is its predecessor's block.
    expect(delivered[2].receipt.committedInBlock).toBeUndefined();
    expect(delivered[2].receipt.notBeforeBlock).toBe(committed[0]);
  });

  it('rejects a block altered in transit, loudly, never hands it on, and recovers the committed one', async () => {
    const net = new FakeManagementNetwork();
    const { observer, delivered, rejected, errors } = await observe(net, stateDir(), {
      inbound: (m) => (m.source === 'event' ? tamper(m, 2) : m),
    });
    chain.slice(0, 4).forEach((cb) => net.commit(cb));
    await observer.waitForDelivered(3, 5_000);
    expect(rejected).toEqual([expect.objectContaining({ code: 'MGMT_INVALID_BLOCK', height: 2, source: 'event', reason: expect.stringMatching(/hash .* does not match the header/) })]);
    expect(errors.join('\n')).toMatch(/MGMT_INVALID_BLOCK: REJECTED configuration block at height 2 .* never applied/);
    expect(heights(delivered)).toEqual([0, 1, 2, 3]);
    expect(delivered[2].block).toEqual(chain[2]);
    expect(delivered.every((v) => v.block.config.maxMessageCount !== 999)).toBe(true);
    expect(delivered[2].receipt.source).toBe('fetch');
  });

  it('keeps rejecting while every copy is altered, and catches up once an intact copy arrives', async () => {
    const net = new FakeManagementNetwork();
    let fetchesAltered = 1;
    const { observer, delivered, rejected } = await observe(net, stateDir(), {
      inbound: (m) => {
        if (m.source === 'fetch' && fetchesAltered === 0) return m;
        const altered = tamper(m, 2);
        if (m.source === 'fetch' && altered !== m) fetchesAltered--;
        return altered;
      },
    });
    chain.slice(0, 3).forEach((cb) => net.commit(cb));
    await observer.waitForDelivered(1, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heights(delivered)).toEqual([0, 1]);
    expect(rejected.map((r) => [r.height, r.source])).toEqual([
      [2, 'event'],
      [2, 'fetch'],
    ]);
    net.commit(chain[3]);
    await observer.waitForDelivered(3, 5_000);
    expect(heights(delivered)).toEqual([0, 1, 2, 3]);
  });

  it('reports a different block at a verified height as a conflict', async () => {
    const net = new FakeManagementNetwork();
    let replayed = false;
    const { observer, rejected, delivered } = await observe(net, stateDir(), {
      inbound: (m) => {
        const cb = JSON.parse(Buffer.from(m.payload).toString('utf8')) as ConfigBlock;
        if (cb.height === 2 && !replayed) {
          replayed = true;
          // Block 1 again, with another hash: what a forked or lying peer would send.
          return { ...m, payload: Buffer.from(JSON.stringify({ ...chain[1], hash: 'ab'.repeat(32) })) };
        }
        return m;
      },
    });
    chain.slice(0, 4).forEach((cb) => net.commit(cb));
    await observer.waitForDelivered(3, 5_000);
    expect(rejected.map((r) => [r.code, r.height])).toEqual([['OBSERVER_CONFLICT', 1]]);
    expect(heights(delivered)).toEqual([0, 1, 2, 3]);
  });

  it('refuses a genesis other than the trusted one', async () => {
    const net = new FakeManagementNetwork();
    const { observer, rejected, delivered } = await observe(net, stateDir(), { trustedGenesisHash: 'cd'.repeat(32) });
    net.commit(chain[0]);
    await new Promise<void>((resolve) => observer.once('rejected', () => { resolve(); }));
    expect(rejected[0]).toMatchObject({ code: 'OBSERVER_UNTRUSTED_GENESIS', height: 0 });
    expect(delivered).toEqual([]);
  });

  it('reconnects with backoff when the peer goes away, losing nothing', async () => {
    const net = new FakeManagementNetwork();
    const { observer, delivered } = await observe(net, stateDir());
    let connects = 0;
    observer.on('connected', () => connects++);
    net.commit(chain[0]);
    await observer.waitForDelivered(0, 5_000);
    const disconnected = new Promise<void>((resolve) => observer.once('disconnected', () => { resolve(); }));
    net.breakStreams();
    await disconnected;
    net.commit(chain[1]);
    net.commit(chain[2]);
    await observer.waitForDelivered(2, 5_000);
    expect(heights(delivered)).toEqual([0, 1, 2]);
    expect(connects).toBeGreaterThanOrEqual(1);
  });
});

describe('ChainStore', () => {
  async function filled(count: number): Promise<string> {
    const dir = stateDir();
    const store = await ChainStore.open(dir);
    for (const block of chain.slice(0, count)) {
      await store.append({ block, receipt: { source: 'event', notBeforeBlock: 1n, receivedAtMs: 1, verifiedAtMs: 2 } });
    }
    await store.markDelivered(count - 2);
    await store.close();
    return dir;
  }

  it('reads back blocks and the delivered mark, dropping a torn last line', async () => {
    const dir = await filled(3);
    appendFileSync(path.join(dir, 'chain.jsonl'), '{"block": {"height": 3');
    const store = await ChainStore.open(dir);
    expect(store.entries.map((e) => e.block.hash)).toEqual(chain.slice(0, 3).map((b) => b.hash));
    expect(store.deliveredHeight).toBe(1);
    await expect(ChainStore.open(dir)).rejects.toMatchObject({ code: 'OBSERVER_STATE', message: expect.stringMatching(/in use by process/) });
    await store.close();
    expect(readFileSync(path.join(dir, 'chain.jsonl'), 'utf8').endsWith('\n')).toBe(true);
  });

  it('releases the folder before any close() call returns, also a second concurrent one', async () => {
    const dir = await filled(2);
    const store = await ChainStore.open(dir);
    const first = store.close();
    // The race CI once hit: a stop from inside the consumer, then the owner's stop, then a reopen.
    await store.close();
    expect(existsSync(path.join(dir, 'LOCK'))).toBe(false);
    const reopened = await ChainStore.open(dir);
    await Promise.all([first, reopened.close()]);
  });

  it('refuses a file whose blocks do not hash or link', async () => {
    const dir = await filled(3);
    const file = path.join(dir, 'chain.jsonl');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"maxMessageCount":12', '"maxMessageCount":13'));
    await expect(ChainStore.open(dir)).rejects.toMatchObject({ name: 'ObserverError', code: 'OBSERVER_STORE_CORRUPT' });
  });

  it('refuses to append out of order', async () => {
    const store = await ChainStore.open(await filled(2));
    await expect(store.append({ block: chain[3], receipt: { source: 'fetch', notBeforeBlock: 0n, receivedAtMs: 0, verifiedAtMs: 0 } })).rejects.toMatchObject({
      code: 'OBSERVER_STORE_CORRUPT',
    });
    await store.close();
  });
});
