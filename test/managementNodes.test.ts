/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Four management nodes (Algorithm 1) with rules twins on the devnet, one per member, each with
 * its own gateway and identity, watching a small workload on `primary`: blocks with no human
 * input, a proposer that goes away, a Byzantine member, and a peer that goes away.
 *
 * Port grid: base 19950 (orderers 19950 20950 21950 22950, peers 19951 21951 23951 25951, admin
 * 19959), below the ephemeral range and clear of the other test files' grids.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as path from 'node:path';
import type { ConfigBlock, GenesisParams } from 'mgmt-chaincode/dist/protocol';
import { expectedProposer, signVote, verifyChain } from 'mgmt-chaincode/dist/protocol';
import { sealGenesis, Workload } from '../orchestrator/src/consortium';
import type { NodeEvent } from '../orchestrator/src/managementNode';
import { FabricMgmtLedger, genesisInput, ManagementNode, membersFromConnection, voteSignerFromKey } from '../orchestrator/src/managementNode';
import type { VoteSigner } from '../orchestrator/src/managementNode';
import { boundsFromSchema, PrimaryMetricsCollector, readSchemaFile, RulesTwin } from '../orchestrator/src/twins';
import type { DigitalTwin } from '../orchestrator/src/twins';
import { closeSessions, MemberSession, openSessions } from './support/mgmt';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const CBI_SECONDS = 2;
const CYCLE_SECONDS = 3;

let net: TestNetwork;
let sessions: MemberSession[] = [];
let params: GenesisParams;
let workload: Workload | undefined;
const collectors = new Map<string, PrimaryMetricsCollector>();
const nodes = new Map<string, ManagementNode>();
const events: NodeEvent[] = [];
const listeners = new Set<(e: NodeEvent) => void>();

type Committed = Extract<NodeEvent, { type: 'committed' }>;

function session(mspId: string): MemberSession {
  const found = sessions.find((s) => s.member.mspId === mspId);
  if (!found) throw new Error(`no session for ${mspId}`);
  return found;
}

function ledgerOf(mspId: string): FabricMgmtLedger {
  return new FabricMgmtLedger({ network: session(mspId).gateway.getNetwork('mgmt') });
}

async function startNode(mspId: string, twin?: DigitalTwin, signer?: VoteSigner): Promise<ManagementNode> {
  const collector = collectors.get(mspId);
  const node = new ManagementNode({
    mspId,
    ledger: ledgerOf(mspId),
    twin: twin ?? new RulesTwin({ bounds: boundsFromSchema(params.configSchema) }),
    signVote: signer ?? voteSignerFromKey(session(mspId).privateKeyPem),
    metrics: collector ? () => collector.snapshot() : undefined,
    retry: { initialMs: 250, maxMs: 2000 },
  });
  node.on('event', (e) => {
    events.push(e);
    for (const l of listeners) l(e);
  });
  nodes.set(mspId, node);
  await node.start();
  return node;
}

async function stopNode(mspId: string): Promise<void> {
  const node = nodes.get(mspId);
  nodes.delete(mspId);
  await node?.stop();
}

/** Waits for a node event matching `predicate` (already seen or future). */
function waitFor<T extends NodeEvent>(predicate: (e: NodeEvent) => e is T, timeoutMs: number, what: string): Promise<T>;
function waitFor(predicate: (e: NodeEvent) => boolean, timeoutMs: number, what: string): Promise<NodeEvent>;
function waitFor(predicate: (e: NodeEvent) => boolean, timeoutMs: number, what: string): Promise<NodeEvent> {
  const seen = events.find(predicate);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      listeners.delete(listener);
      reject(new Error(`no ${what} within ${timeoutMs} ms; last events:\n${events.slice(-15).map((e) => JSON.stringify({ ...e, block: undefined })).join('\n')}`));
    }, timeoutMs);
    const listener = (e: NodeEvent): void => {
      if (!predicate(e)) return;
      clearTimeout(timer);
      listeners.delete(listener);
      resolve(e);
    };
    listeners.add(listener);
  });
}

