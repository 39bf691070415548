/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The live source with a scripted peer: what it pushes as GetRound answers change (a proposal, a
 * vote, a sealed CB), and what it keeps when a read fails.
 */
import { afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Round } from 'mgmt-chaincode/dist/protocol';
import type { AuditEvidence, EvidenceSources } from '../audit';
import { openLiveSource } from './liveSource';
import type { DashboardSource } from './source';
import { createTestChain } from './testing/chain';
import type { TestChain } from './testing/chain';
import type { DashboardEvent, MembersStatus } from './types';

let fx: TestChain;
let source: DashboardSource | undefined;

beforeAll(async () => {
  fx = await createTestChain(3);
});

afterEach(async () => {
  await source?.close();
  source = undefined;
});

function roundAt(nextHeight: number, votes: number): Round {
  const proposal = votes < 0 ? null : { id: 'a'.repeat(64), hash: 'a'.repeat(64), header: { height: nextHeight, prevHash: '', proposer: 'Org1MSP', cycle: 0, timestamp: '2026-01-01T00:00:00.000Z', config: {} }, cycleStartsAt: '', cycleEndsAt: '', status: 'open' as const, txId: 't' };
  return {
    now: '2026-01-01T00:00:00.000Z',
    nextHeight,
    latestHash: '',
    phase: 'cycle',
    round: 0,
    opensAt: null,
    cycle: 0,
    cycleStartsAt: null,
    cycleEndsAt: null,
    expectedProposer: 'Org1MSP',
    proposal,
    outcome: null,
    votes: fx.orgs.slice(0, Math.max(0, votes)).map((o) => ({ proposalId: 'a'.repeat(64), mspId: o.mspId, approve: true, signature: '', certificate: '', reason: 'ok', timestamp: '2026-01-01T00:00:01.000Z' })),
  } as unknown as Round;
}

/** A peer answering GetRound from a script (one answer per read; the last repeats) and the evidence of the first `height` CBs. */
function scripted(answers: readonly (Round | Error)[]): { sources: EvidenceSources; height: { value: number } } {
  let read = 0;
  const height = { value: 2 };
  const sources = {
    managementChannel: 'mgmt',
    primaryChannel: 'primary',
    chaincode: 'mgmt',
    evaluate: (name: string): Promise<Uint8Array> => {
      if (name !== 'GetRound') return Promise.reject(new Error(`unexpected ${name}`));
      const answer = answers[Math.min(read++, answers.length - 1)];
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(Buffer.from(JSON.stringify(answer)));
    },
  } as unknown as EvidenceSources;
  return { sources, height };
}

function evidenceUpTo(height: number): AuditEvidence {
  return { ...fx.evidence, managementChain: fx.evidence.managementChain.slice(0, height), primaryChannel: { ...fx.evidence.primaryChannel, configBlocks: fx.evidence.primaryChannel.configBlocks.slice(0, height) } };
}

