/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Majority-signed channel configuration updates of `primary`, built with the configtx module,
 * submitted to the orderer's Broadcast and read back through its Deliver, as `peer channel
 * fetch config` / `configtxlator compute_update` / `peer channel update` would.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { Gateway } from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import * as path from 'node:path';
import { buildConfigUpdateEnvelope, computeUpdate, readBatchParams, readConfigBlock, signConfigUpdate, withBatchParams } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import { broadcast, fetchConfigBlock } from '../orchestrator/src/channelConfig/ordererClient';
import { connectGateway, newGrpcConnection } from '../orchestrator/src/gateway';
import { managementLinkTxId, readManagementLink } from '../orchestrator/src/primary/managementLink';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
let net: TestNetwork;
let ordererClient: grpc.Client;
let peerClient: grpc.Client;
let gateway: Gateway;
let admins: SigningIdentity[];
let users: SigningIdentity[];

beforeAll(async () => {
  net = await startNetwork({ basePort: 20350 });
  await net.deploy(CHAINCODE, 'primary', 'assets');
  const members = net.connection.members;
  admins = members.map((m) => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId));
  users = members.map((m) => SigningIdentity.fromMspDir(m.userMspDir, m.mspId));
  ordererClient = await newGrpcConnection(members[0].orderer);
  peerClient = await newGrpcConnection(members[0].peer);
  gateway = await connectGateway(peerClient, members[0]);
});

afterAll(async () => {
  gateway?.close();
  peerClient?.close();
  ordererClient?.close();
  await net?.stop();
});

async function currentConfig(): Promise<{ block: common.Block; config: common.Config }> {
  const block = await fetchConfigBlock(ordererClient, 'primary', admins[0]);
  return { block, config: readConfigBlock(block).config };
}

/** Broadcast SUCCESS means accepted for ordering (Fabric); the config is in force once its block is. */
async function waitForSequence(sequence: number): Promise<{ block: common.Block; config: common.Config }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const current = await currentConfig();
    if (current.config.getSequence() >= sequence) return current;
    if (Date.now() > deadline) throw new Error(`config sequence ${sequence} not in force after 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function signedUpdate(config: common.Config, change: Parameters<typeof withBatchParams>[1], signers: SigningIdentity[], link?: { height: number; hash: string }): common.Envelope {
  const update = computeUpdate('primary', config, withBatchParams(config, change)).serializeBinary();
  const signatures = signers.map((s) => signConfigUpdate(update, s));
  return buildConfigUpdateEnvelope('primary', update, signatures, signers[0], { txId: link === undefined ? undefined : managementLinkTxId(link) });
}

describe('channel configuration updates on the devnet', () => {
  it('changes BatchTimeout and MaxMessageCount with 3 of 4 admin signatures; the next blocks are cut by the new values', async () => {
    const { config } = await currentConfig();
    const before = readBatchParams(config);
    const link = { height: 3, hash: 'c0'.repeat(32) };
    const outcome = await broadcast(ordererClient, signedUpdate(config, { batchTimeout: '1500ms', maxMessageCount: 3 }, admins.slice(0, 3), link));
    expect(outcome).toMatchObject({ statusName: 'SUCCESS' });

    const after = await waitForSequence(config.getSequence() + 1);
    expect(readBatchParams(after.config)).toMatchObject({ batchTimeout: '1500ms', batchSize: { maxMessageCount: 3 } });
    expect(after.config.getSequence()).toBe(config.getSequence() + 1);
    expect(before.batchTimeout).not.toBe('1500ms');
    const lastUpdate = readConfigBlock(after.block).lastUpdate;
    expect(lastUpdate && readManagementLink(lastUpdate)).toEqual(link);
    // The config block stands alone in its block.
    expect(after.block.getData()?.getDataList().length).toBe(1);

    const contract = gateway.getNetwork('primary').getContract('assets');
    // Three at once fill a block (MaxMessageCount 3) long before the 1.5 s timeout.
    const started = Date.now();
    const submitted = await Promise.all(['a', 'b', 'c'].map((k) => contract.submitAsync('Put', { arguments: [`cut-${k}`, k] })));
    const statuses = await Promise.all(submitted.map((s) => s.getStatus()));
    expect(new Set(statuses.map((s) => s.blockNumber)).size).toBe(1);
    expect(Date.now() - started).toBeLessThan(1400);
    // A lone transaction waits for the BatchTimeout.
    const lone = Date.now();
    await contract.submitTransaction('Put', 'cut-lone', 'x');
    expect(Date.now() - lone).toBeGreaterThanOrEqual(1400);
  });

  it('refuses an update signed by 2 of 4 admins, leaving the configuration unchanged', async () => {
    const { config } = await currentConfig();
    const outcome = await broadcast(ordererClient, signedUpdate(config, { batchTimeout: '200ms' }, admins.slice(0, 2)));
    expect(outcome.statusName).not.toBe('SUCCESS');
    expect(outcome.info).toMatch(/policy/i);
    expect((await currentConfig()).config.getSequence()).toBe(config.getSequence());
  });

  it('does not count a non-admin signature', async () => {
    const { config } = await currentConfig();
    const outcome = await broadcast(ordererClient, signedUpdate(config, { batchTimeout: '200ms' }, [admins[0], admins[1], users[2]]));
    expect(outcome.statusName).not.toBe('SUCCESS');
    expect((await currentConfig()).config.getSequence()).toBe(config.getSequence());
  });

  it('refuses a stale update built against an older configuration', async () => {
    const { config } = await currentConfig();
    const first = signedUpdate(config, { batchTimeout: '300ms' }, admins.slice(0, 3));
    const stale = signedUpdate(config, { batchTimeout: '400ms' }, admins.slice(1, 4));
    expect((await broadcast(ordererClient, first)).statusName).toBe('SUCCESS');
    await waitForSequence(config.getSequence() + 1);
    const outcome = await broadcast(ordererClient, stale);
    expect(outcome.statusName).toBe('BAD_REQUEST');
    expect(outcome.info).toMatch(/version|read set|stale|sequence/i);
    expect(readBatchParams((await currentConfig()).config).batchTimeout).toBe('300ms');
  });

  it('refuses a malformed envelope and a BatchSize of 0, and keeps serving', async () => {
    const garbage = new common.Envelope();
    garbage.setPayload(new Uint8Array([1, 2, 3]));
    expect((await broadcast(ordererClient, garbage)).statusName).toBe('BAD_REQUEST');
    const { config } = await currentConfig();
    expect(() => withBatchParams(config, { maxMessageCount: 0 })).toThrow(/BatchSize/);
    const contract = gateway.getNetwork('primary').getContract('assets');
    await contract.submitTransaction('Put', 'after-refusals', 'ok');
  });
});
