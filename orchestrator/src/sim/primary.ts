/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The primary chain: PBFT over all primary nodes, blocks gossiped over the overlay, and on every
 * node the Algorithm 2 state machine of the protocol core (`reconfiguration.ts`): configuration
 * blocks are gossiped, verified and appended at any time, applied only between rounds, and a
 * block tagged with any configuration but the node's active one is refused.
 */

import { blockValidUnder, endRound, initialPrimaryState, latestHeight, noteHeight, receiveConfigBlock, reconfigure, startRound } from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, ConfigBlockVerifier, PrimaryState } from 'mgmt-chaincode/dist/protocol';

import type { EventQueue } from './eventQueue';
import type { Metrics } from './metrics';
import type { Network } from './network';
import { Pbft } from './pbft';
import type { PbftBlock, PbftHost } from './pbft';
import type { Scenario } from './scenario';

/** Event kinds of the configuration-block layer, relative to its base. */
export const CB_EVENT = {
  /** A CB reaches a primary node: a = CB height, c = sending node (-1: its own management node). */
  ARRIVE: 0,
  /** A node asks a peer for a CB it misses: target = the peer, a = height, c = asking node. */
  REQUEST: 1,
} as const;

/** The primary configuration C^prim as Fabric's orderer batch parameters. */
export interface PrimaryConfig {
  readonly batchTimeoutMs: number;
  readonly maxMessageCount: number;
}

/** Reads C^prim out of a CB's config. */
export function primaryConfigOf(cb: ConfigBlock): PrimaryConfig {
  const { batchTimeoutMs, maxMessageCount } = cb.config;
  if (typeof batchTimeoutMs !== 'number' || typeof maxMessageCount !== 'number') {
    throw new Error(`CB ${cb.height}: config lacks batchTimeoutMs or maxMessageCount`);
  }
  return { batchTimeoutMs, maxMessageCount };
}

/** Settings of {@link PrimaryChain}. */
export interface PrimaryChainOptions {
  readonly scenario: Scenario;
  readonly queue: EventQueue;
  readonly net: Network;
  readonly metrics: Metrics;
  readonly genesis: ConfigBlock;
  /** Checks a CB against its predecessor (throws to reject). */
  readonly verify: ConfigBlockVerifier;
  /** Committed CBs by height, as the management chain produces them. */
  readonly cbAt: (height: number) => ConfigBlock | undefined;
  readonly crashed: Uint8Array;
  readonly pbftKindBase: number;
  readonly cbKindBase: number;
  /** Tally votes rather than queue one event each (`PbftOptions.tallyVotes`, default true). */
  readonly tallyVotes?: boolean;
}

/** A proposed primary block. */
interface BlockInfo {
  readonly config: number;
  readonly tx: number;
  readonly fill: number;
  readonly meanArrival: number;
}

/** The primary chain and its nodes' reconfiguration. */
export class PrimaryChain implements PbftHost {
  readonly pbft: Pbft;
  private readonly o: PrimaryChainOptions;
  private readonly states: PrimaryState[];
  private readonly configs: PrimaryConfig[] = [];
  private readonly blocks: BlockInfo[] = [];
  /** Per CB height: which nodes hold it (gossip skips them). */
  private readonly holds: Uint8Array[] = [];
  private readonly n: number;
  private readonly txSizeMB: number;
  private readonly maxSizeMB: number;
  /** Steady arrivals: transactions per second (0 = always full blocks). */
  private readonly lambda: number;
  /** Arrival time of the oldest transaction not yet in a committed block. */
  private front = 0;
  private readonly cbSizeMB: number;
  private readonly voteSizeMB: number;
  /** Switches made while a round was running: must stay 0 (Algorithm 2). */
  midRoundSwitches = 0;

