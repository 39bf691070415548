import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, msp, orderer, peer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import {
  buildConfigUpdateEnvelope,
  buildGenesisBlock,
  channelModelUpdate,
  checkUpdateAuthorised,
  computeUpdate,
  implicitMetaPolicy,
  readBatchParams,
  readConfigBlock,
  readConsenters,
  readMsps,
  signConfigUpdate,
  viewChannelConfig,
} from 'fabric-config/configtx';
import type { ChannelModel, ChannelProfile } from 'fabric-config/configtx';
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

/** Fabric's prefix of every refusal the orderer's ProposeConfigUpdate gives. */
const APPLYING = "error applying config update to existing channel 'primary': ";

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
    `${APPLYING}error authorizing update: error validating DeltaSet: policy for [Value]  /Channel/Orderer/BatchSize not satisfied: implicit policy evaluation failed - ${satisfied} sub-policies were satisfied, but this policy requires 3 of the 'Admins' sub-policies to be satisfied`;

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
        message: APPLYING + 'error authorizing update: error validating DeltaSet: attempt to set key [Value]  /Channel/Orderer/BatchTimeout to version 1, but key is at version 1',
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
        message: APPLYING + 'error authorizing update: error validating ReadSet: proposed update requires that key [Group]  /Channel/Orderer be at version 1, but it is currently at version 0',
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
        message: APPLYING + "error authorizing update: ConfigUpdate for channel 'mgmt' but envelope for channel 'primary'",
      }),
    );
  });

  it('refuses an update with no effect', () => {
    const configUpdate = computeUpdate('primary', genesis, withBatch(genesis, { timeout: '500ms' }));
    configUpdate.setWriteSet(configUpdate.getReadSet()!.cloneMessage());
    expect(() => applyConfigUpdate('primary', genesis, envelopeFor(configUpdate.serializeBinary(), ['1.admin', '2.admin', '3.admin']), msps)).toThrow(
      expect.objectContaining({ code: 'CONFIG_UPDATE_EMPTY', message: APPLYING + 'error authorizing update: error validating DeltaSet: delta set was empty -- update would have no effect' }),
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

/** Every admin signs: each update below needs at most a MAJORITY of Admins or one org's. */
const ALL_ADMINS = ['1.admin', '2.admin', '3.admin', '4.admin'];

function group(config: common.Config, ...path: string[]): common.ConfigGroup {
  let current = config.getChannelGroup()!;
  for (const name of path) current = current.getGroupsMap().get(name)!;
  return current;
}

/** The genesis config edited as an operator edits configtxlator's JSON, submitted signed by every admin. */
function editedUpdate(edit: (config: common.Config) => void, base: common.Config = genesis): common.Envelope {
  const updated = base.cloneMessage();
  edit(updated);
  return envelopeFor(computeUpdate('primary', base, updated).serializeBinary(), ALL_ADMINS);
}

function setValue(target: common.ConfigGroup, name: string, bytes: Uint8Array): void {
  const existing = target.getValuesMap().get(name);
  if (existing !== undefined) {
    existing.setValue(bytes);
    return;
  }
  const value = new common.ConfigValue();
  value.setModPolicy('Admins');
  value.setValue(bytes);
  target.getValuesMap().set(name, value);
}

function setPolicy(target: common.ConfigGroup, name: string, policy: common.Policy): void {
  const configPolicy = new common.ConfigPolicy();
  configPolicy.setModPolicy('Admins');
  configPolicy.setPolicy(policy);
  target.getPoliciesMap().set(name, configPolicy);
}

function rawPolicy(type: number, value: Uint8Array): common.Policy {
  const policy = new common.Policy();
  policy.setType(type);
  policy.setValue(value);
  return policy;
}

function capabilities(...names: string[]): Uint8Array {
  const message = new common.Capabilities();
  for (const name of names) message.getCapabilitiesMap().set(name, new common.Capability());
  return message.serializeBinary();
}

function acls(entries: Record<string, string>): Uint8Array {
  const message = new peer.ACLs();
  for (const [resource, ref] of Object.entries(entries)) {
    const api = new peer.APIResource();
    api.setPolicyRef(ref);
    message.getAclsMap().set(resource, api);
  }
  return message.serializeBinary();
}

function consensusType(edit: (type: orderer.ConsensusType) => void): (config: common.Config) => void {
  return (config) => {
    const value = group(config, 'Orderer').getValuesMap().get('ConsensusType')!;
    const type = orderer.ConsensusType.deserializeBinary(value.getValue_asU8());
    edit(type);
    value.setValue(type.serializeBinary());
  };
}

function refusal(envelope: common.Envelope, base: common.Config = genesis): string {
  try {
    applyConfigUpdate('primary', base, envelope, msps);
  } catch (error) {
    expect(error).toMatchObject({ name: 'ConfigUpdateError', code: 'CONFIG_UPDATE_INVALID_CONFIG' });
    return (error as Error).message;
  }
  throw new Error('the update was accepted');
}

/** Bytes that are no protobuf message (a truncated varint). */
const GARBAGE = Uint8Array.from([0x08]);

describe('applyConfigUpdate: the resulting config must build as Fabric\'s channelconfig bundle', () => {
  it('accepts every governed change a channel model makes, signed by a majority of admins', () => {
    const model: ChannelModel = {
      version: 2,
      channel: { policies: { Readers: { type: 'ImplicitMeta', rule: 'ANY Readers' } }, capabilities: ['V3_0'] },
      orderer: { batchTimeoutMs: 250, batchSize: { maxMessageCount: 20, preferredMaxBytes: 1024 * 1024 }, capabilities: ['V2_0'] },
      application: {
        policies: {
          Endorsement: { type: 'Signature', rule: "OutOf(4, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer', 'Org4MSP.peer')" },
          OnlyOrg1Admin: { type: 'Signature', rule: "OR('Org1MSP.admin')" },
        },
        capabilities: ['V2_0', 'V2_5'],
        acls: { 'peer/Propose': 'OnlyOrg1Admin', 'event/Block': '/Channel/Application/Readers' },
        anchorPeers: { Org2MSP: [{ host: 'peer1.org2.example.com', port: 9051 }] },
      },
    };
    const bytes = channelModelUpdate('primary', genesis, model).serializeBinary();
    const applied = applyConfigUpdate('primary', genesis, envelopeFor(bytes, ['1.admin', '2.admin', '3.admin']), msps);
    expect(applied.changedKeys).toEqual(
      expect.arrayContaining(['[Value]  /Channel/Application/ACLs', '[Policy] /Channel/Application/OnlyOrg1Admin', '[Value]  /Channel/Application/Org2MSP/AnchorPeers']),
    );
  });

  it.each<[string, (config: common.Config) => void, string]>([
    [
      'a policy value that does not decode',
      (c) => { setPolicy(group(c, 'Application'), 'Broken', rawPolicy(common.Policy.PolicyType.SIGNATURE, GARBAGE)); },
      'initializing policymanager failed: policy Broken at path Channel/Application did not compile: Error unmarshalling to SignaturePolicy: proto: cannot parse invalid wire-format data',
    ],
    [
      'an implicit-meta policy value that does not decode',
      (c) => { setPolicy(group(c, 'Orderer'), 'Broken', rawPolicy(common.Policy.PolicyType.IMPLICIT_META, GARBAGE)); },
      'initializing policymanager failed: implicit policy Broken at path Channel/Orderer did not compile: Error unmarshalling to ImplicitMetaPolicy: proto: cannot parse invalid wire-format data',
    ],
    [
      'a policy of type MSP, which no provider compiles',
      (c) => { setPolicy(group(c), 'Odd', rawPolicy(common.Policy.PolicyType.MSP, new Uint8Array(0))); },
      'initializing policymanager failed: policy Odd at path Channel has unknown policy type: 2',
    ],
    [
      'a policy of an unknown type',
      (c) => { setPolicy(group(c, 'Application', 'Org3MSP'), 'Odd', rawPolicy(7, new Uint8Array(0))); },
      'initializing policymanager failed: policy Odd at path Channel/Application/Org3MSP has unknown policy type: 7',
    ],
    [
      'an implicit-meta policy with an unknown rule',
      (c) => {
        const meta = new common.ImplicitMetaPolicy();
        meta.setSubPolicy('Admins');
        meta.setRule(5 as common.ImplicitMetaPolicy.RuleMap[keyof common.ImplicitMetaPolicy.RuleMap]);
        setPolicy(group(c, 'Application'), 'Admins', rawPolicy(common.Policy.PolicyType.IMPLICIT_META, meta.serializeBinary()));
      },
      'initializing policymanager failed: implicit policy Admins at path Channel/Application did not compile: unknown ImplicitMetaPolicy rule 5: the devnet evaluates only ANY (0), ALL (1) and MAJORITY (2)',
    ],
    [
      'a signature policy naming an identity it does not list',
      (c) => {
        const envelope = new common.SignaturePolicyEnvelope();
        const rule = new common.SignaturePolicy();
        rule.setSignedBy(2);
        envelope.setRule(rule);
        setPolicy(group(c, 'Application'), 'Dangling', rawPolicy(common.Policy.PolicyType.SIGNATURE, envelope.serializeBinary()));
      },
      'initializing policymanager failed: policy Dangling at path Channel/Application did not compile: identity index out of range, requested 2, but identities length is 0',
    ],
    [
      'a signature policy without a rule',
      (c) => { setPolicy(group(c, 'Application'), 'Empty', rawPolicy(common.Policy.PolicyType.SIGNATURE, new common.SignaturePolicyEnvelope().serializeBinary())); },
      'initializing policymanager failed: policy Empty at path Channel/Application did not compile: Empty policy element',
    ],
    [
      'a signature policy of version 1',
      (c) => {
        const envelope = common.SignaturePolicyEnvelope.deserializeBinary(
          group(c, 'Application', 'Org1MSP').getPoliciesMap().get('Admins')!.getPolicy()!.getValue_asU8(),
        );
        envelope.setVersion(1);
        group(c, 'Application', 'Org1MSP').getPoliciesMap().get('Admins')!.getPolicy()!.setValue(envelope.serializeBinary());
      },
      'initializing policymanager failed: policy Admins at path Channel/Application/Org1MSP did not compile: This evaluator only understands messages of version 0, but version was 1',
    ],
    [
      'a channel capability this Fabric does not know',
      (c) => { setValue(group(c), 'Capabilities', capabilities('V3_0', 'V9_9')); },
      'config update is not compatible: config requires unsupported channel capabilities: Channel capability V9_9 is required but not supported: Channel capability V9_9 is required but not supported',
    ],
    [
      'an orderer capability this Fabric does not know',
      (c) => { setValue(group(c, 'Orderer'), 'Capabilities', capabilities('V3_0')); },
      'config update is not compatible: config requires unsupported orderer capabilities: Orderer capability V3_0 is required but not supported: Orderer capability V3_0 is required but not supported',
    ],
    [
      'an application capability this Fabric does not know',
      (c) => { setValue(group(c, 'Application'), 'Capabilities', capabilities('V2_5', 'V9_9')); },
      'config update is not compatible: config requires unsupported application capabilities: Application capability V9_9 is required but not supported: Application capability V9_9 is required but not supported',
    ],
    [
      'channel capabilities without orderer capabilities',
      (c) => group(c, 'Orderer').getValuesMap().del('Capabilities'),
      'cannot enable channel capabilities without orderer support first',
    ],
    [
      'ACLs with an application capability below V1_2',
      (c) => {
        setValue(group(c, 'Application'), 'Capabilities', capabilities('V1_1'));
        setValue(group(c, 'Application'), 'ACLs', acls({ 'peer/Propose': 'Writers' }));
      },
      'initializing channelconfig failed: could not create channel Application sub-group config: ACLs may not be specified without the required capability',
    ],
    [
      'an ACLs value that does not decode',
      (c) => { setValue(group(c, 'Application'), 'ACLs', GARBAGE); },
      'initializing channelconfig failed: could not create channel Application sub-group config: failed to deserialize values: proto: cannot parse invalid wire-format data',
    ],
    [
      'an AnchorPeers value that does not decode',
      (c) => { setValue(group(c, 'Application', 'Org2MSP'), 'AnchorPeers', GARBAGE); },
      'initializing channelconfig failed: could not create channel Application sub-group config: failed to deserialize values: proto: cannot parse invalid wire-format data',
    ],
    [
      'a value Fabric does not know',
      (c) => { setValue(group(c, 'Application'), 'Colour', new Uint8Array(0)); },
      'initializing channelconfig failed: could not create channel Application sub-group config: failed to deserialize values: Unexpected key Colour',
    ],
    [
      'a BatchSize that does not decode',
      (c) => { setValue(group(c, 'Orderer'), 'BatchSize', GARBAGE); },
      'initializing channelconfig failed: could not create channel Orderer sub-group config: failed to deserialize values: proto: cannot parse invalid wire-format data',
    ],
    [
      'a BatchSize whose max message count is 0',
      (c) => {
        const size = orderer.BatchSize.deserializeBinary(group(c, 'Orderer').getValuesMap().get('BatchSize')!.getValue_asU8());
        size.setMaxMessageCount(0);
        setValue(group(c, 'Orderer'), 'BatchSize', size.serializeBinary());
      },
      'initializing channelconfig failed: could not create channel Orderer sub-group config: Attempted to set the batch size max message count to an invalid value: 0',
    ],
    [
      'a negative BatchTimeout',
      (c) => {
        const timeout = new orderer.BatchTimeout();
        timeout.setTimeout('-1s');
        setValue(group(c, 'Orderer'), 'BatchTimeout', timeout.serializeBinary());
      },
      'initializing channelconfig failed: could not create channel Orderer sub-group config: Attempted to set the batch timeout to a non-positive value: -1s',
    ],
    [
      'a channel capability below V1_4_2 while orderer orgs carry their endpoints',
      (c) => { setValue(group(c), 'Capabilities', capabilities('V1_3')); },
      'initializing channelconfig failed: Must set some OrdererAddresses',
    ],
    [
      'a different MSP ID for an existing application org',
      (c) => {
        const org = group(c, 'Application', 'Org2MSP');
        const mspConfig = msp.MSPConfig.deserializeBinary(org.getValuesMap().get('MSP')!.getValue_asU8());
        const fabricConfig = msp.FabricMSPConfig.deserializeBinary(mspConfig.getConfig_asU8());
        fabricConfig.setName('OtherMSP');
        mspConfig.setConfig(fabricConfig.serializeBinary());
        setValue(org, 'MSP', mspConfig.serializeBinary());
      },
      'application org Org2MSP attempted to change MSP ID from Org2MSP to OtherMSP',
    ],
  ])('refuses %s with BAD_REQUEST\'s info in Fabric\'s words', (_, edit, reason) => {
    expect(refusal(editedUpdate(edit))).toBe(APPLYING + reason);
  });

  it('accepts ACLs with the V1_2 application capability, and an update that removes ACLs while lowering it', () => {
    const withAcls = applyConfigUpdate(
      'primary',
      genesis,
      editedUpdate((c) => {
        setValue(group(c, 'Application'), 'Capabilities', capabilities('V1_2'));
        setValue(group(c, 'Application'), 'ACLs', acls({ 'peer/Propose': 'Writers' }));
      }),
      msps,
    ).config;
    const lowered = applyConfigUpdate(
      'primary',
      withAcls,
      editedUpdate((c) => {
        setValue(group(c, 'Application'), 'Capabilities', capabilities('V1_1'));
        group(c, 'Application').getValuesMap().del('ACLs');
      }, withAcls),
      msps,
    ).config;
    expect(group(lowered, 'Application').getValuesMap().has('ACLs')).toBe(false);
    // Lowering the capability alone leaves ACLs the bundle may not hold.
    expect(refusal(editedUpdate((c) => { setValue(group(c, 'Application'), 'Capabilities', capabilities('V1_1')); }, withAcls), withAcls)).toContain(
      'ACLs may not be specified without the required capability',
    );
  });

  it('keeps the consensus type: a change is refused as Fabric\'s maintenance filter refuses it', () => {
    const MAINTENANCE = 'config update for existing channel did not pass maintenance checks: config transaction inspection failed: ';
    expect(refusal(editedUpdate(consensusType((t) => { t.setType('etcdraft'); })))).toBe(
      `${MAINTENANCE}attempted to change consensus type from devnet to etcdraft, but current config ConsensusType.State is not in maintenance mode`,
    );
    expect(
      refusal(
        editedUpdate(
          consensusType((t) => {
            t.setType('BFT');
            t.setState(orderer.ConsensusType.State.STATE_MAINTENANCE);
          }),
        ),
      ),
    ).toBe(`${MAINTENANCE}attempted to change ConsensusType.Type from devnet to BFT, but ConsensusType.State is changing from STATE_NORMAL to STATE_MAINTENANCE`);

    // Entering maintenance mode alone is accepted; then a type change is still not a transition the devnet runs.
    const maintenance = applyConfigUpdate(
      'primary',
      genesis,
      editedUpdate(consensusType((t) => { t.setState(orderer.ConsensusType.State.STATE_MAINTENANCE); })),
      msps,
    ).config;
    const bothInMaintenance = consensusType((t) => { t.setType('BFT'); });
    expect(refusal(editedUpdate(bothInMaintenance, maintenance), maintenance)).toBe(
      `${MAINTENANCE}attempted to change consensus type from devnet to BFT, transition not supported`,
    );
    // Entering or leaving it must change nothing else.
    expect(
      refusal(
        editedUpdate((c) => {
          consensusType((t) => { t.setState(orderer.ConsensusType.State.STATE_MAINTENANCE); })(c);
          setPolicy(group(c, 'Application'), 'Extra', implicitMetaPolicy('ANY', 'Readers'));
        }),
      ),
    ).toBe(`${MAINTENANCE}config update contains changes to more than one group`);
  });

  it('refuses a stored consenter list changed by two nodes at once, as etcdraft does, and accepts one node', () => {
    const node = (host: string, port: number, tlsCertPem: string): orderer.etcdraft.Consenter => {
      const consenter = new orderer.etcdraft.Consenter();
      consenter.setHost(host);
      consenter.setPort(port);
      consenter.setClientTlsCert(Buffer.from(tlsCertPem));
      consenter.setServerTlsCert(Buffer.from(tlsCertPem));
      return consenter;
    };
    // Orgs 1 to 3 bring their orderer node; Org4's joins later.
    const base = profile();
    const withSet = readConfigBlock(
      buildGenesisBlock({
        ...base,
        orgs: base.orgs.map((org, i) =>
          i === 3 ? org : { ...org, consenter: { host: orgs[i].orderer.host, port: 7050 + 1000 * i, clientTlsCert: orgs[i].orderer.tlsCertPem, serverTlsCert: orgs[i].orderer.tlsCertPem } },
        ),
      }),
    ).config;
    const addNodes = (...added: orderer.etcdraft.Consenter[]): ((config: common.Config) => void) =>
      consensusType((t) => {
        const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(t.getMetadata_asU8());
        metadata.setConsentersList([...metadata.getConsentersList(), ...added]);
        t.setMetadata(metadata.serializeBinary());
      });
    const org4 = node(orgs[3].orderer.host, 10050, orgs[3].orderer.tlsCertPem);
    // A second node of Org1, with a TLS certificate of Org1's TLS CA (its peer's).
    const org1Second = node(orgs[0].orderer.host, 7051, orgs[0].peer.tlsCertPem);
    expect(refusal(editedUpdate(addNodes(org4, org1Second), withSet), withSet)).toBe(
      `${APPLYING}consensus metadata update for channel config update is invalid: consenters: update of more than one consenter at a time is not supported, requested changes: add 2 node(s), remove 0 node(s)`,
    );
    // A certificate no orderer organisation's TLS CA issued (the outsider's).
    expect(refusal(editedUpdate(addNodes(node('orderer0.outsider.example.com', 7050, outsider.orderer.tlsCertPem)), withSet), withSet)).toMatch(
      /^error applying config update to existing channel 'primary': consensus metadata update for channel config update is invalid: consenters\[\d\] \(orderer0\.outsider\.example\.com:7050\): the TLS client certificate is not issued by a TLS CA of an orderer organisation of the channel$/,
    );

    const joined = applyConfigUpdate('primary', withSet, editedUpdate(addNodes(org4), withSet), msps).config;
    expect(readConsenters(ordererGroup(joined))?.map((c) => `${c.host}:${c.port}`)).toEqual(orgs.map((o, i) => `${o.orderer.host}:${7050 + 1000 * i}`));
    // The channel model's update for the next node is accepted too.
    const model: ChannelModel = {
      version: 2,
      orderer: { consenters: [...readConsenters(ordererGroup(joined))!, { host: orgs[0].orderer.host, port: 7051, clientTlsCert: orgs[0].peer.tlsCertPem, serverTlsCert: orgs[0].peer.tlsCertPem }] },
    };
    const next = applyConfigUpdate('primary', joined, envelopeFor(channelModelUpdate('primary', joined, model).serializeBinary(), ALL_ADMINS), msps).config;
    expect(readConsenters(ordererGroup(next))).toHaveLength(5);
  });

  it("validates an etcdraft channel's options and consenters as etcdraft does, and keeps the type", () => {
    // The genesis `devnet up --consensus-type etcdraft` writes: every org's orderer node a consenter.
    const base = profile();
    const raft = readConfigBlock(
      buildGenesisBlock({
        ...base,
        ordererType: 'etcdraft',
        orgs: base.orgs.map((org, i) => ({ ...org, consenter: { host: orgs[i].orderer.host, port: 7050 + 1000 * i, clientTlsCert: orgs[i].orderer.tlsCertPem, serverTlsCert: orgs[i].orderer.tlsCertPem } })),
      }),
    ).config;
    const options = (edit: (o: orderer.etcdraft.Options) => void): ((config: common.Config) => void) =>
      consensusType((t) => {
        const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(t.getMetadata_asU8());
        const o = metadata.getOptions() ?? new orderer.etcdraft.Options();
        edit(o);
        metadata.setOptions(o);
        t.setMetadata(metadata.serializeBinary());
      });
    const invalid = `${APPLYING}consensus metadata update for channel config update is invalid: invalid new config metadata: `;
    expect(refusal(editedUpdate(options((o) => { o.setElectionTick(1); }), raft), raft)).toBe(`${invalid}ElectionTick (1) must be greater than HeartbeatTick (1)`);
    expect(refusal(editedUpdate(options((o) => { o.setMaxInflightBlocks(0); }), raft), raft)).toBe(`${invalid}none of HeartbeatTick (1), ElectionTick (10) and MaxInflightBlocks (0) can be zero`);
    expect(refusal(editedUpdate(options((o) => { o.setTickInterval('0s'); }), raft), raft)).toBe(`${invalid}TickInterval cannot be zero`);
    expect(refusal(editedUpdate(options((o) => { o.setTickInterval('soon'); }), raft), raft)).toMatch(/^.*invalid new config metadata: failed to parse TickInterval \(soon\) to time duration: /);
    const slower = applyConfigUpdate('primary', raft, editedUpdate(options((o) => { o.setTickInterval('1s'); }), raft), msps).config;
    const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(orderer.ConsensusType.deserializeBinary(ordererGroup(slower).getValuesMap().get('ConsensusType')!.getValue_asU8()).getMetadata_asU8());
    expect(metadata.getOptions()?.getTickInterval()).toBe('1s');
    expect(readConsenters(ordererGroup(slower))).toHaveLength(4);
    // Consenter changes follow etcdraft's rules on an etcdraft channel too.
    expect(refusal(editedUpdate(consensusType((t) => {
      const m = orderer.etcdraft.ConfigMetadata.deserializeBinary(t.getMetadata_asU8());
      m.setConsentersList([]);
      t.setMetadata(m.serializeBinary());
    }), raft), raft)).toBe(`${APPLYING}consensus metadata update for channel config update is invalid: consenters: empty consenter set`);
    // Fabric migrates etcdraft to BFT through maintenance mode; the devnet, ordering alone, to no type at all.
    expect(refusal(editedUpdate(consensusType((t) => { t.setType('BFT'); }), raft), raft)).toBe(
      'config update for existing channel did not pass maintenance checks: config transaction inspection failed: attempted to change consensus type from etcdraft to BFT, but current config ConsensusType.State is not in maintenance mode',
    );
  });

  it('refuses a consensus type change outright when the orderer capabilities predate migration', () => {
    const old = applyConfigUpdate('primary', genesis, editedUpdate((c) => { setValue(group(c, 'Orderer'), 'Capabilities', capabilities('V1_1')); }), msps).config;
    expect(refusal(editedUpdate(consensusType((t) => { t.setType('etcdraft'); }), old), old)).toBe(
      'config update for existing channel did not pass maintenance checks: config transaction inspection failed: next config attempted to change ConsensusType.Type from devnet to etcdraft, but capability is disabled',
    );
  });
});
