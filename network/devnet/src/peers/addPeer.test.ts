/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `POST /peers` on an in-process devnet of two orgs: its refusals, a peer for Org5 (not yet in
 * any channel) that serves the devnet's channels over TLS as peer0.org5.example.com, and the
 * same peer started again when the devnet restarts on its data folder.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';
import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { common } from '@hyperledger/fabric-protos';
import { generateOrgCrypto, loadOrgCrypto } from 'fabric-config/msp';
import type { OrgCrypto, UserCrypto } from 'fabric-config/msp';
import type { MemberConnection } from 'fabric-config/connection';
import { AdminApiError, adminRequest } from '../admin/client';
import type { AdminEndpoint } from '../admin/client';
import { Devnet } from '../devnet';
import { adminPort } from '../topology';
import { PEERS_FILE, readAddedPeers } from './registry';

// Ends in 75: no end-to-end grid (bases ending in 50) nor benchmark grid (25) reaches these ports.
const BASE_PORT = 22075;
const ORG5_PORT = 22077;
const TAKEN_PORT = 22078;
const ORG5 = { mspId: 'Org5MSP', domain: 'org5.example.com' };

let dataDir: string;
let org5Dir: string;
let org5: OrgCrypto;
let devnet: Devnet | undefined;
let admin: AdminEndpoint;

async function startDevnet(): Promise<Devnet> {
  devnet = await Devnet.start({ dataDir, basePort: BASE_PORT, topology: { orgs: 2, ordererOrg: false } });
  return devnet;
}

function addPeer(body: unknown): Promise<{ member: MemberConnection }> {
  return adminRequest<{ member: MemberConnection }>(admin, 'POST', '/peers', body);
}

