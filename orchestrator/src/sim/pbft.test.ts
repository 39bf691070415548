/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { EventQueue } from './eventQueue';
import { Network } from './network';
import { Pbft } from './pbft';
import type { PbftBlock, PbftHost } from './pbft';
import { Rng } from './rng';
import { BASE_SCENARIO, withOverrides } from './scenario';
import { buildModel, runScenario } from './simulation';

/** A host that accepts everything (or what `accept` says) and records commits. */
class RecordingHost implements PbftHost {
  readonly commits: { replica: number; height: number; view: number; votes: number; at: number }[] = [];
  readonly viewChanges: { replica: number; height: number; view: number }[] = [];

  constructor(
    private readonly maxHeight: number,
    private readonly accept: (replica: number, view: number) => boolean = () => true,
  ) {}

  proposeDelay(): number {
    return 0.01;
  }

  propose(_replica: number, height: number, view: number): PbftBlock {
    return { tag: height * 100 + view, sizeMB: 0.1 };
  }

  validate(replica: number, _height: number, view: number): boolean {
    return this.accept(replica, view);
  }

  roundEnded(replica: number, height: number, view: number, committed: boolean, _tag: number, votes: number, now: number): boolean {
    if (committed) {
      this.commits.push({ replica, height, view, votes, at: now });
      return height + 1 < this.maxHeight;
    }
    this.viewChanges.push({ replica, height, view });
    return true;
  }
}

function engine(m: number, crashed: number[], host: PbftHost): { pbft: Pbft; queue: EventQueue; run: () => void } {
  const queue = new EventQueue();
  const positions = Array.from({ length: m }, (_, i) => ({ lat: 0, lon: i }));
  const peers = new Int32Array(m * (m - 1));
  for (let i = 0; i < m; i++) {
    let j = 0;
    for (let p = 0; p < m; p++) {
      if (p !== i) {
        peers[i * (m - 1) + j++] = p;
      }
    }
  }
  const net = new Network(positions, peers, m - 1, { mean: 10, sd: 1, min: 0.1 }, new Rng(1));
  const crash = new Uint8Array(m);
  crashed.forEach((r) => {
    crash[r] = 1;
  });
  const pbft = new Pbft(host, queue, net, {
    nodes: Int32Array.from({ length: m }, (_, i) => i),
    crashed: crash,
    prePrepare: 'direct',
    voteSizeMB: 0.001,
    votesCarryBlock: false,
    timeoutSec: 1,
    doubleTimeout: true,
    validationSec: 0,
    proposer: (h, v) => (h + v) % m,
    kindBase: 0,
  });
  for (let r = 0; r < m; r++) {
    pbft.enter(r, 0, 0, 0);
  }
  const run = (): void => {
    for (let slot = queue.pop(); slot >= 0 && (queue.time[slot]) < 100; slot = queue.pop()) {
      const f = queue.fields(slot);
      const t = queue.time[slot];
      queue.release(slot);
      pbft.handle(f.kind, f.target, f.a, f.b, f.c, f.d, t);
    }
  };
  return { pbft, queue, run };
}

describe('PBFT engine', () => {
  it('commits every height at every replica with at least 2f+1 commits (n = 4, f = 1)', () => {
    const host = new RecordingHost(5);
    const { pbft, run } = engine(4, [], host);
    run();
    expect(pbft.quorum).toBe(3);
    expect(host.commits).toHaveLength(4 * 5);
    host.commits.forEach((c) => { expect(c.votes).toBeGreaterThanOrEqual(3); });
    expect(host.viewChanges).toEqual([]);
  });

  it('changes view when the primary is crashed, and the next primary commits', () => {
    // Height 0, view 0 belongs to replica 0, which never speaks.
    const host = new RecordingHost(1);
    const { run } = engine(4, [0], host);
    run();
    expect(host.commits.map((c) => c.replica).sort()).toEqual([1, 2, 3]);
    host.commits.forEach((c) => {
      expect(c.view).toBe(1);
      expect(c.votes).toBeGreaterThanOrEqual(3);
      expect(c.at).toBeGreaterThan(1); // after the view-0 timeout
    });
  });

  it('changes view at once when enough replicas reject the block', () => {
    const host = new RecordingHost(1, (_r, view) => view > 0);
    const { run } = engine(4, [], host);
    run();
    expect(host.commits).toHaveLength(4);
    host.commits.forEach((c) => {
      expect(c.view).toBe(1);
      expect(c.at).toBeLessThan(1); // no timeout needed
    });
  });

  it('counts failed rounds apart from view-change messages', () => {
    // Each of 3 heights fails once in view 0 (the 3 backups reject), then commits in view 1:
    // 3 failed rounds, and 4 view-change messages per failed round (one per replica).
    const host = new RecordingHost(3, (_r, view) => view > 0);
    const { pbft, run } = engine(4, [], host);
    run();
    expect(host.commits).toHaveLength(4 * 3);
    expect(pbft.stats()).toMatchObject({ commits: 12, failedRounds: 3, viewChangeMessages: 12 });
    // No failure, no failed round.
    const clean = engine(4, [], new RecordingHost(3));
    clean.run();
    expect(clean.pbft.stats()).toMatchObject({ failedRounds: 0, viewChangeMessages: 0 });
  });

  it('never commits without 2f+1 live replicas', () => {
    const host = new RecordingHost(3);
    const { run } = engine(4, [2, 3], host);
    run();
    expect(host.commits).toEqual([]);
  });
});

