/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Tallied votes for the PBFT engine (`pbft.ts`): how a receiver's prepares or commits are
 * counted without queueing one event per message. See {@link VoteTally}.
 */

/** `(t1, o1)` comes before `(t2, o2)` in the event queue's order: by time, then insertion order. */
export function before(t1: number, o1: number, t2: number, o2: number): boolean {
  return t1 < t2 || (t1 === t2 && o1 < o2);
}

/**
 * The prepares (or the commits) of one instance, tallied per receiver rather than queued one
 * event per message. With all-to-all votes a round sends 2 n (n - 1) messages, but a receiver
 * acts on at most one of each kind: the one that brings its count to the threshold while it can
 * use it. Every other vote only adds one to a count. So each message is stored as its arrival
 * key (time and the insertion order it would have had as an event), counts are computed when
 * read, and the queue holds one event per receiver: the earliest arrival that may act.
 *
 * Which arrivals may act: a receiver counts its own vote (at most one) plus the arrivals up to
 * now, so an arrival can only act if at least `threshold - 1` arrivals (itself included) come at
 * or before it, i.e. from the `kth` smallest key on, `kth = threshold - 1` (per receiver: the
 * largest of its first `kth` arrivals, then a max-heap of the `kth` smallest once an arrival comes
 * before that). After an arrival is handled, the receiver needs the next one only if its count
 * is still below the threshold; otherwise it has acted, or it cannot use the votes yet and the
 * engine checks the count when it can (or re-arms the tally where it does not check; see
 * `Pbft.heightReached`).
 */
export class VoteTally {
  /**
   * Arrival keys per receiver, time and insertion order side by side (one cache line per
   * message: a broadcast writes one key into every receiver's row): `[2 (receiver * m + i)]` is
   * the time, the next entry the order. A receiver's arrivals are stored in increasing order.
   */
  readonly key: Float64Array;
  readonly n: Int32Array;
  /** Max-heaps of the `kth` smallest keys, per receiver, interleaved the same way: `[2 (receiver * kth + i)]`. */
  readonly heap: Float64Array;
  /**
   * Per receiver: 0 no heap (or a stale one), 1 only the heap's root is known (the largest of the
   * first `kth` arrivals), 2 the heap is complete. Most receivers never need more than the root.
   */
  readonly heapState: Uint8Array;
  /** Whether the receiver still needs an event for its next candidate arrival. */
  readonly active: Uint8Array;
  /** Key of the last arrival handled (or of the re-arming): later candidates only. */
  readonly floorT: Float64Array;
  readonly floorO: Float64Array;
  /** Key of the receiver's next candidate (Infinity, -1: none); its event is queued at this key. */
  readonly armT: Float64Array;
  readonly armO: Float64Array;
  /** The receiver's queued tally event (-1: none): moved rather than queued anew when the key changes. */
  readonly slot: Int32Array;

  constructor(
    readonly m: number,
    readonly kth: number,
  ) {
    this.key = new Float64Array(2 * m * m);
    this.n = new Int32Array(m);
    this.heap = new Float64Array(2 * m * kth);
    this.heapState = new Uint8Array(m);
    this.active = new Uint8Array(m);
    this.floorT = new Float64Array(m);
    this.floorO = new Float64Array(m);
    this.armT = new Float64Array(m);
    this.armO = new Float64Array(m);
    this.slot = new Int32Array(m);
    this.reset();
  }

  /** Empties the tally for reuse by another instance. */
  reset(): void {
    this.n.fill(0);
    this.heapState.fill(0);
    this.active.fill(1);
    this.floorT.fill(-Infinity);
    this.floorO.fill(-1);
    this.armT.fill(Infinity);
    this.armO.fill(-1);
    this.slot.fill(-1);
  }

  /**
   * After arrival (t, o), the `kth` or a later one, was stored for active receiver `r`: keeps
   * the kth smallest key and `r`'s candidate, the earliest arrival after the floor at or past the
   * kth key. When the kth arrival comes, the kth smallest key is the largest so far (a scan);
   * only when a later arrival comes before it is the heap of the `kth` smallest built (linear
   * time), after which a key enters it if it is smaller than the largest. Returns whether the
   * candidate changed.
   */
  offerToHeap(r: number, t: number, o: number): boolean {
    const base = 2 * r * this.kth;
    const heap = this.heap;
    const state = this.heapState[r];
    if (state === 0) {
      if (this.n[r] === this.kth) {
        this.rootOnly(r);
      } else {
        this.buildHeap(r);
      }
    } else if (before(t, o, heap[base], heap[base + 1])) {
      if (state === 1) {
        this.buildHeap(r); // the new key is stored already
      } else {
        this.siftDown(base, 0, t, o);
      }
    }
    // The earliest candidate after the floor: the old one, the new kth key, or this arrival.
    const kt = heap[base];
    const ko = heap[base + 1];
    let bt = this.armT[r];
    let bo = this.armO[r];
    if (before(this.floorT[r], this.floorO[r], kt, ko) && before(kt, ko, bt, bo)) {
      bt = kt;
      bo = ko;
    }
    if (!before(t, o, kt, ko) && before(t, o, bt, bo)) {
      bt = t;
      bo = o;
    }
    if (bo === this.armO[r] && bt === this.armT[r]) {
      return false;
    }
    this.armT[r] = bt;
    this.armO[r] = bo;
    return true;
  }

