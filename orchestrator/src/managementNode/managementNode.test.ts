/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Four management nodes against a fake management chain built from the protocol core's own
 * rules (planProposal, admitVote, tallyVotes, sealProposal), on jest's fake clock.
 */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import type { ConfigBlock, CycleFailure, GenesisParams, JsonObject, Proposal, Round, Vote } from 'mgmt-chaincode/dist/protocol';
import {
  admitVote,
  cycleOutcome,
  expectedProposer,
  isLastCycleOfRound,
  locate,
  MgmtError,
  parseIsoMillis,
  planGenesis,
  planProposal,
  scheduleAfter,
  sealProposal,
  toIsoMillis,
  validateConfig,
} from 'mgmt-chaincode/dist/protocol';
import { tallyVotes } from 'mgmt-chaincode/dist/protocol';
import { analyseTrace } from '../trace/report';
import type { TraceLine } from '../trace/types';
import { TwinError } from '../twins/errors';
import { RulesTwin } from '../twins/rulesTwin';
import type { DigitalTwin, ParamsChange, TwinState, Verdict } from '../twins/twin';
import { LedgerUnavailableError, MgmtRefusalError, TransactionInvalidError } from '../mgmtClient/errors';
import type { NodeEvent } from './events';
import type { EventStream, MgmtEvent, MgmtLedger, TallyResult } from './ledger';
import { systemClock } from './clock';
import { ManagementNode } from './managementNode';
import { describeParamsChange, TwinConsultation } from './twinConsultation';

const MEMBERS = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'];
const SCHEMA: JsonObject = {
  type: 'object',
  properties: { batchTimeoutMs: { type: 'integer', minimum: 50, maximum: 10000 }, maxMessageCount: { type: 'integer', minimum: 1, maximum: 1000 } },
  required: ['batchTimeoutMs', 'maxMessageCount'],
  additionalProperties: false,
};
const PARAMS: GenesisParams = {
  members: MEMBERS.map((mspId) => ({ mspId, caCertificate: `ca of ${mspId}` })),
  cbiSeconds: 1,
  cycleTimeoutSeconds: 3,
  clockToleranceSeconds: 5,
  configSchema: SCHEMA,
};
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
/** Endorse + order + commit, as the devnet takes with a 100 ms batch timeout. */
const TX_MS = 120;

const sig = (hash: string, approve: boolean, mspId: string): string => `${mspId}:${approve ? 'approve' : 'reject'}:${hash}`;
const refuse = (err: unknown, transaction: string): never => {
  if (err instanceof MgmtError) throw new MgmtRefusalError({ step: 'endorse', transaction, code: err.code, message: err.message, cause: err });
  throw err;
};

/** The shared management chain: one ledger, every member's view of it. */
class FakeChain {
  blocks: ConfigBlock[] = [];
  proposals = new Map<string, Proposal>();
  votes = new Map<string, Vote[]>();
  pointer: string | undefined;
  down = false;
  /** Makes the next Tally commit invalid (a vote landed in the same block first). */
  conflictNextTally = false;
  calls: { mspId: string; fn: string; arg?: string }[] = [];
  private listeners = new Set<(e: MgmtEvent) => void>();
  private blockNumber = 10n;

  now(): number {
    return Date.now();
  }

  latest(): ConfigBlock | undefined {
    return this.blocks[this.blocks.length - 1];
  }

  /** Every endorsement runs on the state at call time; the commit lands TX_MS later. */
  async tx<T>(mspId: string, fn: string, arg: string | undefined, body: (nowMs: number) => { result: T; commit: () => void }): Promise<T> {
    this.calls.push({ mspId, fn, arg });
    this.checkUp(fn);
    const nowMs = this.now();
    let planned: { result: T; commit: () => void };
    try {
      planned = body(nowMs);
    } catch (err) {
      return refuse(err, fn);
    }
    await new Promise((resolve) => setTimeout(resolve, TX_MS));
    this.checkUp(fn);
    planned.commit();
    return planned.result;
  }

  checkUp(transaction: string): void {
    if (this.down) throw new LedgerUnavailableError({ step: 'evaluate', transaction, code: 'UNAVAILABLE', grpcCode: 14, message: `${transaction}: peer unavailable (UNAVAILABLE)` });
  }

  emit(name: string, payload: unknown): void {
    const bytes = new TextEncoder().encode(JSON.stringify(payload));
    this.blockNumber++;
    const decoded = (
      name === 'ProposalCreated'
        ? { name, proposal: payload }
        : name === 'VoteCast'
          ? { name, vote: payload }
          : name === 'ConfigBlockCommitted'
            ? { name, block: payload }
            : { name, failure: payload }
    ) as MgmtEvent['decoded'];
    for (const l of this.listeners) l({ blockNumber: this.blockNumber, transactionId: `tx${this.blockNumber}`, chaincodeName: 'mgmt', eventName: name, payload: bytes, decoded });
  }