describe('PBFT on the primary chain of a scenario', () => {
  const short = (overrides: Record<string, unknown>) => withOverrides(BASE_SCENARIO, { durationSec: 60, 'management.enabled': false, ...overrides });

  it('commits no block when more than n - quorum nodes are crashed (11 of 32)', () => {
    const model = buildModel(short({ 'primary.crashed': 11 }));
    model.runUntil(60);
    expect(model.primary.pbft.stats().commits).toBe(0);
    expect(model.metrics.finalBlocks()).toBe(0);
  });

  it('commits with exactly a quorum of live nodes (10 of 32 crashed), never with fewer than 2f+1 commits', () => {
    const result = runScenario(short({ 'primary.crashed': 10 }));
    expect(result.stats.primaryBlocks).toBeGreaterThan(10);
    expect(result.quorum).toBe(22);
    expect(result.stats.primaryMinCommitVotes).toBeGreaterThanOrEqual(22);
    // A crashed primary's view fails once, though every live replica sends a view change for it.
    expect(result.stats.primaryFailedRounds).toBeGreaterThan(0);
    expect(result.stats.primaryViewChangeMessages).toBeGreaterThanOrEqual(22 * result.stats.primaryFailedRounds);
  });

  it('takes view-timeout doubling and validation time from the scenario', () => {
    const fingerprint = (o: Record<string, unknown>): string => JSON.stringify(runScenario(short({ 'primary.crashed': 10, ...o })).stats);
    // Defaults are the former fixed values: doubling on, no validation time.
    expect(fingerprint({ 'primary.doubleViewTimeout': true, 'primary.validationSec': 0 })).toBe(fingerprint({}));
    // Ten crashed primaries in a row (nodes 22-31) need views past 1, whose timeouts doubling changes.
    expect(fingerprint({ 'primary.doubleViewTimeout': false })).not.toBe(fingerprint({}));
    // Validation delays every prepare, so rounds are slower and fewer blocks fit in the run.
    const slow = runScenario(short({ 'primary.validationSec': 0.2 }));
    const fast = runScenario(short({}));
    expect(slow.stats.primaryBlocks).toBeLessThan(fast.stats.primaryBlocks);
    expect(slow.scenario.primary.validationSec).toBe(0.2);
  });

  it('cuts no empty blocks at low load (0.5 tx/s, 60 s)', () => {
    const model = buildModel(short({ 'primary.workload': { txPerSec: 0.5 } }));
    model.runUntil(60);
    const blocks = model.metrics.finalBlocks();
    // At most one block per transaction: 30 arrive in 60 s.
    expect(blocks).toBeGreaterThan(20);
    expect(blocks).toBeLessThanOrEqual(30);
    for (let h = 0; h < model.metrics.blockTx.length; h++) {
      if (Number.isFinite(model.metrics.blockFinalAt.get(h))) {
        expect(model.metrics.blockTx.get(h)).toBeGreaterThan(0);
      }
    }
    // Idle rounds wait for work instead of timing out: no view changes.
    expect(model.primary.pbft.stats().failedRounds).toBe(0);
  });
});
