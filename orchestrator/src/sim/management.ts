/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * The management chain (Algorithm 1): PBFT among the management nodes, where a PBFT view is a
 * proposal cycle and the view number is FC, the failed cycles since the latest configuration
 * block. The proposer of a cycle is the protocol core's `proposerIndex(h_l, FC, |MN|)`; the
 * configuration block (CB) is built and hashed with the core's `hashHeader`. A round opens when
 * the CBI (drawn per block from Normal(mean, sd)) has passed since the latest CB's timestamp; a
 * cycle fails on timeout (a crashed proposer) or early when enough validators' twins reject; after
 * |MN| failed cycles the round is abandoned and the next opens a CBI later, with FC still counting
 * (docs/protocol.md, "Rounds, cycles, CBI and timeouts"). Once committed, each management node hands the CB to its own primary node,
 * which gossips it on (Algorithm 1, line 6; Algorithm 2, line 4).
 *
 * Not modelled: signatures and certificates (the proof lists a quorum of members without
 * signatures; the simulated verifier checks height, link, hash, proposer and quorum size) and the
 * chaincode's fixed cycle windows (the paper's CBI is random, so cycles are PBFT view timeouts).
 */

import { expectedProposer, hashHeader, proposerIndex, quorum } from 'mgmt-chaincode/dist/protocol';
import type { ConfigBlock, ConfigBlockHeader, ConfigBlockVerifier, GenesisParams, JsonObject } from 'mgmt-chaincode/dist/protocol';

import type { EventQueue } from './eventQueue';
import type { Metrics } from './metrics';
import type { Network } from './network';
import { Pbft } from './pbft';
import type { PbftBlock, PbftHost } from './pbft';
import type { Rng } from './rng';
import type { Scenario } from './scenario';

/** The instant simulated time 0 stands for (CB timestamps are this plus the simulated time). */
export const SIM_EPOCH_MS = Date.UTC(2026, 0, 1);

/** MSP IDs of `m` simulated members, zero-padded so that byte order is numeric order. */
export function memberIds(m: number): string[] {
  const width = String(m).length;
  return Array.from({ length: m }, (_, i) => `Mgmt${String(i + 1).padStart(width, '0')}MSP`);
}

/** The C^prim of a scenario's primary chain: Fabric's batch timeout and batch size. */
export function initialConfig(s: Scenario): JsonObject {
  return {
    batchTimeoutMs: Math.round(s.primary.blockIntervalSec * 1000),
    maxMessageCount: Math.round((s.primary.maxBlockSizeMB * 1e6) / s.primary.txSizeBytes),
  };
}

function isoAt(simSec: number): string {
  return new Date(SIM_EPOCH_MS + Math.floor(simSec * 1000)).toISOString();
}

/** The genesis CB of a simulated consortium (placeholder CA certificates: signatures are not modelled). */
export function makeGenesis(s: Scenario, members: readonly string[]): ConfigBlock {
  const params: GenesisParams = {
    members: members.map((mspId) => ({ mspId, caCertificate: 'simulated' })),
    cbiSeconds: Math.max(1, Math.round(s.management.cbiSec.mean)),
    cycleTimeoutSeconds: Math.max(1, Math.ceil(s.management.cycleTimeoutSec)),
    clockToleranceSeconds: 0,
    configSchema: {
      type: 'object',
      properties: { batchTimeoutMs: { type: 'integer', minimum: 1 }, maxMessageCount: { type: 'integer', minimum: 1 } },
    },
  };
  const header: ConfigBlockHeader = {
    height: 0,
    prevHash: '',
    proposer: members[0],
    cycle: 0,
    timestamp: isoAt(0),
    config: initialConfig(s),
    params,
  };
  return { ...header, hash: hashHeader(header), proof: quorumProof(members) };
}

/** Approvals of the first quorum of members, without signatures. */
function quorumProof(members: readonly string[]): ConfigBlock['proof'] {
  return members.slice(0, quorum(members.length)).map((mspId) => ({ mspId, certificate: '', signature: '' }));
}

/**
 * The verifier primary nodes run in the simulator: the core's hash and proposer formula plus
 * height, link and quorum size. Results are cached per block object, since every node verifies
 * the same object and the answer cannot differ.
 */
export function simulatedVerifier(members: readonly string[]): ConfigBlockVerifier {
  const cache = new WeakMap<ConfigBlock, { previous: ConfigBlock; error: string | null }>();
  const memberSet = new Set(members);
  const q = quorum(members.length);
  const check = (block: ConfigBlock, previous: ConfigBlock): string | null => {
    if (block.height !== previous.height + 1) {
      return `height ${block.height} does not follow ${previous.height}`;
    }
    if (block.prevHash !== previous.hash) {
      return `height ${block.height}: prevHash does not link to ${previous.hash}`;
    }
    if (hashHeader(block) !== block.hash) {
      return `height ${block.height}: hash does not match the header`;
    }
    const expected = expectedProposer(members.map((mspId) => ({ mspId })), previous.hash, block.cycle);
    if (block.proposer !== expected) {
      return `height ${block.height}: proposer ${block.proposer}, expected ${expected} for cycle ${block.cycle}`;
    }
    const approvers = new Set(block.proof.map((p) => p.mspId).filter((id) => memberSet.has(id)));
    if (approvers.size < q) {
      return `height ${block.height}: ${approvers.size} approvals, quorum is ${q}`;
    }
    return null;
  };
  return (block, previous) => {
    let entry = cache.get(block);
    if (entry === undefined || entry.previous !== previous) {
      entry = { previous, error: check(block, previous) };
      cache.set(block, entry);
    }
    if (entry.error !== null) {
      throw new Error(entry.error);
    }
  };
}

