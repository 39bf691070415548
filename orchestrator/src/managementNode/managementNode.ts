/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * One member's management node (Algorithm 1): it follows the round on the management chain,
 * proposes its twin's configuration when it is the expected proposer, votes with its twin's
 * verdict (signed with the member's identity key) on others' proposals, and tallies decided
 * cycles. Everything it does is decided by the pure `plan` (./plan.ts) from `GetRound`; chaincode
 * events and timers at the schedule's boundaries only say when to look.
 */
import { EventEmitter } from 'node:events';
import { checkpointers } from '@hyperledger/fabric-gateway';
import type { ConfigBlock, GenesisParams, JsonObject, Proposal, Round } from 'mgmt-chaincode/dist/protocol';
import {
  hashHeader,
  MAX_REASON_LENGTH,
  messageOf,
  parseIsoMillis,
  roundOpensAt,
  scheduleAfter,
  unicodeProblem,
  validateConfig,
} from 'mgmt-chaincode/dist/protocol';
import { TwinError } from '../twins/errors';
import { NO_METRICS } from '../twins/metrics';
import type { DigitalTwin, PrimaryMetrics, TwinState, Verdict } from '../twins/twin';
import { Backoff, systemClock } from './clock';
import type { Clock, TimerHandle } from './clock';
import { isConflict, isRefusal, LedgerUnavailableError, MgmtRefusalError } from './errors';
import type { NodeEvent } from './events';
import type { VoteSigner } from './identity';
import { fetchBlocks } from './ledger';
import type { EventStream, MgmtEvent, MgmtLedger } from './ledger';
import { cycleKey, plan } from './plan';
import type { Action } from './plan';

/** Where the node writes diagnostics (progress goes out as {@link NodeEvent}s). */
export interface NodeLogger {
  debug(message: string): void;
}

/** Options of {@link ManagementNode}. Dependencies are injected; the node closes none of them. */
export interface ManagementNodeOptions {
  /** The member this node acts for; must be the MSP of the ledger's identity. */
  readonly mspId: string;
  /** The management chaincode through the member's gateway. */
  readonly ledger: MgmtLedger;
  readonly twin: DigitalTwin;
  /** Signs votes with the member's identity key (`voteSignerFromMsp`). */
  readonly signVote: VoteSigner;
  /** The member's metrics of the primary channel, fed to the twin; none by default. */
  readonly metrics?: () => PrimaryMetrics;
  readonly clock?: Clock;
  readonly logger?: NodeLogger;
  /** Per-rank delay before a non-proposer tallies a decided cycle, ms. Default 300. */
  readonly tallyStaggerMs?: number;
  /** Margin after a schedule boundary before looking, ms (covers clock granularity). Default 30. */
  readonly boundaryGraceMs?: number;
  /** Safety re-check via GetRound when nothing else happens, ms. Default 5000. */
  readonly recheckMs?: number;
  /** Reconnection backoff, ms: initial and maximum delay. Default 250 and 8000. */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /** Longest a twin may take, ms (it is also cut at the cycle's end). Default 10000. */
  readonly twinTimeoutMs?: number;
}

/** What the node currently knows. */
export interface ManagementNodeStatus {
  readonly mspId: string;
  readonly running: boolean;
  /** Whether the last call to the peer succeeded. */
  readonly connected: boolean;
  /** Height of the latest CB the node knows, -1 before genesis. */
  readonly height: number;
  /** The latest `GetRound` answer. */
  readonly round: Round | undefined;
}

/** Event map of {@link ManagementNode}: everything is reported on `event`. */
export interface ManagementNodeEvents {
  event: [NodeEvent];
}

/** Removes entries of heights that are sealed, so that memory does not grow with the chain. */
function prune(map: Map<string, number>, sealedHeight: number): void {
  for (const [key, height] of map) if (height <= sealedHeight) map.delete(key);
}

/**
 * A management node. Start it, listen to `event`, stop it; it never throws out of its loop: a
 * peer that goes away is retried with exponential backoff, a refusal is reported and the node
 * carries on, a restarted node resumes from the chain (it checks `GetRound`'s votes, and the
 * chaincode refuses a second vote anyway).
 *
 * @example
 * const node = new ManagementNode({ mspId: 'Org1MSP', ledger, twin, signVote: voteSignerFromMsp(userMspDir) });
 * node.on('event', (e) => console.log(e.type));
 * await node.start();
 * // ...
 * await node.stop();
 */
export class ManagementNode extends EventEmitter<ManagementNodeEvents> {
  private readonly options: Readonly<ManagementNodeOptions>;
  private readonly clock: Clock;
  private readonly mspId: string;
  private readonly stagger: number;
  private readonly grace: number;
  private readonly recheck: number;
  private readonly twinTimeout: number;
  private readonly backoff: Backoff;
  private readonly streamBackoff: Backoff;
  private readonly checkpointer = checkpointers.inMemory();

  private params: GenesisParams | undefined;
  private latest: ConfigBlock | undefined;
  private lastRound: Round | undefined;
  /** Memory for `plan`, each entry with the height it belongs to. */
  private readonly proposed = new Map<string, number>();
  private readonly voted = new Map<string, number>();
  private readonly tallied = new Map<string, number>();
  /** When each decided proposal was first seen (the stagger's origin), with its height. */
  private readonly decidedAt = new Map<string, { height: number; atMs: number }>();
  /** What has been reported, to report each thing once. */
  private readonly reported = new Map<string, number>();
  private lastCycle: { height: number; round: number; cycle: number } | undefined;

  private stopped = true;
  private dirty = false;
  private running: Promise<void> | undefined;
  private eventLoop: Promise<void> | undefined;
  private stream: EventStream<MgmtEvent> | undefined;
  private wakeTimer: TimerHandle | undefined;
  private sleeping: { timer: TimerHandle; resolve: () => void } | undefined;
  private downSinceMs: number | undefined;
  private onFirstLook: (() => void) | undefined;

  /**
   * @throws Error when a numeric option is negative.
   */
  constructor(options: Readonly<ManagementNodeOptions>) {
    super();
    this.options = options;
    this.mspId = options.mspId;
    this.clock = options.clock ?? systemClock;
    this.stagger = options.tallyStaggerMs ?? 300;
    this.grace = options.boundaryGraceMs ?? 30;
    this.recheck = options.recheckMs ?? 5000;
    this.twinTimeout = options.twinTimeoutMs ?? 10_000;
    for (const [name, value] of Object.entries({ tallyStaggerMs: this.stagger, boundaryGraceMs: this.grace, recheckMs: this.recheck, twinTimeoutMs: this.twinTimeout })) {
      if (!(value >= 0)) throw new Error(`${name} must be >= 0, got ${value}`);
    }
    this.backoff = new Backoff(options.retry?.initialMs ?? 250, options.retry?.maxMs ?? 8000);
    this.streamBackoff = new Backoff(options.retry?.initialMs ?? 250, options.retry?.maxMs ?? 8000);
  }

  /** What the node knows now. */
  status(): ManagementNodeStatus {
    return { mspId: this.mspId, running: !this.stopped, connected: this.downSinceMs === undefined, height: this.latest?.height ?? -1, round: this.lastRound };
  }

  /**
   * Starts following the chain: opens the event stream and takes the first look at the round.
   * Resolves once `GetRound` first answered or failed (an unreachable peer is retried in the
   * background); actions of the first look go on in the background.
   *
   * @throws Error when the node is already running.
   */
  async start(): Promise<void> {
    if (!this.stopped) throw new Error(`management node ${this.mspId} is already running`);
    this.stopped = false;
    const firstLook = new Promise<void>((resolve) => (this.onFirstLook = resolve));
    this.eventLoop = this.runEvents();
    this.trigger();
    await firstLook;
    this.report({ type: 'started', nextHeight: this.lastRound?.nextHeight ?? -1, phase: this.lastRound?.phase ?? 'unknown' });
  }

  /**
   * Stops the node: no new actions, the event stream closed, timers cleared. Waits up to
   * `timeoutMs` (default 5000) for an action in flight; the gateway's owner closes the
   * connection afterwards, which cancels anything still pending.
   */
  async stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.stream?.close();
    if (this.sleeping !== undefined) {
      this.clock.clearTimeout(this.sleeping.timer);
      this.sleeping.resolve();
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.running, this.eventLoop]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, options.timeoutMs ?? 5000);
      }),
    ]);
    clearTimeout(timer);
    this.report({ type: 'stopped' });
  }

  // ---- the step loop ----------------------------------------------------------------------

  /** Asks for a look at the round; looks run one at a time and requests during a look coalesce. */
  private trigger(): void {
    if (this.stopped) return;
    this.dirty = true;
    if (this.running !== undefined) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.dirty) this.trigger();
    });
  }

  private async drain(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      await this.step();
    }
  }

  private async step(): Promise<void> {
    try {
      let round: Round;
      try {
        round = await this.options.ledger.getRound();
      } finally {
        this.onFirstLook?.();
        this.onFirstLook = undefined;
      }
      this.markUp();
      this.lastRound = round;
      await this.syncChain(round);
      this.reportRound(round);
      const members = this.memberIds(round);
      const now = this.clock.now();
      const result = plan({
        round,
        self: this.mspId,
        members,
        nowMs: now,
        memory: { proposed: this.proposed, voted: this.voted, tallied: this.tallied, decidedAt: { get: (id) => this.decidedAt.get(id)?.atMs } },
        tallyStaggerMs: this.stagger,
      });
      if (result.newlyDecided !== undefined) this.decidedAt.set(result.newlyDecided, { height: round.nextHeight, atMs: now });
      this.options.logger?.debug(`${this.mspId}: ${round.phase} h=${round.nextHeight} c=${String(round.cycle)} -> ${result.actions.map((a) => a.kind).join(',') || 'wait'}`);
      for (const action of result.actions) {
        if (this.stopped) return;
        const proceed = await this.perform(action, round);
        if (!proceed) break;
      }
      this.wakeAt(result.wakeAtMs === undefined ? undefined : result.wakeAtMs + this.grace);
    } catch (err) {
      this.onFailure(err);
    }
  }

  private memberIds(round: Round): string[] {
    const members = this.params?.members ?? round.proposal?.header.params?.members ?? [];
    return members.map((m) => m.mspId);
  }

  /** Params and latest block; reports blocks that were sealed while the stream was away. */
  private async syncChain(round: Round): Promise<void> {
    if (round.phase === 'genesis') return;
    const { ledger } = this.options;
    this.params ??= await ledger.getParams();
    if (this.latest === undefined) {
      this.latest = await ledger.getLatest();
      return;
    }
    if (this.latest.height < round.nextHeight - 1) {
      for (const block of await fetchBlocks(ledger, this.latest.height + 1, round.nextHeight - 1)) this.onCommitted(block, true);
    }
  }

  private wakeAt(atMs: number | undefined): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const target = Math.min(atMs ?? Infinity, now + this.recheck);
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = this.clock.setTimeout(() => {
      this.wakeTimer = undefined;
      this.trigger();
    }, Math.max(0, target - now));
  }

  private onFailure(err: unknown): void {
    // A call cut short by stop() (the owner closing the connection) is not news.
    if (this.stopped) return;
    if (err instanceof LedgerUnavailableError) {
      const delay = this.backoff.next();
      this.markDown(err.message, delay, this.backoff.attempts);
      this.wakeAt(this.clock.now() + delay);
      return;
    }
    this.report({ type: 'warning', message: messageOf(err) });
    this.wakeAt(undefined);
  }

  private markDown(message: string, retryInMs: number, attempt: number): void {
    this.downSinceMs ??= this.clock.now();
    this.report({ type: 'disconnected', message, attempt, retryInMs });
  }

  private markUp(): void {
    this.backoff.reset();
    if (this.downSinceMs === undefined) return;
    const downMs = this.clock.now() - this.downSinceMs;
    this.downSinceMs = undefined;
    this.report({ type: 'reconnected', downMs });
  }

  // ---- actions ------------------------------------------------------------------------------

  /** Performs one action; false when the following actions must wait for the next look. */
  private async perform(action: Action, round: Round): Promise<boolean> {
    switch (action.kind) {
      case 'tally':
        return this.tally(action.proposal, action.verdict === 'timeout');
      case 'propose':
        await this.propose(action.height, action.cycle, round);
        return true;
      case 'vote':
        await this.vote(action.proposal, round);
        return true;
    }
  }

  private async tally(proposal: Proposal, beforePropose: boolean): Promise<boolean> {
    const { height } = proposal.header;
    this.tallied.set(proposal.id, height);
    try {
      const result = await this.options.ledger.tally(proposal.id);
      this.report({ type: 'tallied', proposalId: proposal.id, height, outcome: result.outcome });
      if (result.outcome === 'sealed') this.onCommitted(result.block, false);
      return true;
    } catch (err) {
      if (isRefusal(err, 'MGMT_STALE_PROPOSAL')) return true; // someone else tallied it
      if (isRefusal(err, 'MGMT_VOTES_PENDING') || isConflict(err)) {
        // Not decided after all (a late view), or another transaction of the block moved what
        // Tally read: look again.
        this.tallied.delete(proposal.id);
        this.trigger();
        return beforePropose;
      }
      if (err instanceof LedgerUnavailableError) {
        this.tallied.delete(proposal.id);
        throw err;
      }
      if (err instanceof MgmtRefusalError) {
        this.report({ type: 'refused', action: 'tally', code: err.code, message: err.message });
        return beforePropose;
      }
      throw err;
    }
  }

  private async propose(height: number, cycle: number, round: Round): Promise<void> {
    const key = cycleKey(height, cycle);
    this.proposed.set(key, height);
    const endsAt = parseIsoMillis(round.cycleEndsAt) ?? this.clock.now() + this.twinTimeout;
    let config: Record<string, unknown>;
    try {
      config = await this.ask(this.options.twin.decide(this.twinState()), endsAt, 'decide');
    } catch (err) {
      this.reportTwinFailure('decide', err);
      return;
    }
    try {
      await this.options.ledger.propose(config as JsonObject);
    } catch (err) {
      if (isRefusal(err, 'MGMT_ALREADY_PROPOSED')) return; // an earlier attempt of ours landed
      if (err instanceof MgmtRefusalError) {
        this.report({ type: 'refused', action: 'propose', code: err.code, message: err.message });
        // A configuration the chain refuses is not retried this cycle; timing refusals are.
        if (!isRefusal(err, 'MGMT_INVALID_CONFIG', 'MGMT_INVALID_JSON')) this.proposed.delete(key);
        if (isRefusal(err, 'MGMT_SEAL_PENDING')) this.trigger();
        return;
      }
      this.proposed.delete(key);
      if (isConflict(err)) {
        this.trigger();
        return;
      }
      throw err;
    }
  }

  private async vote(proposal: Proposal, round: Round): Promise<void> {
    const { height, cycle } = proposal.header;
    const problem = this.problemWith(proposal, round);
    if (problem !== undefined) {
      // Algorithm 1, line 11: not a valid proposal for this cycle; do not vote, look again later.
      this.voted.set(proposal.id, height);
      this.report({ type: 'warning', message: `not voting on ${proposal.id.slice(0, 12)}: ${problem}` });
      return;
    }
    this.voted.set(proposal.id, height);
    let verdict: Verdict;
    const configProblem = this.configProblem(proposal);
    if (configProblem !== undefined) {
      verdict = { approve: false, reason: `outside the genesis schema: ${configProblem}` };
    } else if (proposal.header.proposer === this.mspId) {
      verdict = { approve: true, reason: 'own proposal' };
    } else {
      const endsAt = parseIsoMillis(proposal.cycleEndsAt) ?? this.clock.now();
      try {
        verdict = await this.ask(this.options.twin.validate({ ...proposal.header.config }, this.twinState()), endsAt, 'validate');
      } catch (err) {
        this.reportTwinFailure('validate', err);
        return;
      }
    }
    const reason = safeReason(verdict.reason);
    try {
      const signature = this.options.signVote(proposal.hash, verdict.approve);
      await this.options.ledger.vote(proposal.id, verdict.approve, signature, reason);
      this.report({ type: 'voted', height, cycle, proposalId: proposal.id, approve: verdict.approve, reason });
    } catch (err) {
      if (isRefusal(err, 'MGMT_DUPLICATE_VOTE')) return; // an earlier attempt (or run) of ours landed
      if (err instanceof MgmtRefusalError) {
        this.report({ type: 'refused', action: 'vote', code: err.code, message: err.message });
        return;
      }
      // Unreachable or invalidated: vote again after the next look (the chain guards duplicates).
      this.voted.delete(proposal.id);
      if (isConflict(err)) {
        this.trigger();
        return;
      }
      throw err;
    }
  }

  /** Why a proposal is not the valid proposal of the current cycle, if it is not. */
  private problemWith(proposal: Proposal, round: Round): string | undefined {
    const h = proposal.header;
    if (proposal.id !== proposal.hash || hashHeader(h) !== proposal.hash) return 'its hash does not match its header';
    if (h.height !== round.nextHeight) return `height ${h.height}, expected ${round.nextHeight}`;
    if (h.prevHash !== round.latestHash) return 'it does not extend the latest block';
    if (h.cycle !== round.cycle) return `cycle ${h.cycle}, current ${String(round.cycle)}`;
    if (h.proposer !== round.expectedProposer) return `proposer ${h.proposer}, expected ${String(round.expectedProposer)}`;
    return undefined;
  }

  private configProblem(proposal: Proposal): string | undefined {
    if (this.params === undefined) return undefined;
    try {
      validateConfig(proposal.header.config, this.params.configSchema);
      return undefined;
    } catch (err) {
      return messageOf(err);
    }
  }

  private twinState(): TwinState {
    return {
      metrics: this.options.metrics?.() ?? { ...NO_METRICS },
      current: { ...(this.latest?.config ?? {}) },
      height: this.latest?.height ?? -1,
    };
  }

  /** A twin's answer, cut at the earlier of the twin timeout and the cycle's end. */
  private ask<T>(answer: Promise<T>, deadlineMs: number, op: 'decide' | 'validate'): Promise<T> {
    const ms = Math.max(0, Math.min(this.twinTimeout, deadlineMs - this.clock.now()));
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        reject(new TwinError('TWIN_TIMEOUT', this.options.twin.name, `no ${op} answer before ${ms} ms (twin timeout or end of cycle)`));
      }, ms);
      answer.then(
        (value) => {
          this.clock.clearTimeout(timer);
          resolve(value);
        },
        (err: unknown) => {
          this.clock.clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
  }

  private reportTwinFailure(action: 'decide' | 'validate', err: unknown): void {
    this.report({ type: 'twinFailed', action, message: messageOf(err), code: err instanceof TwinError ? err.code : undefined });
  }

  // ---- chain events -----------------------------------------------------------------------

  private async runEvents(): Promise<void> {
    while (!this.stopped) {
      let stream: EventStream<MgmtEvent> | undefined;
      try {
        stream = await this.options.ledger.events({ checkpoint: this.checkpointer });
        this.stream = stream;
        if (this.stopped) break;
        // Anything that happened while the stream was away is in GetRound.
        this.trigger();
        for await (const event of stream) {
          this.streamBackoff.reset();
          this.onChainEvent(event);
          await this.checkpointer.checkpointChaincodeEvent(event);
        }
        if (!this.stopped) throw new Error('the chaincode event stream ended');
      } catch (err) {
        if (this.stopped) break;
        const delay = this.streamBackoff.next();
        if (err instanceof LedgerUnavailableError) this.markDown(`event stream: ${err.message}`, delay, this.streamBackoff.attempts);
        else this.report({ type: 'warning', message: `event stream: ${messageOf(err)}; reopening in ${delay} ms` });
        await this.sleep(delay);
      } finally {
        stream?.close();
        this.stream = undefined;
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.sleeping = undefined;
        resolve();
      }, ms);
      this.sleeping = { timer, resolve };
    });
  }

  private onChainEvent(event: MgmtEvent): void {
    const decoded = event.decoded;
    if (decoded === undefined) return;
    switch (decoded.name) {
      case 'ProposalCreated':
        this.reportProposal(decoded.proposal);
        break;
      case 'VoteCast': {
        const v = decoded.vote;
        this.reportOnce(`vote:${v.proposalId}:${v.mspId}`, v.height, () => ({ type: 'voteCast', height: v.height, cycle: v.cycle, proposalId: v.proposalId, voter: v.mspId, approve: v.approve }));
        break;
      }
      case 'ConfigBlockCommitted':
        if (this.latest !== undefined && decoded.block.height > this.latest.height + 1) break; // a gap: the next look fetches it all
        this.onCommitted(decoded.block, false);
        break;
      case 'CycleFailed': {
        const f = decoded.failure;
        this.reportOnce(`failed:${f.height}:${f.cycle}`, f.height, () => ({ type: 'cycleFailed', height: f.height, cycle: f.cycle, reason: f.reason, source: 'chain', approvals: f.approvals, rejections: f.rejections }));
        break;
      }
    }
    this.trigger();
  }

  private onCommitted(block: ConfigBlock, late: boolean): void {
    const previous = this.latest;
    if (previous !== undefined && block.height <= previous.height) return;
    if (block.height === 0 && block.params !== undefined) this.params = block.params;
    let roundOpensAtMs: number | undefined;
    const prevTime = previous !== undefined && previous.height === block.height - 1 ? parseIsoMillis(previous.timestamp) : undefined;
    if (block.height > 0 && prevTime !== undefined && this.params !== undefined) {
      const schedule = scheduleAfter(prevTime, this.params);
      roundOpensAtMs = roundOpensAt(schedule, Math.floor(block.cycle / schedule.n));
    }
    this.latest = block;
    const atMs = this.clock.now();
    for (const map of [this.proposed, this.voted, this.tallied]) prune(map, block.height);
    for (const [key, entry] of this.decidedAt) if (entry.height <= block.height) this.decidedAt.delete(key);
    for (const [key, height] of this.reported) if (height < block.height - 1) this.reported.delete(key);
    this.reportOnce(`committed:${block.height}`, block.height, () => ({
      type: 'committed',
      block,
      roundOpensAtMs,
      agreementDelayMs: late || roundOpensAtMs === undefined ? undefined : atMs - roundOpensAtMs,
      late,
    }));
  }

  // ---- reporting ----------------------------------------------------------------------------

  private reportProposal(p: Proposal): void {
    this.reported.set(`proposal-of:${cycleKey(p.header.height, p.header.cycle)}`, p.header.height);
    this.reportOnce(`proposal:${p.id}`, p.header.height, () => ({ type: 'proposed', height: p.header.height, cycle: p.header.cycle, proposalId: p.id, proposer: p.header.proposer, config: p.header.config }));
  }

  /** Reports the round's position, proposal and votes as the node first sees them. */
  private reportRound(round: Round): void {
    if (round.proposal !== null) this.reportProposal(round.proposal);
    for (const v of round.votes) {
      const p = round.proposal;
      if (p === null) break;
      this.reportOnce(`vote:${p.id}:${v.mspId}`, p.header.height, () => ({ type: 'voteCast', height: p.header.height, cycle: p.header.cycle, proposalId: p.id, voter: v.mspId, approve: v.approve }));
    }
    const last = this.lastCycle;
    if (last !== undefined && last.height === round.nextHeight) {
      const moved = round.phase === 'cycle' ? (round.cycle ?? 0) > last.cycle : round.phase === 'waiting' && (round.round ?? 0) > last.round;
      if (moved) this.closeCycle(last.height, last.cycle, round);
    }
    if (round.phase !== 'cycle' || round.cycle === null || round.round === null || round.expectedProposer === null) return;
    const { nextHeight: height, cycle } = round;
    const roundIndex = round.round;
    const startsAtMs = parseIsoMillis(round.cycleStartsAt) ?? 0;
    if (last === undefined || last.height !== height || last.round !== roundIndex) {
      this.reportOnce(`round:${height}:${roundIndex}`, height, () => ({ type: 'roundOpened', height, round: roundIndex, opensAtMs: parseIsoMillis(round.opensAt) ?? startsAtMs }));
    }
    const proposer = round.expectedProposer;
    this.reportOnce(`cycle:${height}:${cycle}`, height, () => ({ type: 'cycleStarted', height, round: roundIndex, cycle, proposer, startsAtMs, endsAtMs: parseIsoMillis(round.cycleEndsAt) ?? startsAtMs }));
    this.lastCycle = { height, round: roundIndex, cycle };
  }

  /** A cycle whose window passed without a block: why, as far as this node saw. */
  private closeCycle(height: number, cycle: number, round: Round): void {
    if (this.latest !== undefined && this.latest.height >= height) return;
    const proposalOfCycle = this.reported.has(`proposal-of:${cycleKey(height, cycle)}`) || (round.proposal?.header.height === height && round.proposal.header.cycle === cycle);
    this.reportOnce(`failed:${height}:${cycle}`, height, () => ({ type: 'cycleFailed', height, cycle, reason: proposalOfCycle ? 'timeout' : 'no proposal', source: 'local' }));
  }

  /** Reports an event once per key (replayed chain events and repeated looks say nothing new). */
  private reportOnce(key: string, height: number, make: () => DistributiveOmit<NodeEvent, 'mspId' | 'atMs'>): void {
    if (this.reported.has(key)) return;
    this.reported.set(key, height);
    this.report(make());
  }

  private report(event: DistributiveOmit<NodeEvent, 'mspId' | 'atMs'>): void {
    const full = { ...event, mspId: this.mspId, atMs: this.clock.now() } as NodeEvent;
    try {
      this.emit('event', full);
    } catch (err) {
      // A listener's bug must not stop the node.
      this.options.logger?.debug(`event listener threw: ${messageOf(err)}`);
    }
  }
}

/** `Omit` over each member of a union. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** A vote reason the chaincode accepts: at most 1024 characters, no lone surrogates or noncharacters. */
export function safeReason(reason: string): string {
  let text = reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;
  if (unicodeProblem(text) !== undefined) text = text.replace(/[^\x20-\x7e]/g, '?');
  return text;
}
