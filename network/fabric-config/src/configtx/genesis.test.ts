import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, orderer } from '@hyperledger/fabric-protos';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { MspRegistry } from '../msp';
import type { OrgCrypto } from '../msp';
import { generateTestOrgs, testChannelProfile } from '../testing/orgs';
import { blockDataHash } from './blockHash';
import { decodeConfigBlock, readBatchParams, readConfigBlock, readLastConfigIndex, readMsps } from './decode';
import { withBatchParams } from './batch';
import type { BatchChange } from './batch';
import { buildGenesisBlock } from './genesis';
import { computeUpdate } from './update';
import { etcdraftOptionsProblem, readConsenters } from './consenters';
import { describeSignaturePolicy } from './policy';
import type { ChannelProfile } from './profile';

const FIXED = { timestamp: new Date('2026-01-01T00:00:00.500Z'), nonce: new Uint8Array(24).fill(7) };

let root: string;
let orgs: OrgCrypto[];

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('configtx-genesis', 4));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function profile(overrides: Partial<ChannelProfile> = {}): ChannelProfile {
  return testChannelProfile(orgs, overrides);
}

function withConsenters(p: ChannelProfile): ChannelProfile {
  return {
    ...p,
    orgs: p.orgs.map((org, i) => ({
      ...org,
      consenter: {
        host: orgs[i].orderer.host,
        port: 7050 + 1000 * i,
        clientTlsCert: orgs[i].orderer.tlsCertPem,
        serverTlsCert: orgs[i].orderer.tlsCertPem,
        identityCert: orgs[i].orderer.signCertPem,
      },
    })),
  };
}

