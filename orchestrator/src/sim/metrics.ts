/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * What a run measures, following the paper's section 3:
 *
 * - per configuration block (CB), the management delay split into three phases, as seen on the
 *   fastest `quorum(n)` primary nodes (2f+1; the system runs under a configuration once that
 *   many nodes do):
 *   - agreement = first commit of the CB by a management node - opening of its round (CBI expiry);
 *   - propagation = time the quorum-th primary node holds the verified CB - that first commit;
 *   - update = time the quorum-th primary node runs under it - time the quorum-th one holds it
 *     (a node switches only between consensus rounds: Algorithm 2);
 *   the three add up to the total management delay (quorum-th switch - round opening).
 * - inter-block times of the primary chain, between consecutive blocks final at a quorum of
 *   nodes: `normal` when both blocks carry the same configuration height, `switch` otherwise.
 * - with a workload: throughput, block fill and transaction latency (what the twins observe).
 */

/** One configuration block's delays, in seconds. */
export interface CbRecord {
  readonly height: number;
  readonly proposer: string;
  /** FC: failed cycles before it was agreed. */
  readonly failedCycles: number;
  readonly openedAt: number;
  readonly agreedAt: number;
  readonly agreement: number;
  readonly propagation: number;
  readonly update: number;
  readonly total: number;
}

/** The primary chain's observed performance (a twin's inputs). */
export interface PrimaryObservation {
  /** Blocks final at a quorum. */
  readonly blocks: number;
  /** Committed transactions per second (0 without a workload: blocks are full by assumption). */
  readonly txRate: number;
  /** Mean fraction of the maximum block size used. */
  readonly blockFill: number;
  /** Mean transaction latency from arrival to block final, in ms (NaN without a workload). */
  readonly commitLatencyMs: number;
  /** Mean time between consecutive final blocks, in ms. */
  readonly blockIntervalMs: number;
  /** Transactions waiting at the end of the window (a growing backlog means the configuration cannot keep up). */
  readonly backlog: number;
}

/** A growable Float64 column. */
export class Column {
  private data: Float64Array;
  length = 0;

  constructor(capacity = 1024) {
    this.data = new Float64Array(capacity);
  }

  push(x: number): void {
    if (this.length === this.data.length) {
      const next = new Float64Array(this.data.length * 2);
      next.set(this.data);
      this.data = next;
    }
    this.data[this.length++] = x;
  }

  get(i: number): number {
    return this.data[i];
  }

  set(i: number, x: number): void {
    this.data[i] = x;
  }

  /** A copy of the values. */
  values(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

/** Summary statistics of a sample. */
export interface Summary {
  readonly n: number;
  readonly mean: number;
  readonly min: number;
  readonly p5: number;
  readonly p25: number;
  readonly median: number;
  readonly p75: number;
  readonly p95: number;
  readonly max: number;
}

/** Quantile by linear interpolation between order statistics (R's type 7, numpy's default). */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) {
    return NaN;
  }
  const pos = (n - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo];
  const b = sorted[hi];
  return a + (b - a) * (pos - lo);
}

/** Summary of a sample (NaN fields for an empty one). */
export function summarize(values: ArrayLike<number>): Summary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) {
    sum += v;
  }
  const q = (p: number): number => quantileSorted(sorted, p);
  return {
    n: sorted.length,
    mean: sorted.length === 0 ? NaN : sum / sorted.length,
    min: sorted.length === 0 ? NaN : (sorted[0]),
    p5: q(0.05),
    p25: q(0.25),
    median: q(0.5),
    p75: q(0.75),
    p95: q(0.95),
    max: sorted.length === 0 ? NaN : (sorted[sorted.length - 1]),
  };
}

/** The k-th smallest (1-based) of the finite values, or NaN when fewer than k are finite. */
export function kthSmallest(values: ArrayLike<number>, k: number): number {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isFinite(v)) {
      finite.push(v);
    }
  }
  if (finite.length < k) {
    return NaN;
  }
  finite.sort((a, b) => a - b);
  return finite[k - 1];
}

/** Per-CB timestamps gathered during a run. */
export interface CbTrace {
  readonly height: number;
  readonly proposer: string;
  readonly failedCycles: number;
  readonly openedAt: number;
  /** First commit by a management node. */
  agreedAt: number;
  /** Per primary node: when it held the verified CB (NaN until then). */
  readonly receivedAt: Float64Array;
  /** Per primary node: when it switched to this CB or a later one (NaN until then). */
  readonly appliedAt: Float64Array;
}

/** Collects a run's measurements. */
export class Metrics {
  /** Per CB height (index 0 unused: genesis). */
  readonly cbs: (CbTrace | undefined)[] = [];
  /** Per primary height: time final at a quorum. */
  readonly blockFinalAt = new Column();
  /** Per primary height: configuration height of the block. */
  readonly blockConfig = new Column();
  /** Per primary height: transactions in the block. */
  readonly blockTx = new Column();
  /** Per primary height: block size as a fraction of the maximum. */
  readonly blockFill = new Column();
  /** Per primary height: mean arrival time of its transactions (NaN without a workload). */
  readonly blockMeanArrival = new Column();
  /** Per primary height: replicas that committed it so far. */
  private readonly blockCommits = new Column();

  constructor(
    /** Number of primary nodes. */
    readonly n: number,
    /** Nodes that make a quorum of primary nodes. */
    readonly quorum: number,
  ) {}

