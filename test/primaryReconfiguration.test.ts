/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Algorithm 2 on the Fabric `primary` channel, end to end on the network: each of the four members
 * runs its own observer, primary runtime and FabricPrimaryAdapter (with its own gateway, admin and
 * orderer). Configuration blocks are produced directly with the management chaincode; every
 * member's orchestrator verifies them, signs the same channel update as its admin, pools the
 * signature on the management chain, and whoever sees a majority first submits it, linked to the
 * block (Fig. 3). Everything asserted is read back from the channel, not from what was sent.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as grpc from '@grpc/grpc-js';
import type { Contract } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildConfigUpdateEnvelope, readConfigBlock } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import type { ConfigBlock, UpdateSignature } from 'mgmt-chaincode/dist/protocol';
import { broadcast, fetchBlock, lastConfigIndex } from '../orchestrator/src/channelConfig/ordererClient';
import { newGrpcConnection } from '../orchestrator/src/gateway';
import { Observer } from '../orchestrator/src/observer';
import type { Logger } from '../orchestrator/src/observer';
import { FabricPrimaryAdapter, managementLinkTxId, PrimaryNodeRuntime, readManagementLink } from '../orchestrator/src/primary';
import type { ManagementLink } from '../orchestrator/src/primary';
import type { AppliedConfiguration } from '../orchestrator/src/primary';
import { inForce as runtimeInForce, produceBlock, produceGenesis } from './support/cbRounds';
import { closeSessions, json, MemberSession, openSessions, sleep } from './support/mgmt';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

/**
 * Port grid base..base+6001. Not the 62050 first planned: Org4's peer would be at 68051, past
 * 65535. Below the ephemeral range (32768-60999), and x750 keeps clear of the other suites' grids.
 */
const BASE_PORT = 19750;
const TIMING = { cbiSeconds: 1, cycleTimeoutSeconds: 3 };
/** E2E_VERBOSE=1 shows every member's orchestrator log. */
const quiet: Logger = process.env.E2E_VERBOSE ? console : { info: () => undefined, warn: () => undefined, error: (m) => { console.error(m); } };

let net: TestNetwork;
let s: MemberSession[];
let root: string;
const nodes = new Map<string, MemberNode>();
const produced: ConfigBlock[] = [];

interface MemberNode {
  session: MemberSession;
  orderer: grpc.Client;
  adapter: FabricPrimaryAdapter;
  observer: Observer;
  runtime: PrimaryNodeRuntime;
  applied: AppliedConfiguration[];
  shared: number[];
}

/** One member's orchestrator: observer -> runtime -> Fabric adapter, state under root/<msp>. */
async function startNode(session: MemberSession, signing: 'sign' | 'refuse' = 'sign', options: { shareDelayMs?: number } = {}): Promise<MemberNode> {
  const { member } = session;
  const orderer = await newGrpcConnection(member.orderer);
  const adapter = new FabricPrimaryAdapter({
    channelId: 'primary',
    admin: SigningIdentity.fromMspDir(member.adminMspDir, member.mspId),
    orderer,
    management: { contract: options.shareDelayMs === undefined ? session.mgmt : slowSharing(session.mgmt, options.shareDelayMs), network: session.gateway.getNetwork('mgmt') },
    primary: session.gateway.getNetwork('primary'),
    signing,
    logger: quiet,
    name: member.mspId,
  });
  const shared: number[] = [];
  adapter.on('shared', (e) => shared.push(e.height));
  const holder: { runtime?: PrimaryNodeRuntime } = {};
  const observer = new Observer({
    network: session.gateway.getNetwork('mgmt'),
    stateDir: path.join(root, member.mspId),
    onConfigBlock: (v) => {
      holder.runtime?.receive(v.block, v.receipt);
    },
    logger: quiet,
    name: member.mspId,
  });
  await observer.start();
  await observer.waitForDelivered(0, 30_000);
  // Between these lines nothing awaits, so no block can slip between MC_i and the runtime.
  const runtime = new PrimaryNodeRuntime({ adapter, chain: observer.chain, hints: observer.entries.map((e) => e.receipt), logger: quiet, name: member.mspId, retry: { initialMs: 200, maxMs: 2_000 } });
  holder.runtime = runtime;
  const applied: AppliedConfiguration[] = [];
  runtime.on('applied', (a) => applied.push(a));
  runtime.start();
  const node = { session, orderer, adapter, observer, runtime, applied, shared };
  nodes.set(member.mspId, node);
  return node;
}

