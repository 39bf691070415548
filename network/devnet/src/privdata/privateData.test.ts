/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Private data on one channel with real organisations, signatures and the LevelDB store: the
 * collections in force (explicit and implicit), the access rules of a simulation, the hashed and
 * private write sets it produces, and what a block's commit does with them (member copies only,
 * hashes checked, block-to-live, the transient store) and the endorsement rule of collection writes.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildGenesisBlock, nOutOf, readConfigBlock } from 'fabric-config/configtx';
import type { SignedData } from 'fabric-config/configtx';
import type { OrgCrypto, SigningIdentity } from 'fabric-config/msp';
import { generateTestOrgs, signerOf, testChannelProfile } from 'fabric-config/testing';
import { SigningIdentity as Identity } from 'fabric-config/msp';
import { Channel } from '../channel';
import { TxSimulator } from '../ledger/simulator';
import { LedgerStore } from '../ledger/store';
import type { StateUpdate } from '../ledger/store';
import { PrivateData } from '.';
import { hashedNamespace, hashedNamespaceSets, keyHashHex, privateNamespace } from './rwset';

const CC = 'privcc';
let root: string;
let orgs: OrgCrypto[];
let genesis: common.Config;
let dir: string;
let store: LedgerStore;
let channel: Channel;
let privateData: PrivateData;

interface Spec {
  name: string;
  members: string[];
  btl?: number;
  memberOnlyRead?: boolean;
  memberOnlyWrite?: boolean;
  endorsedBy?: string;
}

function collections(specs: Spec[]): string {
  const pkg = new peer.CollectionConfigPackage();
  pkg.setConfigList(specs.map((s) => {
    const c = new peer.StaticCollectionConfig();
    c.setName(s.name);
    const policy = new peer.CollectionPolicyConfig();
    policy.setSignaturePolicy(nOutOf(1, s.members.map((mspId) => ({ mspId, role: 'member' as const }))));
    c.setMemberOrgsPolicy(policy);
    c.setBlockToLive(s.btl ?? 0);
    c.setMemberOnlyRead(s.memberOnlyRead ?? true);
    c.setMemberOnlyWrite(s.memberOnlyWrite ?? true);
    if (s.endorsedBy) {
      const ep = new peer.ApplicationPolicy();
      ep.setSignaturePolicy(nOutOf(1, [{ mspId: s.endorsedBy, role: 'peer' }]));
      c.setEndorsementPolicy(ep);
    }
    const config = new peer.CollectionConfig();
    config.setStaticCollectionConfig(c);
    return config;
  }));
  return Buffer.from(pkg.serializeBinary()).toString('base64');
}

const SPECS: Spec[] = [
  { name: 'assetCollection', members: ['Org1MSP', 'Org2MSP'] },
  { name: 'shortLived', members: ['Org1MSP'], btl: 2 },
  { name: 'open', members: ['Org1MSP'], memberOnlyRead: false, memberOnlyWrite: false },
  { name: 'org2Endorsed', members: ['Org1MSP', 'Org2MSP'], endorsedBy: 'Org2MSP' },
];

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('devnet-privdata', 3));
  genesis = readConfigBlock(buildGenesisBlock(testChannelProfile(orgs))).config;
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

beforeEach(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'devnet-privdata-'));
  store = await LedgerStore.open(dir);
  channel = new Channel('primary', genesis, 0);
  channel.defineChaincode({ channel: 'primary', name: CC, version: '1', ccid: 'privcc_1:00', folder: '', address: '', endorsementPolicy: '/Channel/Application/Endorsement', collections: collections(SPECS) });
  privateData = new PrivateData(store, new Map([['primary', channel]]));
  // Block 0, so that the next commits are blocks 1, 2, ...
  await store.commitBlock({ channel: 'primary', blockNum: 0, blockBytes: new Uint8Array(0), blockHash: Buffer.from('genesis'), updates: [], history: [], txs: [] });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function signed(identity: SigningIdentity, data = Buffer.from('a proposal')): SignedData {
  return { identity: identity.serialize(), data, signature: identity.sign(data) };
}

