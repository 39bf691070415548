/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt connect` against a devnet dressed as fabric-samples' test-network: an `organizations/`
 * folder made of the devnet's cryptogen material plus connection-orgN.json/.yaml profiles written
 * the way test-network's ccp-generate.sh writes them (peer at grpcs://localhost:<port>, inline TLS
 * CA PEM, ssl-target-name-override). The file it writes must say what the devnet's own connection
 * file says, and a member's own file must work for that member and hold no other member's key.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Wallets } from 'fabric-network';
import type { X509Identity } from 'fabric-network';
import { stringify as toYaml } from 'yaml';
import { runCli } from '../orchestrator/src/cli/program';
import { readConnectionFile } from '../orchestrator/src/gateway';
import type { ConnectionFile, MemberConnection } from '../orchestrator/src/gateway';
import { startNetwork as startBackend } from '../network/backends/src';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const BASE_PORT = 21250;

let dir: string;

async function mgmt(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** A peer's profile as ccp-generate.sh writes it from ccp-template.json. */
function profileOf(net: TestNetwork, member: MemberConnection, index: number, mspId = member.mspId): object {
  const org = `Org${index + 1}`;
  const port = member.peer.endpoint.slice(member.peer.endpoint.lastIndexOf(':') + 1);
  const orgDir = path.join(net.dataDir, 'organizations', 'peerOrganizations', member.domain);
  return {
    name: `test-network-org${index + 1}`,
    version: '1.0.0',
    client: { organization: org, connection: { timeout: { peer: { endorser: '300' } } } },
    organizations: { [org]: { mspid: mspId, peers: [member.peer.hostAlias], certificateAuthorities: [`ca.${member.domain}`] } },
    peers: {
      [member.peer.hostAlias]: {
        url: `grpcs://localhost:${port}`,
        tlsCACerts: { pem: readFileSync(path.join(orgDir, 'tlsca', `tlsca.${member.domain}-cert.pem`), 'utf8') },
        grpcOptions: { 'ssl-target-name-override': member.peer.hostAlias, hostnameOverride: member.peer.hostAlias },
      },
    },
    certificateAuthorities: {
      [`ca.${member.domain}`]: { url: 'https://localhost:7054', caName: `ca-org${index + 1}`, tlsCACerts: { pem: [readFileSync(path.join(orgDir, 'ca', `ca.${member.domain}-cert.pem`), 'utf8')] }, httpOptions: { verify: false } },
    },
  };
}

/**
 * A test-network-shaped `organizations/` folder: each org folder holds links to the devnet's
 * material and its own profile (JSON for odd orgs, YAML for even ones, as test-network writes both).
 */
function organizationsFolder(net: TestNetwork, name: string, mspIdOf: (m: MemberConnection) => string = (m) => m.mspId): string {
  const root = path.join(dir, name, 'organizations');
  const orderers = path.join(net.dataDir, 'organizations', 'ordererOrganizations');
  if (existsSync(orderers)) {
    mkdirSync(root, { recursive: true });
    symlinkSync(orderers, path.join(root, 'ordererOrganizations'));
  }
  for (const [i, member] of net.connection.members.entries()) {
    const source = path.join(net.dataDir, 'organizations', 'peerOrganizations', member.domain);
    const target = path.join(root, 'peerOrganizations', member.domain);
    mkdirSync(target, { recursive: true });
    for (const entry of readdirSync(source)) symlinkSync(path.join(source, entry), path.join(target, entry));
    const profile = profileOf(net, member, i, mspIdOf(member));
    if (i % 2 === 0) writeFileSync(path.join(target, `connection-org${i + 1}.json`), JSON.stringify(profile, null, 4));
    else writeFileSync(path.join(target, `connection-org${i + 1}.yaml`), toYaml(profile));
  }
  return root;
}

/** host:port with localhost read as the loopback address the devnet listens on. */
function loopback(endpoint: string): string {
  return endpoint.replace(/^localhost:/, '127.0.0.1:');
}

