/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A CB's configuration to the channel model, and the update every member computes from it: the
 * same bytes from the same config whatever the order of the model's keys and sets, authorised as
 * the orderer decides it by the mod_policies of what it changes.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, orderer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import type { ChannelModel, ChannelProfile } from 'fabric-config/configtx';
import {
  buildGenesisBlock,
  channelModelDifferences,
  channelModelUpdate,
  readBatchParams,
  readChannelModel,
  readConfigBlock,
  readMsps,
  updateRequirements,
} from 'fabric-config/configtx';
import { MspRegistry } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { acceptConfigUpdate, generateTestOrgs, signedEnvelope, testChannelProfile } from 'fabric-config/testing';
import { channelModelOfCb, consensusTypeOf, managementModelOfCb, managementSectionProblems, primaryPartOf } from './cbModel';
import { modelRefusal } from './channelCheck';
import { validateConfig } from 'mgmt-chaincode/dist/protocol';
import type { JsonObject } from 'mgmt-chaincode/dist/protocol';
import { CHANNEL_MODEL_SCHEMA_FILE, readSchemaFile } from '../twins/primaryConfig';
import { describeWaiting } from './fabricAdapter';

let root: string;
let orgs: OrgCrypto[];
let genesisBytes: Uint8Array;

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('primary-model', 4));
  genesisBytes = buildGenesisBlock(testChannelProfile(orgs, { batchTimeout: '100ms' })).serializeBinary();
});

afterAll(() => { rmSync(root, { recursive: true, force: true }); });

/** The config as one member reads it: its own decode of the block bytes. */
function memberView(bytes: Uint8Array = genesisBytes): common.Config {
  return readConfigBlock(common.Block.deserializeBinary(bytes)).config;
}

function submit(config: common.Config, update: Uint8Array, signers: number[]): ReturnType<typeof acceptConfigUpdate> {
  const envelope = signedEnvelope(orgs, update, signers.map((i) => `${i + 1}.admin`));
  return acceptConfigUpdate('primary', config, envelope, new MspRegistry(readMsps(config)));
}

/** A profile whose orderer runs a real Fabric consensus type, each org with a consenter. */
function consensusProfile(ordererType: 'etcdraft' | 'BFT'): ChannelProfile {
  const base = testChannelProfile(orgs, { ordererType });
  return {
    ...base,
    orgs: base.orgs.map((org, i) => ({
      ...org,
      consenter: {
        host: `orderer${i}.example.com`,
        port: 7050,
        clientTlsCert: orgs[i].orderer.tlsCertPem,
        serverTlsCert: orgs[i].orderer.tlsCertPem,
        identityCert: orgs[i].orderer.signCertPem,
      },
    })),
  };
}

const GOVERNANCE: ChannelModel = {
  version: 2,
  orderer: { batchTimeoutMs: 250, batchSize: { maxMessageCount: 20, preferredMaxBytes: 1024 * 1024 }, capabilities: ['V2_0'] },
  application: {
    policies: { Endorsement: { type: 'Signature', rule: "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer', 'Org3MSP.peer')" } },
    capabilities: ['V2_0', 'V2_5'],
    acls: { '_lifecycle/CheckCommitReadiness': '/Channel/Application/Writers', 'qscc/GetChainInfo': '/Channel/Application/Readers' },
    anchorPeers: { Org2MSP: [{ host: 'peer1.org2.example.com', port: 9051 }, { host: 'peer0.org2.example.com', port: 9051 }] },
  },
  channel: { policies: { Readers: { type: 'ImplicitMeta', rule: 'ANY Readers' } } },
};

/** The same model with every object's keys and every set in reverse order. */
function reversed<T>(value: T): T {
  if (Array.isArray(value)) return [...value].reverse().map((v: unknown) => reversed(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).reverse().map(([k, v]) => [k, reversed(v)])) as T;
  }
  return value;
}