/** A simulation of `txId` on `peerOrg`'s peer for a proposal signed by `creator`. */
function simulator(creator: SigningIdentity, peerOrg: string, txId = 'tx1'): TxSimulator {
  return new TxSimulator(store, 'primary', CC, privateData.registry.contextFor(channel, CC, txId, signed(creator), peerOrg));
}

/** What the committer does with a valid transaction's results, as block `blockNum` (txNum 0). */
async function commit(blockNum: number, sim: TxSimulator | undefined, txId = 'tx1'): Promise<StateUpdate[]> {
  const block = privateData.committer.beginBlock('primary', blockNum);
  const updates: StateUpdate[] = [];
  if (sim) {
    const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(sim.toRwsetBytes());
    for (const { namespace, kv } of hashedNamespaceSets(rwset.getNsRwsetList()[0])) {
      for (const w of kv.getWritesList()) updates.push({ namespace, key: w.getKey(), value: w.getIsDelete() ? undefined : Buffer.from(w.getValue_asU8()), version: { blockNum, txNum: 0 } });
    }
    block.seen(txId);
    block.validTx(0, txId, CC, sim.toRwsetBytes());
  }
  const all = [...updates, ...(await block.updates(updates))];
  await store.commitBlock({ channel: 'primary', blockNum, blockBytes: new Uint8Array(0), blockHash: Buffer.from(`block ${blockNum}`), updates: all, history: [], txs: [] });
  return all;
}

/** Simulates, stores the private write set in the transient store as the endorser does, and commits. */
async function endorseAndCommit(blockNum: number, sim: TxSimulator, txId = 'tx1', peerOrg = 'Org1MSP'): Promise<void> {
  const pvt = sim.toPvtRwset();
  if (pvt) privateData.transient.put('primary', txId, peerOrg, pvt, blockNum);
  await commit(blockNum, sim, txId);
}

const user = (i: number): SigningIdentity => signerOf(orgs, `${i}.user`);
const text = (bytes: Uint8Array | undefined): string | undefined => (bytes === undefined ? undefined : Buffer.from(bytes).toString('utf8'));

describe('collections in force', () => {
  it("are the definition's plus one implicit collection per organisation, each member of its own", () => {
    const set = privateData.registry.collectionsOf(channel, CC);
    expect(set.explicit().map((c) => c.name)).toEqual(SPECS.map((s) => s.name));
    expect(set.get('assetCollection')?.memberOrgs).toEqual(['Org1MSP', 'Org2MSP']);
    for (const mspId of ['Org1MSP', 'Org2MSP', 'Org3MSP']) {
      const implicit = set.get(`_implicit_org_${mspId}`);
      expect(implicit).toMatchObject({ memberOrgs: [mspId], memberOnlyRead: false, memberOnlyWrite: false, blockToLive: 0, implicit: true });
      // Its endorsement policy is the organisation's Endorsement policy when the config has one.
      expect(implicit?.endorsementPolicy?.getChannelConfigPolicyReference()).toMatch(/^\/Channel\/Application\/.+\/Endorsement$/);
    }
    expect(() => set.require('nope')).toThrow('collection [nope] not defined in the collection config for chaincode [privcc]');
  });

  it("decide membership by the member policy over the creator's signature", () => {
    const coll = privateData.registry.collectionsOf(channel, CC).require('assetCollection');
    expect(privateData.registry.contextFor(channel, CC, 't', signed(user(2)), 'Org1MSP').creatorIsMember(coll)).toBe(true);
    expect(privateData.registry.contextFor(channel, CC, 't', signed(user(3)), 'Org1MSP').creatorIsMember(coll)).toBe(false);
    const forged = { ...signed(user(1)), signature: signed(user(3)).signature };
    expect(privateData.registry.contextFor(channel, CC, 't', forged, 'Org1MSP').creatorIsMember(coll)).toBe(false);
  });
});

