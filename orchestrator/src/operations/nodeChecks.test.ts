/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The checks of `mgmt node` in combination, folded by runHealthChecks as `/healthz` answers, and
 * the event-stream watch they read.
 */
import { describe, expect, it } from '@jest/globals';
import type { MgmtEvent, MgmtLedger } from '../managementNode/ledger';
import { runHealthChecks } from './health';
import type { HealthStatus } from './health';
import { eventStreamCheck, inForceCheck, observerLagCheck, peerCheck } from './nodeChecks';
import { watchEventStream } from './streamWatch';
import type { StreamState } from './streamWatch';

const failed = (s: HealthStatus): string[] => (s.status === 'OK' ? [] : s.failed_checks.map((c) => `${c.component}: ${c.reason}`));

describe('node health checks together', () => {
  /** A node's world the test moves by hand. */
  function world() {
    const w = {
      now: 100_000,
      peerUp: true,
      probes: 0,
      stream: { connected: true, sinceMs: 0 } as StreamState,
      chain: 3,
      verified: 3 as number | undefined,
      inForce: 3 as number | undefined,
      sealedAt: new Map<number, number>([[3, 90_000]]),
    };
    const clock = (): number => w.now;
    const checks = [
      peerCheck({
        endpoint: '127.0.0.1:7051',
        probe: () => {
          w.probes++;
          return w.peerUp ? Promise.resolve() : Promise.reject(new Error('connect ECONNREFUSED'));
        },
        cacheMs: 5000,
        clock,
      }),
      eventStreamCheck(() => w.stream, clock),
      observerLagCheck({ chainHeight: () => w.chain, verifiedHeight: () => w.verified, maxLag: 2 }),
      inForceCheck({ chainHeight: () => w.chain, inForceHeight: () => w.inForce, sealedAtMs: (h) => w.sealedAt.get(h), graceMs: 30_000, clock }),
    ];
    return { w, check: async () => runHealthChecks(checks, { now: clock }) };
  }

  it('is OK when the peer answers, the stream is live, the observer keeps up and the latest CB is in force', async () => {
    const { check } = world();
    expect(await check()).toMatchObject({ status: 'OK' });
  });

  it('names the peer once it stops answering, reusing a probe answer for the cache period', async () => {
    const { w, check } = world();
    await check();
    w.peerUp = false;
    w.now += 1000;
    expect((await check()).status).toBe('OK'); // the cached answer
    expect(w.probes).toBe(1);
    w.now += 5000;
    expect(failed(await check())).toEqual(['peer: peer 127.0.0.1:7051 unreachable within 2000 ms: connect ECONNREFUSED']);
    expect(w.probes).toBe(2);
  });

  it('names the event stream when it is down, with why and for how long', async () => {
    const { w, check } = world();
    w.stream = { connected: false, sinceMs: w.now - 12_000, reason: 'the event stream failed: UNAVAILABLE' };
    expect(failed(await check())).toEqual(['eventStream: the event stream failed: UNAVAILABLE (down for 12 s; the node reopens it with backoff)']);
  });

  it('names the observer when it lags more than allowed, not at the limit', async () => {
    const { w, check } = world();
    w.chain = 5;
    w.sealedAt.set(4, w.now);
    w.verified = 3;
    expect(failed(await check()).filter((f) => f.startsWith('observer'))).toEqual([]);
    w.verified = 2;
    expect(failed(await check()).filter((f) => f.startsWith('observer'))).toEqual(['observer: observer lags 3 CBs (verified 2, chain 5; at most 2 allowed)']);
    w.verified = undefined; // not started: waiting for genesis
    expect(failed(await check()).filter((f) => f.startsWith('observer'))).toEqual(['observer: observer lags 6 CBs (verified -1, chain 5; at most 2 allowed)']);
  });

  it('gives a sealed CB the grace window to be in force on primary, then names it', async () => {
    const { w, check } = world();
    w.chain = 4;
    w.verified = 4;
    w.sealedAt.set(4, w.now);
    w.now += 30_000;
    expect((await check()).status).toBe('OK');
    w.now += 1;
    expect(failed(await check())).toEqual(['primary: CB 4 sealed but CB 3 is still what is in force on primary after 30 s (grace 30 s)']);
    w.inForce = 4;
    expect((await check()).status).toBe('OK');
  });

  it('reports every failing check at once', async () => {
    const { w, check } = world();
    w.peerUp = false;
    w.stream = { connected: false, sinceMs: w.now, reason: 'the event stream ended' };
    w.chain = 9;
    w.sealedAt.set(4, 0);
    const names = failed(await check()).map((f) => f.split(':')[0]);
    expect(names).toEqual(['peer', 'eventStream', 'observer', 'primary']);
  });
});

describe('watchEventStream', () => {
  /** A ledger whose streams yield `events` and then fail with `error` (or stay open). */
  function ledgerWith(open: () => Promise<AsyncIterable<MgmtEvent> & { close(): void }>): MgmtLedger {
    const unused = (): Promise<never> => Promise.reject(new Error('unexpected call'));
    return { getRound: unused, getParams: unused, getLatest: unused, getBlocks: unused, initLedger: unused, propose: unused, proposeParams: unused, vote: unused, tally: unused, events: open };
  }

  it('is down before the first opening, up once opened, and down with the reason when the stream fails', async () => {
    let fail: (err: Error) => void = () => undefined;
    const failed = new Promise<never>((_, reject) => { fail = reject; });
    const watch = watchEventStream(
      ledgerWith(() =>
        Promise.resolve({
          close: () => undefined,
          async *[Symbol.asyncIterator]() {
            yield await failed;
          },
        }),
      ),
      () => 5,
    );
    expect(watch.state()).toMatchObject({ connected: false, reason: 'the event stream has not been opened yet' });
    const stream = await watch.ledger.events();
    expect(watch.state()).toEqual({ connected: true, sinceMs: 5 });
    const reading = (async () => {
      const seen: MgmtEvent[] = [];
      for await (const event of stream) seen.push(event);
      return seen;
    })();
    fail(new Error('UNAVAILABLE: peer gone'));
    await expect(reading).rejects.toThrow(/peer gone/);
    expect(watch.state()).toEqual({ connected: false, sinceMs: 5, reason: 'the event stream failed: UNAVAILABLE: peer gone' });
  });

  it('is down when the stream cannot be opened', async () => {
    const watch = watchEventStream(ledgerWith(() => Promise.reject(new Error('no connection'))));
    await expect(watch.ledger.events()).rejects.toThrow('no connection');
    expect(watch.state()).toMatchObject({ connected: false, reason: 'the event stream cannot be opened: no connection' });
  });
});
