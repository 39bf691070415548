/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * Seeded pseudo-random numbers for the simulator: xoshiro128** (Blackman and Vigna), seeded
 * through splitmix32. Every source of randomness in a run is a named stream forked from the run's
 * seed, so that changing one parameter (say the bandwidth) does not reshuffle unrelated draws
 * (the topology, the CBIs): sweeps then compare like with like.
 */

/** One step of splitmix32: spreads a 32-bit state into well-mixed output. */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [next, (z ^ (z >>> 16)) >>> 0];
}

/** FNV-1a of a string: turns stream names into seeds. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return h >>> 0;
}

/** A deterministic random stream. Not for cryptography. */
export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare = 0;
  private hasSpare = false;
  /** The 32-bit seed this stream was made from, for forking. */
  readonly seed: number;

  /**
   * @param seed any integer (taken modulo 2^32) or a string.
   */
  constructor(seed: number | string) {
    this.seed = typeof seed === 'string' ? fnv1a(seed) : seed >>> 0;
    let state = this.seed;
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(state);
      state = next;
      words.push(out);
    }
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) {
      this.s0 = 1; // xoshiro's only forbidden state
    }
  }

  /** An independent stream named `label`, derived from this stream's seed (not its position). */
  fork(label: string): Rng {
    return new Rng((fnv1a(label) ^ Math.imul(this.seed, 0x9e3779b1)) >>> 0);
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** A uniform number in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A standard normal deviate (Marsaglia's polar method; the second value is kept for the next call). */
  gaussian(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.next() - 1;
      v = 2 * this.next() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * m;
    this.hasSpare = true;
    return u * m;
  }

  /** Normal(mean, sd), floored at `min` (a bandwidth or an interval must stay positive). */
  normal(mean: number, sd: number, min = -Infinity): number {
    const x = mean + sd * this.gaussian();
    return x < min ? min : x;
  }

  /** `k` distinct indices from [0, n) except `exclude`, in draw order (partial Fisher-Yates). */
  sample(n: number, k: number, exclude = -1): number[] {
    const pool: number[] = [];
    for (let i = 0; i < n; i++) {
      if (i !== exclude) {
        pool.push(i);
      }
    }
    const count = Math.min(k, pool.length);
    for (let i = 0; i < count; i++) {
      const j = i + this.int(pool.length - i);
      const tmp = pool[i];
      pool[i] = pool[j];
      pool[j] = tmp;
    }
    return pool.slice(0, count);
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