/** Settings of {@link ManagementChain}. */
export interface ManagementChainOptions {
  readonly scenario: Scenario;
  readonly queue: EventQueue;
  readonly net: Network;
  readonly metrics: Metrics;
  /** Network node of each management node, in member (MSP ID) order. */
  readonly nodes: Int32Array;
  readonly members: readonly string[];
  readonly crashed: Uint8Array;
  readonly genesis: ConfigBlock;
  readonly rng: Rng;
  readonly kindBase: number;
  /** Tally votes rather than queue one event each (`PbftOptions.tallyVotes`, default true). */
  readonly tallyVotes?: boolean;
  /** Hands a committed CB from a management node to the primary node on the same machine. */
  readonly deliver: (node: number, height: number, now: number) => void;
}

interface ProposalRecord {
  readonly block: ConfigBlock;
  readonly replica: number;
  readonly at: number;
}

/** The management chain. */
export class ManagementChain implements PbftHost {
  readonly pbft: Pbft;
  /** Committed CBs by height. */
  readonly chain: ConfigBlock[];
  private readonly o: ManagementChainOptions;
  private readonly proposals: ProposalRecord[] = [];
  private readonly openedAt: number[] = [];
  private readonly reopenAt = new Map<number, number>();
  private readonly m: number;
  private readonly cbiRng: Rng;
  private readonly voteRng: Rng;
  private readonly config: JsonObject;
  private readonly memberRefs: readonly { mspId: string }[];

  constructor(options: ManagementChainOptions) {
    this.o = options;
    this.m = options.members.length;
    this.chain = [options.genesis];
    this.cbiRng = options.rng.fork('cbi');
    this.voteRng = options.rng.fork('twin-votes');
    this.config = options.genesis.config;
    this.memberRefs = options.members.map((mspId) => ({ mspId }));
    const s = options.scenario;
    const m = this.m;
    this.pbft = new Pbft(this, options.queue, options.net, {
      nodes: options.nodes,
      crashed: options.crashed,
      prePrepare: 'direct',
      voteSizeMB: s.network.voteSizeMB,
      votesCarryBlock: s.network.votesCarryBlock,
      timeoutSec: s.management.cycleTimeoutSec,
      doubleTimeout: false,
      validationSec: s.management.twinDecisionSec,
      proposer: (height, view) => proposerIndex((this.chain[height - 1]).hash, view, m),
      kindBase: options.kindBase,
      tallyVotes: options.tallyVotes,
    });
  }

  private drawCbi(): number {
    const c = this.o.scenario.management.cbiSec;
    return this.cbiRng.normal(c.mean, c.sd, c.min);
  }

  /** Opens the first round a CBI after genesis. */
  start(): void {
    const at = this.drawCbi();
    this.openedAt[1] = at;
    for (let r = 0; r < this.m; r++) {
      if (this.o.crashed[r] === 0) {
        this.pbft.startAt(r, 1, 0, at);
      }
    }
  }

  /** The committed CB at a height, if any. */
  blockAt(height: number): ConfigBlock | undefined {
    return this.chain[height];
  }

  proposeDelay(): number {
    return this.o.scenario.management.twinDecisionSec;
  }

  propose(replica: number, height: number, view: number, now: number): PbftBlock {
    const header: ConfigBlockHeader = {
      height,
      prevHash: (this.chain[height - 1]).hash,
      proposer: this.o.members[replica],
      cycle: view,
      timestamp: isoAt(now),
      // The paper's set-up: every CB carries the same configuration, to isolate the mechanism's cost.
      config: this.config,
    };
    this.proposals.push({ block: { ...header, hash: hashHeader(header), proof: [] }, replica, at: now });
    return { tag: this.proposals.length - 1, sizeMB: this.o.scenario.management.cbSizeMB };
  }

  validate(_replica: number, height: number, view: number, tag: number): boolean {
    const proposal = this.proposals[tag];
    const previous = this.chain[height - 1];
    // Algorithm 1, line 11: the block must be valid under this cycle.
    if (proposal.block.prevHash !== previous.hash || proposal.block.proposer !== expectedProposer(this.memberRefs, previous.hash, view)) {
      return false;
    }
    // Line 12: the validator's twin judges the configuration.
    const p = this.o.scenario.management.rejectProbability;
    return p === 0 || this.voteRng.next() >= p;
  }

  roundEnded(replica: number, height: number, view: number, committed: boolean, tag: number, _votes: number, now: number): boolean {
    if (committed) {
      if (this.chain[height] === undefined) {
        const proposal = this.proposals[tag];
        const cb: ConfigBlock = { ...proposal.block, proof: quorumProof(this.o.members) };
        this.chain[height] = cb;
        this.o.metrics.openCb(height, cb.proposer, cb.cycle, this.openedAt[height], now);
        this.openedAt[height + 1] = proposal.at + this.drawCbi();
      }
      this.o.deliver(this.o.nodes[replica], height, now);
      this.pbft.scheduleResume(replica, Math.max(now, this.openedAt[height + 1]));
      return false;
    }
    if (view % this.m === 0) {
      // All |MN| cycles of the round failed: the next round opens a CBI later.
      const key = height * 4096 + view / this.m;
      let at = this.reopenAt.get(key);
      if (at === undefined) {
        at = now + this.drawCbi();
        this.reopenAt.set(key, at);
      }
      this.pbft.scheduleResume(replica, at);
      return false;
    }
    return true;
  }
}