/**
 * The member's contract, answering ShareUpdateSignature only `delayMs` after it committed: a
 * loaded member whose signing round takes longer than the gap between two CBs.
 */
function slowSharing(contract: Contract, delayMs: number): Pick<Contract, 'submitTransaction' | 'evaluateTransaction'> {
  return {
    submitTransaction: async (name: string, ...args: string[]) => {
      const result = await contract.submitTransaction(name, ...args);
      if (name === 'ShareUpdateSignature') await sleep(delayMs);
      return result;
    },
    evaluateTransaction: (name: string, ...args: string[]) => contract.evaluateTransaction(name, ...args),
  };
}

async function stopNode(mspId: string): Promise<void> {
  const node = nodes.get(mspId);
  if (!node) return;
  nodes.delete(mspId);
  await node.runtime.stop();
  await node.observer.stop();
  node.orderer.close();
}

function node(mspId: string): MemberNode {
  const found = nodes.get(mspId);
  if (!found) throw new Error(`no node for ${mspId}`);
  return found;
}

/** Resolves when the runtime reports `height` (or later) in force on the channel. */
function inForce(n: MemberNode, height: number, timeoutMs = 30_000): Promise<void> {
  return runtimeInForce(n.runtime, height, timeoutMs, n.session.member.mspId);
}

async function allInForce(height: number): Promise<void> {
  await Promise.all([...nodes.values()].map((n) => inForce(n, height)));
}

async function produce(config: { batchTimeoutMs: number; maxMessageCount: number }): Promise<ConfigBlock> {
  const { block } = await produceBlock(s, config);
  produced.push(block);
  return block;
}

function assets(): Contract {
  return s[0].gateway.getNetwork('primary').getContract('assets');
}

async function signaturesFor(height: number): Promise<UpdateSignature[]> {
  return json<UpdateSignature[]>(s[0].mgmt.evaluateTransaction('GetUpdateSignatures', String(height)));
}

/** Every config block of the channel, oldest first, with its management link. */
async function linkedConfigBlocks(): Promise<{ number: number; link: ManagementLink | undefined }[]> {
  const n = node('Org1MSP');
  const admin = SigningIdentity.fromMspDir(n.session.member.adminMspDir, n.session.member.mspId);
  const found: { number: number; link: ManagementLink | undefined }[] = [];
  let index = lastConfigIndex(await fetchBlock(n.orderer, 'primary', admin, 'newest'));
  for (;;) {
    const block = await fetchBlock(n.orderer, 'primary', admin, index);
    const { lastUpdate } = readConfigBlock(block);
    found.unshift({ number: index, link: lastUpdate ? readManagementLink(lastUpdate) : undefined });
    if (index === 0) return found;
    index = lastConfigIndex(await fetchBlock(n.orderer, 'primary', admin, index - 1));
  }
}

