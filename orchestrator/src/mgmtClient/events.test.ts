/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The one reconnecting event follower, against an in-memory event log served as the gateway
 * serves chaincode events (start block, checkpoint with after-transaction).
 */
import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EventStream, EventStreamOptions, MgmtEvent } from './client';
import { LedgerUnavailableError } from './errors';
import { MgmtEventFollower, openFileCheckpointer } from './events';
import type { FollowFailure } from './events';

const until = async (condition: () => boolean, timeoutMs = 2000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};

/** An event log and the streams open on it; `failAll` breaks them as a peer that goes away. */
class FakeEvents {
  readonly log: MgmtEvent[] = [];
  readonly opened: EventStreamOptions[] = [];
  private readonly wakers = new Set<() => void>();
  private failure: Error | undefined;
  refuseOpen = false;

  append(blockNumber: bigint, name = 'VoteCast'): void {
    this.log.push({ blockNumber, transactionId: `tx${this.log.length}`, chaincodeName: 'mgmt', eventName: name, payload: new Uint8Array(), decoded: undefined });
    for (const wake of this.wakers) wake();
  }

  failAll(error: Error): void {
    this.failure = error;
    for (const wake of this.wakers) wake();
  }

  open(position: EventStreamOptions): Promise<EventStream<MgmtEvent>> {
    this.opened.push({ startBlock: position.startBlock });
    if (this.refuseOpen) return Promise.reject(new LedgerUnavailableError({ step: 'events', transaction: 'events', code: 'UNAVAILABLE', grpcCode: 14, message: 'events: peer unavailable' }));
    this.failure = undefined;
    const block = position.checkpoint?.getBlockNumber() ?? position.startBlock;
    const after = position.checkpoint?.getTransactionId();
    let index = block === undefined ? this.log.length : this.log.findIndex((e) => e.blockNumber >= block);
    if (index < 0) index = this.log.length;
    if (after !== undefined) index = this.log.findIndex((e) => e.transactionId === after) + 1;
    let closed = false;
    let wake: (() => void) | undefined;
    const waker = (): void => wake?.();
    this.wakers.add(waker);
    const next = async (): Promise<IteratorResult<MgmtEvent>> => {
      for (;;) {
        if (closed) return { done: true, value: undefined };
        if (this.failure !== undefined) throw this.failure;
        const event = this.log[index];
        if (event !== undefined) {
          index++;
          return { done: false, value: event };
        }
        await new Promise<void>((resolve) => (wake = resolve));
      }
    };
    return Promise.resolve({
      close: () => {
        closed = true;
        this.wakers.delete(waker);
        waker();
      },
      [Symbol.asyncIterator]: () => ({ next }),
    });
  }
}

const followers: MgmtEventFollower[] = [];
const dirs: string[] = [];

afterEach(async () => {
  await Promise.all(followers.splice(0).map((f) => f.stop()));
  dirs.splice(0).forEach((d) => {
    rmSync(d, { recursive: true, force: true });
  });
});

function follow(source: FakeEvents, options: { onEvent?: (e: MgmtEvent) => void | Promise<void>; startBlock?: bigint } = {}): { handled: string[]; failures: FollowFailure[]; connected: number[]; follower: MgmtEventFollower } {
  const handled: string[] = [];
  const failures: FollowFailure[] = [];
  const connected: number[] = [];
  const follower = new MgmtEventFollower({
    open: (position) => source.open(position),
    startBlock: options.startBlock,
    retry: { initialMs: 5, maxMs: 20 },
    onEvent: async (e) => {
      await options.onEvent?.(e);
      handled.push(e.transactionId);
    },
    onConnected: () => connected.push(source.opened.length),
    onFailure: (f) => failures.push(f),
  });
  followers.push(follower);
  follower.start();
  return { handled, failures, connected, follower };
}

