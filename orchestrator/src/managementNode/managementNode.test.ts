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
import type { DigitalTwin, TwinState, Verdict } from '../twins/twin';
import { LedgerUnavailableError, MgmtRefusalError, TransactionInvalidError } from '../mgmtClient/errors';
import type { NodeEvent } from './events';
import type { EventStream, MgmtEvent, MgmtLedger, TallyResult } from './ledger';
import { ManagementNode } from './managementNode';

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

  proposeParams(): Promise<Proposal> {
    return Promise.reject(new Error('not used'));
  }

  propose(config: JsonObject): Promise<Proposal> {
    const chain = this.chain;
    return chain.tx(this.mspId, 'Propose', JSON.stringify(config), (nowMs) => {
      const latest = chain.latest() as ConfigBlock;
      const valid = validateConfig(config, SCHEMA);
      const proposal = planProposal({ params: PARAMS, latest, caller: this.mspId, nowMs, config: valid, previous: chain.previous(latest.height + 1), txId: 'p' });
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
  readonly name = 'eager';
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
