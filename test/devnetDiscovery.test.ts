/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The devnet's discovery service (discovery.Discovery/Discover) with real clients: Fabric's own
 * `discover` CLI (FABRIC_BIN; its cases skip with a message when it is not set) and the legacy
 * `fabric-network` SDK with discovery on, its default, which plans endorsements from the answers
 * and submits a transaction that must commit under the chaincode's endorsement policy.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { Gateway as NetworkGateway, X509Identity } from 'fabric-network';
import type { MemberConnection } from 'fabric-config/connection';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
const FABRIC_BIN = process.env.FABRIC_BIN;
const run = promisify(execFile);

let net: TestNetwork;
let scratch: string;
const gateways: NetworkGateway[] = [];

function member(i: number): MemberConnection {
  return net.connection.members[i];
}

function onlyFile(dir: string): string {
  const files = readdirSync(dir);
  if (files.length !== 1) throw new Error(`expected one file in ${dir}, found ${files.length}`);
  return path.join(dir, files[0]);
}

/** The flags `discover` needs to talk to `m`'s peer as `m`'s user. */
function discoverFlags(m: MemberConnection): string[] {
  return [
    `--peerTLSCA=${m.peer.tlsCaCertPath}`,
    `--userKey=${onlyFile(path.join(m.userMspDir, 'keystore'))}`,
    `--userCert=${onlyFile(path.join(m.userMspDir, 'signcerts'))}`,
    `--MSP=${m.mspId}`,
  ];
}

/** Runs Fabric's `discover`; resolves with stdout and the exit code (it prints errors on stdout). */
async function discover(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(path.join(FABRIC_BIN as string, 'discover'), args, { timeout: 30_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'devnet-discovery-'));
  net = await startNetwork({ basePort: 21850, batchTimeout: '250ms' });
  await net.deploy(CHAINCODE, 'primary', 'assets');
});