  subscribe(listener: (e: MgmtEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Ends every event stream with an UNAVAILABLE error, as a dying peer does. */
  breakStreams(): void {
    for (const l of [...this.listeners]) l(undefined as unknown as MgmtEvent);
  }

  round(nowMs: number): Round {
    const latest = this.latest();
    const previous = this.pointer === undefined ? undefined : this.proposals.get(this.pointer);
    const current = previous !== undefined && previous.header.height === (latest?.height ?? -1) + 1 ? previous : undefined;
    const votes = current === undefined ? [] : (this.votes.get(current.id) ?? []);
    let outcome: Round['outcome'] = null;
    if (current !== undefined) {
      const t = tallyVotes(votes, MEMBERS);
      outcome = current.status === 'sealed' ? { verdict: 'sealed', tally: t } : current.status === 'failed' ? { verdict: 'failed', reason: current.failure ?? 'timeout', tally: t } : cycleOutcome(t, nowMs, parseIsoMillis(current.cycleEndsAt) as number);
    }
    const base = { now: toIsoMillis(nowMs), proposal: current ?? null, votes, outcome };
    if (latest === undefined) {
      return { ...base, nextHeight: 0, latestHash: '', phase: 'genesis', round: null, opensAt: null, cycle: current ? 0 : null, cycleStartsAt: current?.cycleStartsAt ?? null, cycleEndsAt: current?.cycleEndsAt ?? null, expectedProposer: null };
    }
    const pos = locate(scheduleAfter(parseIsoMillis(latest.timestamp) as number, PARAMS), nowMs);
    const inCycle = pos.phase === 'cycle';
    return {
      ...base,
      nextHeight: latest.height + 1,
      latestHash: latest.hash,
      phase: pos.phase,
      round: pos.round,
      opensAt: toIsoMillis(pos.opensAtMs),
      cycle: inCycle ? pos.cycle : null,
      cycleStartsAt: inCycle ? toIsoMillis(pos.startsAtMs) : null,
      cycleEndsAt: inCycle ? toIsoMillis(pos.endsAtMs) : null,
      expectedProposer: inCycle ? expectedProposer(PARAMS.members, latest.hash, pos.cycle) : null,
    };
  }

  previous(height: number): { proposal: Proposal; tally: ReturnType<typeof tallyVotes> } | undefined {
    const p = this.pointer === undefined ? undefined : this.proposals.get(this.pointer);
    if (p === undefined || p.header.height !== height) return undefined;
    return { proposal: p, tally: tallyVotes(this.votes.get(p.id) ?? [], MEMBERS) };
  }

  /** Seals genesis directly (what `mgmt init` + votes + tally do). */
  sealGenesis(): void {
    const p = planGenesis({ params: PARAMS, caller: 'Org1MSP', nowMs: this.now(), config: { batchTimeoutMs: 100, maxMessageCount: 10 }, txId: 'g' });
    const votes = MEMBERS.slice(0, 3).map((mspId) => ({ proposalId: p.id, mspId, approve: true, signature: 'x', certificate: 'c', reason: '', timestamp: p.header.timestamp, txId: 't' }));
    this.proposals.set(p.id, { ...p, status: 'sealed' });
    this.pointer = p.id;
    this.blocks.push(sealProposal(p, votes));
  }

  ledgerFor(mspId: string): MgmtLedger {
    return new FakeLedger(this, mspId);
  }
}

class FakeLedger implements MgmtLedger {
  constructor(
    private readonly chain: FakeChain,
    private readonly mspId: string,
  ) {}

  getRound(): Promise<Round> {
    this.chain.calls.push({ mspId: this.mspId, fn: 'GetRound' });
    try {
      this.chain.checkUp('GetRound');
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return Promise.resolve(this.chain.round(this.chain.now()));
  }

  getParams(): Promise<GenesisParams> {
    return this.chain.latest() === undefined ? Promise.reject(new MgmtRefusalError({ step: 'evaluate', transaction: 'GetParams', code: 'MGMT_NOT_INITIALISED', message: 'MGMT_NOT_INITIALISED' })) : Promise.resolve(PARAMS);
  }

  getLatest(): Promise<ConfigBlock> {
    const latest = this.chain.latest();
    return latest === undefined ? Promise.reject(new Error('not initialised')) : Promise.resolve(latest);
  }

  getBlocks(from: number, to: number): Promise<ConfigBlock[]> {
    return Promise.resolve(this.chain.blocks.slice(from, to + 1));
  }

  initLedger(): Promise<Proposal> {
    return Promise.reject(new Error('not used'));
  }

  proposeParams(config: JsonObject, params: GenesisParams): Promise<Proposal> {
    return this.propose(config, params);
  }

  /** Propose, or ProposeParams with new params (recorded under its own name). */
  propose(config: JsonObject, newParams?: GenesisParams): Promise<Proposal> {
    const chain = this.chain;
    return chain.tx(this.mspId, newParams === undefined ? 'Propose' : 'ProposeParams', JSON.stringify(config), (nowMs) => {
      const latest = chain.latest() as ConfigBlock;
      const valid = validateConfig(config, SCHEMA);
      // The one params rule of the chaincode's validateParams these tests need.
      const ids = newParams?.members.map((m) => m.mspId) ?? [];
      if (new Set(ids).size !== ids.length) throw new MgmtError('MGMT_INVALID_PARAMS', 'params.members: duplicate MSP ID');
      const proposal = planProposal({ params: PARAMS, latest, caller: this.mspId, nowMs, config: valid, previous: chain.previous(latest.height + 1), txId: 'p', newParams });
      return {
        result: proposal,
        commit: () => {
          chain.proposals.set(proposal.id, proposal);
          chain.pointer = proposal.id;
          chain.emit('ProposalCreated', proposal);
        },
      };
    });
  }

  vote(proposalId: string, approve: boolean, signature: string, reason: string): Promise<Vote> {
    const chain = this.chain;
    return chain.tx(this.mspId, 'Vote', proposalId, (nowMs) => {
      const proposal = chain.proposals.get(proposalId);
      if (proposal === undefined) throw new MgmtError('MGMT_UNKNOWN_PROPOSAL');
      const votes = chain.votes.get(proposalId) ?? [];
      admitVote(proposal, this.mspId, nowMs, votes.some((v) => v.mspId === this.mspId));
      if (signature !== sig(proposal.hash, approve, this.mspId)) throw new MgmtError('MGMT_BAD_SIGNATURE', 'signature does not verify');
      const vote: Vote = { proposalId, mspId: this.mspId, approve, signature, certificate: 'c', reason, timestamp: toIsoMillis(nowMs), txId: 'v' };
      return {
        result: vote,
        commit: () => {
          const now = chain.votes.get(proposalId) ?? [];
          if (now.some((v) => v.mspId === this.mspId)) return;
          chain.votes.set(proposalId, [...now, vote].sort((a, b) => a.mspId.localeCompare(b.mspId)));
          chain.emit('VoteCast', { proposalId, height: proposal.header.height, cycle: proposal.header.cycle, mspId: this.mspId, approve });
        },
      };
    });
  }

  tally(proposalId: string): Promise<TallyResult> {
    const chain = this.chain;
    return chain.tx<TallyResult>(this.mspId, 'Tally', proposalId, (nowMs) => {
      const proposal = chain.proposals.get(proposalId);
      if (proposal === undefined) throw new MgmtError('MGMT_UNKNOWN_PROPOSAL');
      if (proposal.status !== 'open') throw new MgmtError('MGMT_STALE_PROPOSAL', `proposal ${proposalId} is already ${proposal.status}`);
      if ((chain.latest()?.height ?? -1) !== proposal.header.height - 1) throw new MgmtError('MGMT_STALE_PROPOSAL', 'height sealed');
      const votes = chain.votes.get(proposalId) ?? [];
      const outcome = cycleOutcome(tallyVotes(votes, MEMBERS), nowMs, parseIsoMillis(proposal.cycleEndsAt) as number);
      if (outcome.verdict === 'open') throw new MgmtError('MGMT_VOTES_PENDING');
      const conflict = chain.conflictNextTally;
      chain.conflictNextTally = false;
      const fail = (): never => {
        throw new TransactionInvalidError({ step: 'commit', transaction: 'Tally', code: 'MVCC_READ_CONFLICT', validationCode: 11, message: 'Tally committed invalid: MVCC_READ_CONFLICT' });
      };
      if (outcome.verdict === 'sealed') {
        const block = sealProposal(proposal, votes);
        return {
          result: { outcome: 'sealed', block },
          commit: () => {
            if (conflict || proposal.status !== 'open' || chain.proposals.get(proposalId)?.status !== 'open') fail();
            chain.blocks.push(block);
            chain.proposals.set(proposalId, { ...proposal, status: 'sealed' });
            chain.emit('ConfigBlockCommitted', block);
          },
        };
      }
      const failure: CycleFailure = {
        proposalId,
        height: proposal.header.height,
        cycle: proposal.header.cycle,
        reason: outcome.reason,
        approvals: outcome.tally.approvals,
        rejections: outcome.tally.rejections,
        quorum: 3,
        roundAbandoned: isLastCycleOfRound(proposal.header.cycle, 4),
        nextCycleStartsAt: null,
      };
      return {
        result: { outcome: 'failed', failure },
        commit: () => {
          if (conflict || chain.proposals.get(proposalId)?.status !== 'open') fail();
          chain.proposals.set(proposalId, { ...proposal, status: 'failed', failure: outcome.reason });
          chain.emit('CycleFailed', failure);
        },
      };
    });
  }

  events(): Promise<EventStream<MgmtEvent>> {
    try {
      this.chain.checkUp('events');
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    const queue: (MgmtEvent | undefined)[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    const unsubscribe = this.chain.subscribe((e) => {
      queue.push(e);
      wake?.();
    });
    const close = (): void => {
      closed = true;
      unsubscribe();
      wake?.();
    };
    return Promise.resolve({
      close,
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<MgmtEvent>> => {
          while (queue.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
          if (closed) return { done: true, value: undefined };
          const e = queue.shift();
          if (e === undefined) {
            close();
            throw new LedgerUnavailableError({ step: 'events', transaction: 'events', code: 'UNAVAILABLE', grpcCode: 14, message: 'events: peer unavailable (UNAVAILABLE)' });
          }
          return { done: false, value: e };
        },
      }),
    });
  }
}

/** Approves everything and proposes the current configuration with a bumped maxMessageCount. */
class EagerTwin implements DigitalTwin {
  readonly name: string = 'eager';
  validations = 0;
  constructor(private readonly decision?: (state: TwinState) => Record<string, unknown>) {}
  decide(state: TwinState): Promise<Record<string, unknown>> {
    if (this.decision !== undefined) return Promise.resolve(this.decision(state));
    const current = state.current as { batchTimeoutMs: number; maxMessageCount: number };
    return Promise.resolve({ ...current, maxMessageCount: current.maxMessageCount + 1 });
  }
  validate(): Promise<Verdict> {
    this.validations++;
    return Promise.resolve({ approve: true, reason: 'fine' });
  }
}

class BrokenTwin implements DigitalTwin {
  readonly name = 'broken';
  decide(): Promise<Record<string, unknown>> {
    return Promise.reject(new Error('model crashed'));
  }
  validate(): Promise<Verdict> {
    return Promise.reject(new Error('model crashed'));
  }
}

let chain: FakeChain;
let nodes: ManagementNode[];
let events: NodeEvent[];

function startNode(mspId: string, twin: DigitalTwin = new EagerTwin()): ManagementNode {
  const node = new ManagementNode({ mspId, ledger: chain.ledgerFor(mspId), twin, signVote: (hash, approve) => sig(hash, approve, mspId), recheckMs: 2000, retry: { initialMs: 200, maxMs: 1000 } });
  node.on('event', (e) => events.push(e));
  nodes.push(node);
  return node;
}

async function advance(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 50) await jest.advanceTimersByTimeAsync(50);
}

async function until(predicate: () => boolean, maxMs: number): Promise<void> {
  for (let t = 0; t < maxMs && !predicate(); t += 50) await jest.advanceTimersByTimeAsync(50);
  expect(predicate()).toBe(true);
}


beforeEach(() => {
  jest.useFakeTimers({ now: T0 });
  chain = new FakeChain();
  chain.sealGenesis();
  nodes = [];
  events = [];
});

afterEach(async () => {
  const stopping = Promise.all(nodes.map((n) => n.stop({ timeoutMs: 1000 })));
  await jest.advanceTimersByTimeAsync(2000);
  await stopping;
  jest.useRealTimers();
});

describe('ManagementNode on a fake chain', () => {
  it('four nodes seal five consecutive blocks with no input, each vote once, one Tally per block mostly', async () => {
    for (const m of MEMBERS) startNode(m);
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => chain.blocks.length >= 6, 30_000);
    expect(chain.blocks.map((b) => b.height).slice(0, 6)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const b of chain.blocks.slice(1, 6)) {
      expect(b.cycle).toBe(0);
      expect(b.proof.length).toBeGreaterThanOrEqual(3);
      expect(b.config).toMatchObject({ maxMessageCount: 10 + b.height });
    }
    // Never two votes by one member on one proposal.
    const votes = chain.calls.filter((c) => c.fn === 'Vote').map((c) => `${c.mspId}:${String(c.arg)}`);
    expect(new Set(votes).size).toBe(votes.length);
    // Tallies: the proposer's, the stagger keeps the others off in the normal case.
    const tallies = chain.calls.filter((c) => c.fn === 'Tally');
    expect(tallies.length).toBeLessThanOrEqual(7);
    const committed = events.filter((e): e is Extract<NodeEvent, { type: 'committed' }> => e.type === 'committed' && e.block.height === 1);
    expect(committed).toHaveLength(4);
    for (const e of committed) expect(e.agreementDelayMs).toBeGreaterThan(0);
    expect(events.some((e) => e.type === 'roundOpened')).toBe(true);
    expect(events.some((e) => e.type === 'cycleStarted')).toBe(true);
  });

  it('when the proposer is absent, the next cycle\'s proposer takes over (FC = 1) and records the empty cycle', async () => {
    const latest = chain.latest() as ConfigBlock;
    const absent = expectedProposer(PARAMS.members, latest.hash, 0);
    const next = expectedProposer(PARAMS.members, latest.hash, 1);
    for (const m of MEMBERS.filter((x) => x !== absent)) startNode(m);
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => chain.blocks.length >= 2, 15_000);
    expect(chain.blocks[1]).toMatchObject({ height: 1, cycle: 1, proposer: next });
    expect(events).toContainEqual(expect.objectContaining({ type: 'cycleFailed', height: 1, cycle: 0, reason: 'no proposal', source: 'local' }));
  });

  it('a restarted node resumes in the right cycle without voting twice', async () => {
    const latest = chain.latest() as ConfigBlock;
    const proposer = expectedProposer(PARAMS.members, latest.hash, 0);
    const [a, b] = MEMBERS.filter((m) => m !== proposer);
    // Two of four: no quorum yet, so the proposal stays open across the restart.
    startNode(proposer);
    const nodeA = startNode(a);
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => [...chain.votes.values()].some((vs) => vs.some((v) => v.mspId === a)), 10_000);
    const stopping = nodeA.stop();
    await advance(500);
    await stopping;
    const again = startNode(a);
    await again.start();
    expect(again.status().round).toMatchObject({ nextHeight: 1, cycle: 0, proposal: { status: 'open' } });
    await advance(500);
    expect(chain.calls.filter((c) => c.fn === 'Vote' && c.mspId === a)).toHaveLength(1);
    await startNode(b).start();

    await until(() => chain.blocks.length >= 2, 5000);
    expect(chain.blocks[1].proof.map((p) => p.mspId).sort()).toEqual([proposer, a, b].sort());
    expect(chain.calls.filter((c) => c.fn === 'Vote' && c.mspId === a)).toHaveLength(1);
  });

  it('survives the peer going away: reports it, backs off, reconnects and carries on', async () => {
    for (const m of MEMBERS) startNode(m);
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => chain.blocks.length >= 2, 10_000);
    chain.down = true;
    chain.breakStreams();
    await advance(3000);
    expect(events.some((e) => e.type === 'disconnected')).toBe(true);
    const delays = events.filter((e): e is Extract<NodeEvent, { type: 'disconnected' }> => e.type === 'disconnected' && e.mspId === 'Org1MSP').map((e) => e.retryInMs);
    // Exponential: 200, 400, 800, then capped at 1000 (the step loop and the event stream each back off).
    expect(delays[0]).toBe(200);
    expect(new Set(delays)).toEqual(new Set([200, 400, 800, 1000].slice(0, new Set(delays).size)));
    expect(Math.max(...delays)).toBeLessThanOrEqual(1000);
    chain.down = false;
    const height = chain.blocks.length;
    await until(() => chain.blocks.length >= height + 2, 20_000);
    expect(events.some((e) => e.type === 'reconnected')).toBe(true);
    expect(nodes.every((n) => n.status().running)).toBe(true);
  });