async function until(events: DashboardEvent[], done: (events: DashboardEvent[]) => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(events); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('openLiveSource', () => {
  it('pushes the round as it changes, and a new audited state once a CB is sealed', async () => {
    const answers = [roundAt(2, -1), roundAt(2, -1), roundAt(2, 0), roundAt(2, 1), roundAt(2, 2), roundAt(3, -1)];
    const { sources, height } = scripted(answers);
    const events: DashboardEvent[] = [];
    source = await openLiveSource({ sources, label: 'Org2MSP via test', pollMs: 5, auditEveryMs: 60_000, collect: () => Promise.resolve(evidenceUpTo(height.value)) });
    expect(source.state()).toMatchObject({ mode: 'live', version: 1, source: 'Org2MSP via test' });
    expect(source.state().chain).toHaveLength(2);
    source.subscribe((e) => events.push(e));
    // CB 2 is on the chain from now; the source reads it once GetRound says height 3 is next.
    height.value = 3;
    await until(events, (list) => list.some((e) => e.type === 'state'));
    const rounds = events.filter((e) => e.type === 'round').map((e) => (e.type === 'round' ? [e.live.round?.nextHeight, e.live.round?.votes.length, e.live.round?.proposal !== null] : []));
    // One push per change (the repeated first answer is not pushed again); the first may come before the subscription.
    expect(rounds.slice(-4)).toEqual([
      [2, 0, true],
      [2, 1, true],
      [2, 2, true],
      [3, 0, false],
    ]);
    expect(rounds.length === 4 || (rounds.length === 5 && JSON.stringify(rounds[0]) === JSON.stringify([2, 0, false]))).toBe(true);
    expect(events.find((e) => e.type === 'state')).toEqual({ type: 'state', version: 2 });
    expect(source.state().chain).toHaveLength(3);
    expect(Object.keys(source.live()?.observed.sealedAt ?? {})).toEqual(['2']);
    expect(source.live()?.observed.proposedAt).toHaveProperty('a'.repeat(64));
  });

  it('keeps the last round and says why when GetRound fails', async () => {
    const { sources } = scripted([roundAt(2, -1), new Error('peer unreachable')]);
    const events: DashboardEvent[] = [];
    source = await openLiveSource({ sources, label: 'x', pollMs: 5, collect: () => Promise.resolve(evidenceUpTo(2)) });
    source.subscribe((e) => events.push(e));
    await until(events, (list) => list.some((e) => e.type === 'round' && e.live.error !== undefined));
    const live = source.live();
    expect(live?.error).toBe('GetRound failed: peer unreachable');
    expect(live?.round?.nextHeight).toBe(2);
  });

  it("pushes each member's node health and chain activity as they change", async () => {
    let answer = { status: 200, body: '{"status":"OK"}' };
    const node = http.createServer((_req, res) => {
      res.writeHead(answer.status, { 'content-type': 'application/json' });
      res.end(answer.body);
    });
    await new Promise<void>((resolve) => node.listen(0, '127.0.0.1', resolve));
    try {
      const url = new URL(`http://127.0.0.1:${(node.address() as AddressInfo).port}/healthz`);
      const { sources } = scripted([roundAt(2, 2)]);
      const events: DashboardEvent[] = [];
      source = await openLiveSource({ sources, label: 'x', pollMs: 5, collect: () => Promise.resolve(evidenceUpTo(2)), health: { targets: [{ mspId: fx.orgs[0].mspId, url }], everyMs: 5 } });
      source.subscribe((e) => events.push(e));
      const members = (): DashboardEvent[] => events.filter((e) => e.type === 'members');
      const last = (): MembersStatus | undefined => {
        const e = members().at(-1);
        return e?.type === 'members' ? e.members : undefined;
      };
      await until(events, () => last()?.members[0].health.state === 'healthy' && last()?.members[1].activity.lastVote?.at !== undefined);
      const status = last() as MembersStatus;
      expect(status.latestCbHeight).toBe(1);
      expect(status.members.map((m) => [m.mspId, m.health.state])).toEqual(fx.orgs.map((o, i) => [o.mspId, i === 0 ? 'healthy' : 'not-configured']));
      // Org2 voted in the open round (scripted) and approved CB 1 (its proof holds orgs 0, 2, 3).
      // The proposers follow from the (random) test keys: Org2's newest sealed proposal, if any.
      const proposed = fx.chain.slice(0, 2).filter((b) => b.proposer === fx.orgs[1].mspId).at(-1);
      expect(status.members[1].activity).toEqual({
        lastVote: { height: 2, approve: true, at: '2026-01-01T00:00:01.000Z' },
        ...(proposed === undefined ? {} : { lastProposal: { height: proposed.height, hash: proposed.hash, at: proposed.timestamp, sealed: true } }),
        votedInLatestCb: false,
      });
      expect(status.members[3].activity).toMatchObject({ lastVote: { height: 1, approve: true }, votedInLatestCb: true });
      expect(source.members()).toEqual(status);

      answer = { status: 503, body: JSON.stringify({ status: 'Service Unavailable', failed_checks: [{ component: 'peer', reason: 'peer down' }] }) };
      await until(events, () => last()?.members[0].health.state === 'unhealthy');
      expect(last()?.members[0].health.failedChecks).toEqual([{ component: 'peer', reason: 'peer down' }]);
    } finally {
      await source?.close();
      source = undefined;
      node.closeAllConnections();
      await new Promise<void>((resolve) => node.close(() => { resolve(); }));
    }
  });
});
