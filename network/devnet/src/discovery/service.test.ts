/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The discovery service of a devnet peer over a 4-org channel: endorsement layouts from the
 * chaincode's policy (OutOf, AND, OR, ImplicitMeta MAJORITY), config and membership answers,
 * access refusals and malformed requests, as a Fabric v3.1.5 peer answers them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, discovery, gossip, msp, peer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import { buildGenesisBlock, nOutOf, readConfigBlock, signaturePolicy } from 'fabric-config/configtx';
import { MspRegistry, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs, signerOf, testChannelProfile } from 'fabric-config/testing';
import { Channel, DEFAULT_ENDORSEMENT_POLICY } from '../channel';
import type { ChaincodeDefinition } from '../channel';
import type { PeerNode } from '../gateway/gateway';
import { pkiIdOf } from './gossipInfo';
import { DiscoveryRequestError, DiscoveryServer } from './service';
import { CollectionRegistry } from '../privdata';

let root: string;
let orgs: OrgCrypto[];
/** Org5 has a peer the devnet knows but is in no channel's config. */
let outsider: OrgCrypto;
let peers: PeerNode[];
const channels = new Map<string, Channel>();
const HEIGHT = 7;

function peerOf(org: OrgCrypto, port: number): PeerNode {
  return {
    mspId: org.mspId,
    address: `${org.peer.host}:${port}`,
    msp: new MspRegistry([{ mspId: org.mspId, rootCerts: [org.caCertPem], tlsRootCerts: [org.tlsCaCertPem] }]),
    signer: new SigningIdentity(org.mspId, org.peer.signCertPem, org.peer.privateKeyPem),
  };
}

function server(local = peers[0]): DiscoveryServer {
  return new DiscoveryServer({ channels, heights: { height: () => Promise.resolve(HEIGHT) }, peers }, local);
}

function signedRequest(signer: SigningIdentity, queries: discovery.Query[], signWith: SigningIdentity = signer): discovery.SignedRequest {
  const auth = new discovery.AuthInfo();
  auth.setClientIdentity(signer.serialize());
  const request = new discovery.Request();
  request.setAuthentication(auth);
  request.setQueriesList(queries);
  const signed = new discovery.SignedRequest();
  signed.setPayload(request.serializeBinary());
  signed.setSignature(signWith.sign(signed.getPayload_asU8()));
  return signed;
}

function query(channelId: string, kind: 'config' | 'peers' | 'local', filter?: string): discovery.Query {
  const q = new discovery.Query();
  q.setChannel(channelId);
  if (kind === 'config') q.setConfigQuery(new discovery.ConfigQuery());
  if (kind === 'local') q.setLocalPeers(new discovery.LocalPeerQuery());
  if (kind === 'peers') {
    const pq = new discovery.PeerMembershipQuery();
    if (filter !== undefined) pq.setFilter(interest(filter));
    q.setPeerQuery(pq);
  }
  return q;
}

function interest(...names: string[]): peer.ChaincodeInterest {
  const i = new peer.ChaincodeInterest();
  i.setChaincodesList(
    names.map((name) => {
      const call = new peer.ChaincodeCall();
      call.setName(name);
      return call;
    }),
  );
  return i;
}

function ccQuery(channelId: string, ...names: string[]): discovery.Query {
  const cc = new discovery.ChaincodeQuery();
  cc.setInterestsList([interest(...names)]);
  const q = new discovery.Query();
  q.setChannel(channelId);
  q.setCcQuery(cc);
  return q;
}

async function results(signer: SigningIdentity, queries: discovery.Query[]): Promise<discovery.QueryResult[]> {
  return (await server().answer(signedRequest(signer, queries))).getResultsList();
}

const errorOf = (r: discovery.QueryResult): string | undefined => r.getError()?.getContent();

/** A channel `primary` over orgs 1-4 with the chaincode `cc` defined under `policy`, a policy set at /Channel/Application/Custom. */
function channelWithPolicy(policy: common.SignaturePolicyEnvelope | undefined, writers?: common.SignaturePolicyEnvelope): Channel {
  const { config } = readConfigBlock(buildGenesisBlock(testChannelProfile(orgs, { channelId: 'primary' })));
  const application = config.getChannelGroup()?.getGroupsMap().get('Application') as common.ConfigGroup;
  const set = (name: string, envelope: common.SignaturePolicyEnvelope): void => {
    const p = new common.ConfigPolicy();
    p.setPolicy(signaturePolicy(envelope));
    p.setModPolicy('Admins');
    application.getPoliciesMap().set(name, p);
  };
  if (policy) set('Custom', policy);
  if (writers) set('Writers', writers);
  const channel = new Channel('primary', config, 0);
  channel.defineChaincode({
    channel: 'primary',
    name: 'cc',
    version: '1.0',
    ccid: 'cc_1.0:00',
    folder: '/nowhere',
    address: '127.0.0.1:1',
    endorsementPolicy: policy ? '/Channel/Application/Custom' : DEFAULT_ENDORSEMENT_POLICY,
  });
  return channel;
}

