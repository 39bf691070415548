/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The observer on the network: the ConfigBlockCommitted stream of the real gateway client with a
 * file checkpoint, restarts mid-stream, a peer that goes away, and blocks altered in transit.
 * Configuration blocks are produced directly with the management chaincode (short CBI).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import { Observer } from '../orchestrator/src/observer';
import type { InboundConfigBlock, Logger, ObserverOptions, RejectedConfigBlock, VerifiedConfigBlock } from '../orchestrator/src/observer';
import { produceBlock, produceGenesis } from './support/cbRounds';
import { closeSessions, json, MemberSession, openSessions, reconnected } from './support/mgmt';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

/**
 * Port grid base..base+6001 (devnet: orderers base+1000i, peers base+1+2000i, admin base+9). Not
 * the 61050 first planned: Org4's peer would be at 67051, past 65535. Below 32768, so that no
 * outgoing connection's ephemeral port (32768-60999 here) can take one of ours; x650 keeps clear
 * of the other suites' x050 grids and of native's 17050-18049.
 */
const BASE_PORT = 19650;
const TIMING = { cbiSeconds: 1, cycleTimeoutSeconds: 3 };
let net: TestNetwork;
let s: MemberSession[];
let root: string;
const observers: Observer[] = [];

beforeAll(async () => {
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  s = await openSessions(net.connection);
  root = mkdtempSync(path.join(os.tmpdir(), 'observer-e2e-'));
});

afterAll(async () => {
  await Promise.all(observers.map((o) => o.stop()));
  if (s) closeSessions(s);
  await net?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

interface Watched {
  observer: Observer;
  delivered: VerifiedConfigBlock[];
  rejected: RejectedConfigBlock[];
  errors: string[];
}

function watch(session: MemberSession, dir: string, options: Partial<ObserverOptions> = {}): Watched {
  const delivered: VerifiedConfigBlock[] = [];
  const rejected: RejectedConfigBlock[] = [];
  const errors: string[] = [];
  const logger: Logger = { info: () => undefined, warn: () => undefined, error: (m) => errors.push(m) };
  const observer = new Observer({
    network: session.gateway.getNetwork('mgmt'),
    stateDir: path.join(root, dir),
    onConfigBlock: (v) => {
      delivered.push(v);
    },
    logger,
    reconnect: { initialMs: 100, maxMs: 1_000 },
    name: session.member.mspId,
    ...options,
  });
  observer.on('rejected', (r) => rejected.push(r));
  observers.push(observer);
  return { observer, delivered, rejected, errors };
}

const heights = (vs: readonly VerifiedConfigBlock[]): number[] => vs.map((v) => v.block.height);

function config(i: number): Record<string, number> {
  return { batchTimeoutMs: 100 + 10 * i, maxMessageCount: 10 + i };
}

describe('observer on the network', () => {
  it('restarted mid-stream and across a peer outage: every CB delivered exactly once, in order, verified', async () => {
    const seen: VerifiedConfigBlock[] = [];
    const holder: { observer?: Observer } = {};
    const first = watch(s[1], 'org2', {
      onConfigBlock: (v) => {
        seen.push(v);
        // Stops itself mid-stream: block 2 is being produced while it goes down.
        if (v.block.height === 1) void holder.observer?.stop();
      },
    });
    holder.observer = first.observer;
    await first.observer.start();
    const produced = [await produceGenesis(s, net.connection, TIMING)];
    for (let i = 1; i <= 3; i++) produced.push(await produceBlock(s, config(i)));
    await first.observer.stop();
    expect(heights(seen)).toEqual([0, 1]);

    const second = watch(s[1], 'org2', {
      onConfigBlock: (v) => {
        seen.push(v);
      },
    });
    await second.observer.start();
    await second.observer.waitForDelivered(3, 30_000);
    // The devnet goes away (SIGKILL) and comes back on the same ledger; the stream reconnects.
    const disconnected = new Promise<void>((resolve) => second.observer.once('disconnected', () => { resolve(); }));
    await net.crash();
    await disconnected;
    await net.restart();
    await reconnected(s);
    produced.push(await produceBlock(s, config(4)));
    await second.observer.waitForDelivered(4, 60_000);
    await second.observer.stop();

    expect(heights(seen)).toEqual([0, 1, 2, 3, 4]);
    expect(seen.map((v) => v.block.hash)).toEqual(produced.map((p) => p.block.hash));
    // Resumed from the checkpoint, not from a fetch: events, each naming its commit block.
    expect(seen.every((v) => v.receipt.source === 'event' && v.receipt.committedInBlock !== undefined)).toBe(true);
    expect(first.rejected).toEqual([]);
    expect(second.rejected).toEqual([]);
    // The stored chain is what the chaincode holds.
    const onChain = await json<ConfigBlock[]>(s[0].mgmt.evaluateTransaction('GetBlocks', '0', '100'));
    expect(second.observer.chain).toEqual(onChain);
  });

  it('rejects CBs altered in transit, loudly, never hands them on, and recovers the committed ones', async () => {
    const alter = (m: InboundConfigBlock): InboundConfigBlock => {
      if (m.source !== 'event') return m;
      const cb = JSON.parse(Buffer.from(m.payload).toString('utf8')) as ConfigBlock;
      if (cb.height === 2) {
        // A changed configuration: the hash no longer matches.
        return { ...m, payload: Buffer.from(JSON.stringify({ ...cb, config: { ...cb.config, maxMessageCount: 999 } })) };
      }
      if (cb.height === 3) {
        // A proof with one approval's signature swapped for another's: hash intact, proof broken.
        const proof = cb.proof.map((p, i) => (i === 0 ? { ...p, signature: cb.proof[1].signature } : p));
        return { ...m, payload: Buffer.from(JSON.stringify({ ...cb, proof })) };
      }
      return m;
    };
    const tampered = watch(s[2], 'org3-tampered', { inbound: alter });
    await tampered.observer.start();
    await tampered.observer.waitForDelivered(4, 30_000);

    expect(tampered.rejected.map((r) => [r.code, r.height, r.source])).toEqual([
      ['MGMT_INVALID_BLOCK', 2, 'event'],
      ['MGMT_INVALID_BLOCK', 3, 'event'],
    ]);
    expect(tampered.rejected[0].reason).toMatch(/hash .* does not match the header/);
    expect(tampered.rejected[1].reason).toMatch(/proof\[0\] \(Org1MSP\)|proof\[0\]/);
    expect(tampered.rejected.every((r) => r.transactionId !== undefined && r.blockNumber !== undefined)).toBe(true);
    expect(tampered.errors.join('\n')).toMatch(/MGMT_INVALID_BLOCK: REJECTED configuration block at height 2/);
    expect(tampered.errors.join('\n')).toMatch(/MGMT_INVALID_BLOCK: REJECTED configuration block at height 3/);

    // Never handed on: what was delivered is exactly the committed chain.
    const onChain = await json<ConfigBlock[]>(s[0].mgmt.evaluateTransaction('GetBlocks', '0', '100'));
    expect(heights(tampered.delivered)).toEqual([0, 1, 2, 3, 4]);
    expect(tampered.delivered.map((v) => v.block)).toEqual(onChain);
    expect(tampered.delivered.filter((v) => v.receipt.source === 'fetch').map((v) => v.block.height)).toEqual([2, 3]);
  });
});
