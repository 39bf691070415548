/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { SimulationTwin, candidateOf, defaultCandidates } from './simulationTwin';
import type { TwinState } from './twin';

function stateAt(txRate: number, current: Record<string, unknown> = { batchTimeoutMs: 2000, maxMessageCount: 500 }): TwinState {
  return { metrics: { txRate, blockFill: 0.5, commitLatencyMs: 1000, blockIntervalMs: 2000 }, current, height: 4 };
}

// A small grid keeps the test quick; the default grid has 30 candidates.
const candidates = [
  { batchTimeoutMs: 50, maxMessageCount: 100 },
  { batchTimeoutMs: 50, maxMessageCount: 2000 },
  { batchTimeoutMs: 1000, maxMessageCount: 100 },
  { batchTimeoutMs: 1000, maxMessageCount: 2000 },
];

describe('SimulationTwin', () => {
  const twin = new SimulationTwin({ candidates, durationSec: 15, warmupSec: 3 });

  it('proposes short batches for a light load and large ones for a heavy load, keeping other keys', async () => {
    await expect(twin.decide(stateAt(200, { batchTimeoutMs: 2000, maxMessageCount: 500, note: 'kept' }))).resolves.toEqual({
      batchTimeoutMs: 50,
      maxMessageCount: 100,
      note: 'kept',
    });
    await expect(twin.decide(stateAt(3000))).resolves.toMatchObject({ batchTimeoutMs: 50, maxMessageCount: 2000 });
  }, 60_000);

  it('approves what it would propose and rejects what cannot keep up, with reasons', async () => {
    const state = stateAt(3000);
    const decided = await twin.decide(state);
    const approve = await twin.validate(decided, state);
    expect(approve.approve).toBe(true);
    expect(approve.reason).toMatch(/^at 3000 tx\/s, 50 ms \/ 2000 tx: \d+ ms mean latency; best /);
    const reject = await twin.validate({ batchTimeoutMs: 1000, maxMessageCount: 100 }, state);
    expect(reject).toEqual({ approve: false, reason: expect.stringMatching(/cannot keep up \(\d+ of 3000 tx\/s\)/) as unknown as string });
  }, 60_000);

  it('rejects a configuration that is malformed or out of bounds without simulating', async () => {
    await expect(twin.validate({ batchTimeoutMs: 'fast', maxMessageCount: 10 }, stateAt(100))).resolves.toEqual({
      approve: false,
      reason: 'batchTimeoutMs must be a positive integer, got "fast"',
    });
    await expect(twin.validate({ batchTimeoutMs: 5, maxMessageCount: 10 }, stateAt(100))).resolves.toEqual({
      approve: false,
      reason: 'batchTimeoutMs 5 is outside [10, 10000]',
    });
  });

  it('reaches the same verdict in every member (deterministic simulations)', async () => {
    const other = new SimulationTwin({ candidates, durationSec: 15, warmupSec: 3 });
    const state = stateAt(1000);
    expect(await other.decide(state)).toEqual(await twin.decide(state));
    expect((await other.rank(state)).map((s) => s.score)).toEqual((await twin.rank(state)).map((s) => s.score));
  }, 60_000);

  it('scores a candidate by latency, infinite when the backlog grows', () => {
    const fast = twin.score({ batchTimeoutMs: 50, maxMessageCount: 2000 }, 3000);
    expect(fast.score).toBe(fast.commitLatencyMs);
    expect(fast.throughput).toBeGreaterThan(0.95 * 3000);
    expect(twin.score({ batchTimeoutMs: 1000, maxMessageCount: 100 }, 3000).score).toBe(Infinity);
  }, 60_000);
});

describe('candidates', () => {
  it('reads C^prim out of a configuration', () => {
    expect(candidateOf({ batchTimeoutMs: 100, maxMessageCount: 10, other: 1 })).toEqual({ batchTimeoutMs: 100, maxMessageCount: 10 });
    expect(candidateOf({ batchTimeoutMs: 100 })).toBe('maxMessageCount must be a positive integer, got undefined');
    expect(candidateOf({ batchTimeoutMs: 0.5, maxMessageCount: 10 })).toBe('batchTimeoutMs must be a positive integer, got 0.5');
  });

  it('has a default grid of 30', () => {
    expect(defaultCandidates()).toHaveLength(30);
  });
});