describe('channelModelOfCb', () => {
  it('reads the two batch values of older chains as the block interval and size', () => {
    expect(channelModelOfCb({ batchTimeoutMs: 1500, maxMessageCount: 3 }, 'etcdraft')).toEqual({ version: 2, orderer: { batchTimeoutMs: 1500, batchSize: { maxMessageCount: 3 } } });
    // SmartBFT cuts by RequestBatchMaxInterval and ignores BatchTimeout.
    expect(channelModelOfCb({ batchTimeoutMs: 1500, maxMessageCount: 3 }, 'BFT')).toEqual({
      version: 2,
      orderer: { batchSize: { maxMessageCount: 3 }, smartbft: { requestBatchMaxIntervalMs: 1500 } },
    });
  });

  it.each([
    [{ batchTimeoutMs: 0, maxMessageCount: 3 }, /batchTimeoutMs/],
    [{ batchTimeoutMs: 1.5, maxMessageCount: 3 }, /batchTimeoutMs/],
    [{ batchTimeoutMs: 100 }, /maxMessageCount/],
    [{ version: 2, orderer: { batchSize: { maxMessageCount: 0 } } }, /config\.orderer\.batchSize\.maxMessageCount/],
    [{ version: 2, application: { capabilities: ['V9_9'] } }, /Application capability V9_9 is required but not supported/],
    [{ version: 2, channel: { policies: { Admins: { type: 'Signature', rule: "OR('Org1MSP.admin'" } } } }, /config\.channel\.policies\.Admins/],
    [{ version: 2, orderer: { batchSizes: {} } }, /config\.orderer\.batchSizes: unknown field/],
    [{ version: 2, organizations: { Org4MSP: null, Org5MSP: { mspId: 'Org5MSP', rootCerts: [], tlsRootCerts: [], groups: ['consortium'] } } }, /config\.organizations\.Org5MSP\.rootCerts: .*config\.organizations\.Org5MSP\.groups/],
  ])('refuses %j, naming the field', (config, message) => {
    expect(() => channelModelOfCb(config, 'devnet')).toThrow(message);
    expect(() => channelModelOfCb(config, 'devnet')).toThrow(expect.objectContaining({ code: 'PRIMARY_BAD_CONFIG' }));
  });
});

describe('the management section', () => {
  const bft = (): common.Config => memberView(buildGenesisBlock(consensusProfile('BFT')).serializeBinary());
  const organizations = { Org4MSP: null };

  it("is mgmt's alone: primary's model leaves it out, mgmt's is it plus the CB's organisations", () => {
    const consenters = readChannelModel(bft()).orderer?.consenters ?? [];
    const config = { version: 2, orderer: { batchTimeoutMs: 300 }, organizations, management: { orderer: { consenters: consenters.slice(1), batchSize: { maxMessageCount: 7 } } } } as unknown as JsonObject;
    expect(channelModelOfCb(config, 'etcdraft')).toEqual({ version: 2, orderer: { batchTimeoutMs: 300 }, organizations });
    expect(primaryPartOf(config)).not.toHaveProperty('management');
    expect(managementModelOfCb(config)).toEqual({ version: 2, orderer: { consenters: consenters.slice(1), batchSize: { maxMessageCount: 7 } }, organizations });
    expect(managementModelOfCb({ version: 2, orderer: { batchTimeoutMs: 300 } })).toEqual({ version: 2 });
    expect(managementModelOfCb({ batchTimeoutMs: 300, maxMessageCount: 3 })).toEqual({ version: 2 });
    // A BFT channel takes one consenter out per update, and its consenters must be its orderer organisations'.
    expect(modelRefusal(bft(), managementModelOfCb({ version: 2, management: { orderer: { consenters: consenters.slice(1) } } } as unknown as JsonObject))).toBeUndefined();
    expect(modelRefusal(bft(), managementModelOfCb({ version: 2, management: { orderer: { consenters: consenters.slice(2) } } } as unknown as JsonObject))).toMatch(/consenter/);
  });

  it.each<[string, JsonObject, RegExp]>([
    ['not an object', { version: 2, management: [] }, /config\.management: must be an object/],
    ['its own organisations', { version: 2, management: { organizations: {} } }, /config\.management\.organizations: not allowed here/],
    ['a version', { version: 2, management: { version: 2 } }, /config\.management\.version: not allowed here/],
    ['a bad value', { version: 2, management: { orderer: { batchSize: { maxMessageCount: 0 } } } }, /config\.management\.orderer\.batchSize\.maxMessageCount/],
    ['an unknown field', { version: 2, management: { orderers: {} } }, /config\.management\.orderers: unknown field/],
  ])('refuses %s, naming the field', (_, config, message) => {
    expect(managementSectionProblems(config).join('; ')).toMatch(message);
    expect(() => managementModelOfCb(config)).toThrow(expect.objectContaining({ code: 'PRIMARY_BAD_CONFIG' }));
  });

  it("passes the shipped schema (each section as primary's), which refuses organisations in it", () => {
    const schema = readSchemaFile(CHANNEL_MODEL_SCHEMA_FILE);
    expect(() => validateConfig({ version: 2, management: { orderer: { batchSize: { maxMessageCount: 7 } }, channel: { capabilities: ['V3_0'] } } }, schema)).not.toThrow();
    expect(() => validateConfig({ version: 2, management: { organizations: {} } }, schema)).toThrow(/management/);
    expect(() => validateConfig({ version: 2, management: { orderer: { batchSize: { maxMessageCount: 0 } } } }, schema)).toThrow(/maxMessageCount|minimum/);
  });
});