  constructor(options: PrimaryChainOptions) {
    this.o = options;
    const s = options.scenario;
    this.n = s.network.nodes;
    this.txSizeMB = s.primary.txSizeBytes / 1e6;
    this.maxSizeMB = s.primary.maxBlockSizeMB;
    this.lambda = s.primary.workload?.txPerSec ?? 0;
    this.cbSizeMB = s.management.cbSizeMB;
    this.voteSizeMB = s.network.voteSizeMB;
    this.states = Array.from({ length: this.n }, () => initialPrimaryState(options.genesis));
    this.configs[0] = primaryConfigOf(options.genesis);
    this.holds[0] = new Uint8Array(this.n).fill(1);
    const nodes = new Int32Array(this.n);
    nodes.forEach((_, i) => {
      nodes[i] = i;
    });
    const n = this.n;
    this.pbft = new Pbft(this, options.queue, options.net, {
      nodes,
      crashed: options.crashed,
      prePrepare: 'gossip',
      voteSizeMB: s.network.voteSizeMB,
      votesCarryBlock: s.network.votesCarryBlock,
      timeoutSec: s.primary.viewTimeoutSec,
      doubleTimeout: s.primary.doubleViewTimeout,
      validationSec: s.primary.validationSec,
      // Round robin over heights and views, as PBFT's primary rotation.
      proposer: (height, view) => (height + view) % n,
      kindBase: options.pbftKindBase,
      tallyVotes: options.tallyVotes,
    });
  }

  /** Starts every live node in round 0 at time 0. */
  start(): void {
    for (let r = 0; r < this.n; r++) {
      if (this.o.crashed[r] === 0) {
        this.states[r] = (startRound(this.states[r]) as { state: PrimaryState }).state;
        this.pbft.enter(r, 0, 0, 0);
      }
    }
  }

  /** Transactions waiting for a block at time `t` (0 without a workload). */
  backlogAt(t: number): number {
    return this.lambda > 0 ? Math.max(0, Math.floor(this.lambda * (t - this.front))) : 0;
  }

  /** Algorithm 2 state of a node (tests, reports). */
  stateOf(node: number): PrimaryState {
    return this.states[node];
  }

  private config(height: number): PrimaryConfig {
    let c = this.configs[height];
    if (c === undefined) {
      const cb = this.o.cbAt(height);
      if (cb === undefined) {
        throw new Error(`primary: configuration ${height} is active but unknown`);
      }
      c = primaryConfigOf(cb);
      this.configs[height] = c;
    }
    return c;
  }

  /**
   * C^prim is Fabric's orderer batching, which cuts no empty blocks: its batch timer starts with
   * the first waiting transaction. With a workload, a round entered while nothing waits has work
   * from the arrival of the next transaction on (the block interval and the view timer count from
   * then); without one, blocks are full and work is always there.
   */
  workFrom(_replica: number, _height: number, _view: number, now: number): number {
    if (this.lambda <= 0) {
      return now;
    }
    // Transactions arrive every 1/lambda s from `front`: the first waiting one arrives then.
    return Math.max(now, this.front + 1 / this.lambda);
  }

  proposeDelay(replica: number): number {
    return this.config((this.states[replica]).activeHeight).batchTimeoutMs / 1000;
  }

  propose(replica: number, _height: number, _view: number, now: number): PbftBlock {
    const configHeight = (this.states[replica]).activeHeight;
    const maxCount = Math.max(1, Math.floor(this.config(configHeight).maxMessageCount));
    const capacity = Math.min(maxCount, Math.floor(this.maxSizeMB / this.txSizeMB));
    let tx = capacity;
    let meanArrival = NaN;
    if (this.lambda > 0) {
      // A steady stream: the transactions waiting arrived uniformly since `front`.
      let waiting = Math.max(0, Math.floor(this.lambda * (now - this.front)));
      if (waiting === 0 && now >= this.front + 1 / this.lambda) {
        waiting = 1; // the transaction {@link workFrom} waited for, despite rounding
      }
      tx = Math.min(capacity, waiting);
      meanArrival = this.front + tx / (2 * this.lambda);
    }
    const sizeMB = tx * this.txSizeMB;
    this.blocks.push({ config: configHeight, tx, fill: tx / Math.max(1, maxCount), meanArrival });
    return { tag: this.blocks.length - 1, sizeMB };
  }

  validate(replica: number, _height: number, _view: number, tag: number): boolean {
    return blockValidUnder(this.states[replica], (this.blocks[tag]).config);
  }