/** Every string value of a JSON document. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === 'object' && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

/** What a connection file says, with the files it names read and the data folder's path made the same. */
function substance(file: ConnectionFile, organizations: string, net: TestNetwork): unknown {
  const real = (p: string): string => path.resolve(p.replace(organizations, path.join(net.dataDir, 'organizations')));
  const endpoint = (e: ConnectionFile['members'][number]['orderer']): unknown => ({ endpoint: loopback(e.endpoint), hostAlias: e.hostAlias, tlsCa: readFileSync(e.tlsCaCertPath, 'utf8') });
  return {
    channels: file.channels,
    members: file.members.map((m) => ({ mspId: m.mspId, domain: m.domain, peer: endpoint(m.peer), orderer: endpoint(m.orderer), ca: readFileSync(m.caCertPath, 'utf8'), admin: real(m.adminMspDir), user: real(m.userMspDir) })),
    signers: (file.signers ?? []).map((s) => ({ mspId: s.mspId, domain: s.domain, orderer: endpoint(s.orderer), ca: readFileSync(s.caCertPath, 'utf8'), admin: real(s.adminMspDir) })),
  };
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'connect-e2e-'));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the default topology (four members, each with its own orderer)', () => {
  let net: TestNetwork;

  beforeAll(async () => {
    net = await startNetwork({ basePort: BASE_PORT });
    await net.deploy(path.join(REPO_ROOT, 'chaincode'), 'mgmt', 'mgmt');
  });

  afterAll(async () => {
    await net?.stop();
  });

  describe('mgmt connect --test-network', () => {
    let organizations: string;
    let written: ConnectionFile;
    let summary: { channels: unknown; consensusType: string; members: { mspId: string }[]; batch: { maxMessageCount: number }; passed: string[] };

    beforeAll(async () => {
      organizations = organizationsFolder(net, 'tn');
      const out = path.join(dir, 'all.json');
      const result = await mgmt('connect', '--test-network', organizations, '--out', out, '--json');
      expect(result.err).not.toMatch(/✖/);
      expect(result.code).toBe(0);
      summary = JSON.parse(result.out) as typeof summary;
      written = readConnectionFile(out);
    });

    it('writes what the devnet itself says: channels, MSP IDs, domains, endpoints and host aliases', () => {
      expect(substance(written, organizations, net)).toEqual(substance(net.connection, organizations, net));
      expect(written.signers).toBeUndefined();
    });

    it('says what it found and that every peer and orderer answered', () => {
      expect(summary.channels).toEqual({ management: 'mgmt', primary: 'primary' });
      expect(summary.consensusType).toBe(net.backend === 'devnet' ? 'devnet' : 'etcdraft');
      expect(summary.members.map((m) => m.mspId)).toEqual(net.connection.members.map((m) => m.mspId));
      expect(summary.batch.maxMessageCount).toBeGreaterThan(0);
      // One peer and one orderer line per member.
      expect(summary.passed).toHaveLength(2 * net.connection.members.length);
    });

    it('refuses to overwrite the file without --force', async () => {
      const result = await mgmt('connect', '--test-network', organizations, '--out', path.join(dir, 'all.json'), '--no-check');
      expect(result.code).toBe(2);
      expect(result.err).toContain('--force');
    });

    describe('--member Org2MSP', () => {
      let own: ConnectionFile;
      let ownFile: string;

      beforeAll(async () => {
        ownFile = path.join(dir, 'org2.json');
        const result = await mgmt('--member', 'Org2MSP', 'connect', '--test-network', organizations, '--out', ownFile);
        expect(result.err).not.toMatch(/✖/);
        expect(result.code).toBe(0);
        own = readConnectionFile(ownFile);
      });

      it("names Org2's own MSP folders and no other member's keystore", () => {
        const org2 = own.members.find((m) => m.mspId === 'Org2MSP') as MemberConnection;
        expect(existsSync(path.join(org2.userMspDir, 'keystore'))).toBe(true);
        const others = own.members.filter((m) => m.mspId !== 'Org2MSP');
        expect(others).toHaveLength(net.connection.members.length - 1);
        for (const m of others) {
          for (const msp of [m.adminMspDir, m.userMspDir]) {
            expect(existsSync(path.join(msp, 'keystore'))).toBe(false);
            expect(readdirSync(path.join(msp, 'signcerts')).length).toBeGreaterThan(0);
          }
        }
        const otherOrgDirs = others.map((m) => path.join(organizations, 'peerOrganizations', m.domain, 'users'));
        expect(strings(own).filter((p) => otherOrgDirs.some((d) => p.startsWith(d)) || p.includes('keystore'))).toEqual([]);
      });

      it('works for Org2MSP (mgmt round after genesis) and cannot act as another member', async () => {
        const init = await mgmt('--connection', path.join(dir, 'all.json'), '--member', 'Org1MSP', 'init', '--cbi', '60', '--cycle-timeout', '30');
        expect(init.err).not.toMatch(/✖/);
        expect(init.code).toBe(0);
        const round = await mgmt('--connection', ownFile, '--member', 'Org2MSP', 'round', '--json');
        expect(round.err).toBe('');
        expect(round.code).toBe(0);
        expect(JSON.parse(round.out)).toMatchObject({ phase: 'genesis', nextHeight: 0, proposal: { header: { proposer: 'Org1MSP' } } });
        const asOrg1 = await mgmt('--connection', ownFile, '--member', 'Org1MSP', 'round');
        expect(asOrg1.code).not.toBe(0);
        expect(asOrg1.err).toMatch(/keystore/);
      });
    });
  });

  describe('mgmt connect: what it says when the input is wrong', () => {
    it('names the MSP IDs the channel knows when a profile gives a wrong one', async () => {
      const organizations = organizationsFolder(net, 'wrong-msp', (m) => (m.mspId === 'Org3MSP' ? 'Org3' : m.mspId));
      const result = await mgmt('connect', '--test-network', organizations, '--out', path.join(dir, 'wrong.json'));
      expect(result.code).toBe(2);
      expect(result.err).toContain('Org3 (from');
      expect(result.err).toContain(`the channel knows ${net.connection.members.map((m) => m.mspId).join(', ')}`);
      expect(existsSync(path.join(dir, 'wrong.json'))).toBe(false);
    });

    it('names the host names in the certificate when the host alias is wrong, and writes nothing', async () => {
      const organizations = organizationsFolder(net, 'wrong-alias');
      const out = path.join(dir, 'alias.json');
      const result = await mgmt('connect', '--test-network', organizations, '--out', out, '--peer-host-alias', 'Org1MSP=peer9.org1.example.com');
      expect(result.code).toBe(1);
      expect(result.err).toMatch(/Org1MSP's peer .* issued for peer0\.org1\.example\.com, .*not peer9\.org1\.example\.com; set --peer-host-alias Org1MSP=<host>/);
      expect(existsSync(out)).toBe(false);
    });
  });
});

