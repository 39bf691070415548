/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The simulator's future event list: a binary min-heap of event slots ordered by (time, insertion
 * order). Events are rows of parallel typed arrays rather than objects, because a simulated hour
 * of the base case schedules tens of millions of messages and allocating one object each would
 * dominate the run time and the garbage collector. Ties in time are broken by insertion order,
 * which makes a run independent of the heap's internal layout and therefore reproducible.
 */

/** Integer payload fields of an event; their meaning depends on `kind`. */
export interface EventFields {
  readonly kind: number;
  readonly target: number;
  readonly a: number;
  readonly b: number;
  readonly c: number;
  readonly d: number;
}

export class EventQueue {
  /** Event time in seconds, per slot. */
  time: Float64Array;
  /** Insertion counter per slot: the tie-breaker. */
  private order: Float64Array;
  kind: Int32Array;
  target: Int32Array;
  a: Int32Array;
  b: Int32Array;
  c: Int32Array;
  d: Int32Array;
  private heap: Int32Array;
  /** Heap position of each queued slot, so that {@link reschedule} can find it. */
  private pos: Int32Array;
  private freeSlots: Int32Array;
  private freeCount: number;
  private capacity: number;
  private counter = 0;
  /** Number of events waiting. */
  size = 0;
  /** Events ever scheduled, for statistics. */
  scheduled = 0;
  /** Time of the event popped last (-Infinity before the first): "now" for lazily counted votes. */
  currentTime = -Infinity;
  /** Insertion order of the event popped last (-1 before the first). */
  currentOrder = -1;

  constructor(initialCapacity = 4096) {
    this.capacity = initialCapacity;
    this.time = new Float64Array(initialCapacity);
    this.order = new Float64Array(initialCapacity);
    this.kind = new Int32Array(initialCapacity);
    this.target = new Int32Array(initialCapacity);
    this.a = new Int32Array(initialCapacity);
    this.b = new Int32Array(initialCapacity);
    this.c = new Int32Array(initialCapacity);
    this.d = new Int32Array(initialCapacity);
    this.heap = new Int32Array(initialCapacity);
    this.pos = new Int32Array(initialCapacity);
    this.freeSlots = new Int32Array(initialCapacity);
    for (let i = 0; i < initialCapacity; i++) {
      this.freeSlots[i] = initialCapacity - 1 - i;
    }
    this.freeCount = initialCapacity;
  }

  private grow(): void {
    const old = this.capacity;
    const cap = old * 2;
    const f64 = (src: Float64Array): Float64Array => {
      const dst = new Float64Array(cap);
      dst.set(src);
      return dst;
    };
    const i32 = (src: Int32Array): Int32Array => {
      const dst = new Int32Array(cap);
      dst.set(src);
      return dst;
    };
    this.time = f64(this.time);
    this.order = f64(this.order);
    this.kind = i32(this.kind);
    this.target = i32(this.target);
    this.a = i32(this.a);
    this.b = i32(this.b);
    this.c = i32(this.c);
    this.d = i32(this.d);
    this.heap = i32(this.heap);
    this.pos = i32(this.pos);
    const free = new Int32Array(cap);
    free.set(this.freeSlots.subarray(0, this.freeCount));
    // All old slots are in use (that is why we grow); hand out the new ones lowest first.
    let n = this.freeCount;
    for (let s = cap - 1; s >= old; s--) {
      free[n++] = s;
    }
    this.freeSlots = free;
    this.freeCount = n;
    this.capacity = cap;
  }

  private less(x: number, y: number): boolean {
    const tx = this.time[x];
    const ty = this.time[y];
    return tx < ty || (tx === ty && (this.order[x]) < (this.order[y]));
  }

  /** Schedules an event at `time` (seconds). */
  push(time: number, kind: number, target: number, a = 0, b = 0, c = 0, d = 0): void {
    this.pushOrdered(time, this.counter++, kind, target, a, b, c, d);
  }

  /**
   * Takes `count` insertion orders without scheduling anything and returns the first. A sender
   * whose messages are tallied rather than queued (see `pbft.ts`) reserves the orders the
   * messages would have had, so that every event that is queued keeps the order, and therefore
   * the tie-breaking, it has when every message is an event.
   */
  reserve(count: number): number {
    const first = this.counter;
    this.counter += count;
    return first;
  }

  /** Schedules an event with an insertion order taken earlier with {@link reserve}; returns its slot. */
  pushOrdered(time: number, order: number, kind: number, target: number, a = 0, b = 0, c = 0, d = 0): number {
    if (this.freeCount === 0) {
      this.grow();
    }
    const slot = this.freeSlots[--this.freeCount];
    this.time[slot] = time;
    this.order[slot] = order;
    this.kind[slot] = kind;
    this.target[slot] = target;
    this.a[slot] = a;
    this.b[slot] = b;
    this.c[slot] = c;
    this.d[slot] = d;
    this.scheduled++;
    this.siftUp(slot, this.size++);
    return slot;
  }

  /** Moves `slot` from heap position `i` towards the root to its place. */
  private siftUp(slot: number, i: number): number {
    const heap = this.heap;
    const pos = this.pos;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent];
      if (!this.less(slot, p)) {
        break;
      }
      heap[i] = p;
      pos[p] = i;
      i = parent;
    }
    heap[i] = slot;
    pos[slot] = i;
    return i;
  }

  /** Moves `slot` from heap position `i` towards the leaves to its place. */
  private siftDown(slot: number, i: number): void {
    const heap = this.heap;
    const pos = this.pos;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) {
        break;
      }
      const r = l + 1;
      let child = l;
      let cs = heap[l];
      if (r < n) {
        const rs = heap[r];
        if (this.less(rs, cs)) {
          child = r;
          cs = rs;
        }
      }
      if (!this.less(cs, slot)) {
        break;
      }
      heap[i] = cs;
      pos[cs] = i;
      i = child;
    }
    heap[i] = slot;
    pos[slot] = i;
  }

  /**
   * Gives a queued event (by the slot {@link pushOrdered} returned, not yet popped) a new time and
   * insertion order: one event that moves instead of a new one per move and stale ones left behind.
   */
  reschedule(slot: number, time: number, order: number): void {
    this.time[slot] = time;
    this.order[slot] = order;
    const i = this.pos[slot];
    if (this.siftUp(slot, i) === i) {
      this.siftDown(slot, i);
    }
  }

  /** Time of the earliest event, or `Infinity` when empty. */
  peekTime(): number {
    return this.size === 0 ? Infinity : (this.time[this.heap[0]]);
  }

  /**
   * Removes the earliest event and returns its slot; read its fields from the arrays, then
   * call {@link release}. Returns -1 when empty.
   */
  pop(): number {
    if (this.size === 0) {
      return -1;
    }
    const heap = this.heap;
    const top = heap[0];
    this.currentTime = this.time[top];
    this.currentOrder = this.order[top];
    const last = heap[--this.size];
    if (this.size > 0) {
      this.siftDown(last, 0);
    }
    return top;
  }

  /** Returns a popped slot to the pool. */
  release(slot: number): void {
    this.freeSlots[this.freeCount++] = slot;
  }

  /** The fields of a slot as an object (tests and debugging; the hot loop reads the arrays). */
  fields(slot: number): EventFields {
    return {
      kind: this.kind[slot],
      target: this.target[slot],
      a: this.a[slot],
      b: this.b[slot],
      c: this.c[slot],
      d: this.d[slot],
    };
  }
}
