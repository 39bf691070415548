/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';

import { hashHeader } from './hash';
import {
  activeBlock,
  blockValidUnder,
  endRound,
  initialPrimaryState,
  isWaiting,
  latestHeight,
  missingHeights,
  noteHeight,
  receiveConfigBlock,
  reconfigure,
  startRound,
  verifyWith,
} from './reconfiguration';
import type { ConfigBlockVerifier, PrimaryState } from './reconfiguration';
import type { ConfigBlock, GenesisParams, JsonObject } from './types';

const GENESIS_PARAMS: GenesisParams = {
  members: [{ mspId: 'Org1MSP', caCertificate: 'not checked by these tests' }],
  cbiSeconds: 30,
  cycleTimeoutSeconds: 10,
  clockToleranceSeconds: 5,
  configSchema: { type: 'object' },
};

function makeBlock(height: number, prevHash: string, config: JsonObject = { batchTimeoutMs: 2000, maxMessageCount: 10 }): ConfigBlock {
  const header = {
    height,
    prevHash,
    proposer: 'Org1MSP',
    cycle: 0,
    timestamp: new Date(Date.UTC(2026, 0, 1) + height * 30_000).toISOString(),
    config,
    ...(height === 0 ? { params: GENESIS_PARAMS } : {}),
  };
  return { ...header, hash: hashHeader(header), proof: [] };
}

/** An honest chain of `length` blocks, genesis first. */
function makeChain(length: number): ConfigBlock[] {
  const chain = [makeBlock(0, '')];
  for (let h = 1; h < length; h++) {
    chain.push(makeBlock(h, chain[h - 1].hash, { batchTimeoutMs: 2000 + h, maxMessageCount: 10 }));
  }
  return chain;
}

/** Link and hash only: enough to tell honest blocks from forged ones in these tests. */
const linkVerifier: ConfigBlockVerifier = (block, previous) => {
  if (block.prevHash !== previous.hash) {
    throw new Error(`height ${block.height}: prevHash does not link`);
  }
  if (hashHeader(block) !== block.hash) {
    throw new Error(`height ${block.height}: hash does not match`);
  }
};

const CHAIN = makeChain(9);
const at = (h: number): ConfigBlock => CHAIN[h];
/** Same height, valid hash, but linked to nothing: an attacker's or a fork's block. */
const forged = (h: number): ConfigBlock => makeBlock(h, 'ff'.repeat(32), { forged: h });

function receive(state: PrimaryState, cb: ConfigBlock): PrimaryState {
  return receiveConfigBlock(state, cb, linkVerifier).state;
}

