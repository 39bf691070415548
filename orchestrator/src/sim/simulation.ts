/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * One simulation run: builds the network, the primary chain and the management chain of a
 * scenario on one event queue and runs it to the scenario's duration. Deterministic: the same
 * scenario (seed included) gives the same result, bit for bit, on any machine; nothing here reads
 * a clock or `Math.random`.
 */

import { quorum } from 'mgmt-chaincode/dist/protocol';

import { EventQueue } from './eventQueue';
import { ManagementChain, makeGenesis, memberIds, simulatedVerifier } from './management';
import { Metrics } from './metrics';
import type { CbRecord, PrimaryObservation } from './metrics';
import { buildNetwork } from './network';
import type { Network } from './network';
import { PBFT_EVENT_KINDS } from './pbft';
import { PrimaryChain } from './primary';
import { Rng } from './rng';
import type { Scenario } from './scenario';

const PRIMARY_BASE = 0;
const MGMT_BASE = PBFT_EVENT_KINDS;
const CB_BASE = 2 * PBFT_EVENT_KINDS;

/** Options of {@link buildModel}: how the model is computed, never what it computes. */
export interface ModelOptions {
  /**
   * Tally prepares and commits instead of queueing one event per vote (default true): the same
   * run, bit for bit, with far fewer events (see `pbft.ts`); false for the plain model.
   */
  readonly tallyVotes?: boolean;
}

/** Options of {@link runScenario}. */
export interface RunOptions extends ModelOptions {
  /** Called about every `progressEverySec` of simulated time (for progress bars; not part of the result). */
  readonly onProgress?: (simSec: number, durationSec: number) => void;
  readonly progressEverySec?: number;
  /** Warm-up excluded from {@link RunResult.observation}, in simulated seconds (default 0). */
  readonly warmupSec?: number;
}

/** Counters of a run. */
export interface RunStats {
  /** Events processed. */
  readonly events: number;
  /** Network messages sent. */
  readonly messages: number;
  /** Primary blocks final at a quorum. */
  readonly primaryBlocks: number;
  /** View-change messages sent on the primary chain (one per replica and view it asks for; each is broadcast). */
  readonly primaryViewChangeMessages: number;
  /** Primary rounds that failed: (height, view) instances abandoned for a later view. */
  readonly primaryFailedRounds: number;
  /** Smallest number of commit votes any primary replica committed with (>= quorum). */
  readonly primaryMinCommitVotes: number;
  /** View-change messages sent on the management chain. */
  readonly managementViewChangeMessages: number;
  /** Management cycles (PBFT views) that failed: ended in a view change. */
  readonly managementFailedRounds: number;
  readonly cbsAgreed: number;
  /** CBs that a quorum of primary nodes runs under by the end. */
  readonly cbsApplied: number;
  /** Configuration switches during a round: 0 by construction (Algorithm 2); checked, not assumed. */
  readonly midRoundSwitches: number;
}

/** What a run produced. */
export interface RunResult {
  readonly scenario: Scenario;
  /** Primary nodes that are also management nodes, in member order. */
  readonly managementNodes: readonly number[];
  /** Primary nodes that make the fastest-quorum metrics. */
  readonly quorum: number;
  readonly cbs: readonly CbRecord[];
  readonly interBlock: { readonly normal: Float64Array; readonly switch: Float64Array };
  readonly observation: PrimaryObservation;
  readonly stats: RunStats;
}

/** The live objects of a run, for tests that inspect the model rather than its metrics. */
export interface SimulationModel {
  readonly queue: EventQueue;
  readonly net: Network;
  readonly primary: PrimaryChain;
  readonly management: ManagementChain | undefined;
  readonly metrics: Metrics;
  /** Runs until simulated time `untilSec` (or the queue empties); returns events processed. */
  runUntil(untilSec: number, onProgress?: (simSec: number) => void, progressEverySec?: number): number;
}