describe('channelModelUpdate', () => {
  it('gives four members byte-identical updates from differently ordered inputs', () => {
    const inputs = [GOVERNANCE, reversed(GOVERNANCE), JSON.parse(JSON.stringify(reversed(GOVERNANCE))) as ChannelModel, { ...GOVERNANCE }];
    const updates = inputs.map((model) => Buffer.from(channelModelUpdate('primary', memberView(), model).serializeBinary()).toString('hex'));
    expect(new Set(updates).size).toBe(1);
  });

  it('puts every governed kind of value in force with 3 of 4 admins, and is refused with 2', () => {
    const config = memberView();
    const update = channelModelUpdate('primary', config, GOVERNANCE).serializeBinary();
    expect(() => submit(config, update, [0, 1])).toThrow(/policy/);
    const applied = submit(config, update, [0, 1, 3]);
    expect(channelModelDifferences(GOVERNANCE, applied.config)).toEqual([]);
    const model = readChannelModel(applied.config);
    expect(model.application?.anchorPeers?.Org2MSP).toEqual([{ host: 'peer0.org2.example.com', port: 9051 }, { host: 'peer1.org2.example.com', port: 9051 }]);
    expect(model.application?.acls).toEqual(GOVERNANCE.application?.acls);
    expect(readBatchParams(applied.config)).toMatchObject({ batchTimeout: '250ms', batchSize: { maxMessageCount: 20, preferredMaxBytes: 1024 * 1024 } });
  });

  it('asks only the organisation whose anchor peers change', () => {
    const config = memberView();
    const model: ChannelModel = { version: 2, application: { anchorPeers: { Org3MSP: [{ host: 'peer9.org3.example.com', port: 1234 }] } } };
    const update = channelModelUpdate('primary', config, model);
    const requirements = updateRequirements(config, update);
    expect(requirements.map((r) => [r.policy, r.mspIds])).toEqual([['/Channel/Application/Org3MSP/Admins', ['Org3MSP']]]);
    expect(describeWaiting(requirements, [])).toMatch(/not yet signed by Org3MSP/);
    const applied = submit(config, update.serializeBinary(), [2]);
    expect(channelModelDifferences(model, applied.config)).toEqual([]);
  });

  it('needs the orderer organisations for orderer values and the application organisations for ACLs', () => {
    const config = memberView();
    const ordererUpdate = channelModelUpdate('primary', config, { version: 2, orderer: { batchSize: { absoluteMaxBytes: 4 * 1024 * 1024 } } });
    expect(updateRequirements(config, ordererUpdate).map((r) => r.policy)).toEqual(['/Channel/Orderer/Admins']);
    const aclUpdate = channelModelUpdate('primary', config, { version: 2, application: { acls: { 'peer/Propose': '/Channel/Application/Writers' } } });
    expect(updateRequirements(config, aclUpdate)).toEqual([
      { key: '[Group]  /Channel/Application', policy: '/Channel/Application/Admins', mspIds: ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'] },
    ]);
  });

  it('still yields an update, raising only BatchTimeout\'s version, when the channel already runs the model', () => {
    const config = memberView();
    const update = channelModelUpdate('primary', config, { version: 2, orderer: { batchTimeoutMs: 100, batchSize: { maxMessageCount: 10 } } });
    const applied = submit(config, update.serializeBinary(), [1, 2, 3]);
    expect(applied.changedKeys).toEqual(['[Value]  /Channel/Orderer/BatchTimeout']);
    expect(applied.config.getSequence()).toBe(config.getSequence() + 1);
    expect(readBatchParams(applied.config)).toEqual(readBatchParams(config));
  });

  it.each([
    [{ version: 2, application: { acls: { 'peer/Propose': '/Channel/Application/Nobody' } } }, /application\.acls\.peer\/Propose: no such policy \/Channel\/Application\/Nobody/],
    [{ version: 2, application: { anchorPeers: { Org9MSP: [] } } }, /no application organisation Org9MSP/],
    [{ version: 2, orderer: { etcdraft: { electionTick: 20 } } }, /consensus type is devnet, not etcdraft/],
    [{ version: 2, orderer: { batchSize: { preferredMaxBytes: 20 * 1024 * 1024 } } }, /orderer\.batchSize/],
  ] as [ChannelModel, RegExp][])('refuses what Fabric would refuse: %j', (model, message) => {
    expect(() => channelModelUpdate('primary', memberView(), model)).toThrow(message);
  });

  it('accepts an ACL naming a policy the same model adds', () => {
    const model: ChannelModel = {
      version: 2,
      application: { policies: { Auditors: { type: 'Signature', rule: "OR('Org1MSP.admin', 'Org2MSP.admin')" } }, acls: { 'qscc/GetBlockByNumber': 'Auditors' } },
    };
    const applied = submit(memberView(), channelModelUpdate('primary', memberView(), model).serializeBinary(), [0, 1, 2]);
    expect(channelModelDifferences(model, applied.config)).toEqual([]);
  });

  it('changes etcdraft options on an etcdraft channel, checking them as Fabric does', () => {
    const config = memberView(buildGenesisBlock(consensusProfile('etcdraft')).serializeBinary());
    expect(consensusTypeOf(config)).toBe('etcdraft');
    expect(readChannelModel(config).orderer?.etcdraft).toEqual({ tickIntervalMs: 500, electionTick: 10, heartbeatTick: 1, maxInflightBlocks: 5, snapshotIntervalSize: 16 * 1024 * 1024 });
    const model: ChannelModel = { version: 2, orderer: { etcdraft: { tickIntervalMs: 250, electionTick: 20 } } };
    const applied = submit(config, channelModelUpdate('primary', config, model).serializeBinary(), [0, 1, 2]);
    const type = orderer.ConsensusType.deserializeBinary(applied.config.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('ConsensusType')!.getValue_asU8());
    expect(orderer.etcdraft.ConfigMetadata.deserializeBinary(type.getMetadata_asU8()).getOptions()?.getTickInterval()).toBe('250ms');
    expect(orderer.etcdraft.ConfigMetadata.deserializeBinary(type.getMetadata_asU8()).getConsentersList()).toHaveLength(4);
    expect(() => channelModelUpdate('primary', config, { version: 2, orderer: { etcdraft: { heartbeatTick: 10 } } })).toThrow(/ElectionTick \(10\) must be greater than HeartbeatTick \(10\)/);
  });

  it('puts the block interval of an older chain in force on a SmartBFT channel', () => {
    const config = memberView(buildGenesisBlock(consensusProfile('BFT')).serializeBinary());
    const model = channelModelOfCb({ batchTimeoutMs: 400, maxMessageCount: 50 }, consensusTypeOf(config));
    const applied = submit(config, channelModelUpdate('primary', config, model).serializeBinary(), [0, 1, 2]);
    expect(readChannelModel(applied.config).orderer).toMatchObject({ batchSize: { maxMessageCount: 50 }, smartbft: { requestBatchMaxIntervalMs: 400 } });
    expect(() => channelModelUpdate('primary', config, { version: 2, orderer: { smartbft: { requestForwardTimeoutMs: 60_000 } } })).toThrow(
      /RequestForwardTimeout is bigger than RequestComplainTimeout/,
    );
  });
});
