/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A newly admitted organisation's peer on the devnet (issue 18, item 4): Org5's material made as
 * `mgmt org new` makes it, Org5 added to `primary` by a config update signed by a majority of
 * admins, then `POST /peers` starts Org5's peer. Org5's own client, connected to Org5's new peer,
 * submits on `assets` and the peer endorses; Org1's gateway can ask it to endorse too; refusals
 * name the problem; a restart of the devnet keeps the peer. Prints the time from `POST /peers`
 * to the first transaction endorsed by the new peer.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type * as grpc from '@grpc/grpc-js';
import type { Gateway, Transaction } from '@hyperledger/fabric-gateway';
import { common, gateway as gatewayProto, msp, peer } from '@hyperledger/fabric-protos';
import { mkdtempSync, rmSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildConfigUpdateEnvelope, CHANNEL_MODEL_VERSION, channelModelUpdate, readConfigBlock, signConfigUpdate } from 'fabric-config/configtx';
import { generateOrgCrypto, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { AdminApiError, adminEndpointFrom, adminRequest } from 'fabric-devnet';
import type { AdminEndpoint, MemberConnection } from 'fabric-devnet';
import { broadcast, fetchConfigBlock } from '../orchestrator/src/channelConfig/ordererClient';
import { connectGateway, newGrpcConnection } from '../orchestrator/src/gateway';
import { backend, REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const BASE_PORT = 21550;
const ORG5_PORT = 29551;
const TAKEN_PORT = 29552;
const ORG5 = { mspId: 'Org5MSP', domain: 'org5.example.com' };
// The devnet's admin API adds peers; native Fabric's new member runs its own peer binary.
const devnetOnly = backend() === 'devnet' ? it : it.skip;

let netw: TestNetwork;
let admin: AdminEndpoint;
let ordererClient: grpc.Client;
let admins: SigningIdentity[];
let root: string;
let org5: OrgCrypto;
let org5Member: MemberConnection | undefined;
const closers: (() => void)[] = [];

async function primaryConfig(): Promise<common.Config> {
  return readConfigBlock(await fetchConfigBlock(ordererClient, 'primary', admins[0])).config;
}

/** Org5 in `primary`'s Application group, by an update Org1..Org3's admins (a majority of four) sign. */
async function admitOrg5(): Promise<void> {
  const current = await primaryConfig();
  const update = channelModelUpdate('primary', current, {
    version: CHANNEL_MODEL_VERSION,
    organizations: { Org5MSP: { mspId: 'Org5MSP', rootCerts: [org5.caCertPem], tlsRootCerts: [org5.tlsCaCertPem], groups: ['application'] } },
  });
  const bytes = update.serializeBinary();
  const signing = admins.slice(0, 3);
  const envelope = buildConfigUpdateEnvelope('primary', bytes, signing.map((a) => signConfigUpdate(bytes, a)), signing[0]);
  expect(await broadcast(ordererClient, envelope)).toMatchObject({ statusName: 'SUCCESS' });
  // SUCCESS is "accepted for ordering": the update is in force once its config block is.
  for (let i = 0; i < 300 && (await primaryConfig()).getSequence() <= current.getSequence(); i++) await new Promise((r) => setTimeout(r, 100));
  expect((await primaryConfig()).getSequence()).toBeGreaterThan(current.getSequence());
}

/** The status and error text of a refused `POST /peers`. */
async function refusal(body: unknown): Promise<{ status?: number; message: string }> {
  try {
    await adminRequest(admin, 'POST', '/peers', body);
  } catch (err) {
    if (err instanceof AdminApiError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('the request was accepted');
}

/** A gateway for `member`'s user through `member.peer`, closed in afterAll. */
async function gatewayOf(member: MemberConnection): Promise<Gateway> {
  const client = await newGrpcConnection(member.peer);
  const gw = await connectGateway(client, member);
  closers.push(() => { gw.close(); client.close(); });
  return gw;
}

/** MSP IDs and certificates of a prepared transaction's endorsers. */
function endorsersOf(tx: Transaction): { mspId: string; certificate: string }[] {
  const prepared = gatewayProto.PreparedTransaction.deserializeBinary(tx.getBytes());
  const payload = common.Payload.deserializeBinary(prepared.getEnvelope()?.getPayload_asU8() ?? new Uint8Array());
  const action = peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()[0];
  const cap = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8());
  return (cap.getAction()?.getEndorsementsList() ?? []).map((e) => {
    const id = msp.SerializedIdentity.deserializeBinary(e.getEndorser_asU8());
    return { mspId: id.getMspid(), certificate: Buffer.from(id.getIdBytes_asU8()).toString('utf8') };
  });
}

beforeAll(async () => {
  netw = await startNetwork({ basePort: BASE_PORT });
  await netw.deploy(path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode'), 'primary', 'assets');
  const endpoint = adminEndpointFrom(netw.connection, netw.dataDir);
  if (endpoint) admin = endpoint;
  admins = netw.connection.members.map((m) => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId));
  ordererClient = await newGrpcConnection(netw.connection.members[0].orderer);
  root = mkdtempSync(path.join(os.tmpdir(), 'devnet-addpeer-e2e-'));
  // As `mgmt org new Org5MSP --domain org5.example.com --out <dir>` makes it (cryptogen's layout).
  org5 = await generateOrgCrypto(path.join(root, 'org5'), { ...ORG5, peerName: 'peer0', ordererName: 'orderer0' });
  // Another CA claiming to be Org5MSP, for the refusals.
  await generateOrgCrypto(path.join(root, 'impostor'), { mspId: 'Org5MSP', domain: 'org5b.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  await admitOrg5();
});

afterAll(async () => {
  for (const close of closers) close();
  ordererClient?.close();
  await netw?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('devnet: a peer for a newly admitted organisation', () => {
  devnetOnly('refuses a bad folder, material that is not Org5MSP\'s, and a port in use', async () => {
    const folder = path.join(root, 'org5');
    expect(await refusal({ folder: path.join(root, 'missing'), ...ORG5, port: ORG5_PORT })).toMatchObject({ status: 400, message: expect.stringMatching(/does not exist/) });
    // `primary` now defines Org5MSP with Org5's CA: another CA under that name, or Org5's CA under another name, would not validate.
    expect(await refusal({ folder: path.join(root, 'impostor'), mspId: 'Org5MSP', domain: 'org5b.example.com', port: ORG5_PORT })).toMatchObject({
      status: 400,
      message: expect.stringMatching(/channel primary defines Org5MSP with another CA/),
    });
    expect(await refusal({ folder, mspId: 'Org7MSP', domain: 'org5.example.com', port: ORG5_PORT })).toMatchObject({
      status: 400,
      message: expect.stringMatching(/channel primary knows the CA .* as Org5MSP's, not Org7MSP's/),
    });
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(TAKEN_PORT, '127.0.0.1', resolve));
    try {
      expect(await refusal({ folder, ...ORG5, port: TAKEN_PORT })).toMatchObject({ status: 400, message: expect.stringMatching(/port 29552 on 127\.0\.0\.1 is in use/) });
    } finally {
      await new Promise<void>((resolve) => holder.close(() => { resolve(); }));
    }
  });

  devnetOnly("Org5's client submits through Org5's new peer, which endorses", async () => {
    const started = performance.now();
    const { member } = await adminRequest<{ member: MemberConnection }>(admin, 'POST', '/peers', { folder: path.join(root, 'org5'), ...ORG5, port: ORG5_PORT });
    const answered = performance.now();
    org5Member = member;
    expect(member.peer).toEqual({ endpoint: `127.0.0.1:${ORG5_PORT}`, hostAlias: 'peer0.org5.example.com', tlsCaCertPath: org5.peer.tlsCaPath });
    expect(member.userMspDir).toBe(org5.user.mspDir);

    const contract = (await gatewayOf(member)).getNetwork('primary').getContract('assets');
    const tx = await contract.newProposal('Put', { arguments: ['org5-key', 'from Org5'] }).endorse();
    const endorsed = performance.now();
    const endorsers = endorsersOf(tx);
    // Org5's peer answers first (the local peer), with its own peer certificate.
    expect(endorsers[0]).toEqual({ mspId: 'Org5MSP', certificate: org5.peer.signCertPem });
    const status = await (await tx.submit()).getStatus();
    expect(status.successful).toBe(true);
    const committed = performance.now();
    process.stdout.write(
      `devnet add-peer: POST /peers answered in ${(answered - started).toFixed(0)} ms; first transaction endorsed by Org5's new peer ${(endorsed - started).toFixed(0)} ms after the request, committed (VALID) at ${(committed - started).toFixed(0)} ms\n`,
    );
    expect(await contract.evaluateTransaction('Get', 'org5-key')).toEqual(Buffer.from('from Org5'));
  });

  devnetOnly("Org5's new peer delivers `primary`'s blocks to Org5's client", async () => {
    if (!org5Member) throw new Error('the earlier test did not add the peer');
    const events = await (await gatewayOf(org5Member)).getNetwork('primary').getBlockEvents({ startBlock: BigInt(0) });
    try {
      const first = await events[Symbol.asyncIterator]().next();
      if (first.done === true) throw new Error('the block stream ended');
      const block: common.Block = first.value;
      expect(block.getHeader()?.getNumber()).toBe(0);
    } finally {
      events.close();
    }
  });

  devnetOnly('refuses a second peer for Org5MSP', async () => {
    expect(await refusal({ folder: path.join(root, 'org5'), ...ORG5, port: ORG5_PORT + 2 })).toMatchObject({
      status: 400,
      message: expect.stringMatching(/Org5MSP \(org5\.example\.com\) has a peer already, at 127\.0\.0\.1:29551/),
    });
  });

  devnetOnly("Org1's gateway asks Org5's peer to endorse when the client names Org5", async () => {
    const org1 = netw.connection.members[0];
    const contract = (await gatewayOf(org1)).getNetwork('primary').getContract('assets');
    const tx = await contract.newProposal('Put', { arguments: ['org1-key', 'endorsed by Org5'], endorsingOrganizations: ['Org5MSP', 'Org2MSP', 'Org3MSP'] }).endorse();
    expect(endorsersOf(tx).map((e) => e.mspId).sort()).toEqual(['Org2MSP', 'Org3MSP', 'Org5MSP']);
    expect((await (await tx.submit()).getStatus()).successful).toBe(true);
  });

  devnetOnly('a restart of the devnet keeps the peer', async () => {
    if (!org5Member) throw new Error('the earlier test did not add the peer');
    for (const close of closers.splice(0)) close();
    await netw.stop({ keepData: true });
    await netw.restart();
    const status = await adminRequest<{ addedPeers: { mspId: string; endpoint: string }[] }>(admin, 'GET', '/status');
    expect(status.addedPeers).toEqual([expect.objectContaining({ mspId: 'Org5MSP', endpoint: `127.0.0.1:${ORG5_PORT}` })]);
    // The devnet's own connection file still lists the four members it was made with.
    expect(netw.connection.members.map((m) => m.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);

    const contract = (await gatewayOf(org5Member)).getNetwork('primary').getContract('assets');
    const tx = await contract.newProposal('Put', { arguments: ['org5-after-restart', 'ok'] }).endorse();
    expect(endorsersOf(tx)[0]?.mspId).toBe('Org5MSP');
    expect((await (await tx.submit()).getStatus()).successful).toBe(true);
  });
});