/** Builds the model of a scenario without running it. */
export function buildModel(scenario: Scenario, options: ModelOptions = {}): SimulationModel {
  const tallyVotes = options.tallyVotes ?? true;
  const rng = new Rng(scenario.seed);
  const n = scenario.network.nodes;
  const net = buildNetwork(scenario.network, rng.fork('network'));
  const queue = new EventQueue(1 << 14);
  const metrics = new Metrics(n, quorum(n));
  const mgmtSpec = scenario.management;
  const mgmtCount = mgmtSpec.enabled ? mgmtSpec.nodes : Math.min(4, n);
  const mgmtNodes = Int32Array.from(rng.fork('management-nodes').sample(n, mgmtCount));
  const members = memberIds(mgmtCount);
  const genesis = makeGenesis(scenario, members);

  // Crash primary nodes from the highest index down, sparing management nodes.
  const crashedPrimary = new Uint8Array(n);
  const isMgmt = new Uint8Array(n);
  mgmtNodes.forEach((node) => {
    isMgmt[node] = mgmtSpec.enabled ? 1 : 0;
  });
  for (let i = n - 1, left = scenario.primary.crashed; i >= 0 && left > 0; i--) {
    if (isMgmt[i] === 0) {
      crashedPrimary[i] = 1;
      left--;
    }
  }
  const crashedMgmt = new Uint8Array(mgmtCount);
  for (let r = mgmtCount - 1, left = mgmtSpec.crashed; r >= 0 && left > 0; r--, left--) {
    crashedMgmt[r] = 1;
  }

  let management: ManagementChain | undefined;
  const primary = new PrimaryChain({
    scenario,
    queue,
    net,
    metrics,
    genesis,
    verify: simulatedVerifier(members),
    cbAt: (h) => management?.blockAt(h),
    crashed: crashedPrimary,
    pbftKindBase: PRIMARY_BASE,
    cbKindBase: CB_BASE,
    tallyVotes,
  });
  if (mgmtSpec.enabled) {
    management = new ManagementChain({
      scenario,
      queue,
      net,
      metrics,
      nodes: mgmtNodes,
      members,
      crashed: crashedMgmt,
      genesis,
      rng: rng.fork('management'),
      kindBase: MGMT_BASE,
      tallyVotes,
      deliver: (node, height, now) => { primary.deliverLocal(node, height, now); },
    });
  }
  primary.start();
  management?.start();

  const runUntil = (untilSec: number, onProgress?: (simSec: number) => void, progressEverySec = 60): number => {
    let events = 0;
    let nextProgress = progressEverySec;
    const mgmtPbft = management?.pbft;
    const primaryPbft = primary.pbft;
    while (queue.size > 0 && queue.peekTime() <= untilSec) {
      const slot = queue.pop();
      const t = queue.time[slot];
      const kind = queue.kind[slot];
      const target = queue.target[slot];
      const a = queue.a[slot];
      const b = queue.b[slot];
      const c = queue.c[slot];
      const d = queue.d[slot];
      queue.release(slot);
      events++;
      if (kind < MGMT_BASE) {
        primaryPbft.handle(kind, target, a, b, c, d, t);
      } else if (kind < CB_BASE) {
        mgmtPbft?.handle(kind - MGMT_BASE, target, a, b, c, d, t);
      } else {
        primary.handle(kind - CB_BASE, target, a, c, t);
      }
      if (onProgress !== undefined && t >= nextProgress) {
        onProgress(t);
        nextProgress = (Math.floor(t / progressEverySec) + 1) * progressEverySec;
      }
    }
    return events;
  };

  return { queue, net, primary, management, metrics, runUntil };
}

/**
 * Runs a scenario to its duration and gathers the paper's metrics.
 *
 * @example
 * const result = runScenario(withOverrides(BASE_SCENARIO, { durationSec: 600 }));
 * console.log(summarize(result.cbs.map((cb) => cb.update)).median);
 */
export function runScenario(scenario: Scenario, options: RunOptions = {}): RunResult {
  const model = buildModel(scenario, options);
  const duration = scenario.durationSec;
  const progress = options.onProgress;
  const events = model.runUntil(duration, progress === undefined ? undefined : (t) => { progress(t, duration); }, options.progressEverySec);
  const { metrics, primary, management } = model;
  const cbs = metrics.cbRecords();
  const primaryStats = primary.pbft.stats();
  const mgmtStats = management?.pbft.stats();
  const interBlock = metrics.interBlockTimes();
  return {
    scenario,
    managementNodes: management === undefined ? [] : [...management.pbft.nodes()],
    quorum: metrics.quorum,
    cbs,
    interBlock,
    observation: metrics.observe(options.warmupSec ?? 0, duration, primary.backlogAt(duration)),
    stats: {
      events,
      messages: model.net.messages,
      primaryBlocks: metrics.finalBlocks(),
      primaryViewChangeMessages: primaryStats.viewChangeMessages,
      primaryFailedRounds: primaryStats.failedRounds,
      primaryMinCommitVotes: primaryStats.minCommitVotes,
      managementViewChangeMessages: mgmtStats?.viewChangeMessages ?? 0,
      managementFailedRounds: mgmtStats?.failedRounds ?? 0,
      cbsAgreed: management === undefined ? 0 : management.chain.length - 1,
      cbsApplied: cbs.length,
      midRoundSwitches: primary.midRoundSwitches,
    },
  };
}