  /** Opens the trace of a CB when its round opens. */
  openCb(height: number, proposer: string, failedCycles: number, openedAt: number, agreedAt: number): CbTrace {
    const trace: CbTrace = {
      height,
      proposer,
      failedCycles,
      openedAt,
      agreedAt,
      receivedAt: new Float64Array(this.n).fill(NaN),
      appliedAt: new Float64Array(this.n).fill(NaN),
    };
    this.cbs[height] = trace;
    return trace;
  }

  /** A primary node holds a verified CB. */
  received(height: number, node: number, at: number): void {
    const trace = this.cbs[height];
    if (trace !== undefined && Number.isNaN(trace.receivedAt[node])) {
      trace.receivedAt[node] = at;
    }
  }

  /** A primary node switched from configuration `from` to `to`: every CB in between is applied. */
  switched(node: number, from: number, to: number, at: number): void {
    for (let h = from + 1; h <= to; h++) {
      const trace = this.cbs[h];
      if (trace !== undefined && Number.isNaN(trace.appliedAt[node])) {
        trace.appliedAt[node] = at;
      }
    }
  }

  /**
   * A replica committed primary height `height`; the block becomes final (for these metrics)
   * when the quorum-th replica commits it.
   *
   * @returns true when this commit is the first of the height.
   */
  blockCommitted(height: number, config: number, tx: number, fill: number, meanArrival: number, at: number): boolean {
    while (this.blockCommits.length <= height) {
      this.blockCommits.push(0);
      this.blockFinalAt.push(NaN);
      this.blockConfig.push(NaN);
      this.blockTx.push(0);
      this.blockFill.push(NaN);
      this.blockMeanArrival.push(NaN);
    }
    const count = this.blockCommits.get(height) + 1;
    this.blockCommits.set(height, count);
    if (count === 1) {
      this.blockConfig.set(height, config);
      this.blockTx.set(height, tx);
      this.blockFill.set(height, fill);
      this.blockMeanArrival.set(height, meanArrival);
    }
    if (count === this.quorum) {
      this.blockFinalAt.set(height, at);
    }
    return count === 1;
  }

  /** Number of primary blocks final at a quorum. */
  finalBlocks(): number {
    let count = 0;
    for (let h = 0; h < this.blockFinalAt.length; h++) {
      if (Number.isFinite(this.blockFinalAt.get(h))) {
        count++;
      }
    }
    return count;
  }

  /** The per-CB delays of every CB applied by a quorum of primary nodes. */
  cbRecords(): CbRecord[] {
    const out: CbRecord[] = [];
    for (const trace of this.cbs) {
      if (trace === undefined || !Number.isFinite(trace.agreedAt)) {
        continue;
      }
      const recv = kthSmallest(trace.receivedAt, this.quorum);
      const applied = kthSmallest(trace.appliedAt, this.quorum);
      if (!Number.isFinite(applied)) {
        continue; // not yet running under it at the end of the run
      }
      out.push({
        height: trace.height,
        proposer: trace.proposer,
        failedCycles: trace.failedCycles,
        openedAt: trace.openedAt,
        agreedAt: trace.agreedAt,
        agreement: trace.agreedAt - trace.openedAt,
        propagation: recv - trace.agreedAt,
        update: applied - recv,
        total: applied - trace.openedAt,
      });
    }
    return out;
  }

  /** Inter-block times of consecutive final blocks, split into normal and switch blocks. */
  interBlockTimes(): { readonly normal: Float64Array; readonly switch: Float64Array } {
    const normal = new Column();
    const sw = new Column();
    for (let h = 1; h < this.blockFinalAt.length; h++) {
      const t = this.blockFinalAt.get(h);
      const prev = this.blockFinalAt.get(h - 1);
      if (!Number.isFinite(t) || !Number.isFinite(prev)) {
        continue;
      }
      (this.blockConfig.get(h) === this.blockConfig.get(h - 1) ? normal : sw).push(t - prev);
    }
    return { normal: normal.values(), switch: sw.values() };
  }

  /**
   * What a twin observes of the primary chain between `fromSec` and `untilSec` (a warm-up cut).
   * The transaction rate is the sustained commit rate: transactions in the blocks after the
   * window's first final block, over the time from that block to the last one, which does not
   * under-count a partial last round the way transactions-per-window would.
   */
  observe(fromSec: number, untilSec: number, backlog = 0): PrimaryObservation {
    let blocks = 0;
    let txAfterFirst = 0;
    let fill = 0;
    let latencySum = 0;
    let txAll = 0;
    let first = NaN;
    let last = NaN;
    for (let h = 0; h < this.blockFinalAt.length; h++) {
      const t = this.blockFinalAt.get(h);
      if (!Number.isFinite(t) || t < fromSec || t > untilSec) {
        continue;
      }
      blocks++;
      const count = this.blockTx.get(h);
      txAll += count;
      if (blocks > 1) {
        txAfterFirst += count;
      }
      fill += this.blockFill.get(h);
      const arrival = this.blockMeanArrival.get(h);
      latencySum += Number.isFinite(arrival) ? count * (t - arrival) : 0;
      if (Number.isNaN(first)) {
        first = t;
      }
      last = t;
    }
    return {
      blocks,
      txRate: blocks > 1 && last > first ? txAfterFirst / (last - first) : 0,
      blockFill: blocks > 0 ? fill / blocks : NaN,
      commitLatencyMs: txAll > 0 && latencySum > 0 ? (1000 * latencySum) / txAll : NaN,
      blockIntervalMs: blocks > 1 ? (1000 * (last - first)) / (blocks - 1) : NaN,
      backlog,
    };
  }
}
