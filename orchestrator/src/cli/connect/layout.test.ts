/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateOrgCrypto } from 'fabric-config/msp';
import { readLayout } from './layout';

const dir = mkdtempSync(path.join(os.tmpdir(), 'connect-layout-'));
const orgs = path.join(dir, 'organizations');

beforeAll(async () => {
  await generateOrgCrypto(dir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  await generateOrgCrypto(dir, { mspId: 'Org2MSP', domain: 'org2.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  // A Fabric CA enrolment keeps the CA under msp/cacerts/ only (test-network with -ca).
  rmSync(path.join(orgs, 'peerOrganizations', 'org2.example.com', 'ca'), { recursive: true });
  writeFileSync(path.join(orgs, 'peerOrganizations', 'org1.example.com', 'connection-org1.json'), '{}');
  // An orderer organisation as cryptogen writes it: its own folder under ordererOrganizations/.
  const orderer = await generateOrgCrypto(path.join(dir, 'ord'), { mspId: 'OrdererMSP', domain: 'example.com', peerName: 'peer0', ordererName: 'orderer' });
  mkdirSync(path.join(orgs, 'ordererOrganizations'), { recursive: true });
  renameSync(orderer.orgDir, path.join(orgs, 'ordererOrganizations', 'example.com'));
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('reading a cryptogen layout', () => {
  it('finds each organisation, its CA, TLS CA, users, nodes and profiles', () => {
    const layout = readLayout(orgs, '--test-network');
    expect(layout.root).toBe(orgs);
    const org1 = path.join(orgs, 'peerOrganizations', 'org1.example.com');
    expect(layout.orgs.map((o) => [o.kind, o.domain])).toEqual([['peer', 'org1.example.com'], ['peer', 'org2.example.com'], ['orderer', 'example.com']]);
    expect(layout.orgs[0]).toEqual({
      domain: 'org1.example.com',
      kind: 'peer',
      orgDir: org1,
      caCertPath: path.join(org1, 'ca', 'ca.org1.example.com-cert.pem'),
      tlsCaCertPath: path.join(org1, 'tlsca', 'tlsca.org1.example.com-cert.pem'),
      adminMspDir: path.join(org1, 'users', 'Admin@org1.example.com', 'msp'),
      userMspDir: path.join(org1, 'users', 'User1@org1.example.com', 'msp'),
      peers: [{ host: 'peer0.org1.example.com', tlsCaCertPath: path.join(org1, 'peers', 'peer0.org1.example.com', 'tls', 'ca.crt') }],
      orderers: [{ host: 'orderer0.org1.example.com', tlsCaCertPath: path.join(org1, 'orderers', 'orderer0.org1.example.com', 'tls', 'ca.crt') }],
      profiles: [path.join(org1, 'connection-org1.json')],
    });
    expect(layout.orgs[1].caCertPath).toBe(path.join(orgs, 'peerOrganizations', 'org2.example.com', 'msp', 'cacerts', 'ca.org2.example.com-cert.pem'));
    expect(layout.orgs[2].orderers.map((o) => o.host)).toEqual(['orderer.example.com']);
  });

  it('accepts the folder above organizations/', () => {
    expect(readLayout(dir, '--crypto').root).toBe(orgs);
  });

  it('says what to give when the folder is not a layout', () => {
    expect(() => readLayout(path.join(dir, 'nope'), '--crypto')).toThrow('--crypto ' + path.join(dir, 'nope') + ': no such folder');
    expect(() => readLayout(path.join(orgs, 'peerOrganizations'), '--test-network')).toThrow(/holds no peerOrganizations\/ folder: give the folder cryptogen or test-network wrote/);
  });
});