beforeAll(async () => {
  net = await startNetwork({ basePort: BASE_PORT });
  await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  await net.deploy(path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'), 'primary', 'assets');
  s = await openSessions(net.connection);
  root = mkdtempSync(path.join(os.tmpdir(), 'primary-e2e-'));
  produced.push((await produceGenesis(s, net.connection, TIMING)).block);
  for (const session of s) await startNode(session);
  // Genesis is put in force too: a config block linked to CB 0.
  await allInForce(0);
});

afterAll(async () => {
  for (const mspId of [...nodes.keys()]) await stopNode(mspId);
  if (s) closeSessions(s);
  await net?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('reconfiguring the primary channel from the management chain', () => {
  it('links genesis: the first primary config block after start names CB 0', async () => {
    const channel = await node('Org1MSP').adapter.readChannel();
    expect(channel.link).toEqual({ height: 0, hash: produced[0].hash });
    expect(channel.batch).toMatchObject({ batchTimeoutMs: 100, batchSize: { maxMessageCount: 10 } });
  });

  it('applies three reconfigurations: read back from the channel config, linked to their CB, blocks cut under the new parameters', async () => {
    const configs = [
      { batchTimeoutMs: 1500, maxMessageCount: 3 },
      { batchTimeoutMs: 2500, maxMessageCount: 2 },
      { batchTimeoutMs: 1000, maxMessageCount: 4 },
    ];
    for (const config of configs) {
      const cb = await produce(config);
      await allInForce(cb.height);
      for (const n of nodes.values()) {
        const channel = await n.adapter.readChannel();
        expect(channel.batch).toMatchObject({ batchTimeoutMs: config.batchTimeoutMs, batchSize: { maxMessageCount: config.maxMessageCount } });
        expect(channel.link).toEqual({ height: cb.height, hash: cb.hash });
        expect(n.runtime.activeHeight).toBe(cb.height);
      }
      // Four members computed the same bytes at the same config sequence.
      const records = await signaturesFor(cb.height);
      expect(records.length).toBeGreaterThanOrEqual(3);
      expect(new Set(records.map((r) => `${r.configSequence}:${r.updateSha256}`)).size).toBe(1);

      // MaxMessageCount transactions at once fill a block long before the timeout...
      const started = Date.now();
      const submitted = await Promise.all(
        Array.from({ length: config.maxMessageCount }, (_, i) => assets().submitAsync('Put', { arguments: [`k-${cb.height}-${i}`, 'v'] })),
      );
      const statuses = await Promise.all(submitted.map((t) => t.getStatus()));
      expect(statuses.every((st) => st.successful)).toBe(true);
      expect(new Set(statuses.map((st) => st.blockNumber)).size).toBe(1);
      expect(Date.now() - started).toBeLessThan(config.batchTimeoutMs - 100);
      // ...and a lone one waits for the new BatchTimeout.
      const lone = Date.now();
      const status = await (await assets().submitAsync('Put', { arguments: [`lone-${cb.height}`, 'v'] })).getStatus();
      expect(Date.now() - lone).toBeGreaterThanOrEqual(config.batchTimeoutMs - 100);

      // That block is tagged with (produced under) the configuration in force, H_cc.
      const n = node('Org2MSP');
      const admin = SigningIdentity.fromMspDir(n.session.member.adminMspDir, n.session.member.mspId);
      const dataBlock = await fetchBlock(n.orderer, 'primary', admin, Number(status.blockNumber));
      const { lastUpdate } = readConfigBlock(await fetchBlock(n.orderer, 'primary', admin, lastConfigIndex(dataBlock)));
      const tag = lastUpdate ? readManagementLink(lastUpdate) : undefined;
      expect(tag?.height).toBe(cb.height);
      expect(n.runtime.checkBlock(cb.height)).toBe(true);
      expect(n.runtime.checkBlock(cb.height - 1)).toBe(false);
    }
  });

  it('a member that refuses to sign, or whose orchestrator is stopped, cannot stop the other three; two cannot act alone', async () => {
    await stopNode('Org4MSP');
    const refuser = await startNode(s[3], 'refuse');
    const cb = await produce({ batchTimeoutMs: 300, maxMessageCount: 5 });
    await allInForce(cb.height);
    const records = await signaturesFor(cb.height);
    expect(records.map((r) => r.mspId)).not.toContain('Org4MSP');
    expect(records.length).toBe(3);
    expect(refuser.shared).toEqual([]);
    expect(refuser.applied.at(-1)).toMatchObject({ height: cb.height, result: { outcome: 'applied', submitted: false } });
    expect((await refuser.adapter.readChannel()).link).toEqual({ height: cb.height, hash: cb.hash });

    // Org3's orchestrator is down and Org4 refuses: two admins are not a majority.
    await stopNode('Org3MSP');
    const blocked = await produce({ batchTimeoutMs: 400, maxMessageCount: 6 });
    await sleep(4_000);
    const stuck = await node('Org1MSP').adapter.readChannel();
    expect(stuck.link).toEqual({ height: cb.height, hash: cb.hash });
    expect((await signaturesFor(blocked.height)).map((r) => r.mspId).sort()).toEqual(['Org1MSP', 'Org2MSP']);
    // Org3 comes back, catches up from its checkpoint, signs: the update goes through.
    await startNode(s[2]);
    await allInForce(blocked.height);
    expect((await node('Org4MSP').adapter.readChannel()).batch).toMatchObject({ batchTimeoutMs: 400, batchSize: { maxMessageCount: 6 } });
  });

  it('applying the same CB twice changes nothing', async () => {
    const latest = produced.at(-1)!;
    const n = node('Org1MSP');
    const before = await n.adapter.readChannel();
    const signaturesBefore = (await signaturesFor(latest.height)).length;
    const again = await n.adapter.apply(latest, { signal: new AbortController().signal });
    expect(again).toEqual({ outcome: 'in-force', chainHeight: latest.height, submitted: false });
    const after = await n.adapter.readChannel();
    expect(after.sequence).toBe(before.sequence);
    expect((await signaturesFor(latest.height)).length).toBe(signaturesBefore);
  });

  it('an older CB never overrides a newer one, not even by replaying its majority-signed update', async () => {
    const latest = produced.at(-1)!;
    const older = produced.at(-2)!;
    const n = node('Org2MSP');
    const before = await n.adapter.readChannel();
    expect(await n.adapter.apply(older, { signal: new AbortController().signal })).toEqual({ outcome: 'superseded', chainHeight: latest.height, submitted: false });

    // The older CB's update, with the member signatures pooled for it, sent again.
    const records = (await signaturesFor(older.height)).filter((r, _, all) => r.configSequence === all[0].configSequence);
    const admin = SigningIdentity.fromMspDir(n.session.member.adminMspDir, n.session.member.mspId);
    const envelope = buildConfigUpdateEnvelope(
      'primary',
      Buffer.from(records[0].update, 'base64'),
      records.map((r) => common.ConfigSignature.deserializeBinary(Buffer.from(r.configSignature, 'base64'))),
      admin,
      { txId: managementLinkTxId({ height: older.height, hash: older.hash }) },
    );
    const outcome = await broadcast(n.orderer, envelope);
    expect(outcome.statusName).toBe('BAD_REQUEST');
    expect(outcome.info).toMatch(/version/);
    const after = await n.adapter.readChannel();
    expect(after.sequence).toBe(before.sequence);
    expect(after.link).toEqual({ height: latest.height, hash: latest.hash });

    // Exactly once in effect: one config block per CB, in CB order (block 0 is the channel's genesis).
    const links = await linkedConfigBlocks();
    expect(links[0].link).toBeUndefined();
    expect(links.slice(1).map((l) => l.link)).toEqual(produced.map((cb) => ({ height: cb.height, hash: cb.hash })));
  });

  it('CBs arriving faster than updates are signed: CBs keep going into force while they come, skips are reported, the newest ends in force', async () => {
    for (const mspId of [...nodes.keys()]) await stopNode(mspId);
    const skipped: number[] = [];
    for (const session of s) {
      const n = await startNode(session, 'sign', { shareDelayMs: 2_500 });
      n.runtime.on('skipped', (k) => skipped.push(...k.heights));
    }
    const before = produced.at(-1)?.height ?? 0;
    await allInForce(before);
    // Each CB comes about 1.5 s after the last; each member's signing round takes 2.5 s.
    const burst: ConfigBlock[] = [];
    for (let i = 0; i < 6; i++) burst.push(await produce({ batchTimeoutMs: 400 + i * 10, maxMessageCount: 30 + i }));
    const last = burst[burst.length - 1].height;
    const linkedDuringBurst = (await linkedConfigBlocks()).flatMap((b) => (b.link !== undefined && b.link.height > before && b.link.height < last ? [b.link.height] : []));
    expect(linkedDuringBurst.length).toBeGreaterThan(0);
    await allInForce(last);
    const links = (await linkedConfigBlocks()).flatMap((b) => (b.link === undefined ? [] : [b.link.height]));
    expect(links.at(-1)).toBe(last);
    // Whatever never had a config block of its own was reported as skipped by some member.
    const neverInForce = burst.map((b) => b.height).filter((h) => !links.includes(h));
    expect(neverInForce.filter((h) => !skipped.includes(h))).toEqual([]);
  }, 120_000);
});