describe('who may endorse', () => {
  const summary = (privateReads: string[], writes: string[]) => ({ privateReads, writes });

  it('a private read needs a member; a write with transient data needs a member of every collection written', () => {
    const may = (org: string, reads: string[], writes: string[], transient: boolean): boolean =>
      privateData.registry.mayEndorse(channel, CC, org, summary(reads, writes), transient);
    expect(may('Org3MSP', ['assetCollection'], [], false)).toBe(false);
    expect(may('Org2MSP', ['assetCollection'], [], false)).toBe(true);
    expect(may('Org3MSP', [], ['assetCollection'], false)).toBe(true);
    expect(may('Org3MSP', [], ['assetCollection'], true)).toBe(false);
    expect(may('Org2MSP', [], ['assetCollection', '_implicit_org_Org1MSP'], true)).toBe(false);
    expect(may('Org1MSP', [], ['assetCollection', '_implicit_org_Org1MSP'], true)).toBe(true);
  });
});

describe('simulation', () => {
  it('puts only hashes in the transaction, and the values in the private write set', async () => {
    const sim = simulator(user(1), 'Org1MSP');
    sim.privateData?.putPrivateData('assetCollection', 'asset1', Buffer.from('the secret value'));
    sim.privateData?.deletePrivateData('assetCollection', 'gone');
    expect(await sim.privateData?.getPrivateDataHash('assetCollection', 'asset1')).toBeUndefined();
    const rwsetBytes = Buffer.from(sim.toRwsetBytes());
    expect(rwsetBytes.includes(Buffer.from('the secret value'))).toBe(false);
    expect(rwsetBytes.includes(Buffer.from('asset1'))).toBe(false);
    const ns = ledger.rwset.TxReadWriteSet.deserializeBinary(rwsetBytes).getNsRwsetList()[0];
    const [coll] = ns.getCollectionHashedRwsetList();
    expect(coll.getCollectionName()).toBe('assetCollection');
    const hashed = ledger.rwset.kvrwset.HashedRWSet.deserializeBinary(coll.getHashedRwset_asU8());
    const sha = (s: string): Buffer => createHash('sha256').update(s).digest();
    expect(hashed.getHashedWritesList().map((w) => [Buffer.from(w.getKeyHash_asU8()).toString('hex'), w.getIsDelete()])).toEqual(
      // In the order of the keys themselves, as Fabric's rwset builder sorts them.
      [['asset1', false], ['gone', true]].map(([k, d]) => [sha(k as string).toString('hex'), d]),
    );
    expect(Buffer.from(hashed.getHashedReadsList()[0].getKeyHash_asU8()).equals(sha('asset1'))).toBe(true);
    const pvt = sim.toPvtRwset();
    const pvtColl = pvt?.getNsPvtRwsetList()[0].getCollectionPvtRwsetList()[0];
    expect(Buffer.from(coll.getPvtRwsetHash_asU8()).equals(createHash('sha256').update(pvtColl?.getRwset_asU8() ?? new Uint8Array()).digest())).toBe(true);
    const writes = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(pvtColl?.getRwset_asU8() ?? new Uint8Array()).getWritesList();
    expect(writes.map((w) => [w.getKey(), text(w.getValue_asU8()), w.getIsDelete()])).toEqual([['asset1', 'the secret value', false], ['gone', '', true]]);
  });

  it("applies member_only_read and member_only_write to the creator, in Fabric's words, and lets anyone read hashes", async () => {
    const outsider = simulator(user(3), 'Org3MSP');
    await expect(outsider.privateData?.getPrivateData('assetCollection', 'k')).rejects.toThrow(
      'tx creator does not have read access permission on privatedata in chaincodeName:privcc collectionName: assetCollection',
    );
    expect(() => outsider.privateData?.putPrivateData('assetCollection', 'k', Buffer.from('v'))).toThrow(
      'tx creator does not have write access permission on privatedata in chaincodeName:privcc collectionName: assetCollection',
    );
    await expect(outsider.privateData?.getPrivateDataHash('assetCollection', 'k')).resolves.toBeUndefined();
    // Without member_only rules, a non-member may write (its peer stores nothing, see the commit).
    expect(() => outsider.privateData?.putPrivateData('open', 'k', Buffer.from('v'))).not.toThrow();
    // Unknown collections: the handler's access check words it for the calls it checks, the ledger for GetPrivateDataHash.
    await expect(outsider.privateData?.getPrivateData('nope', 'k')).rejects.toThrow('collection primary/privcc/nope could not be found');
    expect(() => outsider.privateData?.putPrivateData('nope', 'k', Buffer.from('v'))).toThrow('collection primary/privcc/nope could not be found');
    await expect(outsider.privateData?.getPrivateDataHash('nope', 'k')).rejects.toThrow('collection [nope] not defined in the collection config for chaincode [privcc]');
  });

  it('allows a private range query only in a transaction that writes nothing, and no write after it', async () => {
    const writer = simulator(user(1), 'Org1MSP');
    writer.putState('public', Buffer.from('v'));
    await expect(writer.privateData?.getPrivateDataByRange('assetCollection', '', '')).rejects.toThrow('Queries on pvt data is supported only in a read-only transaction');
    const reader = simulator(user(1), 'Org1MSP');
    await reader.privateData?.getPrivateDataByRange('assetCollection', '', '');
    expect(() => reader.privateData?.putPrivateData('assetCollection', 'k', Buffer.from('v'))).toThrow('Transaction has already performed queries on pvt data. Writes are not allowed');
    expect(() => { reader.putState('public', Buffer.from('v')); }).toThrow('Transaction has already performed queries on pvt data. Writes are not allowed');
  });

  it('reports which collections were read privately and which were written', async () => {
    const sim = simulator(user(1), 'Org1MSP');
    await sim.privateData?.getPrivateData('assetCollection', 'k');
    await sim.privateData?.getPrivateDataHash('shortLived', 'k');
    sim.privateData?.putPrivateData('open', 'k', Buffer.from('v'));
    expect(sim.privateData?.summary()).toEqual({ privateReads: ['assetCollection'], writes: ['open'] });
  });
});