describe('MgmtEventFollower', () => {
  it('hands events on in order from the start block and reopens after the last one handled when the stream fails', async () => {
    const source = new FakeEvents();
    source.append(1n);
    source.append(3n);
    const { handled, failures, connected } = follow(source, { startBlock: 2n });
    await until(() => handled.length === 1);
    source.append(4n);
    await until(() => handled.length === 2);
    source.failAll(new LedgerUnavailableError({ step: 'events', transaction: 'events', code: 'UNAVAILABLE', grpcCode: 14, message: 'gone' }));
    await until(() => connected.length === 2);
    source.append(5n);
    await until(() => handled.length === 3);
    expect(handled).toEqual(['tx1', 'tx2', 'tx3']);
    expect(failures).toEqual([expect.objectContaining({ retryInMs: 5, attempt: 1, error: expect.any(LedgerUnavailableError) })]);
    expect(source.opened.map((o) => o.startBlock)).toEqual([2n, 2n]);
  });

  it('backs off exponentially up to its maximum while the stream cannot be opened, and resets after an event', async () => {
    const source = new FakeEvents();
    source.refuseOpen = true;
    const { handled, failures } = follow(source);
    await until(() => failures.length >= 4);
    expect(failures.slice(0, 4).map((f) => [f.retryInMs, f.attempt])).toEqual([[5, 1], [10, 2], [20, 3], [20, 4]]);
    source.refuseOpen = false;
    await until(() => source.opened.length > failures.length);
    source.append(1n);
    await until(() => handled.length === 1);
    const before = failures.length;
    source.failAll(new Error('reset'));
    await until(() => failures.length === before + 1);
    expect(failures[before]).toMatchObject({ retryInMs: 5, attempt: 1 });
  });

  it('reopens at an event whose handler threw, so that it is handled again', async () => {
    const source = new FakeEvents();
    let throwOnce = true;
    const { handled, failures } = follow(source, {
      startBlock: 1n,
      onEvent: () => {
        if (throwOnce) {
          throwOnce = false;
          throw new Error('consumer failed');
        }
      },
    });
    await until(() => source.opened.length === 1);
    source.append(1n);
    await until(() => handled.length === 1);
    expect(handled).toEqual(['tx0']);
    expect(failures.map((f) => f.error.message)).toEqual(['consumer failed']);
  });

  it('treats a stream that ends as a failure, and stop() cuts a backoff short', async () => {
    const failures: FollowFailure[] = [];
    const ended = new MgmtEventFollower({
      open: () => Promise.resolve({ close: () => undefined, [Symbol.asyncIterator]: () => ({ next: () => Promise.resolve({ done: true as const, value: undefined }) }) }),
      retry: { initialMs: 60_000, maxMs: 60_000 },
      onEvent: () => undefined,
      onFailure: (f) => failures.push(f),
    });
    followers.push(ended);
    ended.start();
    await until(() => failures.length === 1);
    expect(failures[0]).toMatchObject({ retryInMs: 60_000, attempt: 1, error: expect.objectContaining({ message: 'the chaincode event stream ended' }) });
    const started = Date.now();
    await ended.stop();
    expect(Date.now() - started).toBeLessThan(1000);
    expect(ended.isStopped).toBe(true);
    expect(() => {
      ended.start();
    }).toThrow('an event follower starts once');
  });

  it('keeps its position in a file checkpoint, and starts over when the file is unreadable', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mgmt-events-'));
    dirs.push(dir);
    const file = path.join(dir, 'checkpoint.json');
    const checkpointer = await openFileCheckpointer(file);
    await checkpointer.checkpointChaincodeEvent({ blockNumber: 9n, transactionId: 'tx9', chaincodeName: 'mgmt', eventName: 'VoteCast', payload: new Uint8Array() });
    expect((await openFileCheckpointer(file)).getTransactionId()).toBe('tx9');
    writeFileSync(file, '{"blockNumber":');
    const reasons: unknown[] = [];
    const fresh = await openFileCheckpointer(file, (err) => reasons.push(err));
    expect(reasons).toHaveLength(1);
    expect(fresh.getBlockNumber()).toBeUndefined();
    expect(readFileSync(file, 'utf8')).not.toContain('"blockNumber":"9"');
  });
});
