/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ChannelConfigView, OrgView } from 'fabric-config/configtx';
import { generateOrgCrypto } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import type { DraftOrg } from './draft';
import { MaterialDir } from './material';
import { resolveWithChannel } from './resolve';

const dir = mkdtempSync(path.join(os.tmpdir(), 'connect-resolve-'));
let org1: OrgCrypto;
let orderer: OrgCrypto;

beforeAll(async () => {
  org1 = await generateOrgCrypto(dir, { mspId: 'Org1MSP', domain: 'org1.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  orderer = await generateOrgCrypto(path.join(dir, 'ord'), { mspId: 'OrdererMSP', domain: 'example.com', peerName: 'peer0', ordererName: 'orderer' });
});
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

function org(o: OrgCrypto, memberOf: OrgView['memberOf'], ordererEndpoints: string[]): OrgView {
  return { mspId: o.mspId, groupNames: [o.mspId], memberOf, rootCerts: [o.caCertPem], tlsRootCerts: [o.tlsCaCertPem], nodeOUs: true, anchorPeers: [], ordererEndpoints };
}

/** test-network's shape: Org1 in Application, OrdererMSP in Orderer only, with orderer.example.com:7050. */
function view(): ChannelConfigView {
  return {
    channelId: 'mychannel',
    sequence: 1,
    hashingAlgorithm: 'SHA256',
    ordererAddresses: [],
    capabilities: { channel: ['V3_0'], orderer: ['V2_0'], application: ['V2_5'] },
    consensusType: 'etcdraft',
    consensusState: 'STATE_NORMAL',
    batchSize: { maxMessageCount: 10, absoluteMaxBytes: 103809024, preferredMaxBytes: 524288 },
    batchTimeout: '2s',
    batchTimeoutMs: 2000,
    orgs: [org(org1, ['Application'], []), org(orderer, ['Orderer'], ['orderer.example.com:7050'])],
    policies: {},
    versions: {},
  };
}

function drafts(mspId = 'Org1MSP'): DraftOrg[] {
  return [
    {
      mspId,
      domain: 'org1.example.com',
      peer: { endpoint: 'localhost:7051', hostAlias: 'peer0.org1.example.com', tlsCaCert: { path: org1.peer.tlsCaPath, from: 'profile' }, from: 'profile', aliasFix: 'profile' },
      caCert: { path: path.join(org1.orgDir, 'ca', 'ca.org1.example.com-cert.pem'), from: 'folder' },
      adminMsp: { path: org1.admin.mspDir, from: 'folder' },
      userMsp: { path: org1.user.mspDir, from: 'folder' },
    },
    // An orderer organisation's folder: no MSP ID until the channel's CAs name it.
    { mspId: undefined, domain: 'example.com', caCert: { path: path.join(orderer.orgDir, 'ca', 'ca.example.com-cert.pem'), from: 'folder' }, adminMsp: { path: orderer.admin.mspDir, from: 'folder' } },
  ];
}

describe('resolving with the channel config', () => {
  it("names the orderer organisation by its CA, makes it a signer and gives members its orderer, dialled at the peers' host", async () => {
    const material = new MaterialDir(path.join(dir, 'a.json.files'));
    const resolution = await resolveWithChannel({ drafts: drafts(), view: view(), material, ordererFlags: [], ordererAliasFlags: [], dialHost: 'localhost', resolves: () => Promise.resolve(false) });
    expect(resolution.members.map((m) => [m.mspId, m.orderer.endpoint, m.orderer.hostAlias])).toEqual([['Org1MSP', 'localhost:7050', 'orderer.example.com']]);
    expect(resolution.signers.map((s) => [s.mspId, s.domain, s.adminMsp?.path])).toEqual([['OrdererMSP', 'example.com', orderer.admin.mspDir]]);
    // The folder had no orderer nodes here: the TLS CA comes from the channel config, written beside the file.
    expect(readFileSync(resolution.members[0].orderer.tlsCaCert.path, 'utf8')).toBe(orderer.tlsCaCertPem);
    expect(resolution.notes).toEqual(['orderer orderer.example.com:7050 of OrdererMSP: orderer.example.com does not resolve here, dialling localhost:7050 as the peers are (change with --orderer OrdererMSP=<host:port>)']);
  });

  it('dials a name that resolves as it is, and a flag over the config, keeping the name the config gives', async () => {
    const material = new MaterialDir(path.join(dir, 'b.json.files'));
    const resolved = await resolveWithChannel({ drafts: drafts(), view: view(), material, ordererFlags: [], ordererAliasFlags: [], dialHost: 'localhost', resolves: () => Promise.resolve(true) });
    expect(resolved.members[0].orderer.endpoint).toBe('orderer.example.com:7050');
    const flagged = await resolveWithChannel({ drafts: drafts(), view: view(), material, ordererFlags: [{ name: 'OrdererMSP', value: '127.0.0.1:6050' }], ordererAliasFlags: [], dialHost: 'localhost', resolves: () => Promise.resolve(false) });
    expect(flagged.members[0].orderer).toMatchObject({ endpoint: '127.0.0.1:6050', hostAlias: 'orderer.example.com', from: '--orderer OrdererMSP=127.0.0.1:6050' });
    expect(flagged.notes).toEqual([]);
  });

  it('refuses an MSP ID the channel does not know, listing those it knows', async () => {
    const material = new MaterialDir(path.join(dir, 'c.json.files'));
    await expect(resolveWithChannel({ drafts: drafts('Org1'), view: view(), material, ordererFlags: [], ordererAliasFlags: [], dialHost: 'localhost' })).rejects.toThrow(
      'Org1 (from profile) is not an organisation of channel mychannel; the channel knows Org1MSP, OrdererMSP',
    );
  });

  it('asks for the peer of a channel member the source does not give', async () => {
    const material = new MaterialDir(path.join(dir, 'd.json.files'));
    const noPeer = drafts().map((d) => (d.mspId === 'Org1MSP' ? { ...d, peer: undefined } : d));
    await expect(resolveWithChannel({ drafts: noPeer, view: view(), material, ordererFlags: [], ordererAliasFlags: [], dialHost: 'localhost' })).rejects.toThrow(
      "channel mychannel's members Org1MSP include Org1MSP, whose peer the source does not give: add --peer <mspId>=<host:port>",
    );
  });
});