  /** With exactly `kth` arrivals, the kth smallest is the largest: `r`'s heap root, nothing more. */
  private rootOnly(r: number): void {
    const key = this.key;
    const from = 2 * r * this.m;
    let bt = key[from];
    let bo = key[from + 1];
    for (let i = from + 2; i < from + 2 * this.kth; i += 2) {
      if (before(bt, bo, key[i], key[i + 1])) {
        bt = key[i];
        bo = key[i + 1];
      }
    }
    const base = 2 * r * this.kth;
    this.heap[base] = bt;
    this.heap[base + 1] = bo;
    this.heapState[r] = 1;
  }

  /** Builds `r`'s heap of the `kth` smallest keys from all its arrivals (needs at least `kth`). */
  private buildHeap(r: number): void {
    const k = this.kth;
    const base = 2 * r * k;
    const from = 2 * r * this.m;
    const heap = this.heap;
    const key = this.key;
    heap.set(key.subarray(from, from + 2 * k), base);
    for (let j = (k >> 1) - 1; j >= 0; j--) {
      this.siftDown(base, j, heap[base + 2 * j], heap[base + 2 * j + 1]);
    }
    for (let i = from + 2 * k; i < from + 2 * this.n[r]; i += 2) {
      if (before(key[i], key[i + 1], heap[base], heap[base + 1])) {
        this.siftDown(base, 0, key[i], key[i + 1]);
      }
    }
    this.heapState[r] = 2;
  }

  /** Puts key (t, o) at position `j` of the heap at `base` and sinks it to its place. */
  private siftDown(base: number, j: number, t: number, o: number): void {
    const k = this.kth;
    const heap = this.heap;
    for (;;) {
      const l = 2 * j + 1;
      if (l >= k) {
        break;
      }
      let c = l;
      const lp = base + 2 * l;
      if (l + 1 < k && before(heap[lp], heap[lp + 1], heap[lp + 2], heap[lp + 3])) {
        c = l + 1;
      }
      const cp = base + 2 * c;
      if (!before(t, o, heap[cp], heap[cp + 1])) {
        break;
      }
      heap[base + 2 * j] = heap[cp];
      heap[base + 2 * j + 1] = heap[cp + 1];
      j = c;
    }
    heap[base + 2 * j] = t;
    heap[base + 2 * j + 1] = o;
  }

  /** Arrivals for `r` at or before key (T, O). */
  countUpTo(r: number, T: number, O: number): number {
    const key = this.key;
    const from = 2 * r * this.m;
    const to = from + 2 * this.n[r];
    let c = 0;
    for (let i = from; i < to; i += 2) {
      const ti = key[i];
      if (ti < T || (ti === T && key[i + 1] <= O)) {
        c++;
      }
    }
    return c;
  }

  /** Sets `r`'s next candidate to the earliest after its floor; false when there is none yet. */
  nextCandidate(r: number): boolean {
    this.armT[r] = Infinity;
    this.armO[r] = -1;
    const k = this.kth;
    if (this.n[r] < k) {
      return false;
    }
    if (this.heapState[r] === 0) {
      this.buildHeap(r);
    }
    const base = 2 * r * k;
    const kt = this.heap[base];
    const ko = this.heap[base + 1];
    const ft = this.floorT[r];
    const fo = this.floorO[r];
    let bt = Infinity;
    let bo = -1;
    const key = this.key;
    const from = 2 * r * this.m;
    const to = from + 2 * this.n[r];
    for (let i = from; i < to; i += 2) {
      const t = key[i];
      const o = key[i + 1];
      if (before(ft, fo, t, o) && !before(t, o, kt, ko) && before(t, o, bt, bo)) {
        bt = t;
        bo = o;
      }
    }
    this.armT[r] = bt;
    this.armO[r] = bo;
    return bt !== Infinity;
  }
}
