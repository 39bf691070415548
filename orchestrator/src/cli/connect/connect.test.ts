/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `mgmt connect` without a network: its inputs, the choice of channels and the member's own file.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateOrgCrypto } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { runCli } from '../program';
import { buildConnectionFile } from './build';
import { chooseChannels } from './discover';
import type { DraftEndpoint } from './draft';
import { parseOrgSpec, parseOrgsJson } from './draft';
import { MaterialDir } from './material';
import type { ResolvedMember } from './resolve';

const dir = mkdtempSync(path.join(os.tmpdir(), 'connect-unit-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

describe('mgmt connect: bad input ends with exit 2 and says what to change', () => {
  it('asks for a source', async () => {
    const result = await run('connect', '--out', path.join(dir, 'a.json'));
    expect(result.code).toBe(2);
    expect(result.err).toContain('say where the network is: --test-network <organizations folder>, --crypto <cryptogen folder> with --peer/--orderer, or --org/--orgs');
  });

  it('names a missing TLS file and the flag it came from, before connecting', async () => {
    const missing = path.join(dir, 'nope', 'tlsca.pem');
    const result = await run('connect', '--out', path.join(dir, 'b.json'), '--org', `Org1MSP,peer=localhost:7051,peerTls=${missing}`);
    expect(result.code).toBe(2);
    expect(result.err).toContain(`Org1MSP's peer TLS CA certificate ${missing} does not exist (from --org Org1MSP peerTls)`);
    expect(result.err).not.toMatch(/ENOENT|\n\s+at /);
  });

  it('refuses to overwrite without --force', async () => {
    const out = path.join(dir, 'exists.json');
    writeFileSync(out, '{}');
    const result = await run('connect', '--out', out, '--org', 'Org1MSP,peer=localhost:7051,peerTls=x.pem');
    expect(result.code).toBe(2);
    expect(result.err).toContain(`${out} exists already: pass --force to overwrite it`);
  });

  it('wants --wallet with --identity, and an endpoint as host:port', async () => {
    expect((await run('connect', '--out', path.join(dir, 'c.json'), '--org', 'Org1MSP', '--identity', 'appUser')).err).toContain('--identity names a wallet identity: give the wallet with --wallet <dir>');
    const bad = await run('connect', '--out', path.join(dir, 'c.json'), '--peer', 'Org1MSP=localhost');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('expected <mspId or domain>=<host:port>');
  });
});

describe('explicit organisations', () => {
  it('parse from --org with named fields', () => {
    expect(parseOrgSpec('Org1MSP,peer=localhost:7051,peerTls=t.pem,adminMsp=a/msp', '--org')).toEqual({ mspId: 'Org1MSP', peer: 'localhost:7051', peerTls: 't.pem', adminMsp: 'a/msp' });
    expect(() => parseOrgSpec('Org1MSP,tls=t.pem', '--org')).toThrow('--org Org1MSP: unknown field "tls"; fields are peer, peerTls');
    expect(() => parseOrgSpec('peer=localhost:7051', '--org')).toThrow('start with the MSP ID');
  });

  it('parse from a JSON file, naming the entry at fault', () => {
    expect(parseOrgsJson({ members: [{ mspId: 'Org1MSP', peer: 'localhost:7051' }], signers: [{ mspId: 'OrdererMSP', orderer: 'localhost:7050' }] }, 'o.json')).toEqual({
      members: [{ mspId: 'Org1MSP', peer: 'localhost:7051' }],
      signers: [{ mspId: 'OrdererMSP', orderer: 'localhost:7050' }],
    });
    expect(() => parseOrgsJson({ members: [{ peer: 'x:1' }] }, 'o.json')).toThrow('--orgs o.json: `members[0].mspId` is missing');
    expect(() => parseOrgsJson({ members: [{ mspId: 'A', port: 7 }] }, 'o.json')).toThrow('`members[0].port` is not a field');
  });
});

describe('choosing the channels', () => {
  it('takes the one channel besides mgmt, or the one named', () => {
    expect(chooseChannels(['mgmt', 'mychannel'], 'p:1', undefined, undefined).channels).toEqual({ management: 'mgmt', primary: 'mychannel' });
    expect(chooseChannels(['mgmt', 'a', 'b'], 'p:1', 'b', undefined).channels).toEqual({ management: 'mgmt', primary: 'b' });
  });

  it('asks for --channel when more than one could be primary, listing them', () => {
    expect(() => chooseChannels(['mgmt', 'a', 'b'], 'p:1', undefined, undefined)).toThrow('peer p:1 has joined a, b besides the management channel mgmt: name the governed channel with --channel <name>');
  });

  it('asks for --management-channel when no channel is called mgmt', () => {
    expect(() => chooseChannels(['mychannel'], 'p:1', undefined, undefined)).toThrow('peer p:1 has not joined a channel named mgmt (it has joined: mychannel): name the management channel with --management-channel <name>');
    const named = chooseChannels(['mychannel'], 'p:1', undefined, 'governance');
    expect(named.channels).toEqual({ management: 'governance', primary: 'mychannel' });
    expect(named.notes).toEqual(['management channel governance: peer p:1 has not joined it yet (it has joined: mychannel)']);
  });

  it('refuses a channel the peer has not joined', () => {
    expect(() => chooseChannels(['mgmt', 'a'], 'p:1', 'z', undefined)).toThrow('peer p:1 has not joined channel z (--channel); it has joined: mgmt, a');
  });
});

describe("a member's own file", () => {
  let orgs: OrgCrypto[];
  beforeAll(async () => {
    orgs = await Promise.all([1, 2].map((i) => generateOrgCrypto(dir, { mspId: `Org${i}MSP`, domain: `org${i}.example.com`, peerName: 'peer0', ordererName: 'orderer0' })));
  });

  function resolved(o: OrgCrypto): ResolvedMember {
    const endpoint = (host: string): DraftEndpoint => ({ endpoint: `${host}:7051`, hostAlias: host, tlsCaCert: { path: o.peer.tlsCaPath, from: 'test' }, from: 'test', aliasFix: 'test' });
    return {
      mspId: o.mspId,
      domain: o.domain,
      peer: endpoint(o.peer.host),
      orderer: endpoint(o.orderer.host),
      caCert: { path: path.join(o.mspDir, 'cacerts', `ca.${o.domain}-cert.pem`), from: 'test' },
      adminMsp: { path: o.admin.mspDir, from: 'test' },
      userMsp: { path: o.user.mspDir, from: 'test' },
    };
  }

  it("names its own MSP folders and copies of the others' certificates without keystore", () => {
    const material = new MaterialDir(path.join(dir, 'own.json.files'));
    const file = buildConnectionFile({ members: orgs.map(resolved), signers: [], notes: [] }, { management: 'mgmt', primary: 'primary' }, 'Org2MSP', material);
    const [org1, org2] = file.members;
    expect(org2.adminMspDir).toBe(orgs[1].admin.mspDir);
    expect(org2.userMspDir).toBe(orgs[1].user.mspDir);
    for (const msp of [org1.adminMspDir, org1.userMspDir]) {
      expect(msp.startsWith(material.dir)).toBe(true);
      expect(existsSync(path.join(msp, 'keystore'))).toBe(false);
      expect(readdirSync(path.join(msp, 'signcerts'))).toHaveLength(1);
    }
  });

  it('everyone\'s file names every member\'s own folders', () => {
    const file = buildConnectionFile({ members: orgs.map(resolved), signers: [], notes: [] }, { management: 'mgmt', primary: 'primary' }, undefined, new MaterialDir(path.join(dir, 'all.json.files')));
    expect(file.members.map((m) => m.userMspDir)).toEqual(orgs.map((o) => o.user.mspDir));
    expect(file.chaincodes).toBeUndefined();
  });

  it('names the management chaincode only when it is not mgmt', () => {
    const file = buildConnectionFile({ members: orgs.map(resolved), signers: [], notes: [] }, { management: 'mgmt', primary: 'primary' }, undefined, new MaterialDir(path.join(dir, 'cc.json.files')), 'governance');
    expect(file.chaincodes).toEqual({ management: 'governance' });
  });

  it('is refused for an organisation that is not a member', () => {
    expect(() => buildConnectionFile({ members: orgs.map(resolved), signers: [], notes: [] }, { management: 'mgmt', primary: 'primary' }, 'Org9MSP', new MaterialDir(path.join(dir, 'x')))).toThrow(
      '--member Org9MSP is not a member of channel primary; its members are Org1MSP, Org2MSP',
    );
  });
});