  it('treats a Tally invalidated by MVCC as "look again" and seals on the retry', async () => {
    for (const m of MEMBERS) startNode(m);
    chain.conflictNextTally = true;
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => chain.blocks.length >= 2, 10_000);
    expect(chain.calls.filter((c) => c.fn === 'Tally').length).toBeGreaterThanOrEqual(2);
  });

  it('abstains when its twin fails, and the others still seal', async () => {
    startNode('Org1MSP', new BrokenTwin());
    for (const m of MEMBERS.slice(1)) startNode(m);
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => chain.blocks.length >= 3, 20_000);
    expect(events).toContainEqual(expect.objectContaining({ type: 'twinFailed', mspId: 'Org1MSP' }));
    expect(chain.calls.some((c) => c.fn === 'Vote' && c.mspId === 'Org1MSP')).toBe(false);
  });

  it('a Byzantine proposer is refused (MGMT_INVALID_CONFIG) and the next cycle seals', async () => {
    const latest = chain.latest() as ConfigBlock;
    const byzantine = expectedProposer(PARAMS.members, latest.hash, 0);
    startNode(byzantine, new EagerTwin(() => ({ batchTimeoutMs: 1, maxMessageCount: 5000 })));
    for (const m of MEMBERS.filter((x) => x !== byzantine)) startNode(m);
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => chain.blocks.length >= 2, 15_000);
    expect(events).toContainEqual(expect.objectContaining({ type: 'refused', mspId: byzantine, action: 'propose', code: 'MGMT_INVALID_CONFIG' }));
    expect(chain.blocks[1]).toMatchObject({ cycle: 1 });
    // It proposed once in that cycle, not again and again.
    expect(chain.calls.filter((c) => c.fn === 'Propose' && c.mspId === byzantine)).toHaveLength(1);
  });

  it('validators vote against nothing it cannot check: a proposal outside the schema is rejected without asking the twin', async () => {
    const twin = new EagerTwin();
    const latest = chain.latest() as ConfigBlock;
    const proposer = expectedProposer(PARAMS.members, latest.hash, 0);
    const validator = MEMBERS.find((m) => m !== proposer) as string;
    startNode(validator, twin);
    await nodes[0].start();
    // Craft an out-of-schema proposal directly in the chain (a buggy chaincode would let it through).
    await advance(1100);
    const p = planProposal({ params: PARAMS, latest, caller: proposer, nowMs: Date.now(), config: { batchTimeoutMs: 1, maxMessageCount: 10 }, txId: 'x' });
    chain.proposals.set(p.id, p);
    chain.pointer = p.id;
    chain.emit('ProposalCreated', p);
    await until(() => events.some((e) => e.type === 'voted'), 2000);
    expect(events).toContainEqual(expect.objectContaining({ type: 'voted', approve: false }));
    expect(twin.validations).toBe(0);
  });
});