describe('buildGenesisBlock', () => {
  it('lays out block 0 as configtxgen does', () => {
    const block = buildGenesisBlock(profile(), FIXED);
    const header = block.getHeader()!;
    expect(header.getNumber()).toBe(0);
    expect(header.getPreviousHash_asU8()).toHaveLength(0);
    const data = block.getData()!.getDataList_asU8();
    expect(data).toHaveLength(1);
    expect(Buffer.from(header.getDataHash_asU8())).toEqual(Buffer.from(blockDataHash(data)));

    const envelope = common.Envelope.deserializeBinary(data[0]);
    expect(envelope.getSignature_asU8()).toHaveLength(0);
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8());
    expect(channelHeader.getType()).toBe(common.HeaderType.CONFIG);
    expect(channelHeader.getChannelId()).toBe('primary');
    expect(channelHeader.getTimestamp()!.getSeconds()).toBe(Math.floor(FIXED.timestamp.getTime() / 1000));
    expect(channelHeader.getTimestamp()!.getNanos()).toBe(0);
    expect(channelHeader.getTxId()).toBe(createHash('sha256').update(FIXED.nonce).digest('hex'));
    const signatureHeader = common.SignatureHeader.deserializeBinary(payload.getHeader()!.getSignatureHeader_asU8());
    expect(signatureHeader.getCreator_asU8()).toHaveLength(0);

    const metadata = block.getMetadata()!.getMetadataList_asU8();
    expect(metadata).toHaveLength(5);
    const signatures = common.Metadata.deserializeBinary(metadata[common.BlockMetadataIndex.SIGNATURES]);
    expect(common.OrdererBlockMetadata.deserializeBinary(signatures.getValue_asU8()).getLastConfig()!.getIndex()).toBe(0);
    const lastConfig = common.Metadata.deserializeBinary(metadata[common.BlockMetadataIndex.LAST_CONFIG]);
    expect(common.LastConfig.deserializeBinary(lastConfig.getValue_asU8()).getIndex()).toBe(0);
    expect(metadata[common.BlockMetadataIndex.TRANSACTIONS_FILTER]).toHaveLength(0);
    expect(readLastConfigIndex(block)).toBe(0);

    const { channelId, config, lastUpdate } = readConfigBlock(block);
    expect(channelId).toBe('primary');
    expect(config.getSequence()).toBe(0);
    expect(lastUpdate).toBeUndefined();
  });

  it('is reproducible with a fixed timestamp and nonce', () => {
    expect(Buffer.from(buildGenesisBlock(profile(), FIXED).serializeBinary())).toEqual(Buffer.from(buildGenesisBlock(profile(), FIXED).serializeBinary()));
  });

  it('decodes back to the profile: batch parameters, four orgs and their certificates', () => {
    const view = decodeConfigBlock(buildGenesisBlock(profile()));
    expect(view).toMatchObject({
      channelId: 'primary',
      sequence: 0,
      hashingAlgorithm: 'SHA256',
      ordererAddresses: [],
      capabilities: { channel: ['V3_0'], orderer: ['V2_0'], application: ['V2_5'] },
      consensusType: 'devnet',
      consensusState: 'STATE_NORMAL',
      batchSize: { maxMessageCount: 10, absoluteMaxBytes: 10 * 1024 * 1024, preferredMaxBytes: 2 * 1024 * 1024 },
      batchTimeout: '2s',
      batchTimeoutMs: 2000,
    });
    expect(view.orgs.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    view.orgs.forEach((org, i) => {
      expect(org).toEqual({
        mspId: `Org${i + 1}MSP`,
        groupNames: [`Org${i + 1}MSP`],
        memberOf: ['Application', 'Orderer'],
        rootCerts: [orgs[i].caCertPem],
        tlsRootCerts: [orgs[i].tlsCaCertPem],
        nodeOUs: true,
        anchorPeers: [{ host: orgs[i].peer.host, port: 7051 + 1000 * i }],
        ordererEndpoints: [`${orgs[i].orderer.host}:${7050 + 1000 * i}`],
      });
    });
    // Every element of a genesis config is at version 0 and guarded by its group's Admins...
    for (const [key, entry] of Object.entries(view.versions)) {
      expect({ key, ...entry }).toEqual({ key, version: 0, modPolicy: 'Admins' });
    }
    expect(Object.keys(view.versions)).toEqual(
      expect.arrayContaining([
        '[Group]  /Channel',
        '[Value]  /Channel/HashingAlgorithm',
        '[Value]  /Channel/BlockDataHashingStructure',
        '[Value]  /Channel/Capabilities',
        '[Value]  /Channel/Orderer/BatchSize',
        '[Value]  /Channel/Orderer/BatchTimeout',
        '[Value]  /Channel/Orderer/ConsensusType',
        '[Value]  /Channel/Orderer/ChannelRestrictions',
        '[Value]  /Channel/Orderer/Capabilities',
        '[Value]  /Channel/Orderer/Org1MSP/MSP',
        '[Value]  /Channel/Orderer/Org1MSP/Endpoints',
        '[Value]  /Channel/Application/Capabilities',
        '[Value]  /Channel/Application/Org4MSP/MSP',
        '[Value]  /Channel/Application/Org4MSP/AnchorPeers',
      ]),
    );
    // ...and the policies are configtxgen's.
    expect(view.policies).toMatchObject({
      '/Channel/Readers': { type: 'ImplicitMeta', rule: 'ANY', subPolicy: 'Readers' },
      '/Channel/Writers': { type: 'ImplicitMeta', rule: 'ANY', subPolicy: 'Writers' },
      '/Channel/Admins': { type: 'ImplicitMeta', rule: 'MAJORITY', subPolicy: 'Admins' },
      '/Channel/Application/Admins': { type: 'ImplicitMeta', rule: 'MAJORITY', subPolicy: 'Admins' },
      '/Channel/Application/Endorsement': { type: 'ImplicitMeta', rule: 'MAJORITY', subPolicy: 'Endorsement' },
      '/Channel/Application/LifecycleEndorsement': { type: 'ImplicitMeta', rule: 'MAJORITY', subPolicy: 'Endorsement' },
      '/Channel/Application/Org2MSP/Readers': { type: 'Signature', rule: "OR('Org2MSP.admin', 'Org2MSP.peer', 'Org2MSP.client')" },
      '/Channel/Application/Org2MSP/Writers': { type: 'Signature', rule: "OR('Org2MSP.admin', 'Org2MSP.client')" },
      '/Channel/Application/Org2MSP/Admins': { type: 'Signature', rule: "OR('Org2MSP.admin')" },
      '/Channel/Application/Org2MSP/Endorsement': { type: 'Signature', rule: "OR('Org2MSP.peer')" },
      '/Channel/Orderer/Admins': { type: 'ImplicitMeta', rule: 'MAJORITY', subPolicy: 'Admins' },
      '/Channel/Orderer/BlockValidation': { type: 'ImplicitMeta', rule: 'ANY', subPolicy: 'Writers' },
      '/Channel/Orderer/Org3MSP/Writers': { type: 'Signature', rule: "OR('Org3MSP.member')" },
      '/Channel/Orderer/Org3MSP/Admins': { type: 'Signature', rule: "OR('Org3MSP.admin')" },
    });
  });

  it('gives MSP definitions the MSP registry accepts', () => {
    const { config } = readConfigBlock(buildGenesisBlock(profile()));
    const msps = readMsps(config);
    // cryptogen's NodeOUs: every role bound to the organisation's one root.
    const bound = (pem: string): Record<string, string> => ({ client: pem, peer: pem, admin: pem, orderer: pem });
    expect(msps).toEqual(orgs.map((o) => ({ mspId: o.mspId, rootCerts: [o.caCertPem], tlsRootCerts: [o.tlsCaCertPem], nodeOuCertifiers: bound(o.caCertPem) })));
    expect(new MspRegistry(msps).mspIds()).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    expect(readBatchParams(config)).toEqual({
      batchSize: { maxMessageCount: 10, absoluteMaxBytes: 10485760, preferredMaxBytes: 2097152 },
      batchTimeout: '2s',
      batchTimeoutMs: 2000,
    });
  });

  it('writes global OrdererAddresses only without the V3_0 channel capability', () => {
    const view = decodeConfigBlock(buildGenesisBlock(profile({ capabilities: { channel: ['V2_0'] } })));
    expect(view.ordererAddresses).toEqual(orgs.map((o, i) => `${o.orderer.host}:${7050 + 1000 * i}`));
    expect(view.versions['[Value]  /Channel/OrdererAddresses']).toEqual({ version: 0, modPolicy: '/Channel/Orderer/Admins' });
  });

  it('encodes etcdraft consenters and options', () => {
    const { config } = readConfigBlock(buildGenesisBlock(withConsenters(profile({ ordererType: 'etcdraft' }))));
    const value = config.getChannelGroup()!.getGroupsMap().get('Orderer')!.getValuesMap().get('ConsensusType')!;
    const consensus = orderer.ConsensusType.deserializeBinary(value.getValue_asU8());
    expect(consensus.getType()).toBe('etcdraft');
    const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(consensus.getMetadata_asU8());
    expect(metadata.getConsentersList().map((c) => `${c.getHost()}:${c.getPort()}`)).toEqual(orgs.map((o, i) => `${o.orderer.host}:${7050 + 1000 * i}`));
    expect(metadata.getOptions()!.getTickInterval()).toBe('500ms');
    expect(metadata.getOptions()!.getSnapshotIntervalSize()).toBe(16 * 1024 * 1024);
    // What a Fabric node checks before it uses the block: the options, and each consenter's TLS certificates.
    expect(etcdraftOptionsProblem(metadata)).toBeUndefined();
    expect(metadata.getConsentersList().map((c) => [Buffer.from(c.getClientTlsCert_asU8()).toString(), Buffer.from(c.getServerTlsCert_asU8()).toString()])).toEqual(
      orgs.map((o) => [o.orderer.tlsCertPem, o.orderer.tlsCertPem]),
    );
    expect(readConsenters(config.getChannelGroup()!.getGroupsMap().get('Orderer')!)).toHaveLength(orgs.length);
  });

  it('encodes BFT consenters and a 3-of-4 BlockValidation policy over their identities', () => {
    const { config } = readConfigBlock(buildGenesisBlock(withConsenters(profile({ ordererType: 'BFT' }))));
    const group = config.getChannelGroup()!.getGroupsMap().get('Orderer')!;
    const orderers = common.Orderers.deserializeBinary(group.getValuesMap().get('Orderers')!.getValue_asU8());
    expect(orderers.getConsenterMappingList().map((c) => [c.getId(), c.getMspId()])).toEqual([
      [1, 'Org1MSP'],
      [2, 'Org2MSP'],
      [3, 'Org3MSP'],
      [4, 'Org4MSP'],
    ]);
    const policy = group.getPoliciesMap().get('BlockValidation')!.getPolicy()!;
    expect(policy.getType()).toBe(common.Policy.PolicyType.SIGNATURE);
    expect(describeSignaturePolicy(common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8()))).toBe(
      "OutOf(3, identity('Org1MSP'), identity('Org2MSP'), identity('Org3MSP'), identity('Org4MSP'))",
    );
    const consensus = orderer.ConsensusType.deserializeBinary(group.getValuesMap().get('ConsensusType')!.getValue_asU8());
    expect(orderer.smartbft.Options.deserializeBinary(consensus.getMetadata_asU8()).getRequestBatchMaxInterval()).toBe('50ms');
  });

  it.each<[string, (p: ChannelProfile) => ChannelProfile, string]>([
    ['an illegal channel ID', (p) => ({ ...p, channelId: 'Primary' }), "channelId: 'Primary' contains illegal characters"],
    ['no orgs', (p) => ({ ...p, orgs: [] }), 'orgs: at least one organisation is required'],
    ['a duplicate MSP ID', (p) => ({ ...p, orgs: [p.orgs[0], p.orgs[0]] }), 'orgs[1].mspId: duplicate MSP ID Org1MSP'],
    ['an org without root certificates', (p) => ({ ...p, orgs: [{ ...p.orgs[0], rootCerts: [] }] }), 'orgs[0].rootCerts: at least one root certificate is required'],
    ['a root that is not PEM', (p) => ({ ...p, orgs: [{ ...p.orgs[0], rootCerts: ['nope'] }] }), 'orgs[0].rootCerts[0]: not a PEM certificate'],
    ['BatchSize max message count 0', (p) => ({ ...p, batchSize: { ...p.batchSize, maxMessageCount: 0 } }), 'batchSize: Attempted to set the batch size max message count to an invalid value: 0'],
    [
      'preferred above absolute max bytes',
      (p) => ({ ...p, batchSize: { maxMessageCount: 10, absoluteMaxBytes: 1000, preferredMaxBytes: 2000 } }),
      'batchSize: Attempted to set the batch size preferred max bytes (2000) greater than the absolute max bytes (1000).',
    ],
    ['a non-Go BatchTimeout', (p) => ({ ...p, batchTimeout: '2 seconds' }), 'batchTimeout: Attempted to set the batch timeout to a invalid value: time: unknown unit'],
    ['a zero BatchTimeout', (p) => ({ ...p, batchTimeout: '0s' }), 'batchTimeout: Attempted to set the batch timeout to a non-positive value: 0s'],
    ['BFT without V3_0', (p) => withConsenters({ ...p, ordererType: 'BFT', capabilities: { channel: ['V2_0'] } }), 'orderer type BFT must be used with V3_0 channel capability'],
    ['V3_0 without orderer endpoints', (p) => ({ ...p, orgs: p.orgs.map((org) => ({ ...org, ordererEndpoint: undefined })) }), 'orderer endpoints for organization Org1MSP, Org2MSP, Org3MSP, Org4MSP are missing'],
    ['an unknown capability', (p) => ({ ...p, capabilities: { application: ['V9_9'] } }), 'capabilities.application: Application capability V9_9 is required but not supported'],
    ['BFT without consenters', (p) => ({ ...p, ordererType: 'BFT' }), 'orgs: orderer type BFT needs at least one consenter'],
    ['etcdraft without consenters', (p) => ({ ...p, ordererType: 'etcdraft' }), 'orgs: orderer type etcdraft needs at least one consenter'],
  ])('refuses a profile with %s', (_, change, message) => {
    expect(() => buildGenesisBlock(change(profile()))).toThrow(expect.objectContaining({ name: 'ConfigtxError', code: 'CONFIGTX_BAD_PROFILE', message: expect.stringContaining(message) }));
  });
});

