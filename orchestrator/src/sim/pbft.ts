/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * PBFT at message level, used for both chains: pre-prepare, prepare, commit with quorums of
 * `quorum(n)` (2f+1 when n = 3f+1, from the protocol core), and view change on timeout.
 *
 * One instance of the protocol runs per (height, view). The primary of a view sends a
 * pre-prepare carrying the block (by gossip over the overlay on the primary chain, directly to
 * each replica on the management chain); a replica that accepts it broadcasts a prepare; with
 * `quorum - 1` prepares (its own included; the primary's pre-prepare stands for its prepare) it is
 * prepared and broadcasts a commit; with `quorum` commits it commits the block. A replica that
 * times out, or rejects the block, broadcasts a view change; `f + 1` view changes make a replica
 * join, `quorum` of them start the new view. View-change messages carry the sender's prepared view
 * so that the new primary re-proposes a block that may have committed somewhere (PBFT's safety
 * rule). A replica that receives a commit certificate (a quorum of commits) for its height adopts
 * the block even if it had rejected it or moved on to a view change: a quorum cannot be wrong.
 *
 * Simplifications, each harmless for the delays measured here: replicas are honest or crashed
 * (silent), never Byzantine; messages are authenticated by construction; there are no
 * checkpoints, client requests or state transfer beyond adopting commit certificates.
 *
 * The host (the primary chain with Algorithm 2, or the management chain with Algorithm 1) decides
 * what a block contains, whether a replica accepts it, and when a replica may start its next round.
 */

import { quorum, rejectionThreshold } from 'mgmt-chaincode/dist/protocol';

import type { EventQueue } from './eventQueue';
import type { Network } from './network';
import { VoteTally, before } from './voteTally';

/** Offsets of the engine's event kinds from its `kindBase`. */
export const PBFT_EVENT = {
  PRE_PREPARE: 0,
  PREPARE: 1,
  COMMIT: 2,
  VIEW_CHANGE: 3,
  TIMEOUT: 4,
  PROPOSE: 5,
  RESUME: 6,
  /** A tallied prepare that may change what its receiver does arrives (see {@link VoteTally}). */
  PREPARE_TALLY: 7,
  /** A tallied commit that may change what its receiver does arrives. */
  COMMIT_TALLY: 8,
} as const;

/** Number of event kinds an engine uses. */
export const PBFT_EVENT_KINDS = 9;

/** A block as the engine sees it: an opaque tag for the host, and its size on the wire. */
export interface PbftBlock {
  readonly tag: number;
  readonly sizeMB: number;
}

/** What the engine asks of the chain it runs. */
export interface PbftHost {
  /** Seconds between entering (height, view) and the primary proposing (block interval, twin decision). */
  proposeDelay(replica: number, height: number, view: number): number;
  /**
   * When the round entered at `now` has work to do (optional; default `now`): a chain that cuts no
   * empty blocks has none until a transaction is waiting. The primary's {@link proposeDelay} and
   * every replica's view timer count from then, as PBFT backups start their timers only for pending
   * requests.
   */
  workFrom?(replica: number, height: number, view: number, now: number): number;
  /** The block the primary proposes. */
  propose(replica: number, height: number, view: number, now: number): PbftBlock;
  /** Whether a replica accepts the block of (height, view). */
  validate(replica: number, height: number, view: number, tag: number, now: number): boolean;
  /**
   * The replica's round ended: it committed `tag` (with `commitVotes` commits seen) or its view
   * changed to `view`. Return true to start the next round at once (the next height's view 0 after
   * a commit, the new view otherwise); false to hold it until the host calls {@link Pbft.resume}.
   */
  roundEnded(replica: number, height: number, view: number, committed: boolean, tag: number, commitVotes: number, now: number): boolean;
}

/** Static settings of one engine. */
export interface PbftOptions {
  /** Network node of each replica. */
  readonly nodes: Int32Array;
  /** Replicas that never send or process anything. */
  readonly crashed: Uint8Array;
  /** `gossip` forwards pre-prepares over the network's overlay; `direct` sends them to every replica. */
  readonly prePrepare: 'gossip' | 'direct';
  /** Size of prepare, commit and view-change messages, in MB. */
  readonly voteSizeMB: number;
  /** Votes carry the whole block (SymbChainSim's message sizes), for ablation. */
  readonly votesCarryBlock: boolean;
  /** Timeout of view 0, in seconds. */
  readonly timeoutSec: number;
  /** Double the timeout with every view of the same height (PBFT's liveness rule). */
  readonly doubleTimeout: boolean;
  /** Processing time between accepting a pre-prepare and sending the prepare, in seconds. */
  readonly validationSec: number;
  /** Proposer of (height, view), as a replica index. */
  readonly proposer: (height: number, view: number) => number;
  /** First event kind of this engine in the shared queue. */
  readonly kindBase: number;
  /**
   * Tally prepares and commits per receiver instead of queueing one event per message (default
   * true). Both give the same run, bit for bit, except for the number of events (tested); `false`
   * is the plain model the tally is checked against.
   */
  readonly tallyVotes?: boolean;
}



/** Where a replica is in its current round (plain numbers: they live in a Uint8Array). */
const Phase = {
  /** Not in a round: waiting for the host (or never started). */
  Idle: 0,
  /** In a view, waiting for the pre-prepare. */
  Waiting: 1,
  /** Accepted the block and sent a prepare (or proposed it). */
  Accepted: 2,
  /** Prepared and sent a commit. */
  CommitSent: 3,
  /** Rejected the block or timed out: sent a view change. */
  ViewChange: 4,
} as const;

/** Views per height kept apart in instance keys. */
const VIEW_SPAN = 4096;

class Instance {
  proposed = false;
  /** The block repeats one prepared in an earlier view: replicas accept it on that certificate. */
  reproposal = false;
  tag = -1;
  sizeMB = 0;
  /** The new primary's knowledge: highest prepared view reported in view changes it received. */
  bestPreparedView = -1;
  readonly hasBlock: Uint8Array;
  /** Prepares counted per replica; with tallied votes only its own (the tally holds the others). */
  readonly prepares: Uint16Array;
  /** Commits counted per replica; with tallied votes only its own. */
  readonly commits: Uint16Array;
  prepareTally: VoteTally | undefined = undefined;
  commitTally: VoteTally | undefined = undefined;
  /**
   * Gossiped pre-prepares with tallied votes: per replica, the queued event of the earliest copy
   * on its way (-1: none) and that copy's key. Only the first copy to arrive does anything (the
   * others find the block held), so later copies are not queued and an earlier one moves the event.
   */
  copySlot: Int32Array | undefined = undefined;
  copyT: Float64Array | undefined = undefined;
  copyO: Float64Array | undefined = undefined;
  readonly viewChanges: Uint16Array;

  constructor(
    readonly height: number,
    readonly view: number,
    readonly proposer: number,
    m: number,
  ) {
    this.hasBlock = new Uint8Array(m);
    this.prepares = new Uint16Array(m);
    this.commits = new Uint16Array(m);
    this.viewChanges = new Uint16Array(m);
  }
}

/** Counters of one engine, for reports and tests. */
export interface PbftStats {
  readonly commits: number;
  /** View-change messages sent: one per replica and view it asked for (each is broadcast to all replicas). */
  readonly viewChangeMessages: number;
  /** Failed rounds: (height, view) instances abandoned for a later view (a view change that took place). */
  readonly failedRounds: number;
  readonly minCommitVotes: number;
}

/** One PBFT network of `m` replicas. */
export class Pbft {
  readonly m: number;
  readonly quorum: number;
  /** f + 1: view changes that make a replica join (at least one is honest). */
  readonly joinThreshold: number;
  private readonly host: PbftHost;
  private readonly q: EventQueue;
  private readonly net: Network;
  private readonly o: PbftOptions;
  private readonly replicaOf: Int32Array;
  private readonly height: Int32Array;
  private readonly view: Int32Array;
  private readonly phase: Uint8Array;
  private readonly vcSent: Int32Array;
  private readonly preparedView: Int32Array;
  private readonly pendingHeight: Int32Array;
  private readonly pendingView: Int32Array;
  private readonly instances = new Map<number, Instance>();
  private readonly byHeight = new Map<number, Instance[]>();
  private readonly passed = new Map<number, number>();
  /** Tag committed at each height still in flight: two replicas committing different blocks would be a fork. */
  private readonly decided = new Map<number, number>();
  private readonly live: number;
  private commitCount = 0;
  private viewChangeMessageCount = 0;
  private failedRoundCount = 0;
  /** Per height still in flight: the highest view any replica entered (absent: view 0). */
  private readonly highestView = new Map<number, number>();
  private minVotes = Infinity;
  private readonly tally: boolean;
  /** Arrival times of one broadcast, per receiver. */
  private readonly arrivalScratch: Float64Array;
  /** Tallies of purged instances, for reuse (they are large: n^2 keys each). */
  private readonly freePrepareTallies: VoteTally[] = [];
  private readonly freeCommitTallies: VoteTally[] = [];

  constructor(host: PbftHost, queue: EventQueue, net: Network, options: PbftOptions) {
    this.host = host;
    this.q = queue;
    this.net = net;
    this.o = options;
    const m = options.nodes.length;
    this.m = m;
    this.quorum = quorum(m);
    this.joinThreshold = rejectionThreshold(m);
    this.replicaOf = new Int32Array(net.n).fill(-1);
    options.nodes.forEach((node, r) => {
      this.replicaOf[node] = r;
    });
    this.height = new Int32Array(m);
    this.view = new Int32Array(m);
    this.phase = new Uint8Array(m);
    this.vcSent = new Int32Array(m).fill(-1);
    this.preparedView = new Int32Array(m).fill(-1);
    this.pendingHeight = new Int32Array(m);
    this.pendingView = new Int32Array(m);
    this.live = m - options.crashed.reduce((a, b) => a + b, 0);
    this.tally = options.tallyVotes ?? true;
    this.arrivalScratch = new Float64Array(m);
  }

  /** Counters so far. */
  stats(): PbftStats {
    return { commits: this.commitCount, viewChangeMessages: this.viewChangeMessageCount, failedRounds: this.failedRoundCount, minCommitVotes: this.minVotes };
  }

  /** Network node of each replica. */
  nodes(): Int32Array {
    return this.o.nodes;
  }

  /** The primary of (height, view), as a replica index. */
  proposerOf(height: number, view: number): number {
    return this.o.proposer(height, view);
  }

  /** Height a replica is working on (the next block it has not committed). */
  heightOf(replica: number): number {
    return this.height[replica];
  }

  /** Whether a replica is inside a round (not held by its host). */
  inRound(replica: number): boolean {
    return this.phase[replica] !== Phase.Idle;
  }

  private instance(height: number, view: number): Instance {
    const key = height * VIEW_SPAN + view;
    let inst = this.instances.get(key);
    if (inst === undefined) {
      if (view >= VIEW_SPAN) {
        throw new Error(`PBFT: view ${view} at height ${height} exceeds ${VIEW_SPAN - 1}`);
      }
      inst = new Instance(height, view, this.o.proposer(height, view), this.m);
      this.instances.set(key, inst);
      const list = this.byHeight.get(height);
      if (list === undefined) {
        this.byHeight.set(height, [inst]);
      } else {
        list.push(inst);
      }
    }
    return inst;
  }

  private timeout(view: number): number {
    return this.o.doubleTimeout ? this.o.timeoutSec * 2 ** Math.min(view, 10) : this.o.timeoutSec;
  }

  private voteSize(inst: Instance): number {
    return this.o.votesCarryBlock ? this.o.voteSizeMB + inst.sizeMB : this.o.voteSizeMB;
  }

  /** Prepares (or commits) `r` has counted by now: its own plus those arrived. */
  private votesOf(inst: Instance, r: number, kind: number): number {
    const own = kind === PBFT_EVENT.PREPARE ? inst.prepares[r] : inst.commits[r];
    const tally = kind === PBFT_EVENT.PREPARE ? inst.prepareTally : inst.commitTally;
    return tally === undefined ? own : own + tally.countUpTo(r, this.q.currentTime, this.q.currentOrder);
  }

  /** Counts a replica's own prepare or commit (at most one each per instance: the tally relies on it). */
  private countOwn(inst: Instance, r: number, kind: number): void {
    const own = kind === PBFT_EVENT.PREPARE ? inst.prepares : inst.commits;
    own[r]++;
    if (this.tally && own[r] > 1) {
      throw new Error(`PBFT invariant: replica ${r} voted twice at height ${inst.height}, view ${inst.view}`);
    }
  }

  /** Sends a prepare or commit from `from` to every other replica: tallied, or one event each. */
  private sendVotes(from: number, at: number, kind: number, inst: Instance): void {
    const sizeMB = this.voteSize(inst);
    if (!this.tally) {
      this.broadcast(from, at, kind, inst.height, inst.view, 0, sizeMB);
      return;
    }
    const isPrepare = kind === PBFT_EVENT.PREPARE;
    let tally = isPrepare ? inst.prepareTally : inst.commitTally;
    if (tally === undefined) {
      tally = this.newTally(isPrepare);
      if (isPrepare) {
        inst.prepareTally = tally;
      } else {
        inst.commitTally = tally;
      }
    }
    const visit = this.o.kindBase + (isPrepare ? PBFT_EVENT.PREPARE_TALLY : PBFT_EVENT.COMMIT_TALLY);
    const nodes = this.o.nodes;
    const src = nodes[from];
    const h = inst.height;
    // Every message draws its bandwidth, stored or not, so the random stream stays the same.
    const times = this.arrivalScratch;
    this.net.arrivals(src, nodes, from, sizeMB, at, times);
    // The orders these messages would have had as events (one push each, in receiver order).
    let order = this.q.reserve(this.m - 1);
    const crashed = this.o.crashed;
    const height = this.height;
    const m = this.m;
    const k = tally.kth;
    const count = tally.n;
    const key = tally.key;
    const active = tally.active;
    for (let r = 0; r < m; r++) {
      if (r === from) {
        continue;
      }
      const t = times[r];
      const o = order++;
      // Crashed replicas drop it; one past this height never reads it (heights only grow).
      if (crashed[r] === 1 || height[r] > h) {
        continue;
      }
      // Most arrivals only need storing: before the kth, or for a receiver that is not armed.
      const c = count[r];
      count[r] = c + 1;
      const i = 2 * (r * m + c);
      key[i] = t;
      key[i + 1] = o;
      if (c + 1 < k) {
        continue;
      }
      if (active[r] === 0) {
        tally.heapState[r] = 0; // the heap goes stale; rebuilt if the receiver is re-armed
        continue;
      }
      // An arrival after the candidate changes neither the candidate nor any kth key that
      // matters: the candidate is the kth key itself (not passed by this arrival), or the kth key
      // is behind the floor already, where no candidate looks at it. Most arrivals end here.
      if (!before(t, o, tally.armT[r], tally.armO[r])) {
        continue;
      }
      if (tally.offerToHeap(r, t, o)) {
        this.queueCandidate(tally, r, inst, visit);
      }
    }
  }

  /** Queues or moves `r`'s tally event to its candidate key (armT, armO). */
  private queueCandidate(tally: VoteTally, r: number, inst: Instance, visit: number): void {
    const slot = tally.slot[r];
    if (slot < 0) {
      tally.slot[r] = this.q.pushOrdered(tally.armT[r], tally.armO[r], visit, r, inst.height, inst.view, 0, 0);
    } else {
      this.q.reschedule(slot, tally.armT[r], tally.armO[r]);
    }
  }

  private newTally(isPrepare: boolean): VoteTally {
    const free = isPrepare ? this.freePrepareTallies : this.freeCommitTallies;
    const reused = free.pop();
    if (reused !== undefined) {
      reused.reset();
      return reused;
    }
    // Thresholds: quorum - 1 prepares, quorum commits; candidates from one below (own vote).
    return new VoteTally(this.m, Math.max(1, (isPrepare ? this.quorum - 1 : this.quorum) - 1));
  }

  /** Queues the tally event of `r`'s next candidate arrival, if any. */
  private armNext(tally: VoteTally, r: number, inst: Instance, isPrepare: boolean): void {
    if (tally.nextCandidate(r)) {
      this.queueCandidate(tally, r, inst, this.o.kindBase + (isPrepare ? PBFT_EVENT.PREPARE_TALLY : PBFT_EVENT.COMMIT_TALLY));
    }
    // Otherwise a queued event, if any, no longer matches the key and is ignored when it pops.
  }

  /**
   * A tally event: the arrival at the current key is one that may act. Does what its message
   * event would do, then queues the next candidate if the count is still short.
   */
  private onTally(isPrepare: boolean, r: number, h: number, v: number, now: number): void {
    const inst = this.instances.get(h * VIEW_SPAN + v);
    const tally = isPrepare ? inst?.prepareTally : inst?.commitTally;
    if (inst === undefined || tally === undefined) {
      return; // purged: every live replica is past this height
    }
    const t = this.q.currentTime;
    const o = this.q.currentOrder;
    // A receiver has at most one tally event per instance and kind: this one, now popped.
    tally.slot[r] = -1;
    if (tally.armT[r] !== t || tally.armO[r] !== o) {
      return; // disarmed after it was queued
    }
    tally.floorT[r] = t;
    tally.floorO[r] = o;
    tally.armT[r] = Infinity;
    tally.armO[r] = -1;
    if (h < this.height[r]) {
      tally.active[r] = 0;
      return;
    }
    if (this.height[r] === h) {
      if (isPrepare) {
        this.checkPrepared(r, inst, now);
      } else {
        this.checkCommitted(r, inst, now);
      }
    }
    if (h < this.height[r]) {
      return; // committed: the instance may be purged and its tally reused, leave it alone
    }
    const kind = isPrepare ? PBFT_EVENT.PREPARE : PBFT_EVENT.COMMIT;
    if (this.votesOf(inst, r, kind) >= (isPrepare ? this.quorum - 1 : this.quorum)) {
      tally.active[r] = 0;
      return;
    }
    this.armNext(tally, r, inst, isPrepare);
  }

  /**
   * Replica `r` reached height `h`: every instance of `h` whose block it holds may now commit on
   * the next commit to arrive, a change no count check follows. Re-arm their commit tallies.
   */
  private heightReached(r: number, h: number): void {
    if (!this.tally) {
      return;
    }
    const list = this.byHeight.get(h);
    if (list === undefined) {
      return;
    }
    for (const inst of list) {
      if (inst.hasBlock[r] === 1) {
        this.rearmCommits(inst, r);
      }
    }
  }

  private rearmCommits(inst: Instance, r: number): void {
    const tally = inst.commitTally;
    if (tally === undefined) {
      return;
    }
    tally.active[r] = 1;
    tally.floorT[r] = this.q.currentTime;
    tally.floorO[r] = this.q.currentOrder;
    this.armNext(tally, r, inst, false);
  }

  /** Sends one message from replica `from` to every other live-or-not replica (crashed ones just drop it). */
  private broadcast(from: number, at: number, kind: number, height: number, view: number, d: number, sizeMB: number): void {
    const nodes = this.o.nodes;
    const src = nodes[from];
    const k = this.o.kindBase + kind;
    for (let r = 0; r < this.m; r++) {
      if (r !== from) {
        this.q.push(at + this.net.delay(src, nodes[r], sizeMB), k, r, height, view, from, d);
      }
    }
  }

  /**
   * Starts replica `replica` in (height, view) at `now`. Hosts call it once per replica to start
   * the chain; later rounds start by themselves unless the host holds them.
   */
  enter(replica: number, height: number, view: number, now: number): void {
    if (this.o.crashed[replica] === 1) {
      return;
    }
    const newHeight = height !== this.height[replica];
    if (newHeight) {
      this.vcSent[replica] = -1;
      this.preparedView[replica] = -1;
    }
    // Others may already have moved past this view: follow a quorum of view changes at once.
    const list = this.byHeight.get(height);
    if (list !== undefined) {
      for (const other of list) {
        if (other.view > view && (other.viewChanges[replica]) >= this.quorum) {
          view = other.view;
        }
      }
    }
    if (view > 0) {
      // The first replica in view v ends the rounds of the views before it: each of them failed.
      const highest = this.highestView.get(height) ?? 0;
      if (view > highest) {
        this.failedRoundCount += view - highest;
        this.highestView.set(height, view);
      }
    }
    this.height[replica] = height;
    this.view[replica] = view;
    this.phase[replica] = Phase.Waiting;
    if (newHeight) {
      this.heightReached(replica, height);
    }
    const from = this.host.workFrom === undefined ? now : Math.max(now, this.host.workFrom(replica, height, view, now));
    this.q.push(from + this.timeout(view), this.o.kindBase + PBFT_EVENT.TIMEOUT, replica, height, view, 0, 0);
    const inst = this.instance(height, view);
    if (inst.hasBlock[replica] === 1 && this.votesOf(inst, replica, PBFT_EVENT.COMMIT) >= this.quorum) {
      this.commit(replica, inst, now);
      return;
    }
    if (inst.proposer === replica) {
      this.q.push(from + this.host.proposeDelay(replica, height, view), this.o.kindBase + PBFT_EVENT.PROPOSE, replica, height, view, 0, 0);
    } else if (inst.hasBlock[replica] === 1) {
      this.acceptOrReject(replica, inst, now);
    }
  }

  /** Starts the round a host held (see {@link PbftHost.roundEnded}); no-op when not held. */
  resume(replica: number, now: number): void {
    if (this.phase[replica] === Phase.Idle && this.o.crashed[replica] === 0) {
      this.enter(replica, this.pendingHeight[replica], this.pendingView[replica], now);
    }
  }

  /** Schedules {@link resume} of a held replica at `at`. */
  scheduleResume(replica: number, at: number): void {
    this.q.push(at, this.o.kindBase + PBFT_EVENT.RESUME, replica, 0, 0, 0, 0);
  }

  /** Holds a replica that has not started yet and starts it in (height, view) at `at`. */
  startAt(replica: number, height: number, view: number, at: number): void {
    this.phase[replica] = Phase.Idle;
    const changed = this.height[replica] !== height;
    this.height[replica] = height;
    if (changed) {
      this.heightReached(replica, height);
    }
    this.pendingHeight[replica] = height;
    this.pendingView[replica] = view;
    this.scheduleResume(replica, at);
  }

  /** Dispatches one of this engine's events; `kind` is relative to `kindBase`. */
  handle(kind: number, target: number, a: number, b: number, c: number, d: number, now: number): void {
    if (this.o.crashed[target] === 1) {
      return;
    }
    switch (kind) {
      case PBFT_EVENT.PRE_PREPARE:
        this.onPrePrepare(target, a, b, c, now);
        break;
      case PBFT_EVENT.PREPARE:
        this.onPrepare(target, a, b, now);
        break;
      case PBFT_EVENT.COMMIT:
        this.onCommit(target, a, b, now);
        break;
      case PBFT_EVENT.VIEW_CHANGE:
        this.onViewChange(target, a, b, d, now);
        break;
      case PBFT_EVENT.TIMEOUT:
        this.onTimeout(target, a, b, c, now);
        break;
      case PBFT_EVENT.PROPOSE:
        this.onPropose(target, a, b, now);
        break;
      case PBFT_EVENT.RESUME:
        this.resume(target, now);
        break;
      case PBFT_EVENT.PREPARE_TALLY:
        this.onTally(true, target, a, b, now);
        break;
      case PBFT_EVENT.COMMIT_TALLY:
        this.onTally(false, target, a, b, now);
        break;
      default:
        throw new Error(`PBFT: unknown event kind ${kind}`);
    }
  }

  private onPropose(r: number, h: number, v: number, now: number): void {
    if (this.height[r] !== h || this.view[r] !== v || this.phase[r] !== Phase.Waiting) {
      return;
    }
    const inst = this.instance(h, v);
    if (!inst.proposed) {
      if (inst.bestPreparedView >= 0) {
        // PBFT's new-view rule: a block prepared in an earlier view may have committed at
        // some replica, so the new primary proposes that same block again.
        const earlier = this.instance(h, inst.bestPreparedView);
        inst.tag = earlier.tag;
        inst.sizeMB = earlier.sizeMB;
        inst.reproposal = true;
      } else {
        const block = this.host.propose(r, h, v, now);
        inst.tag = block.tag;
        inst.sizeMB = block.sizeMB;
      }
      inst.proposed = true;
    }
    inst.hasBlock[r] = 1;
    this.phase[r] = Phase.Accepted;
    this.sendPrePrepare(r, inst, now, -1);
    this.checkPrepared(r, inst, now);
    if (this.tally && this.height[r] === h && this.phase[r] === Phase.Accepted) {
      // Holding the block, the primary commits on the next commit once it has a quorum, unchecked here.
      this.rearmCommits(inst, r);
    }
  }

  private sendPrePrepare(from: number, inst: Instance, now: number, receivedFrom: number): void {
    const size = this.o.voteSizeMB + inst.sizeMB;
    const k = this.o.kindBase + PBFT_EVENT.PRE_PREPARE;
    const nodes = this.o.nodes;
    const src = nodes[from];
    if (this.o.prePrepare === 'direct') {
      if (receivedFrom >= 0) {
        return; // direct dissemination: only the primary sends
      }
      for (let r = 0; r < this.m; r++) {
        if (r !== from) {
          this.q.push(now + this.net.delay(src, nodes[r], size), k, r, inst.height, inst.view, from, 0);
        }
      }
      return;
    }
    const net = this.net;
    const peers = net.peers;
    const base = src * net.k;
    for (let i = 0; i < net.k; i++) {
      const peerNode = peers[base + i];
      const p = this.replicaOf[peerNode];
      // Skipping peers that already hold the block changes no first arrival, only saves events.
      if (p < 0 || p === receivedFrom || inst.hasBlock[p] === 1 || this.o.crashed[p] === 1) {
        continue;
      }
      const t = now + net.delay(src, peerNode, size);
      if (this.tally) {
        this.queueCopy(inst, p, t, from, k);
      } else {
        this.q.push(t, k, p, inst.height, inst.view, from, 0);
      }
    }
  }

  /** Queues a gossiped copy of a block for `p`, unless an earlier copy is on its way already. */
  private queueCopy(inst: Instance, p: number, t: number, from: number, kind: number): void {
    if (inst.copySlot === undefined) {
      inst.copySlot = new Int32Array(this.m).fill(-1);
      inst.copyT = new Float64Array(this.m);
      inst.copyO = new Float64Array(this.m);
    }
    const copyT = inst.copyT as Float64Array;
    const copyO = inst.copyO as Float64Array;
    const o = this.q.reserve(1); // the order this copy has as an event of its own
    const slot = inst.copySlot[p];
    if (slot < 0) {
      inst.copySlot[p] = this.q.pushOrdered(t, o, kind, p, inst.height, inst.view, from, 0);
    } else if (before(t, o, copyT[p], copyO[p])) {
      this.q.reschedule(slot, t, o);
      this.q.c[slot] = from;
    } else {
      return;
    }
    copyT[p] = t;
    copyO[p] = o;
  }

  private onPrePrepare(r: number, h: number, v: number, from: number, now: number): void {
    const copies = this.instances.get(h * VIEW_SPAN + v)?.copySlot;
    if (copies !== undefined) {
      copies[r] = -1; // popped: a later copy queues anew (and finds the block held)
    }
    if (h < (this.height[r])) {
      return;
    }
    const inst = this.instance(h, v);
    if (inst.hasBlock[r] === 1) {
      return;
    }
    inst.hasBlock[r] = 1;
    this.sendPrePrepare(r, inst, now, from);
    if (this.height[r] !== h) {
      return; // processed when the replica reaches this height
    }
    if (this.votesOf(inst, r, PBFT_EVENT.COMMIT) >= this.quorum) {
      this.commit(r, inst, now);
      return;
    }
    if (this.view[r] === v && this.phase[r] === Phase.Waiting) {
      this.acceptOrReject(r, inst, now);
    }
  }

  private acceptOrReject(r: number, inst: Instance, now: number): void {
    // A re-proposed block was prepared by a quorum under the rules of its own view; refusing it
    // again (say, because this replica switched configuration meanwhile) would stall the height.
    if (!inst.reproposal && !this.host.validate(r, inst.height, inst.view, inst.tag, now)) {
      this.sendViewChange(r, inst.height, inst.view + 1, now);
      return;
    }
    this.phase[r] = Phase.Accepted;
    const at = now + this.o.validationSec;
    this.sendVotes(r, at, PBFT_EVENT.PREPARE, inst);
    this.countOwn(inst, r, PBFT_EVENT.PREPARE);
    this.checkPrepared(r, inst, at);
  }

  private checkPrepared(r: number, inst: Instance, now: number): void {
    if (this.phase[r] !== Phase.Accepted || this.view[r] !== inst.view || this.votesOf(inst, r, PBFT_EVENT.PREPARE) < this.quorum - 1) {
      return;
    }
    this.phase[r] = Phase.CommitSent;
    this.preparedView[r] = inst.view;
    this.sendVotes(r, now, PBFT_EVENT.COMMIT, inst);
    this.countOwn(inst, r, PBFT_EVENT.COMMIT);
    this.checkCommitted(r, inst, now);
  }

  private onPrepare(r: number, h: number, v: number, now: number): void {
    if (h < (this.height[r])) {
      return;
    }
    const inst = this.instance(h, v);
    inst.prepares[r]++;
    if (this.height[r] === h) {
      this.checkPrepared(r, inst, now);
    }
  }

  private onCommit(r: number, h: number, v: number, now: number): void {
    if (h < (this.height[r])) {
      return;
    }
    const inst = this.instance(h, v);
    inst.commits[r]++;
    if (this.height[r] === h) {
      this.checkCommitted(r, inst, now);
    }
  }

  private checkCommitted(r: number, inst: Instance, now: number): void {
    if (inst.hasBlock[r] === 1 && this.votesOf(inst, r, PBFT_EVENT.COMMIT) >= this.quorum) {
      this.commit(r, inst, now);
    }
  }

  private commit(r: number, inst: Instance, now: number): void {
    const votes = this.votesOf(inst, r, PBFT_EVENT.COMMIT);
    if (votes < this.quorum) {
      throw new Error(`PBFT invariant: replica ${r} committing height ${inst.height} with ${votes} < ${this.quorum} commits`);
    }
    const h0 = inst.height;
    const decided = this.decided.get(h0);
    if (decided === undefined) {
      this.decided.set(h0, inst.tag);
    } else if (decided !== inst.tag) {
      throw new Error(`PBFT invariant: height ${h0} committed as block ${decided} and as block ${inst.tag}`);
    }
    this.commitCount++;
    if (votes < this.minVotes) {
      this.minVotes = votes;
    }
    const h = inst.height;
    this.height[r] = h + 1;
    this.heightReached(r, h + 1);
    this.view[r] = 0;
    this.phase[r] = Phase.Idle;
    this.vcSent[r] = -1;
    this.preparedView[r] = -1;
    this.pendingHeight[r] = h + 1;
    this.pendingView[r] = 0;
    const passed = (this.passed.get(h) ?? 0) + 1;
    if (passed >= this.live) {
      this.purge(h);
    } else {
      this.passed.set(h, passed);
    }
    if (this.host.roundEnded(r, h, inst.view, true, inst.tag, votes, now)) {
      this.enter(r, h + 1, 0, now);
    }
  }

  private purge(height: number): void {
    this.passed.delete(height);
    this.decided.delete(height);
    this.highestView.delete(height);
    const list = this.byHeight.get(height);
    if (list !== undefined) {
      for (const inst of list) {
        this.instances.delete(height * VIEW_SPAN + inst.view);
        if (inst.prepareTally !== undefined) {
          this.freePrepareTallies.push(inst.prepareTally);
          inst.prepareTally = undefined;
        }
        if (inst.commitTally !== undefined) {
          this.freeCommitTallies.push(inst.commitTally);
          inst.commitTally = undefined;
        }
      }
      this.byHeight.delete(height);
    }
  }

  private sendViewChange(r: number, h: number, newView: number, now: number): void {
    if ((this.vcSent[r]) >= newView) {
      return;
    }
    this.viewChangeMessageCount++;
    this.vcSent[r] = newView;
    if (this.phase[r] !== Phase.Idle) {
      this.phase[r] = Phase.ViewChange;
    }
    const prepared = this.preparedView[r];
    this.broadcast(r, now, PBFT_EVENT.VIEW_CHANGE, h, newView, prepared, this.o.voteSizeMB);
    // If the new view does not start in time, move on to the one after (c = 1 marks this timer).
    this.q.push(now + this.timeout(newView), this.o.kindBase + PBFT_EVENT.TIMEOUT, r, h, newView, 1, 0);
    this.countViewChange(r, h, newView, prepared, now);
  }

  private onViewChange(r: number, h: number, newView: number, prepared: number, now: number): void {
    if (h < (this.height[r]) || (this.height[r] === h && (this.view[r]) >= newView && this.phase[r] !== Phase.Idle)) {
      return;
    }
    this.countViewChange(r, h, newView, prepared, now);
  }

  private countViewChange(r: number, h: number, newView: number, prepared: number, now: number): void {
    const inst = this.instance(h, newView);
    inst.viewChanges[r]++;
    if (inst.proposer === r && prepared > inst.bestPreparedView) {
      inst.bestPreparedView = prepared;
    }
    if (this.height[r] !== h) {
      return;
    }
    const count = inst.viewChanges[r];
    if (count >= this.quorum) {
      if ((this.view[r]) < newView || this.phase[r] === Phase.Idle) {
        this.startView(r, h, newView, now);
      }
    } else if (count >= this.joinThreshold && (this.vcSent[r]) < newView) {
      this.sendViewChange(r, h, newView, now);
    }
  }

  private startView(r: number, h: number, newView: number, now: number): void {
    if (this.phase[r] === Phase.Idle && this.pendingHeight[r] === h && (this.pendingView[r]) >= newView) {
      return; // already held for this or a later view
    }
    this.phase[r] = Phase.Idle;
    this.pendingHeight[r] = h;
    this.pendingView[r] = newView;
    if (this.host.roundEnded(r, h, newView, false, -1, 0, now)) {
      this.enter(r, h, newView, now);
    }
  }

  private onTimeout(r: number, h: number, v: number, afterViewChange: number, now: number): void {
    if (this.height[r] !== h || this.phase[r] === Phase.Idle) {
      return;
    }
    if (afterViewChange === 1) {
      // Sent a view change for v but view v never started: ask for the next one.
      if ((this.view[r]) < v && this.vcSent[r] === v) {
        this.sendViewChange(r, h, v + 1, now);
      }
      return;
    }
    if (this.view[r] === v) {
      this.sendViewChange(r, h, v + 1, now);
    }
  }
}