describe('ManagementNode with a tracer', () => {
  function startTraced(mspId: string, tracer: NonNullable<ConstructorParameters<typeof ManagementNode>[0]['tracer']>): ManagementNode {
    const node = new ManagementNode({ mspId, ledger: chain.ledgerFor(mspId), twin: new EagerTwin(), signVote: (hash, approve) => sig(hash, approve, mspId), recheckMs: 2000, tracer });
    node.on('event', (e) => events.push(e));
    nodes.push(node);
    return node;
  }

  it("records each member's steps as they happen, and the report reads the chain's 120 ms transactions as the ordering round", async () => {
    const lines: TraceLine[] = [];
    for (const m of MEMBERS) startTraced(m, (step, fields) => lines.push({ t: Date.now(), member: m, step, ...fields }));
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => chain.blocks.length >= 3, 20_000);
    const block = chain.blocks[1];
    const of = (step: string, member?: string): TraceLine[] => lines.filter((l) => l.step === step && l.height === 1 && (member === undefined || l.member === member));
    expect(of('twinAsked', block.proposer)).toContainEqual(expect.objectContaining({ cycle: 0, detail: 'decide' }));
    const sent = of('proposeSent', block.proposer);
    const committed = of('proposeCommitted', block.proposer);
    expect(sent).toHaveLength(1);
    expect(committed).toEqual([expect.objectContaining({ cycle: 0, proposalId: block.hash })]);
    expect(committed[0].t - sent[0].t).toBe(TX_MS);
    for (const m of MEMBERS) {
      expect(of('getRound', m).length).toBeGreaterThan(0);
      expect(of('twinAnswered', m)).toContainEqual(expect.objectContaining({ proposalId: block.hash, detail: 'approve' }));
      expect(of('voteCommitted', m)).toEqual([expect.objectContaining({ proposalId: block.hash, detail: 'approve' })]);
      // The node's own events are steps too, with what they are about.
      expect(of('committed', m)).toEqual([expect.objectContaining({ proposalId: block.hash, by: block.proposer, at: expect.any(Number) as unknown as number })]);
      expect(of('eventReceived', m)).toContainEqual(expect.objectContaining({ detail: 'ConfigBlockCommitted', proposalId: block.hash }));
    }
    expect(of('tallyCommitted')).toContainEqual(expect.objectContaining({ proposalId: block.hash, detail: 'sealed' }));
    const report = analyseTrace({ lines, unreadable: 0 });
    expect(report.round).toMatchObject({ source: 'node', stat: { p50: TX_MS } });
    const firstSeen = Math.min(...events.flatMap((e) => (e.type === 'committed' && e.block.height === 1 && e.agreementDelayMs !== undefined ? [e.agreementDelayMs] : [])));
    expect(report.cbs.find((c) => c.height === 1)?.spans.agreement).toBe(firstSeen);
  });

  it('carries on when the tracer throws', async () => {
    for (const m of MEMBERS) {
      startTraced(m, () => {
        throw new Error('disk full');
      });
    }
    await Promise.all(nodes.map((n) => n.start()));
    await until(() => chain.blocks.length >= 3, 20_000);
    expect(events.filter((e) => e.type === 'committed' && e.block.height === 2)).toHaveLength(4);
  });
});