/** Fabric's configtxlator, from $FABRIC_BIN or the PATH; the devnet does not need it. */
function findConfigtxlator(): string | undefined {
  const dirs = [process.env['FABRIC_BIN'], ...(process.env['PATH'] ?? '').split(delimiter)].filter((d): d is string => d !== undefined && d !== '');
  return dirs.map((dir) => join(dir, 'configtxlator')).find((candidate) => existsSync(candidate));
}

const configtxlator = findConfigtxlator();

/** configtxlator's JSON of a protobuf file; written to a file, as /dev/stdout may be unavailable. */
function protoDecode(input: string, type: string): string {
  const output = `${input}.json`;
  execFileSync(configtxlator as string, ['proto_decode', '--input', input, '--type', type, '--output', output]);
  return readFileSync(output, 'utf8');
}
const withConfigtxlator = configtxlator === undefined ? it.skip : it;

describe('against Fabric', () => {
  withConfigtxlator(
    configtxlator === undefined
      ? 'configtxlator decodes our genesis block (SKIPPED: no configtxlator in $FABRIC_BIN or on the PATH)'
      : 'configtxlator decodes our genesis block',
    () => {
      const file = join(root, 'genesis.block');
      writeFileSync(file, buildGenesisBlock(profile()).serializeBinary());
      const json = JSON.parse(protoDecode(file, 'common.Block')) as {
        data: { data: { payload: { header: { channel_header: { channel_id: string } }; data: { config: { sequence: string; channel_group: { groups: Record<string, { groups: Record<string, unknown>; values: Record<string, { value: unknown }> }> } } } } }[] };
      };
      const envelope = json.data.data[0];
      expect(envelope.payload.header.channel_header.channel_id).toBe('primary');
      const groups = envelope.payload.data.config.channel_group.groups;
      expect(groups['Orderer'].values['BatchTimeout'].value).toEqual({ timeout: '2s' });
      expect(groups['Orderer'].values['BatchSize'].value).toEqual({ max_message_count: 10, absolute_max_bytes: 10485760, preferred_max_bytes: 2097152 });
      expect(Object.keys(groups['Application'].groups).sort()).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    },
  );

  withConfigtxlator(
    configtxlator === undefined
      ? 'configtxlator decodes the etcdraft metadata of an etcdraft genesis (SKIPPED: no configtxlator in $FABRIC_BIN or on the PATH)'
      : 'configtxlator decodes the etcdraft metadata of an etcdraft genesis: consenters with their TLS certificates, options',
    () => {
      const file = join(root, 'etcdraft.block');
      writeFileSync(file, buildGenesisBlock(withConsenters(profile({ ordererType: 'etcdraft' }))).serializeBinary());
      type Raft = { consenters: { host: string; port: number; client_tls_cert: string; server_tls_cert: string }[]; options: { tick_interval: string; election_tick: number; heartbeat_tick: number } };
      const json = JSON.parse(protoDecode(file, 'common.Block')) as {
        data: { data: { payload: { data: { config: { channel_group: { groups: Record<string, { values: Record<string, { value: { type: string; metadata: Raft } }> }> } } } } }[] };
      };
      const consensus = json.data.data[0].payload.data.config.channel_group.groups['Orderer'].values['ConsensusType'].value;
      expect(consensus.type).toBe('etcdraft');
      const pem = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
      expect(consensus.metadata.consenters.map((c) => [`${c.host}:${c.port}`, pem(c.client_tls_cert), pem(c.server_tls_cert)])).toEqual(
        orgs.map((o, i) => [`${o.orderer.host}:${7050 + 1000 * i}`, o.orderer.tlsCertPem, o.orderer.tlsCertPem]),
      );
      expect(consensus.metadata.options).toMatchObject({ tick_interval: '500ms', election_tick: 10, heartbeat_tick: 1 });
    },
  );

  withConfigtxlator(
    configtxlator === undefined
      ? 'configtxlator and our decode agree field by field (SKIPPED: no configtxlator in $FABRIC_BIN or on the PATH)'
      : 'configtxlator and our decode agree field by field',
    () => {
      const block = buildGenesisBlock(profile());
      const file = join(root, 'genesis-fields.block');
      writeFileSync(file, block.serializeBinary());
      type Msp = { value: { config: { name: string; root_certs: string[]; tls_root_certs: string[]; fabric_node_ous: { enable: boolean } } } };
      const json = JSON.parse(protoDecode(file, 'common.Block')) as {
        data: { data: { payload: { data: { config: { sequence: string; channel_group: { groups: Record<string, { groups: Record<string, { values: { MSP: Msp } }>; values: Record<string, { value: Record<string, unknown> }> }> } } } } }[] };
      };
      const config = json.data.data[0].payload.data.config;
      const view = decodeConfigBlock(block);
      const pem = (b64: string): string => Buffer.from(b64, 'base64').toString('utf8');
      expect(Number(config.sequence)).toBe(view.sequence);
      const ordererValues = config.channel_group.groups['Orderer'].values;
      expect(ordererValues['BatchTimeout'].value).toEqual({ timeout: view.batchTimeout });
      expect(ordererValues['BatchSize'].value).toEqual({
        max_message_count: view.batchSize.maxMessageCount,
        absolute_max_bytes: view.batchSize.absoluteMaxBytes,
        preferred_max_bytes: view.batchSize.preferredMaxBytes,
      });
      expect((ordererValues['ConsensusType'].value as { type: string }).type).toBe(view.consensusType);
      for (const org of view.orgs) {
        for (const group of org.memberOf) {
          const msp = config.channel_group.groups[group].groups[org.mspId].values.MSP.value.config;
          expect(msp.name).toBe(org.mspId);
          expect(msp.root_certs.map(pem)).toEqual(org.rootCerts);
          expect(msp.tls_root_certs.map(pem)).toEqual(org.tlsRootCerts);
          expect(msp.fabric_node_ous.enable).toBe(org.nodeOUs);
        }
      }
    },
  );

  withConfigtxlator(
    configtxlator === undefined
      ? 'computeUpdate matches configtxlator compute_update (SKIPPED: no configtxlator in $FABRIC_BIN or on the PATH)'
      : 'computeUpdate matches configtxlator compute_update on several config pairs',
    () => {
      const original = readConfigBlock(buildGenesisBlock(profile())).config;
      const decodeUpdate = (bytes: Uint8Array, name: string): unknown => {
        const file = join(root, `${name}.pb`);
        writeFileSync(file, bytes);
        return JSON.parse(protoDecode(file, 'common.ConfigUpdate'));
      };
      const pairs: [string, BatchChange][] = [
        ['timeout', { batchTimeout: '750ms' }],
        ['count', { maxMessageCount: 42 }],
        ['both', { batchTimeout: '3s', maxMessageCount: 7, preferredMaxBytes: 1024 * 1024 }],
      ];
      for (const [name, change] of pairs) {
        const updated = withBatchParams(original, change);
        const originalFile = join(root, `${name}-original.pb`);
        const updatedFile = join(root, `${name}-updated.pb`);
        const fabricFile = join(root, `${name}-fabric-update.pb`);
        writeFileSync(originalFile, original.serializeBinary());
        writeFileSync(updatedFile, updated.serializeBinary());
        execFileSync(configtxlator!, ['compute_update', '--channel_id', 'primary', '--original', originalFile, '--updated', updatedFile, '--output', fabricFile]);
        const ours = decodeUpdate(computeUpdate('primary', original, updated).serializeBinary(), `${name}-ours`);
        const theirs = JSON.parse(protoDecode(fabricFile, 'common.ConfigUpdate')) as unknown;
        expect(ours).toEqual(theirs);
      }
    },
  );
});