describe('commit', () => {
  it("writes the hashes for every peer and the values to the member organisations' copies only", async () => {
    const sim = simulator(user(1), 'Org1MSP');
    sim.privateData?.putPrivateData('assetCollection', 'asset1', Buffer.from('v1'));
    await endorseAndCommit(1, sim);
    const hashed = await store.getState('primary', hashedNamespace(CC, 'assetCollection'), keyHashHex('asset1'));
    expect(hashed?.value.equals(createHash('sha256').update('v1').digest())).toBe(true);
    expect(text((await store.getState('primary', privateNamespace(CC, 'assetCollection', 'Org1MSP'), 'asset1'))?.value)).toBe('v1');
    expect(text((await store.getState('primary', privateNamespace(CC, 'assetCollection', 'Org2MSP'), 'asset1'))?.value)).toBe('v1');
    expect(await store.getState('primary', privateNamespace(CC, 'assetCollection', 'Org3MSP'), 'asset1')).toBeUndefined();
    // Each member reads its own copy; the transient store no longer holds the transaction.
    expect(text(await simulator(user(2), 'Org2MSP', 'tx2').privateData?.getPrivateData('assetCollection', 'asset1'))).toBe('v1');
    expect(privateData.transient.get('primary', 'tx1')).toEqual([]);
  });

  it("leaves a peer without a copy when the transient data does not match the block's hashes, and reads then fail", async () => {
    const sim = simulator(user(1), 'Org1MSP');
    sim.privateData?.putPrivateData('assetCollection', 'asset1', Buffer.from('v1'));
    const other = simulator(user(1), 'Org1MSP');
    other.privateData?.putPrivateData('assetCollection', 'asset1', Buffer.from('forged'));
    privateData.transient.put('primary', 'tx1', 'Org2MSP', other.toPvtRwset() as ledger.rwset.TxPvtReadWriteSet, 1);
    await commit(1, sim);
    expect(await store.getState('primary', privateNamespace(CC, 'assetCollection', 'Org1MSP'), 'asset1')).toBeUndefined();
    await expect(simulator(user(1), 'Org1MSP', 'tx2').privateData?.getPrivateData('assetCollection', 'asset1')).rejects.toThrow(
      'private data matching public hash version is not available. Public hash version = {BlockNum: 1, TxNum: 0}, Private data version = <nil>',
    );
  });

  it('purges a collection with block_to_live 2 when block written + 3 commits, hashes and copies', async () => {
    const sim = simulator(user(1), 'Org1MSP');
    sim.privateData?.putPrivateData('shortLived', 'brief', Buffer.from('v'));
    await endorseAndCommit(1, sim);
    const read = async (): Promise<string | undefined> => text(await store.getState('primary', privateNamespace(CC, 'shortLived', 'Org1MSP'), 'brief').then((v) => v?.value));
    await commit(2, undefined);
    await commit(3, undefined);
    expect(await read()).toBe('v');
    await commit(4, undefined);
    expect(await read()).toBeUndefined();
    expect(await store.getState('primary', hashedNamespace(CC, 'shortLived'), keyHashHex('brief'))).toBeUndefined();
  });

  it('does not purge a key rewritten since its block_to_live was scheduled', async () => {
    const first = simulator(user(1), 'Org1MSP', 'tx1');
    first.privateData?.putPrivateData('shortLived', 'brief', Buffer.from('old'));
    await endorseAndCommit(1, first, 'tx1');
    await commit(2, undefined);
    const second = simulator(user(1), 'Org1MSP', 'tx2');
    second.privateData?.putPrivateData('shortLived', 'brief', Buffer.from('new'));
    await endorseAndCommit(3, second, 'tx2');
    await commit(4, undefined); // the first write's expiry: the second one stays
    expect(text((await store.getState('primary', privateNamespace(CC, 'shortLived', 'Org1MSP'), 'brief'))?.value)).toBe('new');
    await commit(5, undefined);
    await commit(6, undefined);
    expect(await store.getState('primary', privateNamespace(CC, 'shortLived', 'Org1MSP'), 'brief')).toBeUndefined();
  });

  it('purges every copy on PurgePrivateData', async () => {
    const sim = simulator(user(1), 'Org1MSP', 'tx1');
    sim.privateData?.putPrivateData('assetCollection', 'asset1', Buffer.from('v1'));
    await endorseAndCommit(1, sim, 'tx1');
    const purge = simulator(user(2), 'Org2MSP', 'tx2');
    purge.privateData?.purgePrivateData('assetCollection', 'asset1');
    const hashed = ledger.rwset.kvrwset.HashedRWSet.deserializeBinary(ledger.rwset.TxReadWriteSet.deserializeBinary(purge.toRwsetBytes()).getNsRwsetList()[0].getCollectionHashedRwsetList()[0].getHashedRwset_asU8());
    expect(hashed.getHashedWritesList()[0].getIsPurge()).toBe(true);
    await endorseAndCommit(2, purge, 'tx2', 'Org2MSP');
    for (const org of ['Org1MSP', 'Org2MSP']) expect(await store.getState('primary', privateNamespace(CC, 'assetCollection', org), 'asset1')).toBeUndefined();
  });

  it('keeps a copy readable when a later transaction writes only the key\'s metadata (its hash version changes)', async () => {
    const sim = simulator(user(1), 'Org1MSP', 'tx1');
    sim.privateData?.putPrivateData('assetCollection', 'asset1', Buffer.from('v1'));
    await endorseAndCommit(1, sim, 'tx1');
    const meta = simulator(user(1), 'Org1MSP', 'tx2');
    meta.privateData?.putPrivateDataMetadata('assetCollection', 'asset1', 'VALIDATION_PARAMETER', Buffer.from('policy'));
    const hashedWrites = hashedNamespaceSets(ledger.rwset.TxReadWriteSet.deserializeBinary(meta.toRwsetBytes()).getNsRwsetList()[0])[0].kv;
    await endorseAndCommit(2, meta, 'tx2');
    // The committer stages the metadata write on the hash (here by hand, as commit() stages value writes only).
    const hashedNs = hashedNamespace(CC, 'assetCollection');
    const hashed = await store.getState('primary', hashedNs, keyHashHex('asset1'));
    const entries = hashedWrites.getMetadataWritesList()[0].getEntriesList();
    await store.commitBlock({
      channel: 'primary', blockNum: 3, blockBytes: new Uint8Array(0), blockHash: Buffer.from('block 3'), history: [], txs: [],
      updates: [{ namespace: hashedNs, key: keyHashHex('asset1'), value: hashed?.value, metadata: new Map(entries.map((e) => [e.getName(), Buffer.from(e.getValue_asU8())])), version: { blockNum: 2, txNum: 0 } }],
    });
    const reader = simulator(user(2), 'Org2MSP', 'tx3');
    expect(text(await reader.privateData?.getPrivateData('assetCollection', 'asset1'))).toBe('v1');
    expect(text((await reader.privateData?.getPrivateDataMetadata('assetCollection', 'asset1'))?.get('VALIDATION_PARAMETER'))).toBe('policy');
  });

  it('refuses PurgePrivateData below application capability V2_5', () => {
    const context = { ...privateData.registry.contextFor(channel, CC, 't', signed(user(1)), 'Org1MSP'), purgeEnabled: false };
    const sim = new TxSimulator(store, 'primary', CC, context);
    expect(() => sim.privateData?.purgePrivateData('assetCollection', 'k')).toThrow('purge private data is not enabled, channel application capability of V2_5 or later is required');
  });
});