/** The descriptor's layouts as MSP IDs with quantities, e.g. `Org1MSP:1 Org2MSP:1`, sorted. */
function layoutsOf(descriptor: discovery.EndorsementDescriptor): string[] {
  const mspOfGroup = new Map<string, string>();
  for (const [group, list] of descriptor.getEndorsersByGroupsMap().entries() as Iterable<[string, discovery.Peers]>) {
    const ids = new Set(list.getPeersList().map((p) => msp.SerializedIdentity.deserializeBinary(p.getIdentity_asU8()).getMspid()));
    expect(ids.size).toBe(1);
    mspOfGroup.set(group, [...ids][0]);
  }
  return descriptor
    .getLayoutsList()
    .map((layout) =>
      ([...layout.getQuantitiesByGroupMap().entries()] as [string, number][])
        .map(([group, n]) => `${mspOfGroup.get(group) ?? `missing ${group}`}:${n}`)
        .sort()
        .join(' '),
    )
    .sort();
}

async function descriptorFor(policy: common.SignaturePolicyEnvelope | undefined): Promise<discovery.EndorsementDescriptor> {
  channels.set('primary', channelWithPolicy(policy));
  const [result] = await results(signerOf(orgs, '2.user'), [ccQuery('primary', 'cc')]);
  expect(errorOf(result)).toBeUndefined();
  const content = result.getCcQueryRes()?.getContentList() ?? [];
  expect(content).toHaveLength(1);
  return content[0];
}

const role = (i: number): { mspId: string; role: 'peer' } => ({ mspId: `Org${i}MSP`, role: 'peer' });

