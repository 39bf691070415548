import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import { buildConfigUpdateEnvelope, buildGenesisBlock, computeUpdate, readBatchParams, readConfigBlock, readMsps, signConfigUpdate } from 'fabric-config/configtx';
import type { ChannelProfile } from 'fabric-config/configtx';
import { MspRegistry, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { acceptConfigUpdate, generateTestOrgs, signedEnvelope, signerOf, testChannelProfile, withBatch } from 'fabric-config/testing';
import type { BatchEdit as BatchChange } from 'fabric-config/testing';
import { managementLinkTxId, MANAGEMENT_LINK_PREFIX, readManagementLink } from './managementLink';

let root: string;
let orgs: OrgCrypto[];
let genesis: common.Config;
let msps: MspRegistry;

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('management-link', 4));
  genesis = readConfigBlock(buildGenesisBlock(profile())).config;
  msps = new MspRegistry(readMsps(genesis));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function profile(): ChannelProfile {
  return testChannelProfile(orgs);
}

/** `'2.admin'` is Org2's admin, `'3.user'` Org3's client. */
function who(spec: string): SigningIdentity {
  return signerOf(orgs, spec);
}

function envelopeFor(updateBytes: Uint8Array, signers: string[], channelId = 'primary'): common.Envelope {
  return signedEnvelope(orgs, updateBytes, signers, channelId);
}

function update(change: BatchChange, base: common.Config = genesis): Uint8Array {
  return computeUpdate('primary', base, withBatch(base, change)).serializeBinary();
}


describe('managementLink', () => {
  it('carries the authorising management block link in the update envelope tx_id, kept in the config block', () => {
    const link = { height: 7, hash: 'ab'.repeat(32) };
    const bytes = update({ timeout: '500ms' });
    const signatures = ['1.admin', '2.admin', '3.admin'].map((spec) => signConfigUpdate(bytes, who(spec)));
    const envelope = buildConfigUpdateEnvelope('primary', bytes, signatures, who('1.admin'), { txId: managementLinkTxId(link) });
    expect(readManagementLink(envelope)).toEqual(link);
    const applied = acceptConfigUpdate('primary', genesis, envelope, msps);
    expect(readBatchParams(applied.config).batchTimeout).toBe('500ms');
    expect(managementLinkTxId(link)).toBe(`${MANAGEMENT_LINK_PREFIX}7:${link.hash}`);
    expect(readManagementLink(envelopeFor(bytes, ['1.admin']))).toBeUndefined();
  });

  it('refuses malformed management links', () => {
    expect(() => managementLinkTxId({ height: -1, hash: 'ab'.repeat(32) })).toThrow(expect.objectContaining({ code: 'CONFIGTX_BAD_CONFIG' }));
    expect(() => managementLinkTxId({ height: 1, hash: 'AB'.repeat(32) })).toThrow(expect.objectContaining({ code: 'CONFIGTX_BAD_CONFIG' }));
    const payload = common.Payload.deserializeBinary(envelopeFor(update({ timeout: '700ms' }), ['1.admin']).getPayload_asU8());
    const header = payload.getHeader()!;
    const ch = common.ChannelHeader.deserializeBinary(header.getChannelHeader_asU8());
    ch.setTxId('mgmt-cb:1:not-a-hash');
    header.setChannelHeader(ch.serializeBinary());
    const bad = new common.Envelope();
    bad.setPayload(payload.serializeBinary());
    expect(() => readManagementLink(bad)).toThrow(expect.objectContaining({ code: 'CONFIGTX_BAD_CONFIG' }));
  });
});