/** The params in force with some members left out and others (with made-up CAs) let in. */
function withMembers(remove: readonly string[], add: readonly string[] = [], base: GenesisParams = PARAMS): GenesisParams {
  const members = [...base.members.filter((m) => !remove.includes(m.mspId)), ...add.map((mspId) => ({ mspId, caCertificate: `ca of ${mspId}` }))];
  return { ...base, members: members.sort((a, b) => a.mspId.localeCompare(b.mspId)) };
}

/** An {@link EagerTwin} that also decides and judges params, recording what it was asked. */
class ParamsTwin extends EagerTwin {
  override readonly name = 'params';
  decidedWith: (GenesisParams | undefined)[] = [];
  changes: ParamsChange[] = [];
  constructor(
    private readonly next: GenesisParams | undefined,
    private readonly paramsVerdict: Verdict = { approve: true, reason: 'the members we want' },
    private readonly configVerdict: Verdict = { approve: true, reason: 'fine' },
  ) {
    super();
  }
  decideParams(inForce: GenesisParams): Promise<GenesisParams | undefined> {
    this.decidedWith.push(inForce);
    return Promise.resolve(this.next);
  }
  validateParams(change: ParamsChange): Promise<Verdict> {
    this.changes.push(change);
    return Promise.resolve(this.paramsVerdict);
  }
  override validate(): Promise<Verdict> {
    this.validations++;
    return Promise.resolve(this.configVerdict);
  }
}

