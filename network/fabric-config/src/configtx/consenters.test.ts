/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The consenter set as part of the channel model, with real member crypto: read from genesis
 * blocks, written through channel model updates, and refused where Fabric v3.1.5 refuses it
 * (etcdraft VerifyConfigMetadata and ComputeMembershipChanges, smartbft's config verifier).
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, msp, orderer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import type { OrgCrypto } from '../msp';
import { generateTestOrgs, testChannelProfile } from '../testing/orgs';
import { channelModelDifferences, channelModelProblems, channelModelUpdate, modelLeaves, readChannelModel, withChannelModel } from './channelModel';
import type { ChannelModel } from './channelModel';
import { configLeaves } from './configDiff';
import { configAfterUpdate } from './configMap';
import { bftBlockValidationPolicy, canonicalConsenters, etcdraftOptionsProblem, readConsenters } from './consenters';
import type { ConsenterModel } from './consenters';
import { readConfigBlock } from './decode';
import { buildGenesisBlock } from './genesis';
import type { ChannelProfile, OrdererType } from './profile';

const CONSENTERS_PATH = 'Channel/Orderer/ConsensusType/Consenters';
const TOO_MANY = (add: number, remove: number): string =>
  `update of more than one consenter at a time is not supported, requested changes: add ${add} node(s), remove ${remove} node(s)`;

let roots: string[];
let orgs: OrgCrypto[];
/** A member of another consortium: its certificates are issued by CAs the channel does not know. */
let foreign: OrgCrypto;

beforeAll(async () => {
  const members = await generateTestOrgs('configtx-consenters', 4);
  const other = await generateTestOrgs('configtx-consenters-foreign', 1);
  roots = [members.root, other.root];
  orgs = members.orgs;
  foreign = other.orgs[0]!;
});

afterAll(() => {
  for (const root of roots ?? []) rmSync(root, { recursive: true, force: true });
});

/** Org `i`'s orderer node as its profile and the model name it. */
function consenterOf(i: number): ConsenterModel {
  return { host: orgs[i].orderer.host, port: 7050 + 1000 * i, clientTlsCert: orgs[i].orderer.tlsCertPem, serverTlsCert: orgs[i].orderer.tlsCertPem };
}

/** A second ordering node of org `i`: its peer's TLS certificate, issued by the same TLS CA. */
function newNodeOf(i: number): ConsenterModel {
  // Same host as the org's first node, next port: canonical order puts it right after that node.
  return { host: orgs[i].orderer.host, port: 7051 + 1000 * i, clientTlsCert: orgs[i].peer.tlsCertPem, serverTlsCert: orgs[i].peer.tlsCertPem };
}

/** Org `i`'s orderer node as a BFT consenter (without its id). */
function bftConsenterOf(i: number): ConsenterModel {
  return { ...consenterOf(i), mspId: orgs[i].mspId, identity: orgs[i].orderer.signCertPem };
}

/** The devnet's test profile, the first `count` orgs carrying their orderer node as consenter. */
function profileWithConsenters(ordererType: OrdererType, count: number): ChannelProfile {
  const profile = testChannelProfile(orgs, { ordererType });
  return {
    ...profile,
    orgs: profile.orgs.map((org, i) =>
      i >= count ? org : { ...org, consenter: { ...consenterOf(i), identityCert: orgs[i].orderer.signCertPem } },
    ),
  };
}

function genesisConfig(profile: ChannelProfile): common.Config {
  return readConfigBlock(buildGenesisBlock(profile)).config;
}

function ordererGroup(config: common.Config): common.ConfigGroup {
  return config.getChannelGroup()!.getGroupsMap().get('Orderer')!;
}

function consensusTypeOf(config: common.Config): orderer.ConsensusType {
  return orderer.ConsensusType.deserializeBinary(ordererGroup(config).getValuesMap().get('ConsensusType')!.getValue_asU8());
}

function raftMetadataOf(config: common.Config): orderer.etcdraft.ConfigMetadata {
  return orderer.etcdraft.ConfigMetadata.deserializeBinary(consensusTypeOf(config).getMetadata_asU8());
}

function consentersModel(consenters: readonly ConsenterModel[]): ChannelModel {
  return { version: 2, orderer: { consenters } };
}

/** The config a channel has once the model's update is applied, as the orderer applies it. */
function applied(config: common.Config, model: ChannelModel): common.Config {
  return configAfterUpdate(config, channelModelUpdate('primary', config, model));
}

/** The message withChannelModel refuses the model with (the test fails if it is accepted). */
function refusal(config: common.Config, model: ChannelModel): string {
  try {
    withChannelModel(config, model);
  } catch (error) {
    expect(error).toMatchObject({ name: 'ConfigtxError', code: 'CONFIGTX_BAD_CONFIG' });
    return (error as Error).message;
  }
  throw new Error('the model was accepted');
}

/** What the consenter at `at` of the written (canonical) list is called in a refusal. */
function where(list: readonly ConsenterModel[], c: ConsenterModel): string {
  const index = canonicalConsenters(list).findIndex((x) => x.host === c.host && x.port === c.port);
  expect(index).toBeGreaterThanOrEqual(0);
  return `orderer.consenters[${index}] (${c.host}:${c.port})`;
}

function crlf(pem: string): string {
  return pem.replace(/\r?\n/g, '\r\n');
}

describe('etcdraft consenters in the channel model', () => {
  let genesis: common.Config;
  let initial: ConsenterModel[];

  beforeAll(() => {
    genesis = genesisConfig(profileWithConsenters('etcdraft', 4));
    initial = [0, 1, 2, 3].map(consenterOf);
  });

  it('reads the genesis consenters, and models them under the diff\'s path with the diff\'s value', () => {
    const model = readChannelModel(genesis);
    expect(model.orderer?.consenters).toEqual(initial);
    const leaf = modelLeaves(model).find((l) => l.field === 'orderer.consenters');
    expect(leaf?.path).toBe(CONSENTERS_PATH);
    expect(leaf?.value).toEqual(configLeaves(genesis).get(CONSENTERS_PATH));
    expect(leaf?.value).toHaveLength(4);
  });

  it('adds one consenter: N+1 in canonical order, existing PEM bytes kept, the same ConfigUpdate bytes from any member', () => {
    const added = newNodeOf(0);
    // Member A names the new node first; member B lists the set backwards, the existing PEMs with CRLF line endings.
    const memberA = consentersModel([added, ...initial]);
    const memberB = consentersModel([...initial.map((c) => ({ ...c, clientTlsCert: crlf(c.clientTlsCert), serverTlsCert: crlf(c.serverTlsCert) })).reverse(), added]);
    const updateA = channelModelUpdate('primary', genesis, memberA).serializeBinary();
    const updateB = channelModelUpdate('primary', genesis, memberB).serializeBinary();
    expect(Buffer.from(updateB).equals(Buffer.from(updateA))).toBe(true);

    const after = applied(genesis, memberA);
    // host, then port: Org1's second node (port 7051) sits between Org1's first and Org2's.
    expect(readConsenters(ordererGroup(after))).toEqual([initial[0], added, initial[1], initial[2], initial[3]]);
    const beforeBytes = new Map(raftMetadataOf(genesis).getConsentersList().map((c) => [`${c.getHost()}:${c.getPort()}`, Buffer.from(c.getClientTlsCert_asU8())]));
    for (const c of raftMetadataOf(after).getConsentersList()) {
      const was = beforeBytes.get(`${c.getHost()}:${c.getPort()}`);
      if (was !== undefined) expect(Buffer.from(c.getClientTlsCert_asU8()).equals(was)).toBe(true);
    }
    // The etcdraft options are carried over untouched.
    expect(raftMetadataOf(after).getOptions()?.toObject()).toEqual(raftMetadataOf(genesis).getOptions()?.toObject());

    // The audit marks the change governed: the model's leaf is what the diff reads after the update.
    const leaf = modelLeaves(memberB).find((l) => l.field === 'orderer.consenters');
    expect(leaf?.path).toBe(CONSENTERS_PATH);
    expect(leaf?.value).toEqual(configLeaves(after).get(CONSENTERS_PATH));
    expect(leaf?.value).not.toEqual(configLeaves(genesis).get(CONSENTERS_PATH));
    expect(channelModelDifferences(memberA, after)).toEqual([]);
    expect(channelModelDifferences(memberA, genesis).map((d) => d.field)).toEqual(['orderer.consenters']);
  });

  it('keeps the stored bytes of an existing consenter whose PEM the model spells differently', () => {
    // Org1's node was put in the genesis block with CRLF line endings and no final newline.
    const stored = crlf(orgs[0].orderer.tlsCertPem).trimEnd();
    const profile = profileWithConsenters('etcdraft', 4);
    const odd = readConfigBlock(
      buildGenesisBlock({ ...profile, orgs: profile.orgs.map((org, i) => (i === 0 && org.consenter ? { ...org, consenter: { ...org.consenter, clientTlsCert: stored, serverTlsCert: stored } } : org)) }),
    ).config;
    const after = applied(odd, consentersModel([...initial, newNodeOf(1)]));
    const org1 = raftMetadataOf(after).getConsentersList().find((c) => c.getPort() === 7050)!;
    expect(Buffer.from(org1.getClientTlsCert_asU8()).toString('utf8')).toBe(stored);
    expect(Buffer.from(org1.getServerTlsCert_asU8()).toString('utf8')).toBe(stored);
    expect(readConsenters(ordererGroup(after))).toHaveLength(5);
  });

  it('refuses two consenters added at once, and two removed at once, in Fabric\'s words', () => {
    expect(refusal(genesis, consentersModel([...initial, newNodeOf(0), newNodeOf(1)]))).toContain(`orderer.consenters: ${TOO_MANY(2, 0)}`);
    expect(refusal(genesis, consentersModel(initial.slice(0, 2)))).toContain(`orderer.consenters: ${TOO_MANY(0, 2)}`);
  });

  it('accepts one added and one removed (a rotation), and one removed alone', () => {
    const rotated = [newNodeOf(0), ...initial.slice(1)];
    const after = applied(genesis, consentersModel(rotated));
    expect(readConsenters(ordererGroup(after))).toEqual(canonicalConsenters(rotated));
    expect(readConsenters(ordererGroup(after))).not.toContainEqual(initial[0]);
    const removed = applied(genesis, consentersModel(initial.slice(1)));
    expect(readConsenters(ordererGroup(removed))).toEqual(initial.slice(1));
  });

  it('refuses an empty consenter set in the model\'s shape check', () => {
    expect(channelModelProblems(consentersModel([]))).toEqual(['config.orderer.consenters: must not be empty (Fabric refuses an empty consenter set)']);
    expect(refusal(genesis, consentersModel([]))).toContain('config.orderer.consenters: must not be empty');
  });

  it('refuses a certificate not issued by a TLS CA of an orderer organisation', () => {
    const stranger: ConsenterModel = { host: 'orderer9.example.org', port: 7050, clientTlsCert: foreign.orderer.tlsCertPem, serverTlsCert: foreign.orderer.tlsCertPem };
    const list = [...initial, stranger];
    const message = refusal(genesis, consentersModel(list));
    expect(message).toContain(`${where(list, stranger)}: the TLS client certificate is not issued by a TLS CA of an orderer organisation of the channel`);
    expect(message).toContain(`${where(list, stranger)}: the TLS server certificate is not issued by a TLS CA of an orderer organisation of the channel`);
    // An identity (enrolment) certificate of a member is not a TLS certificate either.
    const enrolment: ConsenterModel = { ...newNodeOf(1), clientTlsCert: orgs[1].orderer.signCertPem };
    expect(refusal(genesis, consentersModel([...initial, enrolment]))).toContain(
      `${where([...initial, enrolment], enrolment)}: the TLS client certificate is not issued by a TLS CA of an orderer organisation of the channel`,
    );
  });

  it('refuses a certificate used by two consenters', () => {
    // Named on the later of the two in written order, as Fabric's MetadataHasDuplication names it.
    const server: ConsenterModel = { host: 'orderer1.org4.example.com', port: 10050, clientTlsCert: orgs[3].peer.tlsCertPem, serverTlsCert: orgs[0].orderer.tlsCertPem };
    const withServer = [...initial, server];
    expect(where(withServer, server)).toBe('orderer.consenters[4] (orderer1.org4.example.com:10050)');
    expect(refusal(genesis, consentersModel(withServer))).toBe(`the channel cannot run this configuration: ${where(withServer, server)}: duplicate consenter: a TLS certificate of another consenter`);
    const client: ConsenterModel = { ...server, clientTlsCert: orgs[1].orderer.tlsCertPem, serverTlsCert: orgs[3].peer.tlsCertPem };
    const withClient = [...initial, client];
    expect(refusal(genesis, consentersModel(withClient))).toBe(`the channel cannot run this configuration: ${where(withClient, client)}: duplicate consenter: a TLS certificate of another consenter`);
  });

  it.each<[string, (c: ConsenterModel) => Record<string, unknown>, string]>([
    ['a certificate that is not PEM', (c) => ({ ...c, clientTlsCert: 'not a certificate' }), 'clientTlsCert: must be a PEM X.509 certificate'],
    ['port 0', (c) => ({ ...c, port: 0 }), 'port: must be an integer from 1 to 65535'],
    ['port 65536', (c) => ({ ...c, port: 65536 }), 'port: must be an integer from 1 to 65535'],
    ['an empty host', (c) => ({ ...c, host: '' }), 'host: must be a non-empty string'],
    ['an unknown field', (c) => ({ ...c, tlsCert: c.clientTlsCert }), 'tlsCert: unknown field (expected host, port, clientTlsCert, serverTlsCert, mspId, identity, id)'],
  ])('refuses %s, naming the field', (_, edit, problem) => {
    const model = { version: 2, orderer: { consenters: [...initial, edit(newNodeOf(0))] } };
    expect(channelModelProblems(model)).toEqual([`config.orderer.consenters[4].${problem}`]);
    expect(refusal(genesis, model as ChannelModel)).toContain(`invalid channel model: config.orderer.consenters[4].${problem}`);
  });

  it('has nothing to change for the same set in another order: no difference, and the update only bumps BatchTimeout\'s version', () => {
    const model = consentersModel([...initial].reverse());
    expect(channelModelDifferences(model, genesis)).toEqual([]);
    const update = channelModelUpdate('primary', genesis, model);
    const write = update.getWriteSet()!;
    expect(write.getValuesMap().getLength()).toBe(0);
    expect(write.getPoliciesMap().getLength()).toBe(0);
    const ordererWrite = write.getGroupsMap().get('Orderer')!;
    expect([...ordererWrite.getValuesMap().keys()]).toEqual(['BatchTimeout']);
    expect(ordererWrite.getValuesMap().get('BatchTimeout')!.getVersion()).toBe(1);
    const after = configAfterUpdate(genesis, update);
    expect(Buffer.from(consensusTypeOf(after).serializeBinary()).equals(Buffer.from(consensusTypeOf(genesis).serializeBinary()))).toBe(true);
  });
});

describe('devnet consenters', () => {
  it('stores the consenter profiles of a devnet genesis as etcdraft consenters without options', () => {
    const config = genesisConfig(profileWithConsenters('devnet', 3));
    expect(consensusTypeOf(config).getType()).toBe('devnet');
    expect(readConsenters(ordererGroup(config))).toEqual([0, 1, 2].map(consenterOf));
    expect(raftMetadataOf(config).getOptions()).toBeUndefined();
    expect(configLeaves(config).get(CONSENTERS_PATH)).toHaveLength(3);
    expect(configLeaves(config).has('Channel/Orderer/ConsensusType/Metadata')).toBe(false);

    // Governed as an etcdraft list: Org4's node joins in one update; two more at once are refused.
    const joined = [0, 1, 2, 3].map(consenterOf);
    const after = applied(config, consentersModel(joined));
    expect(readConsenters(ordererGroup(after))).toEqual(joined);
    expect(consensusTypeOf(after).getType()).toBe('devnet');
    expect(refusal(config, consentersModel([...joined, newNodeOf(0)]))).toContain(TOO_MANY(2, 0));
  });

  it('keeps empty metadata for a devnet genesis without consenters, and refuses a model that names some', () => {
    const config = genesisConfig(testChannelProfile(orgs));
    expect(consensusTypeOf(config).getMetadata_asU8()).toHaveLength(0);
    expect(readConsenters(ordererGroup(config))).toBeUndefined();
    expect(readChannelModel(config).orderer).not.toHaveProperty('consenters');
    expect(modelLeaves(readChannelModel(config)).map((l) => l.field)).not.toContain('orderer.consenters');
    expect(refusal(config, consentersModel([consenterOf(0)]))).toContain(
      "orderer.consenters: the channel's consensus type devnet has no consenter set this model governs",
    );
  });
});

describe('BFT consenters', () => {
  let genesis: common.Config;

  beforeAll(() => {
    // testChannelProfile gives every org an orderer endpoint, and the default V3_0 channel capability BFT needs.
    genesis = genesisConfig(profileWithConsenters('BFT', 4));
  });

  function mappingOf(config: common.Config): common.Consenter[] {
    return common.Orderers.deserializeBinary(ordererGroup(config).getValuesMap().get('Orderers')!.getValue_asU8()).getConsenterMappingList();
  }

  function blockValidation(config: common.Config): common.SignaturePolicyEnvelope {
    const policy = ordererGroup(config).getPoliciesMap().get('BlockValidation')!.getPolicy()!;
    expect(policy.getType()).toBe(common.Policy.PolicyType.SIGNATURE);
    return common.SignaturePolicyEnvelope.deserializeBinary(policy.getValue_asU8());
  }

  it('reads the consenter mapping with ids, MSP IDs and identities', () => {
    const consenters = readConsenters(ordererGroup(genesis));
    expect(consenters).toEqual([0, 1, 2, 3].map((i) => ({ id: i + 1, ...bftConsenterOf(i) })));
    const leaf = modelLeaves(readChannelModel(genesis)).find((l) => l.field === 'orderer.consenters');
    expect(leaf?.path).toBe('Channel/Orderer/Orderers');
    expect(leaf?.value).toEqual(configLeaves(genesis).get('Channel/Orderer/Orderers'));
  });

  it('adds a node: rewrites the Orderers mapping and the BlockValidation policy Fabric derives from it', () => {
    const current = readConsenters(ordererGroup(genesis))!;
    const added: ConsenterModel = { ...newNodeOf(0), mspId: orgs[0].mspId, identity: orgs[0].peer.signCertPem, id: 5 };
    const update = channelModelUpdate('primary', genesis, consentersModel([...current, added]));
    const ordererWrite = update.getWriteSet()!.getGroupsMap().get('Orderer')!;
    expect(ordererWrite.getValuesMap().has('Orderers')).toBe(true);
    expect(ordererWrite.getPoliciesMap().has('BlockValidation')).toBe(true);

    const after = configAfterUpdate(genesis, update);
    const mapping = mappingOf(after);
    expect(mapping.map((c) => [c.getId(), c.getMspId(), `${c.getHost()}:${c.getPort()}`])).toEqual([
      [1, 'Org1MSP', `${orgs[0].orderer.host}:7050`],
      [5, 'Org1MSP', `${orgs[0].orderer.host}:7051`],
      [2, 'Org2MSP', `${orgs[1].orderer.host}:8050`],
      [3, 'Org3MSP', `${orgs[2].orderer.host}:9050`],
      [4, 'Org4MSP', `${orgs[3].orderer.host}:10050`],
    ]);
    const policy = ordererGroup(after).getPoliciesMap().get('BlockValidation')!.getPolicy()!;
    expect(Buffer.from(policy.serializeBinary()).equals(Buffer.from(bftBlockValidationPolicy(mapping).serializeBinary()))).toBe(true);
    // n = 5, f = 1: ceil((5 + 1 + 1) / 2) = 4 of the five identities.
    const envelope = blockValidation(after);
    expect(envelope.getRule()?.getNOutOf()?.getN()).toBe(4);
    expect(envelope.getIdentitiesList().map((p) => msp.SerializedIdentity.deserializeBinary(p.getPrincipal_asU8()).getMspid())).toEqual([
      'Org1MSP',
      'Org1MSP',
      'Org2MSP',
      'Org3MSP',
      'Org4MSP',
    ]);
    // The genesis policy over four nodes: n = 4, f = 1, ceil(6 / 2) = 3.
    expect(blockValidation(genesis).getRule()?.getNOutOf()?.getN()).toBe(3);
    expect(channelModelDifferences(consentersModel([...current, added]), after)).toEqual([]);
  });

  it('refuses a BFT node without an id: the config names nodes by id, so the model could never read as in force', () => {
    const current = readConsenters(ordererGroup(genesis))!;
    const added: ConsenterModel = { ...newNodeOf(1), mspId: orgs[1].mspId, identity: orgs[1].peer.signCertPem };
    expect(() => applied(genesis, consentersModel([...current, added]))).toThrow(/config\.orderer\.consenters\[4\]\.id: a BFT consenter \(with mspId and identity\) needs its id; a new node takes the largest id in force \+ 1/);
  });

  it('refuses a consenter whose identity is not issued by its organisation\'s CA', () => {
    const current = readConsenters(ordererGroup(genesis))!;
    const added: ConsenterModel = { ...newNodeOf(0), mspId: orgs[0].mspId, identity: orgs[1].peer.signCertPem, id: 5 };
    const list = [...current, added];
    expect(refusal(genesis, consentersModel(list))).toContain(`${where(list, added)}.identity: not issued by a CA of Org1MSP`);
  });

  it('refuses a consenter whose TLS certificates are issued by another organisation\'s TLS CA', () => {
    const current = readConsenters(ordererGroup(genesis))!;
    const added: ConsenterModel = { ...newNodeOf(1), mspId: orgs[0].mspId, identity: orgs[0].peer.signCertPem, id: 5 };
    const list = [...current, added];
    expect(refusal(genesis, consentersModel(list))).toContain(`${where(list, added)}: the TLS client certificate is not issued by a TLS CA of its organisation Org1MSP of the channel`);
  });
});

describe('an organisation removed with its ordering node', () => {
  it('takes its node out of the consenter set when the model does not state the set', () => {
    const genesis = genesisConfig(profileWithConsenters('etcdraft', 4));
    const after = applied(genesis, { version: 2, organizations: { [orgs[3].mspId]: null } });
    expect(readConsenters(ordererGroup(after))?.map((c) => c.host).sort()).toEqual([0, 1, 2].map((i) => orgs[i].orderer.host).sort());
    expect(ordererGroup(after).getGroupsMap().has(orgs[3].mspId)).toBe(false);
  });

  it('takes its node out of a BFT consenter set too, before the organisation leaves (SmartBFT looks up every consenter\'s MSP)', () => {
    const genesis = genesisConfig(profileWithConsenters('BFT', 4));
    const after = applied(genesis, { version: 2, organizations: { [orgs[3].mspId]: null } });
    expect(readConsenters(ordererGroup(after))?.map((c) => c.mspId).sort()).toEqual([0, 1, 2].map((i) => orgs[i].mspId).sort());
    expect(ordererGroup(after).getGroupsMap().has(orgs[3].mspId)).toBe(false);
    // Two organisations with their nodes at once are two nodes out: refused as one update, as Fabric's rule is one node at a time.
    expect(refusal(genesis, { version: 2, organizations: { [orgs[2].mspId]: null, [orgs[3].mspId]: null } })).toMatch(/consenter/);
  });

  it('ignores the anchor peers a whole-state model still carries for the organisation it removes', () => {
    const genesis = genesisConfig(profileWithConsenters('etcdraft', 4));
    const carried = readChannelModel(genesis).application?.anchorPeers ?? {};
    const model: ChannelModel = { version: 2, application: { anchorPeers: carried }, organizations: { [orgs[3].mspId]: null } };
    expect(channelModelProblems(model)).toEqual([]);
    const after = applied(genesis, model);
    expect(after.getChannelGroup()!.getGroupsMap().get('Application')!.getGroupsMap().has(orgs[3].mspId)).toBe(false);
    expect(channelModelDifferences(model, after)).toEqual([]);
  });

  it('refuses a model that removes the organisation but keeps its node in the set it states', () => {
    const genesis = genesisConfig(profileWithConsenters('etcdraft', 4));
    const message = refusal(genesis, { version: 2, organizations: { [orgs[3].mspId]: null }, orderer: { consenters: [0, 1, 2, 3].map(consenterOf) } });
    expect(message).toMatch(/the TLS client certificate is not issued by a TLS CA of an orderer organisation of the channel/);
  });
});

describe('etcdraft options', () => {
  it("are judged as etcdraft's VerifyConfigMetadata judges them", () => {
    const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(consensusTypeOf(genesisConfig(profileWithConsenters('etcdraft', 4))).getMetadata_asU8());
    expect(etcdraftOptionsProblem(metadata)).toBeUndefined();
    const changed = (edit: (o: orderer.etcdraft.Options) => void): string | undefined => {
      const copy = metadata.cloneMessage();
      const options = copy.getOptions()!;
      edit(options);
      return etcdraftOptionsProblem(copy);
    };
    expect(changed((o) => { o.setHeartbeatTick(0); })).toBe('none of HeartbeatTick (0), ElectionTick (10) and MaxInflightBlocks (5) can be zero');
    expect(changed((o) => { o.setElectionTick(1); })).toBe('ElectionTick (1) must be greater than HeartbeatTick (1)');
    expect(changed((o) => { o.setTickInterval('0'); })).toBe('TickInterval cannot be zero');
    expect(changed((o) => { o.setTickInterval('1 s'); })).toMatch(/^failed to parse TickInterval \(1 s\) to time duration: /);
    expect(changed((o) => { o.setTickInterval('250ms'); })).toBeUndefined();
    const bare = metadata.cloneMessage();
    bare.clearOptions();
    expect(etcdraftOptionsProblem(bare)).toBe('nil Raft config metadata options');
  });
});

describe('fields of the other consensus shape', () => {
  it('refuses BFT fields on an etcdraft channel, and a changed id of a BFT node', () => {
    const raft = genesisConfig(profileWithConsenters('etcdraft', 4));
    const withBftFields = [0, 1, 2, 3].map((i) => ({ ...consenterOf(i), mspId: orgs[i].mspId, identity: orgs[i].orderer.signCertPem, id: i + 1 }));
    expect(refusal(raft, consentersModel(withBftFields))).toMatch(/id, mspId and identity are BFT consenter fields; the channel's consensus type is etcdraft/);
    const bft = genesisConfig({ ...profileWithConsenters('BFT', 4), capabilities: { channel: ['V3_0'] } });
    const current = readConsenters(ordererGroup(bft))!;
    const renumbered = current.map((c, i) => (i === 0 ? { ...c, id: 9 } : c));
    expect(refusal(bft, consentersModel(renumbered))).toMatch(/a consenter keeps its id \(1\), got 9/);
  });
});

