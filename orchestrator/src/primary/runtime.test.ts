/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Algorithm 2 over a fake chain adapter whose rounds and applies the test controls, with real
 * configuration blocks sealed by the chaincode over its fake ledger.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import { ContractHarness, T0 } from '../../../chaincode/src/testing/harness';
import type { Logger } from '../observer';
import type { ApplyContext, ApplyResult, PrimaryChainAdapter } from './adapter';
import { PrimaryNodeRuntime } from './runtime';
import type { AppliedConfiguration } from './runtime';

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: Error): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Rounds end when the test says so; applies finish when the test says so (or at once). */
class FakeAdapter implements PrimaryChainAdapter {
  readonly calls: { height: number; context: ApplyContext; done: Deferred<ApplyResult> }[] = [];
  readonly aborted: number[] = [];
  autoApply = true;
  roundRunning: Deferred<undefined> | undefined;
  failures = 0;

  roundBoundary(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    return this.roundRunning?.promise.then(() => undefined) ?? Promise.resolve();
  }

  apply(cb: ConfigBlock, context: ApplyContext): Promise<ApplyResult> {
    const done = deferred<ApplyResult>();
    this.calls.push({ height: cb.height, context, done });
    context.signal.addEventListener('abort', () => {
      this.aborted.push(cb.height);
      done.reject(context.signal.reason instanceof Error ? context.signal.reason : new Error('aborted'));
    });
    if (this.failures > 0) {
      this.failures--;
      done.reject(new Error('orderer unavailable'));
    } else if (this.autoApply) {
      done.resolve({ outcome: 'applied', chainHeight: cb.height, submitted: true });
    }
    return done.promise;
  }

  activeConfigHeight(): Promise<number | undefined> {
    return Promise.resolve(this.calls.at(-1)?.height);
  }
}

let chain: ConfigBlock[];
const runtimes: PrimaryNodeRuntime[] = [];
const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

beforeAll(async () => {
  const h = await ContractHarness.create();
  chain = [await h.sealGenesis(T0)];
  for (let i = 1; i <= 4; i++) {
    const t = Date.parse(chain[i - 1].timestamp) + 30_000;
    const proposal = await h.proposeAsExpected(t, { batchTimeoutMs: 1000 + i * 100, maxMessageCount: 10 + i });
    chain.push(await h.approveAndTally(proposal, t + 1));
  }
});

afterEach(async () => {
  await Promise.all(runtimes.splice(0).map((r) => r.stop()));
});

function runtime(adapter: PrimaryChainAdapter, start: readonly ConfigBlock[] = chain.slice(0, 1), errors: string[] = []): PrimaryNodeRuntime {
  const r = new PrimaryNodeRuntime({ adapter, chain: start, logger: { ...quiet, error: (m) => errors.push(m) }, retry: { initialMs: 5, maxMs: 20 } });
  runtimes.push(r);
  return r;
}

function nextApplied(r: PrimaryNodeRuntime): Promise<AppliedConfiguration> {
  return new Promise((resolve) => r.once('applied', resolve));
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20));