const UNCHANGED = { batchTimeoutMs: 100, maxMessageCount: 10 };

/** A proposal of the expected proposer of cycle 0 after genesis, 1.1 s in (the CBI has elapsed). */
function proposalAtHeight1(newParams: GenesisParams | undefined, config: JsonObject = UNCHANGED): Proposal {
  const latest = chain.latest() as ConfigBlock;
  const proposer = expectedProposer(PARAMS.members, latest.hash, 0);
  return planProposal({ params: PARAMS, latest, caller: proposer, nowMs: T0 + 1100, config, txId: 'x', newParams });
}

const heightOneProposal = (): Proposal | undefined => [...chain.proposals.values()].find((p) => p.header.height === 1);
const consult = (twin: DigitalTwin): TwinConsultation => new TwinConsultation({ twin, clock: systemClock, timeoutMs: 1000 });
const rulesTwin = (): RulesTwin => new RulesTwin({ bounds: { batchTimeoutMs: { min: 50, max: 10000 }, maxMessageCount: { min: 1, max: 1000 } } });

describe('ManagementNode and params changes (membership)', () => {
  it('proposes with ProposeParams what its twin decides, given the params in force', async () => {
    const latest = chain.latest() as ConfigBlock;
    const proposer = expectedProposer(PARAMS.members, latest.hash, 0);
    const next = withMembers([], ['Org5MSP']);
    const twin = new ParamsTwin(next);
    await startNode(proposer, twin).start();
    await until(() => heightOneProposal() !== undefined, 3000);
    expect(chain.calls.filter((c) => c.fn === 'ProposeParams' || c.fn === 'Propose').map((c) => `${c.mspId} ${c.fn}`)).toEqual([`${proposer} ProposeParams`]);
    expect(twin.decidedWith).toEqual([PARAMS]);
    expect(heightOneProposal()?.header).toMatchObject({ proposer, params: next, config: { maxMessageCount: 11 } });
  });

  it('proposes with plain Propose when its twin keeps the params in force', async () => {
    const latest = chain.latest() as ConfigBlock;
    const proposer = expectedProposer(PARAMS.members, latest.hash, 0);
    const twin = new ParamsTwin(undefined);
    await startNode(proposer, twin).start();
    await until(() => heightOneProposal() !== undefined, 3000);
    expect(twin.decidedWith).toHaveLength(1);
    expect(chain.calls.filter((c) => c.fn === 'ProposeParams' || c.fn === 'Propose').map((c) => `${c.mspId} ${c.fn}`)).toEqual([`${proposer} Propose`]);
    expect(heightOneProposal()?.header).not.toHaveProperty('params');
  });

  it('proposes params the chain refuses (MGMT_INVALID_PARAMS) once per cycle, not again and again', async () => {
    const latest = chain.latest() as ConfigBlock;
    const proposer = expectedProposer(PARAMS.members, latest.hash, 0);
    const duplicate = { ...PARAMS, members: [...PARAMS.members, PARAMS.members[0]] };
    await startNode(proposer, new ParamsTwin(duplicate)).start();
    // Cycle 0 runs from 1 s to 4 s after genesis; the node looks again at least every 2 s.
    await advance(3800);
    expect(events).toContainEqual(expect.objectContaining({ type: 'refused', action: 'propose', code: 'MGMT_INVALID_PARAMS' }));
    expect(chain.calls.filter((c) => c.fn === 'ProposeParams')).toHaveLength(1);
  });

  it('a rules twin votes against a proposal that removes a member with an unchanged configuration (it used to approve it as "no change")', async () => {
    const twin = rulesTwin();
    const state: TwinState = { metrics: { txRate: 0, blockFill: 0, commitLatencyMs: 0, blockIntervalMs: 0 }, current: UNCHANGED, height: 0 };
    // On the configuration alone the rules see nothing to object to: the params must be what rejects it.
    expect(await twin.validate({ ...UNCHANGED }, state)).toEqual({ approve: true, reason: 'no change' });
    const latest = chain.latest() as ConfigBlock;
    const proposer = expectedProposer(PARAMS.members, latest.hash, 0);
    const validator = MEMBERS.find((m) => m !== proposer && m !== 'Org4MSP') as string;
    await startNode(validator, twin).start();
    await advance(1100);
    const p = planProposal({ params: PARAMS, latest, caller: proposer, nowMs: Date.now(), config: UNCHANGED, txId: 'x', newParams: withMembers(['Org4MSP']) });
    chain.proposals.set(p.id, p);
    chain.pointer = p.id;
    chain.emit('ProposalCreated', p);
    await until(() => events.some((e) => e.type === 'voted'), 2000);
    const voted = events.find((e): e is Extract<NodeEvent, { type: 'voted' }> => e.type === 'voted');
    expect(voted).toMatchObject({ proposalId: p.id, approve: false });
    expect(voted?.reason).toMatch(/changes the params \(removes Org4MSP\)/);
    expect(voted?.reason).toMatch(/the rules twin does not judge params changes: an operator decides them \(mgmt vote, or an operator twin with --members-file\)/);
    // And the rejection is what reached the chain.
    expect(chain.votes.get(p.id)).toEqual([expect.objectContaining({ mspId: validator, approve: false, reason: voted?.reason })]);
  });
});

