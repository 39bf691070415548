/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import type { Proposal, Round, Vote } from 'mgmt-chaincode/dist/protocol';
import { toIsoMillis } from 'mgmt-chaincode/dist/protocol';
import { cycleKey, plan } from './plan';
import type { PlanMemory } from './plan';

const T = Date.parse('2026-01-01T00:00:10.000Z');
const MEMBERS = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'];
const HASH = 'a'.repeat(64);

function proposal(overrides: { cycle?: number; proposer?: string; status?: Proposal['status']; endsAt?: number; height?: number } = {}): Proposal {
  const cycle = overrides.cycle ?? 0;
  const endsAt = overrides.endsAt ?? T + 3000;
  return {
    id: `${cycle}`.padStart(64, 'b'),
    hash: `${cycle}`.padStart(64, 'b'),
    header: { height: overrides.height ?? 1, prevHash: HASH, proposer: overrides.proposer ?? 'Org2MSP', cycle, timestamp: toIsoMillis(endsAt - 2900), config: { batchTimeoutMs: 100, maxMessageCount: 10 } },
    cycleStartsAt: toIsoMillis(endsAt - 3000),
    cycleEndsAt: toIsoMillis(endsAt),
    status: overrides.status ?? 'open',
    txId: 'tx',
  };
}

function vote(mspId: string, approve = true): Vote {
  return { proposalId: 'x', mspId, approve, signature: 's', certificate: 'c', reason: '', timestamp: toIsoMillis(T), txId: 't' };
}

function tallyOf(votes: readonly Vote[]): { verdict: 'sealed' | 'failed' | 'open'; n: number; approvals: number; rejections: number; quorum: number; rejectionThreshold: number } {
  const approvals = votes.filter((v) => v.approve).length;
  const rejections = votes.length - approvals;
  return { verdict: approvals >= 3 ? 'sealed' : rejections >= 2 ? 'failed' : 'open', n: 4, approvals, rejections, quorum: 3, rejectionThreshold: 2 };
}

/** A round in cycle `cycle` (window [T-500+3000c, +3000)) with an optional proposal and votes. */
function inCycle(cycle: number, p: Proposal | null, votes: Vote[] = [], proposer = 'Org2MSP', nowMs = T): Round {
  const startsAt = T - 500 + cycle * 3000;
  const t = tallyOf(votes);
  const ends = p === null ? 0 : Date.parse(p.cycleEndsAt);
  let outcome: Round['outcome'] = null;
  if (p !== null) {
    if (t.verdict === 'sealed') outcome = { verdict: 'sealed', tally: t };
    else if (t.verdict === 'failed') outcome = { verdict: 'failed', reason: 'rejected', tally: t };
    else if (nowMs >= ends) outcome = { verdict: 'failed', reason: 'timeout', tally: t };
    else outcome = { verdict: 'open', tally: t };
  }
  return {
    now: toIsoMillis(nowMs),
    nextHeight: 1,
    latestHash: HASH,
    phase: 'cycle',
    round: 0,
    opensAt: toIsoMillis(T - 500),
    cycle,
    cycleStartsAt: toIsoMillis(startsAt),
    cycleEndsAt: toIsoMillis(startsAt + 3000),
    expectedProposer: proposer,
    proposal: p,
    votes,
    outcome,
  };
}

const empty = (): PlanMemory => ({ proposed: new Set(), voted: new Set(), tallied: new Set(), decidedAt: new Map() });

