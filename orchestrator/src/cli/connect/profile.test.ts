/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { UsageError } from '../errors';
import { parseConnectionProfile, readConnectionProfile } from './profile';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** What test-network's ccp-generate.sh writes for org 2 (ccp-template.json). */
function ccp(): Record<string, unknown> {
  return {
    name: 'test-network-org2',
    version: '1.0.0',
    client: { organization: 'Org2', connection: { timeout: { peer: { endorser: '300' } } } },
    organizations: { Org2: { mspid: 'Org2MSP', peers: ['peer0.org2.example.com'], certificateAuthorities: ['ca.org2.example.com'] } },
    peers: {
      'peer0.org2.example.com': {
        url: 'grpcs://localhost:9051',
        tlsCACerts: { pem: PEM },
        grpcOptions: { 'ssl-target-name-override': 'peer0.org2.example.com', hostnameOverride: 'peer0.org2.example.com' },
      },
    },
    certificateAuthorities: { 'ca.org2.example.com': { url: 'https://localhost:8054', caName: 'ca-org2', tlsCACerts: { pem: [PEM] }, httpOptions: { verify: false } } },
  };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'connect-profile-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('connection profiles', () => {
  const expected = {
    clientOrganization: 'Org2',
    organizations: [{ name: 'Org2', mspId: 'Org2MSP', peers: [{ name: 'peer0.org2.example.com', endpoint: 'localhost:9051', hostAlias: 'peer0.org2.example.com', tlsCaCert: { pem: PEM } }] }],
  };

  it('reads what ccp-generate.sh writes, as JSON', () => {
    const file = path.join(dir, 'connection-org2.json');
    writeFileSync(file, JSON.stringify(ccp(), null, 4));
    expect(readConnectionProfile(file)).toMatchObject({ file, ...expected });
  });

  it('reads the same from YAML', () => {
    const file = path.join(dir, 'connection-org2.yaml');
    writeFileSync(file, toYaml(ccp()));
    expect(readConnectionProfile(file)).toMatchObject({ file, ...expected });
  });

  it('takes a TLS CA given as a path, relative to the profile, and the peer name when no override is set', () => {
    const doc = ccp();
    doc.peers = { 'peer0.org2.example.com': { url: 'grpcs://peer0.org2.example.com:9051', tlsCACerts: { path: '../tls/ca.crt' } } };
    const profile = parseConnectionProfile(JSON.stringify(doc), '/net/orgs/connection-org2.json');
    expect(profile.organizations[0].peers[0]).toMatchObject({ endpoint: 'peer0.org2.example.com:9051', hostAlias: 'peer0.org2.example.com', tlsCaCert: { path: '/net/tls/ca.crt' } });
  });

  it.each([
    ['no organizations', (d: Record<string, unknown>) => { delete d.organizations; }, /`organizations` is missing/],
    ['no mspid', (d: Record<string, unknown>) => { (d.organizations as Record<string, Record<string, unknown>>).Org2.mspid = undefined; }, /`organizations.Org2.mspid` is missing/],
    ['a listed peer without entry', (d: Record<string, unknown>) => { d.peers = {}; }, /`peers\["peer0.org2.example.com"\]` is missing/],
    ['TLS off', (d: Record<string, unknown>) => { (d.peers as Record<string, Record<string, unknown>>)['peer0.org2.example.com'].url = 'grpc://localhost:9051'; }, /grpc:\/\/ \(TLS off\)/],
    ['no TLS CA', (d: Record<string, unknown>) => { (d.peers as Record<string, Record<string, unknown>>)['peer0.org2.example.com'].tlsCACerts = {}; }, /neither a PEM certificate \(`pem`\) nor a file \(`path`\)/],
  ])('refuses a profile with %s, naming the field', (_what, change, message) => {
    const doc = ccp();
    change(doc);
    const parse = (): unknown => parseConnectionProfile(JSON.stringify(doc), 'p.json');
    expect(parse).toThrow(UsageError);
    expect(parse).toThrow(message);
  });

  it('says which file does not parse', () => {
    expect(() => parseConnectionProfile('peers: [unclosed', 'bad.yaml')).toThrow(/^connection profile bad.yaml: cannot parse it/);
    expect(() => readConnectionProfile(path.join(dir, 'none.json'))).toThrow(/cannot read connection profile .*none.json: ENOENT/);
  });
});