describe('TwinConsultation.verdict on proposals that carry params', () => {
  const self = 'Org9MSP';

  it('rejects a change of members at height > 0 when the twin does not judge params, without asking it', async () => {
    const twin = new EagerTwin();
    const verdict = await consult(twin).verdict(proposalAtHeight1(withMembers(['Org4MSP'])), { self, params: PARAMS, latest: chain.latest() });
    expect(verdict.approve).toBe(false);
    expect(verdict.reason).toBe(
      'the proposal changes the params (removes Org4MSP); the eager twin does not judge params changes: an operator decides them (mgmt vote, or an operator twin with --members-file)',
    );
    expect(twin.validations).toBe(0);
  });

  it('rejects even params that restate those in force (a proposal with params is a params change)', async () => {
    const verdict = await consult(new EagerTwin()).verdict(proposalAtHeight1(PARAMS), { self, params: PARAMS, latest: chain.latest() });
    expect(verdict).toMatchObject({ approve: false, reason: expect.stringContaining('(restates the params in force)') as unknown as string });
  });

  it('asks validateParams with the change, then judges the configuration as usual', async () => {
    const next = withMembers(['Org4MSP']);
    const twin = new ParamsTwin(undefined);
    const verdict = await consult(twin).verdict(proposalAtHeight1(next), { self, params: PARAMS, latest: chain.latest() });
    expect(verdict).toEqual({ approve: true, reason: 'fine' });
    expect(twin.changes).toEqual([{ params: next, inForce: PARAMS, summary: 'removes Org4MSP' }]);
    expect(twin.validations).toBe(1);
  });

  it('still rejects a configuration the twin rejects when it approves the params', async () => {
    const twin = new ParamsTwin(undefined, { approve: true, reason: 'ok' }, { approve: false, reason: 'maxMessageCount too high' });
    const verdict = await consult(twin).verdict(proposalAtHeight1(withMembers(['Org4MSP'])), { self, params: PARAMS, latest: chain.latest() });
    expect(verdict).toEqual({ approve: false, reason: 'maxMessageCount too high' });
  });

  it("rejects with validateParams' reason, without judging the configuration, when the twin rejects the params", async () => {
    const twin = new ParamsTwin(undefined, { approve: false, reason: 'not the members we want' });
    const verdict = await consult(twin).verdict(proposalAtHeight1(withMembers([], ['Org5MSP'])), { self, params: PARAMS, latest: chain.latest() });
    expect(verdict).toEqual({ approve: false, reason: 'not the members we want' });
    expect(twin.changes.map((c) => c.summary)).toEqual(['admits Org5MSP']);
    expect(twin.validations).toBe(0);
  });

  it('judges a genesis proposal (height 0, which always carries params) on its configuration, as before', async () => {
    const genesis = planGenesis({ params: withMembers(['Org4MSP']), caller: 'Org1MSP', nowMs: T0, config: UNCHANGED, txId: 'g' });
    expect(genesis.header.params).toBeDefined();
    for (const params of [undefined, PARAMS]) {
      const twin = new EagerTwin();
      expect(await consult(twin).verdict(genesis, { self, params, latest: undefined })).toEqual({ approve: true, reason: 'fine' });
      expect(twin.validations).toBe(1);
    }
  });

  it("approves the node's own proposal with params without asking the twin", async () => {
    const p = proposalAtHeight1(withMembers(['Org4MSP']));
    const twin = new EagerTwin();
    expect(await consult(twin).verdict(p, { self: p.header.proposer, params: PARAMS, latest: chain.latest() })).toEqual({ approve: true, reason: 'own proposal' });
    expect(twin.validations).toBe(0);
  });

  it('judges a proposal without params on its configuration only', async () => {
    const twin = new ParamsTwin(undefined, { approve: false, reason: 'never asked' });
    expect(await consult(twin).verdict(proposalAtHeight1(undefined), { self, params: PARAMS, latest: chain.latest() })).toEqual({ approve: true, reason: 'fine' });
    expect(twin.changes).toHaveLength(0);
  });
});