/** The API's refusal of a request: its status and error text. */
async function refusal(body: unknown): Promise<{ status?: number; message: string }> {
  try {
    await addPeer(body);
  } catch (err) {
    if (err instanceof AdminApiError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('the request was accepted');
}

/** qscc GetChainInfo of `primary` through a peer, as a client of `user`'s organisation. */
async function chainHeight(peer: MemberConnection['peer'], mspId: string, user: UserCrypto): Promise<number> {
  const client = new grpc.Client(peer.endpoint, grpc.credentials.createSsl(readFileSync(peer.tlsCaCertPath)), { 'grpc.ssl_target_name_override': peer.hostAlias });
  const gateway = connect({
    client,
    identity: { mspId, credentials: Buffer.from(user.certPem) },
    signer: signers.newPrivateKeySigner(createPrivateKey(user.privateKeyPem)),
  });
  try {
    const info = await gateway.getNetwork('primary').getContract('qscc').evaluateTransaction('GetChainInfo', 'primary');
    return common.BlockchainInfo.deserializeBinary(info).getHeight();
  } finally {
    gateway.close();
    client.close();
  }
}

async function orgOneUser(): Promise<UserCrypto> {
  return (await loadOrgCrypto(dataDir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' })).user;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'devnet-addpeer-'));
  org5Dir = mkdtempSync(path.join(os.tmpdir(), 'devnet-addpeer-org5-'));
  org5 = await generateOrgCrypto(org5Dir, { ...ORG5, peerName: 'peer0', ordererName: 'orderer0' });
  // As `mgmt org new` writes it beside the material.
  writeFileSync(
    path.join(org5Dir, 'Org5MSP.json'),
    JSON.stringify({ format: 'mgmt-org-v1', member: { mspId: 'Org5MSP', caCertificate: org5.caCertPem }, organization: { mspId: 'Org5MSP', rootCerts: [org5.caCertPem], tlsRootCerts: [org5.tlsCaCertPem], groups: ['application'] } }),
  );
  await startDevnet();
  admin = { url: `http://127.0.0.1:${adminPort(BASE_PORT)}`, tokenPath: devnet?.adminTokenPath };
});

afterAll(async () => {
  await devnet?.stop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(org5Dir, { recursive: true, force: true });
});

describe('POST /peers', () => {
  it('refuses malformed requests, naming each bad field', async () => {
    const bad = await refusal({ folder: 'relative/dir', mspId: 'Org 5', domain: 'org5..com', port: 80, extra: 1 });
    expect(bad.status).toBe(400);
    expect(bad.message).toMatch(/unknown field\(s\) extra/);
    expect(bad.message).toMatch(/absolute path/);
    expect(bad.message).toMatch(/mspId must be/);
    expect(bad.message).toMatch(/domain must be a DNS name/);
    expect(bad.message).toMatch(/port must be an integer from 1024 to 65535/);
  });

  it('refuses a missing folder, a folder without the domain, and material of another MSP', async () => {
    const missing = await refusal({ folder: path.join(org5Dir, 'nope'), ...ORG5, port: ORG5_PORT });
    expect(missing).toMatchObject({ status: 400, message: expect.stringMatching(/does not exist: give the folder passed to `mgmt org new --out`/) });
    const noDomain = await refusal({ folder: org5Dir, mspId: 'Org5MSP', domain: 'org6.example.com', port: ORG5_PORT });
    expect(noDomain).toMatchObject({ status: 400, message: expect.stringMatching(/holds no material for org6\.example\.com.*it has org5\.example\.com/) });
    const otherMsp = await refusal({ folder: org5Dir, mspId: 'Org6MSP', domain: 'org5.example.com', port: ORG5_PORT });
    expect(otherMsp).toMatchObject({ status: 400, message: expect.stringMatching(/is Org5MSP's .*ask for mspId Org5MSP/) });
    // (Material a channel knows under another MSP ID is refused too: test/devnetAddPeer.test.ts, once Org5 is in `primary`.)
  });

  it("refuses a port of the devnet's grid, a port in use, and a member's own MSP ID", async () => {
    expect(await refusal({ folder: org5Dir, ...ORG5, port: BASE_PORT + 1 })).toMatchObject({ status: 400, message: expect.stringMatching(/one of the devnet's own/) });
    const holder = net.createServer();
    await new Promise<void>((resolve) => holder.listen(TAKEN_PORT, '127.0.0.1', resolve));
    try {
      expect(await refusal({ folder: org5Dir, ...ORG5, port: TAKEN_PORT })).toMatchObject({ status: 400, message: expect.stringMatching(/port 22078 on 127\.0\.0\.1 is in use/) });
    } finally {
      await new Promise<void>((resolve) => holder.close(() => { resolve(); }));
    }
    expect(await refusal({ folder: dataDir, mspId: 'Org1MSP', domain: 'org1.example.com', port: ORG5_PORT })).toMatchObject({
      status: 400,
      message: expect.stringMatching(/clashes with the devnet's own organisation Org1MSP/),
    });
  });

  it('starts Org5\'s peer: it serves the channels, and refuses Org5\'s own clients until Org5 is in the channel', async () => {
    const connectionBefore = readFileSync(path.join(dataDir, 'connection.json'), 'utf8');
    const { member } = await addPeer({ folder: org5Dir, ...ORG5, port: ORG5_PORT });
    expect(member).toEqual({
      mspId: 'Org5MSP',
      domain: 'org5.example.com',
      peer: { endpoint: `127.0.0.1:${ORG5_PORT}`, hostAlias: 'peer0.org5.example.com', tlsCaCertPath: org5.peer.tlsCaPath },
      orderer: expect.objectContaining({ endpoint: `127.0.0.1:${BASE_PORT}`, hostAlias: 'orderer0.org1.example.com' }),
      caCertPath: path.join(org5.mspDir, 'cacerts', 'ca.org5.example.com-cert.pem'),
      adminMspDir: org5.admin.mspDir,
      userMspDir: org5.user.mspDir,
    });
    // Org1's client through Org5's peer (TLS verified against Org5's TLS CA as peer0.org5.example.com).
    expect(await chainHeight(member.peer, 'Org1MSP', await orgOneUser())).toBeGreaterThan(0);
    // Org5 is in no channel yet: its identities are unknown to the channel's MSPs.
    const refused = await chainHeight(member.peer, 'Org5MSP', org5.user).then(() => undefined, (err: unknown) => err as Error & { details?: unknown });
    expect(refused?.message).toMatch(/error validating proposal: access denied: channel \[primary\] creator org unknown, creator is malformed$/);
    expect(refused?.details).toEqual([expect.objectContaining({ address: `peer0.org5.example.com:${ORG5_PORT}`, mspId: 'Org5MSP' })]);

    expect(readFileSync(path.join(dataDir, 'connection.json'), 'utf8')).toBe(connectionBefore);
    const recorded = JSON.parse(readFileSync(path.join(dataDir, PEERS_FILE), 'utf8')) as { peers: unknown[] };
    expect(recorded.peers).toEqual([{ folder: org5Dir, ...ORG5, port: ORG5_PORT }]);
    const status = await adminRequest<{ addedPeers: unknown[] }>(admin, 'GET', '/status');
    expect(status.addedPeers).toEqual([{ ...ORG5, endpoint: `127.0.0.1:${ORG5_PORT}`, folder: org5Dir }]);
  });

  it('refuses a second peer for the same MSP ID', async () => {
    expect(await refusal({ folder: org5Dir, ...ORG5, port: ORG5_PORT + 10 })).toMatchObject({ status: 400, message: expect.stringMatching(/Org5MSP \(org5\.example\.com\) has a peer already, at 127\.0\.0\.1:22077/) });
  });

  it('starts the added peer again when the devnet restarts on its data folder', async () => {
    await devnet?.stop();
    devnet = undefined;
    await startDevnet();
    const status = await adminRequest<{ addedPeers: unknown[] }>(admin, 'GET', '/status');
    expect(status.addedPeers).toEqual([{ ...ORG5, endpoint: `127.0.0.1:${ORG5_PORT}`, folder: org5Dir }]);
    const peer = { endpoint: `127.0.0.1:${ORG5_PORT}`, hostAlias: 'peer0.org5.example.com', tlsCaCertPath: org5.peer.tlsCaPath };
    expect(await chainHeight(peer, 'Org1MSP', await orgOneUser())).toBeGreaterThan(0);
  });

  it('does not start when a recorded peer cannot start, and says how to recover', async () => {
    await devnet?.stop();
    devnet = undefined;
    const moved = `${org5Dir}-moved`;
    renameSync(org5Dir, moved);
    try {
      await expect(startDevnet()).rejects.toThrow(/the peer of Org5MSP recorded in .*peers\.json cannot start: folder .* does not exist.*remove its entry from peers\.json/);
    } finally {
      renameSync(moved, org5Dir);
    }
    await startDevnet();
  });
});

describe('peers.json', () => {
  it('refuses a file it did not write, naming it and the way out', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'devnet-peersfile-'));
    try {
      expect(readAddedPeers(dir)).toEqual([]);
      writeFileSync(path.join(dir, PEERS_FILE), JSON.stringify({ format: 'devnet-peers-v1', peers: [{ folder: '/x', mspId: 'Org5MSP', domain: 'org5.example.com', port: 1 }] }));
      expect(() => readAddedPeers(dir)).toThrow(/peers\.json is malformed \(entry 0: .*port must be an integer.*remove it to start without the added peers/);
      writeFileSync(path.join(dir, PEERS_FILE), '{');
      expect(() => readAddedPeers(dir)).toThrow(/peers\.json is malformed/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
