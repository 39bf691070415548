/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, orderer, peer } from '@hyperledger/fabric-protos';
import { createHash } from 'node:crypto';
import { rmSync } from 'node:fs';
import type { OrgCrypto } from '../msp';
import { withBatch } from '../testing/configEdits';
import { generateTestOrgs, testChannelProfile } from '../testing/orgs';
import { withBatchParams } from './batch';
import { configLeaves, diffConfigs } from './configDiff';
import type { ConfigChange } from './configDiff';
import { buildChannelGroup } from './genesis';
import { implicitMetaPolicy, nOutOfPeers, signaturePolicy } from './policy';
import type { ChannelProfile } from './profile';

let root: string;
let orgs: OrgCrypto[];
let devnet: common.Config;
let etcdraft: common.Config;
let bft: common.Config;

function configOf(profile: ChannelProfile): common.Config {
  const config = new common.Config();
  config.setChannelGroup(buildChannelGroup(profile));
  return config;
}

function withConsenters(profile: ChannelProfile): ChannelProfile {
  return {
    ...profile,
    orgs: profile.orgs.map((org, i) => ({
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

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('configtx-diff', 3));
  devnet = configOf(testChannelProfile(orgs));
  etcdraft = configOf(withConsenters(testChannelProfile(orgs, { ordererType: 'etcdraft' })));
  bft = configOf(withConsenters(testChannelProfile(orgs, { ordererType: 'BFT' })));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function groupAt(config: common.Config, ...names: string[]): common.ConfigGroup {
  let group = config.getChannelGroup()!;
  for (const name of names) group = group.getGroupsMap().get(name)!;
  return group;
}

/** A copy of `config` after `change`, as an operator edits configtxlator's JSON. */
function edited(config: common.Config, change: (copy: common.Config) => void): common.Config {
  const copy = config.cloneMessage();
  change(copy);
  return copy;
}

function setValue(group: common.ConfigGroup, name: string, bytes: Uint8Array): void {
  const value = new common.ConfigValue();
  value.setValue(bytes);
  value.setModPolicy('Admins');
  group.getValuesMap().set(name, value);
}

function withConsensusMetadata(config: common.Config, change: (metadata: Uint8Array) => Uint8Array): common.Config {
  return edited(config, (copy) => {
    const value = groupAt(copy, 'Orderer').getValuesMap().get('ConsensusType')!;
    const consensus = orderer.ConsensusType.deserializeBinary(value.getValue_asU8());
    consensus.setMetadata(change(consensus.getMetadata_asU8()));
    value.setValue(consensus.serializeBinary());
  });
}

function sha256(bytes: Uint8Array | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

function codeUnitSorted(paths: readonly string[]): string[] {
  return [...paths].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** The same tree with every map filled in reverse order, versions and mod_policies kept. */
function refilledInReverse(group: common.ConfigGroup): common.ConfigGroup {
  const copy = new common.ConfigGroup();
  copy.setVersion(group.getVersion());
  copy.setModPolicy(group.getModPolicy());
  for (const [name, value] of [...group.getValuesMap().entries()].reverse()) copy.getValuesMap().set(name, value.cloneMessage());
  for (const [name, policy] of [...group.getPoliciesMap().entries()].reverse()) copy.getPoliciesMap().set(name, policy.cloneMessage());
  for (const [name, child] of [...group.getGroupsMap().entries()].reverse()) copy.getGroupsMap().set(name, refilledInReverse(child));
  return copy;
}

describe('diffConfigs', () => {
  it('finds nothing between identical configs', () => {
    expect(diffConfigs(devnet, devnet)).toEqual([]);
    expect(diffConfigs(devnet, devnet.cloneMessage())).toEqual([]);
    expect(diffConfigs(etcdraft, configOf(withConsenters(testChannelProfile(orgs, { ordererType: 'etcdraft' }))))).toEqual([]);
  });

  it('reports a changed BatchSize field alone, with numbers before and after', () => {
    expect(diffConfigs(devnet, withBatchParams(devnet, { preferredMaxBytes: 1024 * 1024 }))).toEqual([
      { path: 'Channel/Orderer/BatchSize/PreferredMaxBytes', kind: 'modified', before: 2 * 1024 * 1024, after: 1024 * 1024 },
    ]);
  });

  it('reports a changed BatchTimeout as the Go duration stored', () => {
    expect(diffConfigs(devnet, withBatch(devnet, { timeout: '5s' }))).toEqual([
      { path: 'Channel/Orderer/BatchTimeout', kind: 'modified', before: '2s', after: '5s' },
    ]);
  });

  it('reports an added anchor peer as an added value, without a before', () => {
    const profile = testChannelProfile(orgs);
    const withoutAnchor = configOf({ ...profile, orgs: profile.orgs.map((org, i) => (i === 1 ? { ...org, anchorPeer: undefined } : org)) });
    const changes = diffConfigs(withoutAnchor, devnet);
    expect(changes).toEqual([
      { path: 'Channel/Application/Org2MSP/AnchorPeers', kind: 'added', after: [`${orgs[1].peer.host}:8051`] },
      { path: 'Channel/Application/Org2MSP/AnchorPeers/ModPolicy', kind: 'added', after: 'Admins' },
    ]);
    expect(changes.every((change) => !('before' in change))).toBe(true);
    expect(diffConfigs(devnet, withoutAnchor).map((change) => [change.path, change.kind, 'after' in change])).toEqual([
      ['Channel/Application/Org2MSP/AnchorPeers', 'removed', false],
      ['Channel/Application/Org2MSP/AnchorPeers/ModPolicy', 'removed', false],
    ]);
  });

  it('reports each entry of an added ACLs value as its own leaf', () => {
    const acls = new peer.ACLs();
    const entry = (policyRef: string): peer.APIResource => {
      const resource = new peer.APIResource();
      resource.setPolicyRef(policyRef);
      return resource;
    };
    acls.getAclsMap().set('peer/Propose', entry('/Channel/Application/Writers'));
    acls.getAclsMap().set('_lifecycle/CheckCommitReadiness', entry('/Channel/Application/Writers'));
    const after = edited(devnet, (copy) => {
      setValue(groupAt(copy, 'Application'), 'ACLs', acls.serializeBinary());
    });
    expect(diffConfigs(devnet, after)).toEqual([
      { path: 'Channel/Application/ACLs/ModPolicy', kind: 'added', after: 'Admins' },
      { path: 'Channel/Application/ACLs/_lifecycle/CheckCommitReadiness', kind: 'added', after: '/Channel/Application/Writers' },
      { path: 'Channel/Application/ACLs/peer/Propose', kind: 'added', after: '/Channel/Application/Writers' },
    ]);
  });

  it('reports a policy changed from ImplicitMeta to a signature policy as one line each', () => {
    const after = edited(devnet, (copy) => {
      groupAt(copy, 'Application').getPoliciesMap().get('Endorsement')!.setPolicy(signaturePolicy(nOutOfPeers(1, ['Org1MSP', 'Org2MSP'])));
    });
    expect(diffConfigs(devnet, after)).toEqual([
      { path: 'Channel/Application/Policies/Endorsement', kind: 'modified', before: 'MAJORITY Endorsement', after: "OR('Org1MSP.peer', 'Org2MSP.peer')" },
    ]);
  });

  it('reports changed capabilities as the sorted names', () => {
    const after = configOf(testChannelProfile(orgs, { capabilities: { application: ['V2_5', 'V2_0'] } }));
    expect(diffConfigs(devnet, after)).toEqual([
      { path: 'Channel/Application/Capabilities', kind: 'modified', before: ['V2_5'], after: ['V2_0', 'V2_5'] },
    ]);
  });

  it('reports a changed etcdraft option', () => {
    const after = withConsensusMetadata(etcdraft, (bytes) => {
      const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(bytes);
      metadata.getOptions()!.setTickInterval('250ms');
      return metadata.serializeBinary();
    });
    expect(diffConfigs(etcdraft, after)).toEqual([
      { path: 'Channel/Orderer/ConsensusType/Options/TickInterval', kind: 'modified', before: '500ms', after: '250ms' },
    ]);
  });

  it('reports a rotated etcdraft TLS certificate in the consenter entry', () => {
    const after = withConsensusMetadata(etcdraft, (bytes) => {
      const metadata = orderer.etcdraft.ConfigMetadata.deserializeBinary(bytes);
      metadata.getConsentersList()[0].setServerTlsCert(Buffer.from(orgs[0].peer.tlsCertPem));
      return metadata.serializeBinary();
    });
    const changes = diffConfigs(etcdraft, after);
    expect(changes.map((change) => change.path)).toEqual(['Channel/Orderer/ConsensusType/Consenters']);
    const [before, now] = [changes[0].before as string[], changes[0].after as string[]];
    expect(before[0]).toBe(`${orgs[0].orderer.host}:7050 client=${sha256(orgs[0].orderer.tlsCertPem).slice(0, 16)} server=${sha256(orgs[0].orderer.tlsCertPem).slice(0, 16)}`);
    expect(now[0]).toBe(`${orgs[0].orderer.host}:7050 client=${sha256(orgs[0].orderer.tlsCertPem).slice(0, 16)} server=${sha256(orgs[0].peer.tlsCertPem).slice(0, 16)}`);
    expect(now.slice(1)).toEqual(before.slice(1));
  });

  it('reports a changed BFT option', () => {
    const after = withConsensusMetadata(bft, (bytes) => {
      const options = orderer.smartbft.Options.deserializeBinary(bytes);
      options.setRequestBatchMaxCount(200);
      return options.serializeBinary();
    });
    expect(diffConfigs(bft, after)).toEqual([
      { path: 'Channel/Orderer/ConsensusType/Options/RequestBatchMaxCount', kind: 'modified', before: 100, after: 200 },
    ]);
  });

  it('reports a changed mod_policy of a value, a group and a policy', () => {
    const after = edited(devnet, (copy) => {
      groupAt(copy, 'Orderer').getValuesMap().get('BatchTimeout')!.setModPolicy('/Channel/Orderer/Admins');
      groupAt(copy, 'Application', 'Org1MSP').setModPolicy('Writers');
      groupAt(copy).getPoliciesMap().get('Readers')!.setModPolicy('Writers');
    });
    expect(diffConfigs(devnet, after)).toEqual([
      { path: 'Channel/Application/Org1MSP/ModPolicy', kind: 'modified', before: 'Admins', after: 'Writers' },
      { path: 'Channel/Orderer/BatchTimeout/ModPolicy', kind: 'modified', before: 'Admins', after: '/Channel/Orderer/Admins' },
      { path: 'Channel/Policies/Readers/ModPolicy', kind: 'modified', before: 'Admins', after: 'Writers' },
    ]);
  });

  it('reports no change for a version bump with the same bytes', () => {
    const after = edited(devnet, (copy) => {
      copy.setSequence(7);
      groupAt(copy).setVersion(3);
      groupAt(copy, 'Application', 'Org2MSP').setVersion(1);
      groupAt(copy, 'Orderer').getValuesMap().get('BatchSize')!.setVersion(4);
      groupAt(copy, 'Application').getPoliciesMap().get('Admins')!.setVersion(2);
    });
    expect(diffConfigs(devnet, after)).toEqual([]);
  });

  it('reports every leaf of a removed org group as removed', () => {
    const after = edited(devnet, (copy) => groupAt(copy, 'Application').getGroupsMap().del('Org3MSP'));
    const prefix = 'Channel/Application/Org3MSP/';
    const leaves = [...configLeaves(devnet)].filter(([path]) => path.startsWith(prefix));
    const changes = diffConfigs(devnet, after);
    expect(changes).toEqual(leaves.map(([path, before]): ConfigChange => ({ path, kind: 'removed', before })));
    expect(changes.map((change) => change.path)).toEqual(
      expect.arrayContaining([
        `${prefix}ModPolicy`,
        `${prefix}AnchorPeers`,
        `${prefix}MSP/RootCerts`,
        `${prefix}MSP/Name`,
        `${prefix}Policies/Admins`,
        `${prefix}Policies/Admins/ModPolicy`,
      ]),
    );
  });

  it('reports an added empty group by its ModPolicy', () => {
    const after = edited(devnet, (copy) => {
      const group = new common.ConfigGroup();
      group.setModPolicy('Admins');
      groupAt(copy, 'Application').getGroupsMap().set('Org9MSP', group);
    });
    expect(diffConfigs(devnet, after)).toEqual([{ path: 'Channel/Application/Org9MSP/ModPolicy', kind: 'added', after: 'Admins' }]);
  });

  it('reports an undecodable value by its hash instead of throwing', () => {
    const garbage = new Uint8Array([0x0a, 0x05]);
    const after = edited(devnet, (copy) => {
      groupAt(copy, 'Orderer').getValuesMap().get('BatchSize')!.setValue(garbage);
    });
    expect(configLeaves(after).get('Channel/Orderer/BatchSize')).toBe(`undecodable: sha256:${sha256(garbage)}`);
    expect(diffConfigs(devnet, after)).toEqual([
      { path: 'Channel/Orderer/BatchSize', kind: 'added', after: `undecodable: sha256:${sha256(garbage)}` },
      { path: 'Channel/Orderer/BatchSize/AbsoluteMaxBytes', kind: 'removed', before: 10 * 1024 * 1024 },
      { path: 'Channel/Orderer/BatchSize/MaxMessageCount', kind: 'removed', before: 10 },
      { path: 'Channel/Orderer/BatchSize/PreferredMaxBytes', kind: 'removed', before: 2 * 1024 * 1024 },
    ]);
  });

  it('keeps the consensus type and state when only the metadata is undecodable', () => {
    const garbage = new Uint8Array([0x0a, 0x05]);
    const leaves = configLeaves(withConsensusMetadata(etcdraft, () => garbage));
    expect(leaves.get('Channel/Orderer/ConsensusType/Type')).toBe('etcdraft');
    expect(leaves.get('Channel/Orderer/ConsensusType/State')).toBe('STATE_NORMAL');
    expect(leaves.get('Channel/Orderer/ConsensusType/Metadata')).toBe(`undecodable: sha256:${sha256(garbage)}`);
    expect([...leaves.keys()].filter((path) => path.includes('ConsensusType/Options') || path.endsWith('/Consenters'))).toEqual([]);
  });

  it('reports an undecodable policy by its hash', () => {
    const after = edited(devnet, (copy) => {
      const policy = new common.Policy();
      policy.setType(common.Policy.PolicyType.SIGNATURE);
      policy.setValue(new Uint8Array([0x0a, 0x05]));
      groupAt(copy, 'Application').getPoliciesMap().get('Readers')!.setPolicy(policy);
    });
    expect(configLeaves(after).get('Channel/Application/Policies/Readers')).toBe(`undecodable: sha256:${sha256(new Uint8Array([0x0a, 0x05]))}`);
  });

  it('reports fields the installed protos do not know, and only those', () => {
    const withUnknown = (extra: number[]) =>
      edited(devnet, (copy) => {
        const value = groupAt(copy, 'Orderer').getValuesMap().get('BatchSize')!;
        value.setValue(new Uint8Array([...value.getValue_asU8(), ...extra]));
      });
    // Field 15, varint: what a newer Fabric's BatchSize would carry.
    const one = withUnknown([0x78, 0x01]);
    const two = withUnknown([0x78, 0x02]);
    expect(diffConfigs(devnet, one)).toEqual([
      { path: 'Channel/Orderer/BatchSize/UnknownFields', kind: 'added', after: `sha256:${sha256(new Uint8Array([0x78, 0x01]))}` },
    ]);
    expect(diffConfigs(one, two).map((change) => [change.path, change.kind])).toEqual([['Channel/Orderer/BatchSize/UnknownFields', 'modified']]);

    // Go writes map entries in any order; that is not an unknown field.
    const entry = (name: string): number[] => [0x0a, name.length + 4, 0x0a, name.length, ...Buffer.from(name), 0x12, 0x00];
    const goOrder = edited(devnet, (copy) => {
      groupAt(copy, 'Application').getValuesMap().get('Capabilities')!.setValue(new Uint8Array([...entry('V2_5'), ...entry('V2_0')]));
    });
    expect(diffConfigs(devnet, goOrder)).toEqual([
      { path: 'Channel/Application/Capabilities', kind: 'modified', before: ['V2_5'], after: ['V2_0', 'V2_5'] },
    ]);
  });

  it('sorts by path and does not depend on the order maps were filled in', () => {
    const changed = edited(withBatchParams(devnet, { maxMessageCount: 20 }), (copy) => {
      groupAt(copy, 'Application', 'Org1MSP').setModPolicy('Writers');
      groupAt(copy, 'Orderer').getGroupsMap().del('Org2MSP');
      setValue(groupAt(copy), 'Zeta', new Uint8Array([1]));
      setValue(groupAt(copy), 'alpha', new Uint8Array([2]));
      // Added paths that sort among the existing ones, not after them.
      setValue(groupAt(copy, 'Application'), 'Extra', new Uint8Array([3]));
    });
    const reversed = new common.Config();
    reversed.setChannelGroup(refilledInReverse(devnet.getChannelGroup()!));
    expect([...configLeaves(reversed)]).toEqual([...configLeaves(devnet)]);
    expect(diffConfigs(devnet, reversed)).toEqual([]);

    const changes = diffConfigs(devnet, changed);
    const paths = changes.map((change) => change.path);
    expect(paths).toEqual(codeUnitSorted(paths));
    expect(new Set(changes.map((change) => change.kind))).toEqual(new Set(['added', 'removed', 'modified']));
    // Upper case sorts before lower case in code unit order, unlike localeCompare.
    expect(paths.indexOf('Channel/Zeta')).toBeLessThan(paths.indexOf('Channel/alpha'));
    expect(JSON.stringify(diffConfigs(reversed, changed))).toBe(JSON.stringify(changes));
    expect(JSON.stringify(diffConfigs(devnet, changed))).toBe(JSON.stringify(changes));
  });
});

describe('configLeaves', () => {
  it('returns its leaves in path order', () => {
    const paths = [...configLeaves(bft).keys()];
    expect(paths).toEqual(codeUnitSorted(paths));
  });

  it('decodes the channel, orderer and org values as configtx.yaml names them', () => {
    const leaves = configLeaves(configOf(testChannelProfile(orgs, { capabilities: { channel: ['V2_0'] }, maxChannels: 3 })));
    expect(leaves.get('Channel/HashingAlgorithm')).toBe('SHA256');
    expect(leaves.get('Channel/BlockDataHashingStructure')).toBe(0xffffffff);
    expect(leaves.get('Channel/OrdererAddresses')).toEqual(orgs.map((org, i) => `${org.orderer.host}:${7050 + 1000 * i}`));
    expect(leaves.get('Channel/OrdererAddresses/ModPolicy')).toBe('/Channel/Orderer/Admins');
    expect(leaves.get('Channel/Capabilities')).toEqual(['V2_0']);
    expect(leaves.get('Channel/ModPolicy')).toBe('Admins');
    expect(leaves.get('Channel/Policies/Admins')).toBe('MAJORITY Admins');
    expect(leaves.get('Channel/Orderer/BatchSize/MaxMessageCount')).toBe(10);
    expect(leaves.get('Channel/Orderer/ChannelRestrictions/MaxCount')).toBe(3);
    expect(leaves.get('Channel/Orderer/ConsensusType/Type')).toBe('devnet');
    expect(leaves.get('Channel/Orderer/ConsensusType/State')).toBe('STATE_NORMAL');
    expect(leaves.get('Channel/Orderer/ConsensusType/Metadata')).toBe('');
    expect(leaves.get('Channel/Orderer/Org1MSP/Endpoints')).toEqual([`${orgs[0].orderer.host}:7050`]);
    expect(leaves.get('Channel/Orderer/Org1MSP/Policies/Readers')).toBe("OR('Org1MSP.member')");

    const org = 'Channel/Application/Org1MSP';
    expect(leaves.get(`${org}/AnchorPeers`)).toEqual([`${orgs[0].peer.host}:7051`]);
    expect(leaves.get(`${org}/MSP/Type`)).toBe(0);
    expect(leaves.get(`${org}/MSP/Name`)).toBe('Org1MSP');
    expect(leaves.get(`${org}/MSP/RootCerts`)).toEqual([`sha256:${sha256(orgs[0].caCertPem)}`]);
    expect(leaves.get(`${org}/MSP/TLSRootCerts`)).toEqual([`sha256:${sha256(orgs[0].tlsCaCertPem)}`]);
    for (const list of ['IntermediateCerts', 'TLSIntermediateCerts', 'Admins', 'RevocationList', 'OrganizationalUnitIdentifiers']) {
      expect(leaves.get(`${org}/MSP/${list}`)).toEqual([]);
    }
    const ca = sha256(orgs[0].caCertPem).slice(0, 16);
    expect(leaves.get(`${org}/MSP/NodeOUs`)).toBe(`enable=true client=client@${ca} peer=peer@${ca} admin=admin@${ca} orderer=orderer@${ca}`);
    expect(leaves.get(`${org}/MSP/CryptoConfig/SignatureHashFamily`)).toBe('SHA2');
    expect(leaves.get(`${org}/MSP/ModPolicy`)).toBe('Admins');
    expect([...leaves.keys()].some((path) => path.endsWith('/UnknownFields'))).toBe(false);
  });

  it('decodes the etcdraft metadata', () => {
    const leaves = configLeaves(etcdraft);
    expect(leaves.get('Channel/Orderer/ConsensusType/Type')).toBe('etcdraft');
    expect(leaves.get('Channel/Orderer/ConsensusType/Options/ElectionTick')).toBe(10);
    expect(leaves.get('Channel/Orderer/ConsensusType/Options/SnapshotIntervalSize')).toBe(16 * 1024 * 1024);
    expect(leaves.get('Channel/Orderer/ConsensusType/Consenters')).toHaveLength(3);
    expect(leaves.has('Channel/Orderer/ConsensusType/Metadata')).toBe(false);
  });

  it('decodes the BFT options and the consenter mapping', () => {
    const leaves = configLeaves(bft);
    const options = [...leaves.keys()].filter((path) => path.startsWith('Channel/Orderer/ConsensusType/Options/'));
    expect(options).toHaveLength(18);
    expect(leaves.get('Channel/Orderer/ConsensusType/Options/LeaderRotation')).toBe('ROTATION_UNSPECIFIED');
    expect(leaves.get('Channel/Orderer/ConsensusType/Options/RequestAutoRemoveTimeout')).toBe('3m0s');
    expect(leaves.get('Channel/Orderer/ConsensusType/Options/SyncOnStart')).toBe(false);
    const short = (pem: string): string => sha256(pem).slice(0, 16);
    const node = orgs[1].orderer;
    expect((leaves.get('Channel/Orderer/Orderers') as string[])[1]).toBe(
      `id=2 Org2MSP ${node.host}:8050 identity=${short(node.signCertPem)} client=${short(node.tlsCertPem)} server=${short(node.tlsCertPem)}`,
    );
  });

  it('hashes values it has no decoder for, wherever they sit', () => {
    const config = edited(devnet, (copy) => {
      setValue(groupAt(copy), 'constructor', new Uint8Array([1, 2]));
      setValue(groupAt(copy, 'Application'), 'BatchSize', new Uint8Array([3]));
    });
    const leaves = configLeaves(config);
    expect(leaves.get('Channel/constructor')).toBe(`sha256:${sha256(new Uint8Array([1, 2]))}`);
    expect(leaves.get('Channel/Application/BatchSize')).toBe(`sha256:${sha256(new Uint8Array([3]))}`);
  });

  it('keeps both leaves when a name collides with the scheme', () => {
    const acls = new peer.ACLs();
    const resource = new peer.APIResource();
    resource.setPolicyRef('/Channel/Application/Admins');
    acls.getAclsMap().set('ModPolicy', resource);
    const config = edited(devnet, (copy) => {
      setValue(groupAt(copy, 'Application'), 'ACLs', acls.serializeBinary());
    });
    const leaves = configLeaves(config);
    expect(leaves.get('Channel/Application/ACLs/ModPolicy')).toBe('Admins');
    expect(leaves.get('Channel/Application/ACLs/ModPolicy#2')).toBe('/Channel/Application/Admins');
  });

  it('is empty for a config without a channel group', () => {
    expect(configLeaves(new common.Config()).size).toBe(0);
    expect(diffConfigs(new common.Config(), devnet)).toHaveLength(configLeaves(devnet).size);
  });

  it('renders other policy types by type and hash', () => {
    const config = edited(devnet, (copy) => {
      const policy = new common.Policy();
      policy.setType(common.Policy.PolicyType.MSP);
      policy.setValue(new Uint8Array([9]));
      groupAt(copy).getPoliciesMap().get('Writers')!.setPolicy(policy);
      groupAt(copy).getPoliciesMap().get('Readers')!.setPolicy(implicitMetaPolicy('ALL', 'Readers'));
    });
    const leaves = configLeaves(config);
    expect(leaves.get('Channel/Policies/Writers')).toBe(`type 2: sha256:${sha256(new Uint8Array([9]))}`);
    expect(leaves.get('Channel/Policies/Readers')).toBe('ALL Readers');
  });
});