describe('TwinConsultation.decideParams', () => {
  const latest = (): ConfigBlock | undefined => chain.latest();
  const deadline = (): number => Date.now() + 5000;

  it('is undefined for a twin that does not decide params', async () => {
    expect(await consult(new EagerTwin()).decideParams(latest(), PARAMS, deadline())).toBeUndefined();
  });

  it('is undefined, without asking the twin, before the params in force are known', async () => {
    const twin = new ParamsTwin(withMembers([], ['Org5MSP']));
    expect(await consult(twin).decideParams(latest(), undefined, deadline())).toBeUndefined();
    expect(twin.decidedWith).toHaveLength(0);
  });

  it("passes the twin's params on, or its undefined", async () => {
    const next = withMembers(['Org4MSP']);
    expect(await consult(new ParamsTwin(next)).decideParams(latest(), PARAMS, deadline())).toEqual(next);
    expect(await consult(new ParamsTwin(undefined)).decideParams(latest(), PARAMS, deadline())).toBeUndefined();
  });

  it.each([
    ['removes more than n - quorum(n) = 1 of 4 members', withMembers(['Org3MSP', 'Org4MSP']), /removes 2 of 4 members \(Org3MSP, Org4MSP\); at most 1 may leave in one block/],
    ['adds two members', withMembers([], ['Org5MSP', 'Org6MSP']), /adds 2 members \(Org5MSP, Org6MSP\); members are admitted one at a time/],
  ])('refuses params that break the membership rules: %s (TWIN_BAD_ANSWER)', async (_name, next, message) => {
    const answer = consult(new ParamsTwin(next)).decideParams(latest(), PARAMS, deadline());
    await expect(answer).rejects.toBeInstanceOf(TwinError);
    await expect(answer).rejects.toMatchObject({ code: 'TWIN_BAD_ANSWER', twin: 'params', message: expect.stringMatching(message) as unknown as string });
  });
});

describe('describeParamsChange', () => {
  it.each([
    ['an admission', withMembers([], ['Org5MSP']), 'admits Org5MSP'],
    ['a removal', withMembers(['Org2MSP']), 'removes Org2MSP'],
    ['a CA replacement', { ...PARAMS, members: PARAMS.members.map((m) => (m.mspId === 'Org3MSP' ? { ...m, caCertificate: 'another CA' } : m)) }, 'replaces the CA of Org3MSP'],
    ['a CA equal up to surrounding white space (not a replacement)', { ...PARAMS, members: PARAMS.members.map((m) => ({ ...m, caCertificate: `${m.caCertificate}\n` })) }, 'restates the params in force'],
    ['a new CBI', { ...PARAMS, cbiSeconds: 2 }, 'cbiSeconds 1 -> 2'],
    ['a new cycle timeout and clock tolerance', { ...PARAMS, cycleTimeoutSeconds: 4, clockToleranceSeconds: 2 }, 'cycleTimeoutSeconds 3 -> 4, clockToleranceSeconds 5 -> 2'],
    ['a new schema', { ...PARAMS, configSchema: { ...SCHEMA, required: ['batchTimeoutMs'] } }, 'changes the configuration schema'],
    ['the same schema with its keys in another order', { ...PARAMS, configSchema: Object.fromEntries(Object.entries(SCHEMA).reverse()) }, 'restates the params in force'],
    ['no change', { ...PARAMS }, 'restates the params in force'],
    ['several changes at once', { ...withMembers(['Org1MSP'], ['Org5MSP']), cbiSeconds: 3 }, 'admits Org5MSP, removes Org1MSP, cbiSeconds 1 -> 3'],
  ])('%s', (_name, next, summary) => {
    expect(describeParamsChange(PARAMS, next)).toBe(summary);
  });
});