describe('endorsement rule of collection writes', () => {
  const peerOf = (i: number): SigningIdentity => new Identity(orgs[i - 1].mspId, orgs[i - 1].peer.signCertPem, orgs[i - 1].peer.privateKeyPem);

  function ruleCheck(write: (sim: TxSimulator) => void): (endorsers: SigningIdentity[]) => boolean {
    const sim = simulator(user(1), 'Org1MSP');
    write(sim);
    const action = new peer.ChaincodeAction();
    action.setResults(sim.toRwsetBytes());
    return (endorsers) => {
      const block = privateData.committer.beginBlock('primary', 1);
      const verdict = block.checkEndorsement(CC, action, endorsers.map((e) => signed(e)));
      if (verdict === undefined) throw new Error('no collection rule');
      return verdict.ok;
    };
  }

  it("needs the collection's own policy instead of the chaincode's for its writes", () => {
    const check = ruleCheck((sim) => { sim.privateData?.putPrivateData('org2Endorsed', 'k', Buffer.from('v')); });
    expect(check([peerOf(2)])).toBe(true);
    expect(check([peerOf(1), peerOf(3)])).toBe(false);
  });

  it("needs the chaincode's policy as well when the transaction also writes public state", () => {
    const check = ruleCheck((sim) => {
      sim.privateData?.putPrivateData('org2Endorsed', 'k', Buffer.from('v'));
      sim.putState('public', Buffer.from('v'));
    });
    // The test channel's Endorsement policy is a MAJORITY of the organisations' peers.
    expect(check([peerOf(2)])).toBe(false);
    expect(check([peerOf(1), peerOf(2)])).toBe(true);
  });

  it("needs the organisation's Endorsement policy for writes to its implicit collection", () => {
    const check = ruleCheck((sim) => { sim.privateData?.putPrivateData('_implicit_org_Org3MSP', 'k', Buffer.from('v')); });
    expect(check([peerOf(3)])).toBe(true);
    expect(check([peerOf(1), peerOf(2)])).toBe(false);
  });

  it('leaves transactions without collection writes to the chaincode policy', () => {
    const sim = simulator(user(1), 'Org1MSP');
    sim.putState('public', Buffer.from('v'));
    const action = new peer.ChaincodeAction();
    action.setResults(sim.toRwsetBytes());
    expect(privateData.committer.beginBlock('primary', 1).checkEndorsement(CC, action, [signed(peerOf(1))])).toBeUndefined();
  });
});
