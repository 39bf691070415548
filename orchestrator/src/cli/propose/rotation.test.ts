/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import { buildGenesisBlock, channelModelProblems, readConfigBlock, withChannelModel } from 'fabric-config/configtx';
import type { ChannelModel } from 'fabric-config/configtx';
import { generateOrgCrypto } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs, testChannelProfile } from 'fabric-config/testing';
import type { GenesisParams } from 'mgmt-chaincode/dist/protocol';
import { retirementEntries, rotationEntries, withOrganizationEntries } from './rotation';

let root: string;
let orgs: OrgCrypto[];
let newOrg2: OrgCrypto;
let config: common.Config;

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('propose-rotation', 4));
  newOrg2 = await generateOrgCrypto(root, { mspId: 'Org2MSP', domain: 'new.org2.example.com', peerName: 'peer0', ordererName: 'orderer0' });
  config = readConfigBlock(common.Block.deserializeBinary(buildGenesisBlock(testChannelProfile(orgs)).serializeBinary())).config;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function params(crypto: readonly OrgCrypto[]): GenesisParams {
  return { members: crypto.map((o) => ({ mspId: o.mspId, caCertificate: o.caCertPem })), cbiSeconds: 1, cycleTimeoutSeconds: 4, clockToleranceSeconds: 5, configSchema: {} };
}

const rotated = (): OrgCrypto[] => orgs.map((o) => (o.mspId === 'Org2MSP' ? newOrg2 : o));

describe('rotationEntries', () => {
  it('adds the new CA beside the old root, in every group the organisation is in, and the channel takes it', () => {
    const entries = rotationEntries(config, 'primary', ['Org2MSP'], params(rotated()));
    expect(Object.keys(entries)).toEqual(['Org2MSP']);
    const entry = entries.Org2MSP as unknown as { rootCerts: string[]; groups: string[] };
    expect(entry.rootCerts).toEqual([orgs[1].caCertPem, newOrg2.caCertPem]);
    expect(entry.groups).toEqual(['application', 'orderer']);
    const model = { version: 2, organizations: entries } as unknown as ChannelModel;
    expect(channelModelProblems(model)).toEqual([]);
    expect(() => withChannelModel(config, model)).not.toThrow();
  });

  it('adds nothing where the new CA is already a root, and names the organisation a channel lacks', () => {
    const during = withChannelModel(config, { version: 2, organizations: rotationEntries(config, 'primary', ['Org2MSP'], params(rotated())) } as unknown as ChannelModel);
    expect(rotationEntries(during, 'primary', ['Org2MSP'], params(rotated()))).toEqual({});
    expect(() => rotationEntries(config, 'primary', ['Org9MSP'], params(rotated()))).toThrow(/--rotate-ca Org9MSP: channel primary has no organisation Org9MSP/);
  });
});

describe('retirementEntries', () => {
  it('leaves only the CA in force once a rotation is under way', () => {
    const during = withChannelModel(config, { version: 2, organizations: rotationEntries(config, 'primary', ['Org2MSP'], params(rotated())) } as unknown as ChannelModel);
    const entries = retirementEntries(during, 'primary', ['Org2MSP'], params(rotated()));
    expect((entries.Org2MSP as unknown as { rootCerts: string[] }).rootCerts).toEqual([newOrg2.caCertPem]);
  });

  it.each<[string, string, () => GenesisParams, RegExp]>([
    ['nothing to retire', 'Org2MSP', () => params(orgs), /--retire-ca Org2MSP: its only root certificate on primary is the CA in force: nothing to retire/],
    ['a CA in force the channel does not have', 'Org2MSP', () => params(rotated()), /the CA in force for Org2MSP is not among its root certificates on primary; rotate it first/],
    ['no member', 'Org9MSP', () => params(orgs), /--retire-ca Org9MSP: not a member/],
  ])('refuses %s', (_, mspId, inForce, message) => {
    expect(() => retirementEntries(config, 'primary', [mspId], inForce())).toThrow(message);
  });
});

describe('withOrganizationEntries', () => {
  it("moves the model's anchor peers of an organisation into its entry, and keeps the others'", () => {
    const anchor = (host: string): { host: string; port: number }[] => [{ host, port: 7051 }];
    const model = { version: 2, application: { anchorPeers: { Org1MSP: anchor('peer0.org1'), Org2MSP: anchor('peer0.org2') } }, organizations: { Org5MSP: { mspId: 'Org5MSP' } } };
    expect(withOrganizationEntries(model, { Org2MSP: { mspId: 'Org2MSP', anchorPeers: anchor('stale') } })).toEqual({
      version: 2,
      application: { anchorPeers: { Org1MSP: anchor('peer0.org1') } },
      organizations: { Org5MSP: { mspId: 'Org5MSP' }, Org2MSP: { mspId: 'Org2MSP', anchorPeers: anchor('peer0.org2') } },
    });
    expect(withOrganizationEntries({ version: 2 }, { Org5MSP: { mspId: 'Org5MSP' } })).toEqual({ version: 2, organizations: { Org5MSP: { mspId: 'Org5MSP' } } });
  });
});