const committedAt = (height: number) => (e: NodeEvent): e is Committed => e.type === 'committed' && e.block.height === height;

function latestHeight(): number {
  return Math.max(0, ...events.filter((e): e is Committed => e.type === 'committed').map((e) => e.block.height));
}

/**
 * Runs `act` synchronously as soon as some node sees block `height` committed: the next round
 * opens CBI after that block's timestamp, so whatever must happen before it happens here.
 */
function onCommitted(height: number, act: (block: ConfigBlock) => void): Promise<ConfigBlock> {
  return new Promise((resolve) => {
    const listener = (e: NodeEvent): void => {
      if (e.type !== 'committed' || e.block.height !== height) return;
      listeners.delete(listener);
      act(e.block);
      resolve(e.block);
    };
    listeners.add(listener);
  });
}

beforeAll(async () => {
  net = await startNetwork({ basePort: 19950 });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  await net.deploy(path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'), 'primary', 'assets');
  sessions = await openSessions(net.connection);
  const input = genesisInput(membersFromConnection(net.connection), {
    cbiSeconds: CBI_SECONDS,
    cycleTimeoutSeconds: CYCLE_SECONDS,
    clockToleranceSeconds: 30,
    configSchema: readSchemaFile(),
    config: { batchTimeoutMs: 100, maxMessageCount: 10 },
  });
  const genesis = await sealGenesis(
    sessions.map((s) => ({ mspId: s.member.mspId, ledger: ledgerOf(s.member.mspId), signVote: voteSignerFromKey(s.privateKeyPem) })),
    input,
  );
  expect(genesis).toMatchObject({ created: true, block: { height: 0 } });
  params = input.params;
  for (const s of sessions) {
    const collector = new PrimaryMetricsCollector({ network: s.gateway.getNetwork('primary'), maxMessageCount: 10, startBlock: 0n, retryMs: 250 });
    collector.start();
    collectors.set(s.member.mspId, collector);
  }
  workload = new Workload({ contracts: sessions.map((s) => s.gateway.getNetwork('primary').getContract('assets')), tps: 5 });
  workload.start();
  for (const s of sessions) await startNode(s.member.mspId);
});

afterAll(async () => {
  await Promise.all([...nodes.keys()].map((m) => stopNode(m)));
  await workload?.stop();
  await Promise.all([...collectors.values()].map((c) => c.stop()));
  closeSessions(sessions);
  await net?.stop();
});

describe('management nodes on the devnet', () => {
  it('produce five consecutive configuration blocks with no human input', async () => {
    const fifth = await waitFor(committedAt(5), 40_000, 'CB #5');
    expect(fifth.block.height).toBe(5);
    // Each Fabric peer commits on its own: another org's peer may still be a block behind.
    let chain = await ledgerOf('Org2MSP').getBlocks(0, 5);
    for (let i = 0; i < 100 && chain.length < 6; i++) {
      await new Promise((r) => setTimeout(r, 100));
      chain = await ledgerOf('Org2MSP').getBlocks(0, 5);
    }
    expect(chain.map((b) => b.height)).toEqual([0, 1, 2, 3, 4, 5]);
    // Hash links, proposer rotation, proofs and schedule, checked offline.
    expect(verifyChain(chain).latest.hash).toBe(fifth.block.hash);
    for (const b of chain.slice(1)) expect(b.proof.length).toBeGreaterThanOrEqual(3);
    const delays = [1, 2, 3, 4, 5].map((h) => events.find((e): e is Committed => committedAt(h)(e) && e.agreementDelayMs !== undefined)?.agreementDelayMs);
    for (const d of delays) expect(d).toBeGreaterThan(0);
    // Every member's own vote reasons come from its rules twin.
    expect(events.some((e) => e.type === 'voted' && e.approve)).toBe(true);
    expect(events.some((e) => e.type === 'refused')).toBe(false);
  });

  it("takes over when the proposer's management node is stopped: the next cycle's proposer (FC = 1) proposes and the CB lands", async () => {
    const h = latestHeight() + 1;
    let absent = '';
    let stopped: Promise<void> = Promise.resolve();
    const sealed = await onCommitted(h, (block) => {
      absent = expectedProposer(params.members, block.hash, 0);
      stopped = stopNode(absent);
    });
    await stopped;
    const next = await waitFor(committedAt(h + 1), 20_000, `CB #${h + 1}`);
    expect(next.block).toMatchObject({ height: h + 1, cycle: 1, proposer: expectedProposer(params.members, sealed.hash, 1) });
    expect(next.block.proof.map((p) => p.mspId)).not.toContain(absent);
    expect(events).toContainEqual(expect.objectContaining({ type: 'cycleFailed', height: h + 1, cycle: 0, reason: 'no proposal' }));
    // Restarted, it resumes in the right round and takes part again.
    await startNode(absent);
    const later = await waitFor((e): e is Committed => e.type === 'committed' && e.block.height > h + 1 && e.block.proof.some((p) => p.mspId === absent), 20_000, `a CB approved by ${absent}`);
    expect(later.block.height).toBeGreaterThan(h + 1);
  });

  it('refuses a Byzantine member (out-of-bounds proposal, forged vote signature) and the others carry on', async () => {
    const h = latestHeight() + 1;
    let byzantine = '';
    let swapped: Promise<unknown> = Promise.resolve();
    await onCommitted(h, (block) => {
      byzantine = expectedProposer(params.members, block.hash, 0);
      const other = sessions.find((s) => s.member.mspId !== byzantine) as MemberSession;
      const evilTwin: DigitalTwin = {
        name: 'byzantine',
        decide: () => Promise.resolve({ batchTimeoutMs: 1, maxMessageCount: 5000 }),
        validate: () => Promise.resolve({ approve: true, reason: 'anything goes' }),
      };
      // Signed with another member's key: the signature does not match the caller's certificate.
      const forged: VoteSigner = (hash, approve) => signVote({ hash, approve, privateKeyPem: other.privateKeyPem });
      swapped = stopNode(byzantine).then(() => startNode(byzantine, evilTwin, forged));
    });
    await swapped;
    await waitFor((e) => e.type === 'refused' && e.mspId === byzantine && e.action === 'propose' && e.code === 'MGMT_INVALID_CONFIG', 15_000, 'the out-of-bounds proposal refused');
    const next = await waitFor(committedAt(h + 1), 20_000, `CB #${h + 1}`);
    expect(next.block.cycle).toBe(1);
    expect(next.block.proposer).not.toBe(byzantine);
    expect(next.block.proof.map((p) => p.mspId)).not.toContain(byzantine);
    await waitFor((e) => e.type === 'refused' && e.mspId === byzantine && e.action === 'vote' && e.code === 'MGMT_BAD_SIGNATURE', 5_000, 'the forged vote refused');
    // The three honest members keep sealing blocks with the Byzantine one still running.
    const after = await waitFor(committedAt(h + 2), 25_000, `CB #${h + 2}`);
    expect(after.block.proof.map((p) => p.mspId)).not.toContain(byzantine);
    await stopNode(byzantine);
    await startNode(byzantine);
  });

  it('survive the peer going away: they back off, reconnect and the next CB lands', async () => {
    const before = latestHeight();
    const crashedAt = Date.now();
    await net.crash();
    await waitFor((e) => e.type === 'disconnected' && e.atMs >= crashedAt, 10_000, 'a disconnection');
    await net.restart();
    await waitFor((e) => e.type === 'reconnected' && e.atMs >= crashedAt, 20_000, 'a reconnection');
    const next = await waitFor((e): e is Committed => e.type === 'committed' && e.block.height > before && !e.late, 40_000, 'a CB after the restart');
    expect(next.block.height).toBeGreaterThan(before);
    expect([...nodes.values()].every((n) => n.status().running)).toBe(true);
  });
});
