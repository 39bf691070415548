import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import {
  buildConfigUpdateEnvelope,
  buildGenesisBlock,
  checkUpdateAuthorised,
  computeUpdate,
  readBatchParams,
  readConfigBlock,
  readMsps,
  signConfigUpdate,
  viewChannelConfig,
} from 'fabric-config/configtx';
import type { ChannelProfile } from 'fabric-config/configtx';
import { MspRegistry, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs, signedEnvelope, signerOf, testChannelProfile, withBatch } from 'fabric-config/testing';
import type { BatchEdit as BatchChange } from 'fabric-config/testing';
import { applyConfigUpdate } from './configValidation';

let root: string;
let orgs: OrgCrypto[];
let outsider: OrgCrypto;
let genesis: common.Config;
let msps: MspRegistry;

beforeAll(async () => {
  let all: OrgCrypto[];
  ({ root, orgs: all } = await generateTestOrgs('configtx-update', 5));
  orgs = all.slice(0, 4);
  outsider = all[4]!;
  genesis = readConfigBlock(buildGenesisBlock(profile())).config;
  msps = new MspRegistry(readMsps(genesis));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function profile(): ChannelProfile {
  return testChannelProfile(orgs);
}

/** `'2.admin'` is Org2's admin, `'3.user'` Org3's client, `'5.admin'` the outsider's admin. */
function who(spec: string): SigningIdentity {
  return signerOf([...orgs, outsider], spec);
}

function ordererGroup(config: common.Config): common.ConfigGroup {
  return config.getChannelGroup()!.getGroupsMap().get('Orderer')!;
}

function envelopeFor(updateBytes: Uint8Array, signers: string[], channelId = 'primary'): common.Envelope {
  return signedEnvelope([...orgs, outsider], updateBytes, signers, channelId);
}

function update(change: BatchChange, base: common.Config = genesis): Uint8Array {
  return computeUpdate('primary', base, withBatch(base, change)).serializeBinary();
}

describe('applyConfigUpdate', () => {
  it('accepts a BatchTimeout and BatchSize change signed by 3 of 4 org admins', () => {
    const bytes = update({ timeout: '500ms', maxMessageCount: 20 });
    expect(checkUpdateAuthorised('primary', genesis, envelopeFor(bytes, ['1.admin', '2.admin', '3.admin']), msps)).toEqual({
      ok: true,
      changedKeys: ['[Value]  /Channel/Orderer/BatchSize', '[Value]  /Channel/Orderer/BatchTimeout'],
      signers: ['Org1MSP', 'Org2MSP', 'Org3MSP'],
    });
    const applied = applyConfigUpdate('primary', genesis, envelopeFor(bytes, ['1.admin', '2.admin', '3.admin']), msps);
    expect(applied.config.getSequence()).toBe(1);
    expect(readBatchParams(applied.config)).toMatchObject({ batchTimeout: '500ms', batchTimeoutMs: 500, batchSize: { maxMessageCount: 20 } });
    expect(applied.changedKeys).toEqual(['[Value]  /Channel/Orderer/BatchSize', '[Value]  /Channel/Orderer/BatchTimeout']);
    expect(applied.configUpdate.getChannelId()).toBe('primary');
    const view = viewChannelConfig('primary', applied.config);
    expect(view.versions['[Value]  /Channel/Orderer/BatchTimeout']).toEqual({ version: 1, modPolicy: 'Admins' });
    expect(view.versions['[Value]  /Channel/Orderer/BatchSize']).toEqual({ version: 1, modPolicy: 'Admins' });
    expect(view.versions['[Group]  /Channel/Orderer']).toEqual({ version: 0, modPolicy: 'Admins' });
    // Everything else is carried over untouched.
    const untouched = viewChannelConfig('primary', genesis);
    expect(view.orgs).toEqual(untouched.orgs);
    expect(view.policies).toEqual(untouched.policies);
    expect(Buffer.from(applied.config.getChannelGroup()!.getGroupsMap().get('Application')!.serializeBinary())).toEqual(
      Buffer.from(genesis.getChannelGroup()!.getGroupsMap().get('Application')!.serializeBinary()),
    );
  });

  it('chains: a second update against the new config is accepted at the next versions', () => {
    const first = applyConfigUpdate('primary', genesis, envelopeFor(update({ timeout: '500ms' }), ['1.admin', '2.admin', '3.admin']), msps).config;
    const second = applyConfigUpdate('primary', first, envelopeFor(update({ timeout: '1s' }, first), ['2.admin', '3.admin', '4.admin']), msps).config;
    expect(second.getSequence()).toBe(2);
    expect(viewChannelConfig('primary', second).versions['[Value]  /Channel/Orderer/BatchTimeout']).toEqual({ version: 2, modPolicy: 'Admins' });
    expect(readBatchParams(second).batchTimeout).toBe('1s');
  });

  const MAJORITY_FAILS = (satisfied: number): string =>
    `error authorizing update: error validating DeltaSet: policy for [Value]  /Channel/Orderer/BatchSize not satisfied: implicit policy evaluation failed - ${satisfied} sub-policies were satisfied, but this policy requires 3 of the 'Admins' sub-policies to be satisfied`;

  it.each<[string, string[], string[]]>([
    ['2 of 4 admins (MAJORITY needs 3)', ['1.admin', '2.admin'], ['Org1MSP', 'Org2MSP']],
    ['2 admins, one of them twice', ['1.admin', '2.admin', '1.admin'], ['Org1MSP', 'Org2MSP']],
    ['2 admins and a client (not an admin)', ['1.admin', '2.admin', '3.user'], ['Org1MSP', 'Org2MSP', 'Org3MSP']],
    ['2 admins and a non-member admin', ['1.admin', '2.admin', '5.admin'], ['Org1MSP', 'Org2MSP']],
  ])('refuses %s', (_, signers, counted) => {
    const bytes = update({ timeout: '500ms', maxMessageCount: 20 });
    expect(() => applyConfigUpdate('primary', genesis, envelopeFor(bytes, signers), msps)).toThrow(
      expect.objectContaining({
        name: 'ConfigUpdateError',
        code: 'CONFIG_UPDATE_POLICY_NOT_SATISFIED',
        key: '[Value]  /Channel/Orderer/BatchSize',
        message: MAJORITY_FAILS(2),
      }),
    );
    // The same answer as a client gets before submitting, with who counted.
    expect(checkUpdateAuthorised('primary', genesis, envelopeFor(bytes, signers))).toEqual({
      ok: false,
      changedKeys: ['[Value]  /Channel/Orderer/BatchSize', '[Value]  /Channel/Orderer/BatchTimeout'],
      key: '[Value]  /Channel/Orderer/BatchSize',
      modPolicy: 'Admins',
      policy: '/Channel/Orderer/Admins',
      missing: false,
      reason: MAJORITY_FAILS(2).replace(/^.*not satisfied: /, ''),
      signers: counted,
    });
  });

  it('does not count a signature that does not verify', () => {
    const bytes = update({ timeout: '500ms' });
    const signatures = ['1.admin', '2.admin', '3.admin'].map((spec) => signConfigUpdate(bytes, who(spec)));
    const spoiled = signatures[2].getSignature_asU8().slice();
    spoiled[spoiled.length - 1] ^= 1;
    signatures[2].setSignature(spoiled);
    const envelope = buildConfigUpdateEnvelope('primary', bytes, signatures, who('1.admin'));
    expect(() => applyConfigUpdate('primary', genesis, envelope, msps)).toThrow(expect.objectContaining({ code: 'CONFIG_UPDATE_POLICY_NOT_SATISFIED' }));
  });

  it('resolves a relative mod_policy inside the element\'s group: an org\'s AnchorPeers need only that org\'s admin', () => {
    const updated = genesis.cloneMessage();
    const anchors = new peer.AnchorPeers();
    const anchor = new peer.AnchorPeer();
    anchor.setHost('peer1.org2.example.com');
    anchor.setPort(9999);
    anchors.setAnchorPeersList([anchor]);
    updated.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().get('Org2MSP')!.getValuesMap().get('AnchorPeers')!.setValue(anchors.serializeBinary());
    const bytes = computeUpdate('primary', genesis, updated).serializeBinary();
    const applied = applyConfigUpdate('primary', genesis, envelopeFor(bytes, ['2.admin']), msps);
    expect(viewChannelConfig('primary', applied.config).orgs[1].anchorPeers).toEqual([{ host: 'peer1.org2.example.com', port: 9999 }]);
    expect(() => applyConfigUpdate('primary', genesis, envelopeFor(bytes, ['1.admin', '3.admin', '4.admin']), msps)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_UPDATE_POLICY_NOT_SATISFIED',
        message: expect.stringContaining('policy for [Value]  /Channel/Application/Org2MSP/AnchorPeers not satisfied: signature set did not satisfy policy'),
      }),
    );
  });

  it('removes a member when its group is rewritten at version + 1, keeping the other members whole', () => {
    const updated = genesis.cloneMessage();
    ordererGroup(updated).getValuesMap().del('ChannelRestrictions');
    const bytes = computeUpdate('primary', genesis, updated).serializeBinary();
    const applied = applyConfigUpdate('primary', genesis, envelopeFor(bytes, ['1.admin', '2.admin', '4.admin']), msps);
    expect(applied.changedKeys).toEqual(['[Group]  /Channel/Orderer']);
    const next = ordererGroup(applied.config);
    expect(next.getVersion()).toBe(1);
    expect(next.getValuesMap().has('ChannelRestrictions')).toBe(false);
    expect(readBatchParams(applied.config)).toEqual(readBatchParams(genesis));
    expect(Buffer.from(next.getGroupsMap().get('Org1MSP')!.serializeBinary())).toEqual(Buffer.from(ordererGroup(genesis).getGroupsMap().get('Org1MSP')!.serializeBinary()));
  });

  it('refuses a stale update whose versions were already used', () => {
    const first = applyConfigUpdate('primary', genesis, envelopeFor(update({ timeout: '500ms' }), ['1.admin', '2.admin', '3.admin']), msps).config;
    const stale = envelopeFor(update({ timeout: '3s' }), ['1.admin', '2.admin', '3.admin']);
    expect(() => applyConfigUpdate('primary', first, stale, msps)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_UPDATE_BAD_VERSION',
        message: 'error authorizing update: error validating DeltaSet: attempt to set key [Value]  /Channel/Orderer/BatchTimeout to version 1, but key is at version 1',
      }),
    );
  });

  it('refuses a read_set version that does not match the current config', () => {
    const configUpdate = computeUpdate('primary', genesis, withBatch(genesis, { timeout: '500ms' }));
    configUpdate.getReadSet()!.getGroupsMap().get('Orderer')!.setVersion(1);
    expect(() => applyConfigUpdate('primary', genesis, envelopeFor(configUpdate.serializeBinary(), ['1.admin', '2.admin', '3.admin']), msps)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_UPDATE_READ_SET_MISMATCH',
        key: '[Group]  /Channel/Orderer',
        message: 'error authorizing update: error validating ReadSet: proposed update requires that key [Group]  /Channel/Orderer be at version 1, but it is currently at version 0',
      }),
    );
  });

  it('refuses a write_set element that skips a version', () => {
    const configUpdate = computeUpdate('primary', genesis, withBatch(genesis, { timeout: '500ms' }));
    configUpdate.getWriteSet()!.getGroupsMap().get('Orderer')!.getValuesMap().get('BatchTimeout')!.setVersion(2);
    expect(() => applyConfigUpdate('primary', genesis, envelopeFor(configUpdate.serializeBinary(), ['1.admin', '2.admin', '3.admin']), msps)).toThrow(
      expect.objectContaining({ code: 'CONFIG_UPDATE_BAD_VERSION' }),
    );
  });

  it.each<[string, BatchChange, string]>([
    ['BatchSize max_message_count 0', { maxMessageCount: 0 }, 'Attempted to set the batch size max message count to an invalid value: 0'],
    ['an absolute max of 200 MiB', { absoluteMaxBytes: 200 * 1024 * 1024 }, 'greater than the 100 MiB message limit'],
    ['absolute max bytes below preferred', { absoluteMaxBytes: 1024 }, 'Attempted to set the batch size preferred max bytes (2097152) greater than the absolute max bytes (1024).'],
    ['a BatchTimeout of 0s', { timeout: '0s' }, 'Attempted to set the batch timeout to a non-positive value: 0s'],
    ['a BatchTimeout that is not a Go duration', { timeout: '2 sec' }, 'Attempted to set the batch timeout to a invalid value: time: unknown unit'],
  ])('refuses a resulting config with %s, even when properly signed', (_, change, message) => {
    const envelope = envelopeFor(update(change), ['1.admin', '2.admin', '3.admin', '4.admin']);
    expect(() => applyConfigUpdate('primary', genesis, envelope, msps)).toThrow(
      expect.objectContaining({ code: 'CONFIG_UPDATE_INVALID_CONFIG', message: expect.stringContaining(message) }),
    );
  });

  it('refuses a resulting config whose MSP root certificate does not parse', () => {
    const updated = genesis.cloneMessage();
    const org1 = updated.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().get('Org1MSP')!;
    const mspConfig = msp.MSPConfig.deserializeBinary(org1.getValuesMap().get('MSP')!.getValue_asU8());
    const fabricConfig = msp.FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8());
    fabricConfig.setRootCertsList([Buffer.from('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')]);
    mspConfig.setConfig(fabricConfig.serializeBinary());
    org1.getValuesMap().get('MSP')!.setValue(mspConfig.serializeBinary());
    const bytes = computeUpdate('primary', genesis, updated).serializeBinary();
    expect(() => applyConfigUpdate('primary', genesis, envelopeFor(bytes, ['1.admin']), msps)).toThrow(
      expect.objectContaining({ code: 'CONFIG_UPDATE_INVALID_CONFIG', message: expect.stringContaining('error processing MSP config') }),
    );
  });

  it('refuses an envelope for another channel, and a ConfigUpdate naming another channel', () => {
    const bytes = update({ timeout: '500ms' });
    expect(() => applyConfigUpdate('primary', genesis, envelopeFor(bytes, ['1.admin', '2.admin', '3.admin'], 'mgmt'), msps)).toThrow(
      expect.objectContaining({ code: 'CONFIG_UPDATE_WRONG_CHANNEL' }),
    );
    const other = computeUpdate('mgmt', genesis, withBatch(genesis, { timeout: '500ms' })).serializeBinary();
    expect(() => applyConfigUpdate('primary', genesis, envelopeFor(other, ['1.admin', '2.admin', '3.admin']), msps)).toThrow(
      expect.objectContaining({
        code: 'CONFIG_UPDATE_WRONG_CHANNEL',
        message: "error authorizing update: ConfigUpdate for channel 'mgmt' but envelope for channel 'primary'",
      }),
    );
  });

  it('refuses an update with no effect', () => {
    const configUpdate = computeUpdate('primary', genesis, withBatch(genesis, { timeout: '500ms' }));
    configUpdate.setWriteSet(configUpdate.getReadSet()!.cloneMessage());
    expect(() => applyConfigUpdate('primary', genesis, envelopeFor(configUpdate.serializeBinary(), ['1.admin', '2.admin', '3.admin']), msps)).toThrow(
      expect.objectContaining({ code: 'CONFIG_UPDATE_EMPTY', message: 'error authorizing update: error validating DeltaSet: delta set was empty -- update would have no effect' }),
    );
  });

  it('refuses an envelope that is not a CONFIG_UPDATE', () => {
    const envelope = envelopeFor(update({ timeout: '500ms' }), ['1.admin']);
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8());
    channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
    payload.getHeader()!.setChannelHeader(channelHeader.serializeBinary());
    envelope.setPayload(payload.serializeBinary());
    expect(() => applyConfigUpdate('primary', genesis, envelope, msps)).toThrow(expect.objectContaining({ code: 'CONFIG_UPDATE_MALFORMED' }));
  });

  it('verifies signatures over the ConfigUpdate bytes as received, never a re-encoding', () => {
    // The same ConfigUpdate with channel_id (field 1) encoded last: valid protobuf, but not what
    // google-protobuf would write, so a validator that re-serializes would reject the signatures.
    const configUpdate = computeUpdate('primary', genesis, withBatch(genesis, { timeout: '500ms' }));
    const sets = configUpdate.cloneMessage();
    sets.setChannelId('');
    const channelOnly = new common.ConfigUpdate();
    channelOnly.setChannelId('primary');
    const bytes = Buffer.concat([sets.serializeBinary(), channelOnly.serializeBinary()]);
    expect(Buffer.from(common.ConfigUpdate.deserializeBinary(bytes).serializeBinary())).not.toEqual(bytes);
    const applied = applyConfigUpdate('primary', genesis, envelopeFor(bytes, ['1.admin', '2.admin', '3.admin']), msps);
    expect(readBatchParams(applied.config).batchTimeout).toBe('500ms');
  });

});