describe("test-network's topology (Org1, Org2 and the ordering organisation OrdererMSP)", () => {
  let net: TestNetwork;
  let organizations: string;

  beforeAll(async () => {
    // The devnet's test-network shape; the port grid is free again once the suite above stopped its network.
    net = await startBackend({ backend: 'devnet', basePort: BASE_PORT, orgs: 2, ordererOrg: true });
    organizations = organizationsFolder(net, 'tn-orderer-org');
  });

  afterAll(async () => {
    await net?.stop();
  });

  it('writes OrdererMSP as a signer with its admin, and the members with the shared orderer', async () => {
    const out = path.join(dir, 'tn-orderer-org.json');
    const result = await mgmt('connect', '--test-network', organizations, '--out', out);
    expect(result.err).not.toMatch(/✖/);
    expect(result.code).toBe(0);
    expect(result.out).toMatch(/^signer OrdererMSP: orderer localhost:\d+ \(orderer\.example\.com\)/m);
    expect(result.out).toMatch(/^ok: OrdererMSP's orderer /m);
    const written = readConnectionFile(out);
    expect(net.connection.signers?.map((s) => s.mspId)).toEqual(['OrdererMSP']);
    expect(substance(written, organizations, net)).toEqual(substance(net.connection, organizations, net));
  });

  it("gives a member's own file the signer's public certificates only", async () => {
    const out = path.join(dir, 'tn-orderer-org-org1.json');
    const result = await mgmt('--member', 'Org1MSP', 'connect', '--test-network', organizations, '--out', out);
    expect(result.code).toBe(0);
    const signer = readConnectionFile(out).signers?.[0];
    expect(signer?.mspId).toBe('OrdererMSP');
    expect(existsSync(path.join(signer?.adminMspDir ?? '', 'signcerts'))).toBe(true);
    expect(existsSync(path.join(signer?.adminMspDir ?? '', 'keystore'))).toBe(false);
  });
  it("takes a member's client identity from a fabric-network wallet and checks with it", async () => {
    const org2 = net.connection.members[1];
    const walletDir = path.join(dir, 'wallet');
    const wallet = await Wallets.newFileSystemWallet(walletDir);
    const signcerts = path.join(org2.userMspDir, 'signcerts');
    const identity: X509Identity = {
      type: 'X.509',
      mspId: org2.mspId,
      credentials: { certificate: readFileSync(path.join(signcerts, readdirSync(signcerts)[0]), 'utf8'), privateKey: readFileSync(path.join(org2.userMspDir, 'keystore', 'priv_sk'), 'utf8') },
    };
    await wallet.put('appUser', identity);
    const out = path.join(dir, 'wallet-org2.json');
    const result = await mgmt('--member', org2.mspId, 'connect', '--test-network', organizations, '--wallet', walletDir, '--identity', 'appUser', '--out', out, '--json');
    expect(result.err).not.toMatch(/✖/);
    expect(result.code).toBe(0);
    const user = readConnectionFile(out).members[1].userMspDir;
    expect(user).toBe(path.join(`${out}.files`, 'wallet', 'appUser', 'msp'));
    expect((JSON.parse(result.out) as { passed: string[] }).passed).toContain(`${org2.mspId}'s orderer ${readConnectionFile(out).members[1].orderer.endpoint}: serves primary's config (sequence 0)`);
  });
});