beforeAll(async () => {
  const generated = await generateTestOrgs('devnet-discovery', 5);
  root = generated.root;
  orgs = generated.orgs.slice(0, 4);
  outsider = generated.orgs[4];
  peers = [...orgs, outsider].map((org, i) => peerOf(org, 7051 + 2000 * i));
  const { config } = readConfigBlock(buildGenesisBlock(testChannelProfile(orgs, { channelId: 'mgmt' })));
  channels.set('mgmt', new Channel('mgmt', config, 0));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

describe('endorsement layouts', () => {
  it('plans the default ImplicitMeta MAJORITY Endorsement over 4 orgs as every 3 of them', async () => {
    const d = await descriptorFor(undefined);
    expect(d.getChaincode()).toBe('cc');
    expect(layoutsOf(d)).toEqual([
      'Org1MSP:1 Org2MSP:1 Org3MSP:1',
      'Org1MSP:1 Org2MSP:1 Org4MSP:1',
      'Org1MSP:1 Org3MSP:1 Org4MSP:1',
      'Org2MSP:1 Org3MSP:1 Org4MSP:1',
    ]);
    // One group per org, each with that org's peer, carrying its alive and state info messages.
    expect(d.getEndorsersByGroupsMap().getLength()).toBe(4);
    const endorser = (d.getEndorsersByGroupsMap().get('G0') as discovery.Peers).getPeersList()[0];
    const alive = gossip.GossipMessage.deserializeBinary(endorser.getMembershipInfo()?.getPayload_asU8() ?? new Uint8Array()).getAliveMsg();
    expect(Buffer.from(alive?.getMembership()?.getPkiId_asU8() ?? []).equals(Buffer.from(pkiIdOf(endorser.getIdentity_asU8())))).toBe(true);
    const state = gossip.GossipMessage.deserializeBinary(endorser.getStateInfo()?.getPayload_asU8() ?? new Uint8Array()).getStateInfo();
    expect(state?.getProperties()?.getLedgerHeight()).toBe(HEIGHT);
    expect(state?.getProperties()?.getChaincodesList().map((c) => c.getName())).toEqual(['cc']);
  });

  it('plans OutOf(2, ...) of three orgs as each pair', async () => {
    expect(layoutsOf(await descriptorFor(nOutOf(2, [role(1), role(2), role(3)])))).toEqual(['Org1MSP:1 Org2MSP:1', 'Org1MSP:1 Org3MSP:1', 'Org2MSP:1 Org3MSP:1']);
  });

  it('plans AND as one layout of all and OR as one layout per org', async () => {
    expect(layoutsOf(await descriptorFor(nOutOf(4, [role(1), role(2), role(3), role(4)])))).toEqual(['Org1MSP:1 Org2MSP:1 Org3MSP:1 Org4MSP:1']);
    expect(layoutsOf(await descriptorFor(nOutOf(1, [role(2), role(4)])))).toEqual(['Org2MSP:1', 'Org4MSP:1']);
  });

  it('drops layouts that need more peers than an org has', async () => {
    // Two endorsements of Org1's peers: the devnet has one peer per org.
    const twiceOrg1 = nOutOf(2, [role(1), role(1)]);
    channels.set('primary', channelWithPolicy(twiceOrg1));
    const [result] = await results(signerOf(orgs, '1.user'), [ccQuery('primary', 'cc')]);
    expect(errorOf(result)).toBe('failed constructing descriptor for chaincodes:{name:"cc"}');
    // An org outside the channel has no channel peers: OR(Org5, Org1) leaves Org1 only.
    expect(layoutsOf(await descriptorFor(nOutOf(1, [{ mspId: 'Org5MSP', role: 'peer' }, role(1)])))).toEqual(['Org1MSP:1']);
  });

  it('plans a definition\'s own signature policy, and reports its sequence as the chaincode version', async () => {
    const channel = channelWithPolicy(undefined);
    const explicit = Buffer.from(nOutOf(2, [role(3), role(4)]).serializeBinary()).toString('base64');
    const base = channel.chaincode('cc') as ChaincodeDefinition;
    channel.defineChaincode(Object.assign({}, base, { signaturePolicy: explicit, sequence: 3 }));
    channels.set('primary', channel);
    const [result] = await results(signerOf(orgs, '1.user'), [ccQuery('primary', 'cc')]);
    const descriptor = result.getCcQueryRes()?.getContentList()[0] as discovery.EndorsementDescriptor;
    expect(layoutsOf(descriptor)).toEqual(['Org3MSP:1 Org4MSP:1']);
    const endorser = [...descriptor.getEndorsersByGroupsMap().entries()][0][1];
    const state = gossip.GossipMessage.deserializeBinary(endorser.getPeersList()[0].getStateInfo()?.getPayload_asU8() ?? new Uint8Array()).getStateInfo();
    expect(state?.getProperties()?.getChaincodesList().map((c) => `${c.getName()}:${c.getVersion()}`)).toEqual(['cc:3']);
  });

  it('answers a chaincode that is not defined with Fabric\'s error', async () => {
    channels.set('primary', channelWithPolicy(undefined));
    const [result] = await results(signerOf(orgs, '1.user'), [ccQuery('primary', 'nope')]);
    expect(errorOf(result)).toBe('failed constructing descriptor for chaincodes:{name:"nope"}');
    const empty = new discovery.Query();
    empty.setChannel('primary');
    empty.setCcQuery(new discovery.ChaincodeQuery());
    expect(errorOf((await results(signerOf(orgs, '1.user'), [empty]))[0])).toBe('chaincode query must have at least one chaincode interest');
  });
});

describe('config and membership', () => {
  beforeAll(() => {
    channels.set('primary', channelWithPolicy(undefined));
  });

  it('answers the config query with every MSP and the orderer endpoints', async () => {
    const [result] = await results(signerOf(orgs, '3.user'), [query('primary', 'config')]);
    const config = result.getConfigResult() as discovery.ConfigResult;
    expect(config).toBeDefined();
    expect([...config.getMspsMap().keys()].sort()).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    const org2 = config.getMspsMap().get('Org2MSP') as msp.FabricMSPConfig;
    expect(org2.getName()).toBe('Org2MSP');
    expect(Buffer.from(org2.getRootCertsList_asU8()[0]).toString()).toBe(orgs[1].caCertPem);
    expect(Buffer.from(org2.getTlsRootCertsList_asU8()[0]).toString()).toBe(orgs[1].tlsCaCertPem);
    const endpoints = (config.getOrderersMap().get('Org2MSP') as discovery.Endpoints).getEndpointList().map((e) => `${e.getHost()}:${e.getPort()}`);
    expect(endpoints).toEqual([`${orgs[1].orderer.host}:8050`]);
  });

  it('answers the peers query with each channel org\'s peer, its endpoint, height and chaincodes', async () => {
    const [result] = await results(signerOf(orgs, '1.user'), [query('primary', 'peers')]);
    const byOrg = result.getMembers()?.getPeersByOrgMap();
    expect(byOrg).toBeDefined();
    // Org5's peer is known but not on the channel: its org is listed with no peers, as Fabric lists it.
    expect(byOrg?.get('Org5MSP')?.getPeersList()).toEqual([]);
    for (const [i, org] of orgs.entries()) {
      const list = byOrg?.get(org.mspId)?.getPeersList() ?? [];
      expect(list).toHaveLength(1);
      const alive = gossip.GossipMessage.deserializeBinary(list[0].getMembershipInfo()?.getPayload_asU8() ?? new Uint8Array()).getAliveMsg();
      expect(alive?.getMembership()?.getEndpoint()).toBe(`${org.peer.host}:${7051 + 2000 * i}`);
      expect(msp.SerializedIdentity.deserializeBinary(list[0].getIdentity_asU8()).getMspid()).toBe(org.mspId);
      const state = gossip.GossipMessage.deserializeBinary(list[0].getStateInfo()?.getPayload_asU8() ?? new Uint8Array()).getStateInfo();
      expect(state?.getProperties()?.getLedgerHeight()).toBe(HEIGHT);
    }
  });

  it('filters peers by chaincode and names an unknown one', async () => {
    const [known, unknown] = await results(signerOf(orgs, '1.user'), [query('primary', 'peers', 'cc'), query('primary', 'peers', 'nope')]);
    expect(known.getMembers()?.getPeersByOrgMap().get('Org1MSP')?.getPeersList()).toHaveLength(1);
    expect(errorOf(unknown)).toBe('No metadata was found for chaincode nope in channel primary');
  });

  it('answers the local peers query of an admin of the peer\'s org with every peer, without state info', async () => {
    const [result] = await results(signerOf(orgs, '1.admin'), [query('', 'local')]);
    const byOrg = result.getMembers()?.getPeersByOrgMap();
    expect([...(byOrg?.keys() ?? [])].sort()).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP', 'Org5MSP']);
    expect(byOrg?.get('Org3MSP')?.getPeersList()[0].hasStateInfo()).toBe(false);
  });
});

describe('access', () => {
  beforeAll(() => {
    channels.set('primary', channelWithPolicy(undefined));
  });

  it('refuses, query by query, an unknown channel, an org outside the channel and a wrong signature', async () => {
    const org5User = new SigningIdentity(outsider.mspId, outsider.user.certPem, outsider.user.privateKeyPem);
    const [unknown, allowed] = await results(signerOf(orgs, '1.user'), [query('nochannel', 'config'), query('primary', 'config')]);
    expect(errorOf(unknown)).toBe('access denied');
    expect(allowed.hasConfigResult()).toBe(true);
    expect(errorOf((await results(org5User, [query('primary', 'peers')]))[0])).toBe('access denied');
    const forged = signedRequest(signerOf(orgs, '1.user'), [query('primary', 'config')], signerOf(orgs, '2.user'));
    expect(errorOf((await server().answer(forged)).getResultsList()[0])).toBe('access denied');
  });

  it('checks channel queries against /Channel/Application/Writers in force', async () => {
    channels.set('primary', channelWithPolicy(undefined, nOutOf(1, [{ mspId: 'Org1MSP', role: 'admin' }])));
    expect(errorOf((await results(signerOf(orgs, '1.user'), [query('primary', 'config')]))[0])).toBe('access denied');
    expect((await results(signerOf(orgs, '1.admin'), [query('primary', 'config')]))[0].hasConfigResult()).toBe(true);
    channels.set('primary', channelWithPolicy(undefined));
  });

  it('gives local peers to admins of the receiving peer\'s org only', async () => {
    expect(errorOf((await results(signerOf(orgs, '1.user'), [query('', 'local')]))[0])).toBe('access denied');
    expect(errorOf((await results(signerOf(orgs, '2.admin'), [query('', 'local')]))[0])).toBe('access denied');
    const viaOrg2 = await server(peers[1]).answer(signedRequest(signerOf(orgs, '2.admin'), [query('', 'local')]));
    expect(viaOrg2.getResultsList()[0].hasMembers()).toBe(true);
  });

  it('answers a query of the wrong scope as of unknown type', async () => {
    const [channelLocal, localConfig] = await results(signerOf(orgs, '1.admin'), [query('primary', 'local'), query('', 'config')]);
    expect(errorOf(channelLocal)).toBe('unknown or missing request type');
    expect(errorOf(localConfig)).toBe('unknown or missing request type');
  });

  it('refuses a malformed request as a whole', async () => {
    const garbage = new discovery.SignedRequest();
    garbage.setPayload(Buffer.from([0xff, 0xff, 0xff]));
    await expect(server().answer(garbage)).rejects.toThrow(new DiscoveryRequestError('failed parsing request: proto: cannot parse invalid wire-format data'));
    const noAuth = new discovery.SignedRequest();
    noAuth.setPayload(new discovery.Request().serializeBinary());
    await expect(server().answer(noAuth)).rejects.toThrow('access denied, no authentication info in request');
    const request = new discovery.Request();
    request.setAuthentication(new discovery.AuthInfo());
    const noIdentity = new discovery.SignedRequest();
    noIdentity.setPayload(request.serializeBinary());
    await expect(server().answer(noIdentity)).rejects.toThrow("access denied, client identity wasn't supplied");
  });
});

describe('endorsers of chaincode calls that name collections', () => {
  /** `cc` under OR of the four orgs' peers, with collections: assetCollection (Org1, Org2) and endorsed (Org1-3, endorsed by Org3). */
  function channelWithCollections(): Channel {
    const channel = channelWithPolicy(nOutOf(1, [role(1), role(2), role(3), role(4)]));
    const pkg = new peer.CollectionConfigPackage();
    const collection = (name: string, members: number[], endorsedBy?: number): peer.CollectionConfig => {
      const c = new peer.StaticCollectionConfig();
      c.setName(name);
      const policy = new peer.CollectionPolicyConfig();
      policy.setSignaturePolicy(nOutOf(1, members.map((i) => ({ mspId: `Org${i}MSP`, role: 'member' as const }))));
      c.setMemberOrgsPolicy(policy);
      if (endorsedBy !== undefined) {
        const ep = new peer.ApplicationPolicy();
        ep.setSignaturePolicy(nOutOf(1, [role(endorsedBy)]));
        c.setEndorsementPolicy(ep);
      }
      const config = new peer.CollectionConfig();
      config.setStaticCollectionConfig(c);
      return config;
    };
    pkg.setConfigList([collection('assetCollection', [1, 2]), collection('endorsed', [1, 2, 3], 3)]);
    const def = channel.chaincode('cc') as ChaincodeDefinition;
    channel.defineChaincode({ ...def, collections: Buffer.from(pkg.serializeBinary()).toString('base64') });
    return channel;
  }

  async function layoutsWith(configure: (call: peer.ChaincodeCall) => void): Promise<string[] | string> {
    channels.set('primary', channelWithCollections());
    const q = ccQuery('primary', 'cc');
    configure(q.getCcQuery()?.getInterestsList()[0].getChaincodesList()[0] as peer.ChaincodeCall);
    const collectionsAware = new DiscoveryServer({ channels, heights: { height: () => Promise.resolve(HEIGHT) }, peers, collections: new CollectionRegistry() }, peers[0]);
    const [result] = (await collectionsAware.answer(signedRequest(signerOf(orgs, '1.user'), [q]))).getResultsList();
    const error = errorOf(result);
    if (error !== undefined) return error;
    return layoutsOf(result.getCcQueryRes()?.getContentList()[0] as discovery.EndorsementDescriptor);
  }

  it("plans a private read with the collection's member organisations' peers only", async () => {
    expect(await layoutsWith((c) => { c.setCollectionNamesList(['assetCollection']); })).toEqual(['Org1MSP:1', 'Org2MSP:1']);
    expect(await layoutsWith((c) => { c.setCollectionNamesList(['_implicit_org_Org2MSP']); })).toEqual(['Org2MSP:1']);
  });

  it('does not filter by membership when the call has no private reads', async () => {
    expect(await layoutsWith((c) => { c.setCollectionNamesList(['assetCollection']); c.setNoPrivateReads(true); })).toEqual(['Org1MSP:1', 'Org2MSP:1', 'Org3MSP:1', 'Org4MSP:1']);
  });

  it("plans a collection's own endorsement policy when the namespace policy is disregarded", async () => {
    expect(await layoutsWith((c) => { c.setCollectionNamesList(['endorsed']); c.setDisregardNamespacePolicy(true); })).toEqual(['Org3MSP:1']);
  });

  it("answers an unknown collection with Fabric's error", async () => {
    expect(await layoutsWith((c) => { c.setCollectionNamesList(['nope']); })).toBe('failed constructing descriptor for chaincodes:{name:"cc" collection_names:"nope"}');
  });
});