describe('receiveConfigBlock', () => {
  const genesisState = initialPrimaryState(at(0));

  it.each([
    ['next height, valid: appended and forwarded', at(1), { kind: 'appended', heights: [1] }, [1]],
    ['genesis again: duplicate', at(0), { kind: 'duplicate' }, []],
    ['another block at a stored height: stale', forged(0), { kind: 'stale', latestHeight: 0 }, []],
    ['two ahead: future, height 1 missing', at(2), { kind: 'future', missing: [1] }, []],
    ['next height, bad link: invalid', forged(1), { kind: 'invalid', reason: 'height 1: prevHash does not link' }, []],
  ])('%s', (_name, cb, outcome, forwarded) => {
    const result = receiveConfigBlock(genesisState, cb, linkVerifier);
    expect(result.outcome).toEqual(outcome);
    expect(result.forward.map((b) => b.height)).toEqual(forwarded);
  });

  it('holds future blocks and appends them, in order, once the gap is filled', () => {
    let state = receive(genesisState, at(3));
    state = receive(state, at(2));
    expect(missingHeights(state)).toEqual([1]);
    expect(isWaiting(state)).toBe(true);
    const result = receiveConfigBlock(state, at(1), linkVerifier);
    expect(result.outcome).toEqual({ kind: 'appended', heights: [1, 2, 3] });
    expect(result.forward).toEqual([at(1), at(2), at(3)]);
    expect(result.state.held).toEqual([]);
    expect(isWaiting(result.state)).toBe(false);
  });

  it('drops a held block that fails once its turn comes, and keeps waiting for the real one', () => {
    let state = receive(genesisState, forged(2));
    state = receive(state, at(1));
    expect(latestHeight(state)).toBe(1);
    expect(state.held).toEqual([]);
    expect(missingHeights(state)).toEqual([2]);
    state = receive(state, at(2));
    expect(latestHeight(state)).toBe(2);
    expect(isWaiting(state)).toBe(false);
  });

  it('tries every held copy of a height, so a forged copy cannot shadow the real one', () => {
    let state = receive(genesisState, forged(2));
    state = receive(state, at(2));
    expect(state.held).toHaveLength(2);
    expect(receiveConfigBlock(state, at(1), linkVerifier).outcome).toEqual({ kind: 'appended', heights: [1, 2] });
  });

  it('reports a held copy received again as a duplicate', () => {
    const state = receive(genesisState, at(4));
    expect(receiveConfigBlock(state, at(4), linkVerifier).outcome).toEqual({ kind: 'duplicate' });
  });

  it('bounds the number of held blocks', () => {
    const state = receive(genesisState, at(4));
    const result = receiveConfigBlock(state, at(5), linkVerifier, { maxHeld: 1 });
    expect(result.outcome).toMatchObject({ kind: 'invalid' });
    expect(result.state).toBe(state);
  });

  it('refuses something that is not a block', () => {
    const result = receiveConfigBlock(genesisState, { height: -1 } as unknown as ConfigBlock, linkVerifier);
    expect(result.outcome).toMatchObject({ kind: 'invalid' });
  });

  it('turns whatever the verifier throws into the reason', () => {
    const result = receiveConfigBlock(genesisState, at(1), () => {
      throw new Error('MGMT_INVALID_BLOCK: height 1: proof has 1 approvals, quorum is 3');
    });
    expect(result.outcome).toEqual({ kind: 'invalid', reason: 'MGMT_INVALID_BLOCK: height 1: proof has 1 approvals, quorum is 3' });
  });
});

describe('rounds and reconfiguration', () => {
  it('applies a block received mid-round only when the round ends', () => {
    let state = startRound(initialPrimaryState(at(0))).state;
    state = receive(state, at(1));
    expect(state.activeHeight).toBe(0);
    expect(blockValidUnder(state, 0)).toBe(true);
    expect(blockValidUnder(state, 1)).toBe(false);
    expect(reconfigure(state).kind).toBe('in-round');
    const ended = endRound(state);
    expect(ended).toMatchObject({ kind: 'switched', from: 0, to: 1 });
    expect(activeBlock(ended.state)).toBe(at(1));
    expect(blockValidUnder(ended.state, 1)).toBe(true);
    expect(blockValidUnder(ended.state, 0)).toBe(false);
  });

  it('switches straight to the latest of several new blocks', () => {
    let state = startRound(initialPrimaryState(at(0))).state;
    state = receive(receive(state, at(1)), at(2));
    expect(endRound(state)).toMatchObject({ kind: 'switched', from: 0, to: 2 });
  });

  it('stays on its configuration when nothing new arrived', () => {
    const state = startRound(initialPrimaryState(at(0))).state;
    expect(endRound(state).kind).toBe('unchanged');
  });

  it('waits for missing blocks between rounds, then switches and may start again', () => {
    let state = startRound(initialPrimaryState(at(0))).state;
    state = receive(receive(state, at(1)), at(3));
    const ended = endRound(state);
    expect(ended).toMatchObject({ kind: 'waiting', missing: [2] });
    expect(ended.state.activeHeight).toBe(0);
    expect(startRound(ended.state)).toMatchObject({ started: false, reason: 'waiting', missing: [2] });
    state = receive(ended.state, at(2));
    expect(reconfigure(state)).toMatchObject({ kind: 'switched', from: 0, to: 3 });
  });

  it('waits for a height it only heard of', () => {
    const state = noteHeight(initialPrimaryState(at(0)), 1);
    expect(endRound(state)).toMatchObject({ kind: 'waiting', missing: [1] });
    expect(noteHeight(state, 0)).toBe(state);
    expect(reconfigure(receive(state, at(1)))).toMatchObject({ kind: 'switched', to: 1 });
  });

  it('refuses to start a round twice', () => {
    const state = startRound(initialPrimaryState(at(0))).state;
    expect(startRound(state)).toMatchObject({ started: false, reason: 'in-round' });
  });

  it('needs a genesis block to start from', () => {
    expect(() => initialPrimaryState(at(1))).toThrow(RangeError);
  });
});