  roundEnded(replica: number, height: number, view: number, committed: boolean, tag: number, _votes: number, now: number): boolean {
    let state = this.states[replica];
    if (committed) {
      const block = this.blocks[tag];
      if (this.o.metrics.blockCommitted(height, block.config, block.tx, block.fill, block.meanArrival, now) && this.lambda > 0) {
        this.front += block.tx / this.lambda;
      }
      if (block.config > latestHeight(state)) {
        // A quorum ran under a configuration this node has not seen: wait for it, and ask for it.
        state = noteHeight(state, block.config);
        for (let h = latestHeight(state) + 1; h <= block.config; h++) {
          this.request(replica, this.pbft.proposerOf(height, view), h, now);
        }
      }
    }
    const ended = endRound(state);
    this.states[replica] = ended.state;
    if (ended.kind === 'switched') {
      this.o.metrics.switched(replica, ended.from, ended.to, now);
    }
    if (ended.kind === 'waiting') {
      return false;
    }
    return this.begin(replica);
  }

  /** Starts the next round in the state machine; the engine then enters it. */
  private begin(replica: number): boolean {
    const started = startRound(this.states[replica]);
    this.states[replica] = started.state;
    return started.started;
  }

  /** A management node hands a committed CB to its own primary node. */
  deliverLocal(node: number, height: number, now: number): void {
    this.o.queue.push(now, this.o.cbKindBase + CB_EVENT.ARRIVE, node, height, 0, -1, 0);
  }

  private request(from: number, to: number, height: number, now: number): void {
    if (to === from || this.o.crashed[to] === 1) {
      return;
    }
    this.o.queue.push(now + this.o.net.delay(from, to, this.voteSizeMB), this.o.cbKindBase + CB_EVENT.REQUEST, to, height, 0, from, 0);
  }

  /** Dispatches a CB-layer event; `kind` is relative to the CB base. */
  handle(kind: number, target: number, a: number, c: number, now: number): void {
    if (this.o.crashed[target] === 1) {
      return;
    }
    if (kind === CB_EVENT.REQUEST) {
      const cb = this.o.cbAt(a);
      if (cb !== undefined && this.holds[a]?.[target] === 1) {
        this.o.queue.push(now + this.o.net.delay(target, c, this.cbSizeMB), this.o.cbKindBase + CB_EVENT.ARRIVE, c, a, 0, target, 0);
      }
      return;
    }
    this.onArrive(target, a, c, now);
  }

  private onArrive(node: number, height: number, from: number, now: number): void {
    const cb = this.o.cbAt(height);
    if (cb === undefined) {
      return;
    }
    const before = this.states[node];
    const result = receiveConfigBlock(before, cb, this.o.verify);
    const state = result.state;
    if (result.state.activeHeight !== before.activeHeight && before.inRound) {
      this.midRoundSwitches++;
    }
    for (const block of result.forward) {
      this.o.metrics.received(block.height, node, now);
      this.gossip(node, block.height, from, now);
    }
    if (result.outcome.kind === 'future') {
      for (const missing of result.outcome.missing) {
        this.request(node, from < 0 ? node : from, missing, now);
      }
    }
    if (!this.pbft.inRound(node) && !state.inRound) {
      // Held between rounds, waiting for this block: switch now and start the round.
      const rc = reconfigure(state);
      this.states[node] = rc.state;
      if (rc.kind === 'switched') {
        this.o.metrics.switched(node, rc.from, rc.to, now);
      }
      if (rc.kind !== 'waiting' && this.begin(node)) {
        this.pbft.resume(node, now);
      }
      return;
    }
    this.states[node] = state;
  }

  private gossip(node: number, height: number, from: number, now: number): void {
    let holds = this.holds[height];
    if (holds === undefined) {
      holds = new Uint8Array(this.n);
      this.holds[height] = holds;
    }
    holds[node] = 1;
    const net = this.o.net;
    const base = node * net.k;
    const kind = this.o.cbKindBase + CB_EVENT.ARRIVE;
    for (let i = 0; i < net.k; i++) {
      const p = net.peers[base + i];
      if (p === from || holds[p] === 1 || this.o.crashed[p] === 1) {
        continue;
      }
      this.o.queue.push(now + net.delay(node, p, this.cbSizeMB), kind, p, height, 0, node, 0);
    }
  }
}