describe('PrimaryNodeRuntime', () => {
  it('puts the genesis configuration in force first, then runs a round under it', async () => {
    const adapter = new FakeAdapter();
    const r = runtime(adapter);
    const applied = nextApplied(r);
    r.start();
    expect((await applied).height).toBe(0);
    await settle();
    expect(r).toMatchObject({ activeHeight: 0, inForceHeight: 0, inRound: true });
  });

  it('stores a block that arrives mid-round and switches only when the round ends', async () => {
    const adapter = new FakeAdapter();
    const r = runtime(adapter);
    r.start();
    await nextApplied(r);
    adapter.roundRunning = deferred<undefined>();
    const order: string[] = [];
    r.on('switched', (s) => order.push(`switched ${s.from}->${s.to}`));
    r.on('applied', (a) => order.push(`applied ${a.height}`));
    expect(r.receive(chain[1], { notBeforeBlock: 42n })).toEqual({ kind: 'appended', heights: [1] });
    await settle();
    // Mid-round: stored in MC_i, not active.
    expect(r).toMatchObject({ latestHeight: 1, activeHeight: 0, inRound: true });
    expect(adapter.calls.map((c) => c.height)).toEqual([0]);
    const applied = nextApplied(r);
    adapter.roundRunning.resolve(undefined);
    expect((await applied).height).toBe(1);
    expect(order).toEqual(['switched 0->1', 'applied 1']);
    expect(adapter.calls[1].context.notBeforeBlock).toBe(42n);
    await settle();
    expect(r).toMatchObject({ activeHeight: 1, inForceHeight: 1, inRound: true });
  });

  it('abandons applying a block when a newer one arrives, and applies the newest', async () => {
    const adapter = new FakeAdapter();
    const r = runtime(adapter);
    r.start();
    await nextApplied(r);
    adapter.autoApply = false;
    r.receive(chain[1]);
    await settle();
    expect(adapter.calls.map((c) => c.height)).toEqual([0, 1]);
    expect(r.inRound).toBe(false);
    adapter.autoApply = true;
    const applied = nextApplied(r);
    r.receive(chain[2]);
    expect((await applied).height).toBe(2);
    expect(adapter.aborted).toEqual([1]);
    expect(adapter.calls.map((c) => c.height)).toEqual([0, 1, 2]);
  });

  it('hands superseded blocks to the next apply, so signatures already shared for them still count, and reports skips', async () => {
    const adapter = new FakeAdapter();
    const r = runtime(adapter);
    r.start();
    await nextApplied(r);
    adapter.autoApply = false;
    const skipped: { heights: readonly number[]; inForce: number }[] = [];
    r.on('skipped', (s) => skipped.push(s));
    // Blocks arrive faster than their updates are signed: 1, then 2, then 3 while each is in progress.
    r.receive(chain[1]);
    await settle();
    r.receive(chain[2]);
    await settle();
    r.receive(chain[3]);
    await settle();
    expect(adapter.aborted).toEqual([1, 2]);
    const last = adapter.calls.at(-1);
    expect(last?.height).toBe(3);
    expect(last?.context.earlier?.map((b) => b.height)).toEqual([1, 2]);
    // The adapter put block 1 in force on the way (others had signed it), then block 3: 2 was skipped.
    const applied = nextApplied(r);
    last?.done.resolve({ outcome: 'applied', chainHeight: 3, submitted: true, fromHeight: 0, earlierInForce: [1] });
    expect((await applied).height).toBe(3);
    expect(skipped).toEqual([{ heights: [2], inForce: 3 }]);
    // Nothing is earlier than the next block once 3 is in force.
    adapter.autoApply = true;
    const next = nextApplied(r);
    r.receive(chain[4]);
    expect((await next).height).toBe(4);
    expect(adapter.calls.at(-1)?.context.earlier).toBeUndefined();
    expect(skipped).toHaveLength(1);
  });

  it('holds a future block, waits for the missing one, then switches straight to the latest', async () => {
    const adapter = new FakeAdapter();
    const r = runtime(adapter, chain.slice(0, 2));
    r.start();
    await nextApplied(r);
    expect(r.receive(chain[3])).toEqual({ kind: 'future', missing: [2] });
    await settle();
    expect(r).toMatchObject({ latestHeight: 1, activeHeight: 1 });
    const applied = nextApplied(r);
    expect(r.receive(chain[2])).toEqual({ kind: 'appended', heights: [2, 3] });
    expect((await applied).height).toBe(3);
    expect(adapter.calls.map((c) => c.height)).toEqual([1, 3]);
  });

  it('refuses a block that fails verification, loudly, and applies nothing', async () => {
    const adapter = new FakeAdapter();
    const errors: string[] = [];
    const r = runtime(adapter, chain.slice(0, 1), errors);
    r.start();
    await nextApplied(r);
    const altered = { ...chain[1], config: { batchTimeoutMs: 50, maxMessageCount: 1 } };
    expect(r.receive(altered)).toMatchObject({ kind: 'invalid', reason: expect.stringMatching(/hash/) });
    expect(r.receive(chain[1])).toMatchObject({ kind: 'appended' });
    expect(r.receive(chain[1])).toEqual({ kind: 'duplicate' });
    expect(errors.join('\n')).toMatch(/MGMT_INVALID_BLOCK: refused configuration block at height 1/);
  });

  it('rejects primary blocks produced under any configuration but H_cc', async () => {
    const adapter = new FakeAdapter();
    const r = runtime(adapter, chain.slice(0, 3));
    const rejected: number[] = [];
    r.on('blockRejected', (b) => rejected.push(b.configHeight));
    r.start();
    await nextApplied(r);
    expect(r.activeHeight).toBe(2);
    expect([r.checkBlock(1), r.checkBlock(2), r.checkBlock(3)]).toEqual([false, true, false]);
    expect(rejected).toEqual([1, 3]);
  });

  it('retries a failed apply with backoff until the chain runs H_cc', async () => {
    const adapter = new FakeAdapter();
    adapter.failures = 2;
    const r = runtime(adapter);
    const failures: string[] = [];
    r.on('applyFailed', (f) => failures.push(f.error.message));
    r.start();
    expect((await nextApplied(r)).height).toBe(0);
    expect(failures).toEqual(['orderer unavailable', 'orderer unavailable']);
    expect(r.inForceHeight).toBe(0);
  });

  it('after a restart with MC_i from disk, applies only the latest block once, from where it was committed', async () => {
    const adapter = new FakeAdapter();
    const r = new PrimaryNodeRuntime({
      adapter,
      chain: chain.slice(0, 4),
      hints: [undefined, { notBeforeBlock: 7n }, { notBeforeBlock: 9n }, { notBeforeBlock: 12n }],
      logger: quiet,
    });
    runtimes.push(r);
    r.start();
    expect((await nextApplied(r)).height).toBe(3);
    expect(adapter.calls[0]?.context.notBeforeBlock).toBe(12n);
    expect(r.receive(chain[2])).toEqual({ kind: 'duplicate' });
    await settle();
    expect(adapter.calls.map((c) => c.height)).toEqual([3]);
  });

  it('refuses to start from a chain without genesis', () => {
    expect(() => new PrimaryNodeRuntime({ adapter: new FakeAdapter(), chain: chain.slice(1), logger: quiet })).toThrow(/PRIMARY_BAD_CHAIN/);
  });
});