describe('verifyWith', () => {
  it('rejects with the core verifier reason', () => {
    const result = receiveConfigBlock(initialPrimaryState(at(0)), forged(1), verifyWith(GENESIS_PARAMS));
    expect(result.outcome).toMatchObject({ kind: 'invalid' });
    expect(result.outcome.kind === 'invalid' && result.outcome.reason).toMatch(/^MGMT_INVALID_BLOCK: height 1: prevHash .* does not link/);
  });
});

type Op =
  | { readonly op: 'receive'; readonly height: number; readonly honest: boolean }
  | { readonly op: 'start' }
  | { readonly op: 'end' }
  | { readonly op: 'reconfigure' }
  | { readonly op: 'note'; readonly height: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ op: fc.constant('receive' as const), height: fc.integer({ min: 0, max: 8 }), honest: fc.boolean() }) },
  { weight: 2, arbitrary: fc.constant({ op: 'start' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'end' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'reconfigure' as const }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('note' as const), height: fc.integer({ min: 0, max: 8 }) }) },
);

function apply(state: PrimaryState, op: Op): PrimaryState {
  switch (op.op) {
    case 'receive':
      return receive(state, op.honest ? at(op.height) : forged(op.height));
    case 'start':
      return startRound(state).state;
    case 'end':
      return endRound(state).state;
    case 'reconfigure':
      return reconfigure(state).state;
    case 'note':
      // Only heights of the honest chain are announced, as a committed primary block would.
      return noteHeight(state, op.height);
  }
}

describe('properties over any sequence of events', () => {
  it('a configuration never changes mid-round, H_cc never decreases, an older CB never overrides a newer one', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        let state = initialPrimaryState(at(0));
        const seen = new Map<number, string>([[0, at(0).hash]]);
        for (const op of ops) {
          const before = state;
          state = apply(state, op);
          if (before.inRound && op.op !== 'end') {
            expect(state.activeHeight).toBe(before.activeHeight);
          }
          expect(state.activeHeight).toBeGreaterThanOrEqual(before.activeHeight);
          expect(state.activeHeight).toBeLessThanOrEqual(latestHeight(state));
          state.chain.forEach((block, h) => {
            expect(block.height).toBe(h);
            const first = seen.get(h);
            if (first === undefined) {
              seen.set(h, block.hash);
            } else {
              expect(block.hash).toBe(first);
            }
            // Only the honest chain is ever stored.
            expect(block).toBe(at(h));
          });
          expect(state.chain.length).toBeGreaterThanOrEqual(before.chain.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('once every block has arrived and the round ends, the node runs the latest configuration', () => {
    fc.assert(
      fc.property(fc.shuffledSubarray(CHAIN.slice(1), { minLength: 8, maxLength: 8 }), fc.boolean(), (order, inRound) => {
        let state = initialPrimaryState(at(0));
        if (inRound) {
          state = startRound(state).state;
        }
        for (const cb of order) {
          state = receive(state, cb);
        }
        // Mid-round or not, receiving alone never switches.
        expect(state.activeHeight).toBe(0);
        const ended = endRound(state);
        expect(ended).toMatchObject({ kind: 'switched', to: 8 });
      }),
      { numRuns: 100 },
    );
  });
});
