/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { managementChaincodeOf, readConnectionFile } from './connectionFile';

const dir = mkdtempSync(path.join(os.tmpdir(), 'connection-file-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const endpoint = { endpoint: '127.0.0.1:7051', hostAlias: 'peer0.org1.example.com', tlsCaCertPath: '/tmp/ca.crt' };
const valid = {
  version: 1,
  backend: 'native',
  channels: { management: 'mgmt', primary: 'primary' },
  members: [
    { mspId: 'Org1MSP', domain: 'org1.example.com', peer: endpoint, orderer: { ...endpoint, endpoint: '127.0.0.1:7050' }, caCertPath: '/tmp/ca.pem', adminMspDir: '/tmp/admin', userMspDir: '/tmp/user' },
  ],
};

function write(name: string, content: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

describe('managementChaincodeOf', () => {
  it('is mgmt unless the file names another', () => {
    expect(managementChaincodeOf(readConnectionFile(write('default.json', JSON.stringify(valid))))).toBe('mgmt');
    expect(managementChaincodeOf(readConnectionFile(write('named.json', JSON.stringify({ ...valid, chaincodes: { management: 'governance' } }))))).toBe('governance');
  });
});

describe('readConnectionFile', () => {
  it('accepts a hand-written file for an existing network', () => {
    expect(readConnectionFile(write('ok.json', JSON.stringify(valid))).members[0]?.mspId).toBe('Org1MSP');
  });

  it("accepts a member's operations endpoint, over http or https with client certificates", () => {
    const withOperations = (operations: object): object => ({ ...valid, members: [{ ...valid.members[0], operations }] });
    expect(readConnectionFile(write('ops.json', JSON.stringify(withOperations({ url: 'http://127.0.0.1:9443' })))).members[0]?.operations).toEqual({ url: 'http://127.0.0.1:9443' });
    const tls = { url: 'https://127.0.0.1:9443/', tlsCaCertPath: '/tmp/ops-ca.pem', clientCertPath: '/tmp/c.pem', clientKeyPath: '/tmp/k.pem' };
    expect(readConnectionFile(write('ops-tls.json', JSON.stringify(withOperations(tls)))).members[0]?.operations).toEqual(tls);
  });

  it.each([
    ['an operations endpoint without a URL', { ...valid, members: [{ ...valid.members[0], operations: { tlsCaCertPath: '/tmp/ca.pem' } }] }, /\/members\/0\/operations must have required property 'url'/],
    ['an operations URL with a path', { ...valid, members: [{ ...valid.members[0], operations: { url: 'http://127.0.0.1:9443/healthz' } }] }, /\/members\/0\/operations\/url must match pattern/],
    ['an operations URL of another scheme', { ...valid, members: [{ ...valid.members[0], operations: { url: 'ftp://127.0.0.1:9443' } }] }, /\/members\/0\/operations\/url must match pattern/],
    ['a misspelt operations field', { ...valid, members: [{ ...valid.members[0], operations: { url: 'https://127.0.0.1:9443', tlsCaCert: '/tmp/ca.pem' } }] }, /\/members\/0\/operations must NOT have additional properties \('tlsCaCert'\)/],
    ['a client certificate without its key', { ...valid, members: [{ ...valid.members[0], operations: { url: 'https://127.0.0.1:9443', clientCertPath: '/tmp/c.pem' } }] }, /\/members\/0\/operations must have property clientKeyPath when property clientCertPath is present/],
    ['a member without a peer', { ...valid, members: [{ ...valid.members[0], peer: undefined }] }, /\/members\/0 must have required property 'peer'/],
    ['an endpoint without a port', { ...valid, members: [{ ...valid.members[0], peer: { ...endpoint, endpoint: 'localhost' } }] }, /\/members\/0\/peer\/endpoint must match pattern/],
    ['another version', { ...valid, version: 2 }, /\/version must be equal to constant/],
    ['no members', { ...valid, members: [] }, /\/members must NOT have fewer than 1 items/],
    ['a chaincode name Fabric refuses', { ...valid, chaincodes: { management: 'mgmt cc' } }, /\/chaincodes\/management must match pattern/],
    ['a signer without an admin', { ...valid, signers: [{ mspId: 'OrdererMSP', domain: 'example.com', orderer: endpoint, caCertPath: '/tmp/ca.pem' }] }, /\/signers\/0 must have required property 'adminMspDir'/],
  ])('names the field for %s', (_name, content, message) => {
    expect(() => readConnectionFile(write('bad.json', JSON.stringify(content)))).toThrow(message);
  });

  it('says which file is not JSON', () => {
    const file = write('garbage.json', '{ not json');
    expect(() => readConnectionFile(file)).toThrow(`cannot read connection file ${file}`);
  });
});