describe('plan (Algorithm 1)', () => {
  const kinds = (r: Round, self: string, memory: PlanMemory = empty(), nowMs = T): string[] =>
    plan({ round: r, self, members: MEMBERS, nowMs, memory, tallyStaggerMs: 300 }).actions.map((a) => a.kind);

  it.each([
    ['the expected proposer proposes in an empty cycle', inCycle(0, null), 'Org2MSP', ['propose']],
    ['another member waits for the proposal', inCycle(0, null), 'Org1MSP', []],
    ['a member votes on the open proposal of the cycle', inCycle(0, proposal()), 'Org1MSP', ['vote']],
    ['the proposer votes on its own proposal', inCycle(0, proposal()), 'Org2MSP', ['vote']],
    ['a member that voted (GetRound shows it) does not vote again', inCycle(0, proposal(), [vote('Org1MSP')]), 'Org1MSP', []],
    ['3 of 4 approve: the proposer tallies at once', inCycle(0, proposal(), [vote('Org1MSP'), vote('Org2MSP'), vote('Org3MSP')]), 'Org2MSP', ['tally']],
    ['3 of 4 approve: Org4 has not voted but tallies only after its stagger', inCycle(0, proposal(), [vote('Org1MSP'), vote('Org2MSP'), vote('Org3MSP')]), 'Org4MSP', []],
    ['2 rejections: the cycle fails early, the proposer tallies', inCycle(0, proposal(), [vote('Org1MSP', false), vote('Org3MSP', false)]), 'Org2MSP', ['tally']],
  ])('%s', (_name, r, self, expected) => {
    expect(kinds(r, self)).toEqual(expected);
  });

  it('staggers the tally by rank after the proposer: Org3 after 300 ms, Org1 after 900 ms', () => {
    const r = inCycle(0, proposal(), [vote('Org1MSP'), vote('Org2MSP'), vote('Org3MSP')]);
    const p = proposal();
    const seen = { ...empty(), decidedAt: new Map([[p.id, T]]) };
    expect(kinds(r, 'Org3MSP', seen, T + 299)).toEqual([]);
    expect(kinds(r, 'Org3MSP', seen, T + 300)).toEqual(['tally']);
    expect(kinds(r, 'Org1MSP', seen, T + 899)).toEqual([]);
    expect(kinds(r, 'Org1MSP', seen, T + 900)).toEqual(['tally']);
    const first = plan({ round: r, self: 'Org1MSP', members: MEMBERS, nowMs: T, memory: empty(), tallyStaggerMs: 300 });
    expect(first.newlyDecided).toBe(p.id);
    expect(first.wakeAtMs).toBe(T + 900);
  });

  it('does not propose over an untallied quorum (the chaincode would say MGMT_SEAL_PENDING)', () => {
    const old = proposal({ cycle: 0, endsAt: T - 100 });
    const r = inCycle(1, old, [vote('Org1MSP'), vote('Org2MSP'), vote('Org3MSP')], 'Org3MSP');
    expect(kinds(r, 'Org3MSP')).toEqual([]);
    expect(kinds(r, 'Org2MSP')).toEqual(['tally']);
  });

  it('the next cycle\'s proposer records a timed-out proposal before proposing; nobody else tallies it', () => {
    const old = proposal({ cycle: 0, endsAt: T - 100 });
    const r = inCycle(1, old, [vote('Org1MSP')], 'Org3MSP');
    const result = plan({ round: r, self: 'Org3MSP', members: MEMBERS, nowMs: T, memory: empty(), tallyStaggerMs: 300 });
    expect(result.actions).toMatchObject([{ kind: 'tally', verdict: 'timeout', proposal: { id: old.id } }, { kind: 'propose', height: 1, cycle: 1 }]);
    expect(kinds(r, 'Org1MSP')).toEqual([]);
  });

  it('never proposes twice in a cycle, nor votes twice on a proposal', () => {
    const memory = { ...empty(), proposed: new Set([cycleKey(1, 0)]), voted: new Set([proposal().id]) };
    expect(kinds(inCycle(0, null), 'Org2MSP', memory)).toEqual([]);
    expect(kinds(inCycle(0, proposal()), 'Org1MSP', memory)).toEqual([]);
  });

  it('does not vote after the cycle has ended', () => {
    const p = proposal({ endsAt: T - 1 });
    const r = { ...inCycle(0, p, [], 'Org2MSP', T), cycleEndsAt: toIsoMillis(T - 1) };
    expect(kinds(r, 'Org1MSP')).toEqual([]);
  });

  it('wakes at the round opening while waiting and at the cycle end inside a cycle', () => {
    const waiting: Round = { ...inCycle(0, null), phase: 'waiting', cycle: null, cycleStartsAt: null, cycleEndsAt: null, expectedProposer: null, opensAt: toIsoMillis(T + 1234) };
    expect(plan({ round: waiting, self: 'Org1MSP', members: MEMBERS, nowMs: T, memory: empty(), tallyStaggerMs: 300 })).toMatchObject({ actions: [], wakeAtMs: T + 1234 });
    const r = inCycle(0, null);
    expect(plan({ round: r, self: 'Org1MSP', members: MEMBERS, nowMs: T, memory: empty(), tallyStaggerMs: 300 }).wakeAtMs).toBe(Date.parse(r.cycleEndsAt as string));
  });

  it('before genesis: only tallies a genesis proposal with a quorum, never votes on it', () => {
    const g = proposal({ height: 0, proposer: 'Org1MSP' });
    const genesis: Round = { ...inCycle(0, g), nextHeight: 0, latestHash: '', phase: 'genesis', round: null, opensAt: null, expectedProposer: null };
    expect(kinds(genesis, 'Org2MSP')).toEqual([]);
    const sealed: Round = { ...genesis, votes: [vote('Org1MSP'), vote('Org2MSP'), vote('Org3MSP')], outcome: inCycle(0, g, [vote('Org1MSP'), vote('Org2MSP'), vote('Org3MSP')]).outcome };
    expect(kinds(sealed, 'Org1MSP')).toEqual(['tally']);
  });
});
