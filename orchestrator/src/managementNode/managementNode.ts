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
import { MAX_REASON_LENGTH, messageOf, parseIsoMillis, unicodeProblem } from 'mgmt-chaincode/dist/protocol';
import { isConflict, isRefusal, LedgerCallError, LedgerUnavailableError, MgmtRefusalError } from '../mgmtClient/errors';
import { MgmtEventFollower } from '../mgmtClient/events';
import type { FollowFailure } from '../mgmtClient/events';
import type { DigitalTwin, PrimaryMetrics, Verdict } from '../twins/twin';
import { Backoff, systemClock } from './clock';
import type { Clock, TimerHandle } from './clock';
import type { NodeEvent, NodeTracer, StepFields } from './events';
import type { VoteSigner } from './identity';
import { fetchBlocks } from './ledger';
import type { DecodedEvent, MgmtEvent, MgmtLedger } from './ledger';
import { cycleKey, plan } from './plan';
import type { Action } from './plan';
import { NodeReporter } from './reporting';
import { problemWith, TwinConsultation } from './twinConsultation';

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
  /** Why the primary channel cannot run a configuration; such a one is neither proposed nor approved. */
  readonly channelCheck?: (config: JsonObject) => Promise<string | undefined>;
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
  /**
   * Records each step as it happens (`--trace`): every {@link NodeEvent} and the finer steps of
   * `NodeStep` (./events). Without it nothing is recorded and no step's fields are even built.
   */
  readonly tracer?: NodeTracer;
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
 * Its parts: the step loop and the actions (here), the chain's events followed by the shared
 * `MgmtEventFollower` (../mgmtClient/events), the twin consulted by `TwinConsultation`
 * (./twinConsultation), and what it reports by `NodeReporter` (./reporting).
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
  /** The event stream's position, kept across reopenings (and a stop and start). */
  private readonly checkpointer = checkpointers.inMemory();
  private readonly twin: TwinConsultation;
  private readonly reporter: NodeReporter;
  /** The tracer, guarded so that a throwing one cannot break the loop; undefined when not tracing. */
  private readonly tracer: NodeTracer | undefined;

  private params: GenesisParams | undefined;
  private latest: ConfigBlock | undefined;
  private lastRound: Round | undefined;
  /** Memory for `plan`, each entry with the height it belongs to. */
  private readonly proposed = new Map<string, number>();
  private readonly voted = new Map<string, number>();
  private readonly tallied = new Map<string, number>();
  /** When each decided proposal was first seen (the stagger's origin), with its height. */
  private readonly decidedAt = new Map<string, { height: number; atMs: number }>();

  private stopped = true;
  private stopping: Promise<void> | undefined;
  private dirty = false;
  private running: Promise<void> | undefined;
  private follower: MgmtEventFollower | undefined;
  private wakeTimer: TimerHandle | undefined;
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
    this.twin = new TwinConsultation({ twin: options.twin, clock: this.clock, timeoutMs: this.twinTimeout, metrics: options.metrics, channelCheck: options.channelCheck });
    const tracer = options.tracer;
    this.tracer =
      tracer === undefined
        ? undefined
        : (step, fields): void => {
            try {
              tracer(step, fields);
            } catch (err) {
              this.options.logger?.debug(`tracer threw: ${messageOf(err)}`);
            }
          };
    this.reporter = new NodeReporter({
      mspId: this.mspId,
      clock: this.clock,
      emit: (event) => this.emit('event', event),
      debug: (message) => {
        this.options.logger?.debug(message);
      },
      trace: this.tracer,
    });
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
    this.stopping = undefined;
    const firstLook = new Promise<void>((resolve) => (this.onFirstLook = resolve));
    this.follower = new MgmtEventFollower({
      open: (position) => this.options.ledger.events(position),
      checkpointer: this.checkpointer,
      clock: this.clock,
      retry: { initialMs: this.options.retry?.initialMs ?? 250, maxMs: this.options.retry?.maxMs ?? 8000 },
      // Anything that happened while the stream was away is in GetRound.
      onConnected: () => {
        this.trigger();
      },
      onEvent: (event) => {
        this.onChainEvent(event);
      },
      onFailure: (failure) => {
        this.onStreamFailure(failure);
      },
    });
    this.follower.start();
    this.trigger();
    await firstLook;
    this.reporter.report({ type: 'started', nextHeight: this.lastRound?.nextHeight ?? -1, phase: this.lastRound?.phase ?? 'unknown' });
  }

  /**
   * Stops the node: no new actions, the event stream closed, timers cleared. Waits up to
   * `timeoutMs` (default 5000) for an action in flight; the gateway's owner closes the
   * connection afterwards, which cancels anything still pending.
   */
  stop(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    // A second caller (a signal handler while a test stops the node) waits for the same stop.
    if (this.stopped) return this.stopping ?? Promise.resolve();
    this.stopped = true;
    this.stopping = this.halt(options.timeoutMs ?? 5000);
    return this.stopping;
  }

  private async halt(timeoutMs: number): Promise<void> {
    if (this.wakeTimer !== undefined) this.clock.clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    const following = this.follower?.stop();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([this.running, following]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    this.reporter.report({ type: 'stopped' });
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
      this.tracer?.('getRound', { height: round.nextHeight, cycle: round.cycle ?? undefined, proposalId: round.proposal?.id, detail: round.phase });
      this.markUp();
      this.lastRound = round;
      await this.syncChain(round);
      this.reporter.round(round, this.latest?.height ?? -1);
      const members = this.memberIds(round);
      const now = this.clock.now();
      if (round.phase !== 'genesis' && members.length > 0 && !members.includes(this.mspId)) {
        // Removed by a CB that changed the params: no vote, proposal or tally of ours counts any more.
        this.reportRemoved();
        return;
      }
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

  private removedReported = false;

  private reportRemoved(): void {
    if (this.removedReported) return;
    this.removedReported = true;
    const height = this.latest?.height ?? -1;
    this.reporter.report({ type: 'warning', message: `${this.mspId} is no longer a member of the consortium (params in force after CB ${height}); this node no longer proposes, votes or tallies` });
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
    this.reporter.report({ type: 'warning', message: messageOf(err) });
    this.wakeAt(undefined);
  }

  private markDown(message: string, retryInMs: number, attempt: number): void {
    this.downSinceMs ??= this.clock.now();
    this.reporter.report({ type: 'disconnected', message, attempt, retryInMs });
  }

  private markUp(): void {
    this.backoff.reset();
    if (this.downSinceMs === undefined) return;
    const downMs = this.clock.now() - this.downSinceMs;
    this.downSinceMs = undefined;
    this.reporter.report({ type: 'reconnected', downMs });
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
    const { height, cycle } = proposal.header;
    this.tallied.set(proposal.id, height);
    try {
      this.tracer?.('tallySent', { height, cycle, proposalId: proposal.id });
      const result = await this.options.ledger.tally(proposal.id);
      this.tracer?.('tallyCommitted', { height, cycle, proposalId: proposal.id, detail: result.outcome });
      this.reporter.report({ type: 'tallied', proposalId: proposal.id, height, outcome: result.outcome });
      if (result.outcome === 'sealed') this.onCommitted(result.block, false);
      return true;
    } catch (err) {
      this.tracer?.('tallyFailed', { height, cycle, proposalId: proposal.id, detail: failureCode(err) });
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
        this.reporter.report({ type: 'refused', action: 'tally', code: err.code, message: err.message });
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
    let params: GenesisParams | undefined;
    try {
      this.tracer?.('twinAsked', { height, cycle, detail: 'decide' });
      config = await this.twin.decide(this.latest, endsAt);
      params = await this.twin.decideParams(this.latest, this.params, endsAt);
      this.tracer?.('twinAnswered', { height, cycle, detail: 'decide' });
    } catch (err) {
      this.reporter.twinFailure('decide', err);
      return;
    }
    try {
      this.tracer?.('proposeSent', { height, cycle });
      const proposal = params === undefined ? await this.options.ledger.propose(config as JsonObject) : await this.options.ledger.proposeParams(config as JsonObject, params);
      this.tracer?.('proposeCommitted', { height, cycle, proposalId: proposal.id });
    } catch (err) {
      this.tracer?.('proposeFailed', { height, cycle, detail: failureCode(err) });
      if (isRefusal(err, 'MGMT_ALREADY_PROPOSED')) return; // an earlier attempt of ours landed
      if (err instanceof MgmtRefusalError) {
        this.reporter.report({ type: 'refused', action: 'propose', code: err.code, message: err.message });
        // A configuration or params the chain refuses are not retried this cycle; timing refusals are.
        if (!isRefusal(err, 'MGMT_INVALID_CONFIG', 'MGMT_INVALID_JSON', 'MGMT_INVALID_PARAMS')) this.proposed.delete(key);
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
    const problem = problemWith(proposal, round);
    if (problem !== undefined) {
      // Algorithm 1, line 11: not a valid proposal for this cycle; do not vote, look again later.
      this.voted.set(proposal.id, height);
      this.reporter.report({ type: 'warning', message: `not voting on ${proposal.id.slice(0, 12)}: ${problem}` });
      return;
    }
    this.voted.set(proposal.id, height);
    let verdict: Verdict;
    const proposalId = proposal.id;
    try {
      this.tracer?.('twinAsked', { height, cycle, proposalId, detail: 'validate' });
      verdict = await this.twin.verdict(proposal, { self: this.mspId, params: this.params, latest: this.latest });
      this.tracer?.('twinAnswered', { height, cycle, proposalId, detail: verdict.approve ? 'approve' : 'reject' });
    } catch (err) {
      this.reporter.twinFailure('validate', err);
      return;
    }
    const reason = safeReason(verdict.reason);
    try {
      const signature = this.options.signVote(proposal.hash, verdict.approve);
      this.tracer?.('voteSent', { height, cycle, proposalId, detail: verdict.approve ? 'approve' : 'reject' });
      await this.options.ledger.vote(proposal.id, verdict.approve, signature, reason);
      this.tracer?.('voteCommitted', { height, cycle, proposalId, detail: verdict.approve ? 'approve' : 'reject' });
      this.reporter.report({ type: 'voted', height, cycle, proposalId: proposal.id, approve: verdict.approve, reason });
    } catch (err) {
      this.tracer?.('voteFailed', { height, cycle, proposalId, detail: failureCode(err) });
      if (isRefusal(err, 'MGMT_DUPLICATE_VOTE')) return; // an earlier attempt (or run) of ours landed
      if (err instanceof MgmtRefusalError) {
        this.reporter.report({ type: 'refused', action: 'vote', code: err.code, message: err.message });
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

  // ---- the chain's events -------------------------------------------------------------------

  private onStreamFailure({ error, retryInMs, attempt }: FollowFailure): void {
    if (error instanceof LedgerUnavailableError) this.markDown(`event stream: ${error.message}`, retryInMs, attempt);
    else this.reporter.report({ type: 'warning', message: `event stream: ${messageOf(error)}; reopening in ${retryInMs} ms` });
  }

  private onChainEvent(event: MgmtEvent): void {
    const decoded = event.decoded;
    this.tracer?.('eventReceived', eventStepFields(event.eventName, decoded));
    if (decoded === undefined || decoded.name === 'UpdateSignatureShared') return;
    if (decoded.name !== 'ConfigBlockCommitted') {
      this.reporter.chainEvent(decoded);
    } else if (this.latest === undefined || decoded.block.height <= this.latest.height + 1) {
      // Above the next height is a gap: the next look fetches it all.
      this.onCommitted(decoded.block, false);
    }
    this.trigger();
  }

  private onCommitted(block: ConfigBlock, late: boolean): void {
    const previous = this.latest;
    if (previous !== undefined && block.height <= previous.height) return;
    // A block carrying params puts them in force from the next height (membership changes).
    if (block.params !== undefined) this.params = block.params;
    this.latest = block;
    for (const map of [this.proposed, this.voted, this.tallied]) prune(map, block.height);
    for (const [key, entry] of this.decidedAt) if (entry.height <= block.height) this.decidedAt.delete(key);
    this.reporter.committed({ block, previous, params: this.params, late });
  }
}

/** A vote reason the chaincode accepts: at most 1024 characters, no lone surrogates or noncharacters. */
export function safeReason(reason: string): string {
  let text = reason.length > MAX_REASON_LENGTH ? `${reason.slice(0, MAX_REASON_LENGTH - 1)}…` : reason;
  if (unicodeProblem(text) !== undefined) text = text.replace(/[^\x20-\x7e]/g, '?');
  return text;
}

/** A failed ledger call as a trace detail: its stable code, else its message. */
function failureCode(err: unknown): string {
  return err instanceof LedgerCallError ? err.code : messageOf(err);
}

/** What a traced `eventReceived` says about a chain event. */
function eventStepFields(name: string, decoded: DecodedEvent | undefined): StepFields {
  switch (decoded?.name) {
    case undefined:
      return { detail: name };
    case 'ProposalCreated':
      return { height: decoded.proposal.header.height, cycle: decoded.proposal.header.cycle, proposalId: decoded.proposal.id, by: decoded.proposal.header.proposer, detail: name };
    case 'VoteCast':
      return { height: decoded.vote.height, cycle: decoded.vote.cycle, proposalId: decoded.vote.proposalId, by: decoded.vote.mspId, detail: name };
    case 'ConfigBlockCommitted':
      return { height: decoded.block.height, cycle: decoded.block.cycle, proposalId: decoded.block.hash, by: decoded.block.proposer, detail: name };
    case 'CycleFailed':
      return { height: decoded.failure.height, cycle: decoded.failure.cycle, proposalId: decoded.failure.proposalId, detail: name };
    case 'UpdateSignatureShared':
      return { height: decoded.shared.height, by: decoded.shared.mspId, detail: name };
  }
}