afterAll(async () => {
  gateways.splice(0).forEach((g) => { g.disconnect(); });
  await net?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

const withFabric = FABRIC_BIN ? describe : describe.skip;
if (!FABRIC_BIN) {
  console.warn("devnetDiscovery: FABRIC_BIN is not set, so the cases with Fabric's `discover` CLI are skipped (set FABRIC_BIN=/path/to/fabric/bin to run them)");
}

withFabric("Fabric's discover CLI", () => {
  interface CliPeer { MSPID: string; LedgerHeight: number; Endpoint: string; Identity: string; Chaincodes: string[] | null }

  it('lists the channel peers from a saved config file', async () => {
    const configFile = path.join(scratch, 'discover.yaml');
    const saved = await discover([`--configFile=${configFile}`, ...discoverFlags(member(0)), 'saveConfig']);
    expect(saved).toMatchObject({ code: 0 });
    const result = await discover([`--configFile=${configFile}`, 'peers', '--channel=primary', `--server=${member(0).peer.endpoint}`]);
    expect(result).toMatchObject({ code: 0 });
    const peers = (JSON.parse(result.stdout) as CliPeer[]).sort((a, b) => a.MSPID.localeCompare(b.MSPID));
    expect(peers.map((p) => p.MSPID)).toEqual(net.connection.members.map((m) => m.mspId).sort());
    for (const p of peers) {
      const m = net.connection.members.find((x) => x.mspId === p.MSPID) as MemberConnection;
      // The endpoint gossip would advertise: the peer's host name and port.
      expect(p.Endpoint).toBe(`${m.peer.hostAlias}:${m.peer.endpoint.split(':')[1]}`);
      expect(p.LedgerHeight).toBeGreaterThan(0);
      expect(p.Chaincodes).toEqual(['assets']);
      expect(p.Identity).toContain('-----BEGIN CERTIFICATE-----');
    }
  });

  it("lists the local peers for an admin of the peer's org only", async () => {
    const m = member(0);
    const adminFlags = discoverFlags({ ...m, userMspDir: m.adminMspDir });
    const asAdmin = await discover([...adminFlags, 'peers', `--server=${m.peer.endpoint}`]);
    expect(asAdmin).toMatchObject({ code: 0 });
    const peers = JSON.parse(asAdmin.stdout) as { MSPID: string; Endpoint: string }[];
    expect(peers.map((p) => p.MSPID).sort()).toEqual(net.connection.members.map((x) => x.mspId).sort());
    const asUser = await discover([...discoverFlags(m), 'peers', `--server=${m.peer.endpoint}`]);
    expect(asUser.code).not.toBe(0);
    expect(asUser.stdout + asUser.stderr).toContain('access denied');
  });

  it('reads the channel config: MSPs with their certificates and the orderer endpoints', async () => {
    const result = await discover([...discoverFlags(member(1)), 'config', '--channel=primary', `--server=${member(1).peer.endpoint}`]);
    expect(result).toMatchObject({ code: 0 });
    const config = JSON.parse(result.stdout) as { msps: Record<string, { name: string; root_certs: string[]; tls_root_certs: string[] }>; orderers: Record<string, { endpoint: { host: string; port: number }[] }> };
    expect(Object.keys(config.msps).sort()).toEqual(net.connection.members.map((m) => m.mspId).sort());
    const org2 = config.msps[member(1).mspId];
    expect(Buffer.from(org2.root_certs[0], 'base64').toString()).toBe(readFileSync(member(1).caCertPath, 'utf8'));
    expect(org2.tls_root_certs).toHaveLength(1);
    const orderer = member(1).orderer;
    expect(config.orderers[member(1).mspId].endpoint).toEqual([{ host: orderer.hostAlias, port: Number(orderer.endpoint.split(':')[1]) }]);
  });

  it('plans endorsers of assets by the MAJORITY Endorsement policy', async () => {
    const result = await discover([...discoverFlags(member(0)), 'endorsers', '--channel=primary', '--chaincode=assets', `--server=${member(0).peer.endpoint}`]);
    expect(result).toMatchObject({ code: 0 });
    const [descriptor] = JSON.parse(result.stdout) as { Chaincode: string; EndorsersByGroups: Record<string, CliPeer[]>; Layouts: { quantities_by_group: Record<string, number> }[] }[];
    expect(descriptor.Chaincode).toBe('assets');
    const mspOf = new Map(Object.entries(descriptor.EndorsersByGroups).map(([group, peers]) => [group, peers[0].MSPID]));
    const layouts = descriptor.Layouts.map((l) => Object.entries(l.quantities_by_group).map(([g, n]) => `${mspOf.get(g) ?? g}:${n}`).sort().join(' ')).sort();
    // MAJORITY of 4 orgs is 3: every combination of three orgs, one peer each.
    expect(layouts).toEqual(['Org1MSP:1 Org2MSP:1 Org3MSP:1', 'Org1MSP:1 Org2MSP:1 Org4MSP:1', 'Org1MSP:1 Org3MSP:1 Org4MSP:1', 'Org2MSP:1 Org3MSP:1 Org4MSP:1']);
  });

  it('reports an unknown chaincode and an unknown channel as Fabric does', async () => {
    const unknownChaincode = await discover([...discoverFlags(member(0)), 'endorsers', '--channel=primary', '--chaincode=nope', `--server=${member(0).peer.endpoint}`]);
    expect(unknownChaincode.code).not.toBe(0);
    expect(unknownChaincode.stdout + unknownChaincode.stderr).toContain('failed constructing descriptor for chaincodes:{name:"nope"}');
    const unknownChannel = await discover([...discoverFlags(member(0)), 'peers', '--channel=nochannel', `--server=${member(0).peer.endpoint}`]);
    expect(unknownChannel.code).not.toBe(0);
    expect(unknownChannel.stdout + unknownChannel.stderr).toContain('access denied');
  });
});

describe('fabric-network with discovery on', () => {
  it('submits a transaction on assets endorsed by the peers discovery planned, and evaluates it back', async () => {
    const { Gateway, Wallets } = await import('fabric-network');
    const m = member(0);
    const peerName = m.peer.hostAlias;
    const profile = {
      name: 'devnet',
      version: '1.0.0',
      client: { organization: 'Org1' },
      organizations: { Org1: { mspid: m.mspId, peers: [peerName] } },
      peers: {
        [peerName]: {
          url: `grpcs://localhost:${m.peer.endpoint.split(':')[1]}`,
          tlsCACerts: { pem: readFileSync(m.peer.tlsCaCertPath, 'utf8') },
          grpcOptions: { 'ssl-target-name-override': peerName, hostnameOverride: peerName },
        },
      },
    };
    const profilePath = path.join(scratch, 'connection-org1.json');
    writeFileSync(profilePath, JSON.stringify(profile));
    const wallet = await Wallets.newInMemoryWallet();
    const identity: X509Identity = {
      type: 'X.509',
      mspId: m.mspId,
      credentials: {
        certificate: readFileSync(onlyFile(path.join(m.userMspDir, 'signcerts')), 'utf8'),
        privateKey: readFileSync(onlyFile(path.join(m.userMspDir, 'keystore')), 'utf8'),
      },
    };
    await wallet.put('user', identity);
    const gateway = new Gateway();
    gateways.push(gateway);
    await gateway.connect(JSON.parse(readFileSync(profilePath, 'utf8')) as Record<string, unknown>, {
      wallet,
      identity: 'user',
      discovery: { enabled: true, asLocalhost: true },
    });
    const network = await gateway.getNetwork('primary');
    const contract = network.getContract('assets');
    const started = Date.now();
    await contract.submitTransaction('Put', 'discovery-key', 'found');
    const submitMs = Date.now() - started;
    expect((await contract.evaluateTransaction('Get', 'discovery-key')).toString()).toBe('found');
    // The plan came from discovery: the channel knows every org's peer, not only the profile's one.
    const endorsers = network.getChannel().getEndorsers().map((e) => e.mspid).sort();
    expect(endorsers).toEqual(net.connection.members.map((x) => x.mspId).sort());
    console.log(`fabric-network with discovery: submitTransaction (discovery, endorsement by 3 orgs, commit) took ${submitMs} ms`);
  });
});
