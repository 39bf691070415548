/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `_lifecycle` system chaincode over a real channel config and ledger: ACLs (the local MSP's
 * Admins for peer-wide functions, the channel's for the others), approvals for one's own
 * organisation only, Fabric's sequence rules and messages, commit readiness and commit, and the
 * endorsement rule the committer applies to its transactions. Approvals are private data of the
 * organisation's implicit collection (hashes in the read/write set), definitions public keys, in
 * Fabric's layout.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { buildGenesisBlock, readConfigBlock } from 'fabric-config/configtx';
import type { SignedData } from 'fabric-config/configtx';
import { MspRegistry, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs, signerOf, testChannelProfile } from 'fabric-config/testing';
import { Channel } from '../channel';
import { TxSimulator } from '../ledger/simulator';
import { LedgerStore } from '../ledger/store';
import { LIFECYCLE } from './definitions';
import { CollectionRegistry } from '../privdata/registry';
import { hashedNamespaceSets, privateNamespace } from '../privdata/rwset';
import type { StateUpdate } from '../ledger/store';
import { InstalledPackages } from './installed';
import { LifecycleScc } from './scc';
import type { LifecycleInvocation } from './scc';

const lc = peer.lifecycle;
let root: string;
let orgs: OrgCrypto[];
let channel: Channel;
let store: LedgerStore;
let scc: LifecycleScc;
let nextBlock = 0;
const registry = new CollectionRegistry();

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('devnet-lifecycle-scc', 4));
  channel = new Channel('primary', readConfigBlock(buildGenesisBlock(testChannelProfile(orgs))).config, 0);
  store = await LedgerStore.open(path.join(mkdtempSync(path.join(tmpdir(), 'devnet-lifecycle-ledger-')), 'ledger'));
  scc = new LifecycleScc(new InstalledPackages(path.join(root, 'installed')));
});

afterAll(async () => {
  await store.close();
  rmSync(root, { recursive: true, force: true });
});

function signed(signer: SigningIdentity): SignedData {
  const data = Buffer.from('a proposal');
  return { identity: signer.serialize(), data, signature: signer.sign(data) };
}

function localOf(i: number): LifecycleInvocation['local'] {
  const org = orgs[i - 1];
  return { mspId: org.mspId, msp: new MspRegistry([{ mspId: org.mspId, rootCerts: [org.caCertPem], tlsRootCerts: [org.tlsCaCertPem] }]) };
}

/** Runs a function as `as` on org `at`'s peer; returns the response and the simulator. */
async function invoke(as: string, at: number, fn: string, arg: Uint8Array, onChannel = true): Promise<{ response: peer.Response; state: TxSimulator }> {
  const creator = signed(signerOf(orgs, as));
  const state = new TxSimulator(store, channel.id, LIFECYCLE, registry.contextFor(channel, LIFECYCLE, `tx${nextBlock}`, creator, orgs[at - 1].mspId));
  const response = await scc.invoke({ args: [Buffer.from(fn), arg], signed: creator, local: localOf(at), ...(onChannel ? { channel, state } : {}) });
  return { response, state };
}

function writtenKeys(state: TxSimulator): string[] {
  const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(state.toRwsetBytes());
  return rwset.getNsRwsetList().flatMap((ns) => ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8()).getWritesList().map((w) => w.getKey()));
}

/** The private writes of a simulation, as `<collection> <key>`. */
function privateWrites(state: TxSimulator): string[] {
  return (state.toPvtRwset()?.getNsPvtRwsetList() ?? []).flatMap((ns) => ns.getCollectionPvtRwsetList().flatMap((coll) =>
    ledger.rwset.kvrwset.KVRWSet.deserializeBinary(coll.getRwset_asU8()).getWritesList().map((w) => `${coll.getCollectionName()} ${w.getKey()}`)));
}

/** The collections whose hashed writes a simulation's read/write set carries. */
function hashedCollections(state: TxSimulator): string[] {
  const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(state.toRwsetBytes());
  return rwset.getNsRwsetList().flatMap((ns) => hashedNamespaceSets(ns).filter((h) => h.kv.getWritesList().length > 0).map((h) => h.namespace));
}

/** Commits a simulation's writes as the committer would: public, hashed, and the implicit collection owner's private copy. */
async function commit(state: TxSimulator): Promise<void> {
  const rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(state.toRwsetBytes());
  const num = nextBlock++;
  const version = { blockNum: num, txNum: 0 };
  const updates: StateUpdate[] = [];
  for (const ns of rwset.getNsRwsetList()) {
    for (const set of [{ namespace: ns.getNamespace(), kv: ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8()) }, ...hashedNamespaceSets(ns)]) {
      for (const w of set.kv.getWritesList()) updates.push({ namespace: set.namespace, key: w.getKey(), value: w.getIsDelete() ? undefined : Buffer.from(w.getValue_asU8()), version });
    }
  }
  for (const ns of state.toPvtRwset()?.getNsPvtRwsetList() ?? []) {
    for (const coll of ns.getCollectionPvtRwsetList()) {
      const owner = coll.getCollectionName().slice('_implicit_org_'.length);
      for (const w of ledger.rwset.kvrwset.KVRWSet.deserializeBinary(coll.getRwset_asU8()).getWritesList()) {
        updates.push({ namespace: privateNamespace(ns.getNamespace(), coll.getCollectionName(), owner), key: w.getKey(), value: w.getIsDelete() ? undefined : Buffer.from(w.getValue_asU8()), version });
      }
    }
  }
  await store.commitBlock({ channel: channel.id, blockNum: num, blockBytes: Buffer.from('block'), blockHash: Buffer.alloc(32, num), updates, history: [], txs: [] });
}

function approve(sequence: number, version = '1.0'): Uint8Array {
  const args = new lc.ApproveChaincodeDefinitionForMyOrgArgs();
  args.setName('cc');
  args.setSequence(sequence);
  args.setVersion(version);
  return args.serializeBinary();
}

function definition(args: peer.lifecycle.CheckCommitReadinessArgs | peer.lifecycle.CommitChaincodeDefinitionArgs, sequence: number): Uint8Array {
  args.setName('cc');
  args.setSequence(sequence);
  args.setVersion('1.0');
  return args.serializeBinary();
}

const approvals = (response: peer.Response): Record<string, boolean> =>
  Object.fromEntries(lc.CheckCommitReadinessResult.deserializeBinary(response.getPayload_asU8()).getApprovalsMap().toArray());

describe('_lifecycle', () => {
  it("checks peer-wide functions against the local MSP's Admins", async () => {
    expect((await invoke('1.admin', 1, 'QueryInstalledChaincodes', new Uint8Array(), false)).response.getStatus()).toBe(200);
    const user = (await invoke('1.user', 1, 'QueryInstalledChaincodes', new Uint8Array(), false)).response;
    expect(user.getMessage()).toMatch(/^Failed to authorize invocation due to failed ACL check: .*\[Admins\].*not an admin under this MSP \[Org1MSP\]/);
    const other = (await invoke('2.admin', 1, 'ApproveChaincodeDefinitionForMyOrg', approve(1))).response;
    expect(other.getMessage()).toMatch(/different MSP \(expected Org1MSP, got Org2MSP\)/);
  });

  it('writes an approval under the approving organisation only, and refuses a sequence that is not next', async () => {
    const far = (await invoke('1.admin', 1, 'ApproveChaincodeDefinitionForMyOrg', approve(3))).response;
    expect(far.getMessage()).toBe("failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': requested sequence 3 is larger than the next available sequence number 1");
    const zero = (await invoke('1.admin', 1, 'ApproveChaincodeDefinitionForMyOrg', approve(0))).response;
    expect(zero.getMessage()).toContain('requested sequence is 0, but first definable sequence number is 1');
    const { response, state } = await invoke('1.admin', 1, 'ApproveChaincodeDefinitionForMyOrg', approve(1, '0.9'));
    expect(response.getStatus()).toBe(200);
    expect(writtenKeys(state)).toEqual([]);
    expect(hashedCollections(state)).toEqual(['_lifecycle$$h_implicit_org_Org1MSP']);
    expect(privateWrites(state)).toEqual([
      'chaincode-sources/fields/cc#1/PackageID',
      'chaincode-sources/metadata/cc#1',
      'namespaces/fields/cc#1/Collections',
      'namespaces/fields/cc#1/EndorsementInfo',
      'namespaces/fields/cc#1/ValidationInfo',
      'namespaces/metadata/cc#1',
    ].map((k) => `_implicit_org_Org1MSP ${k}`));
    await commit(state);
    const unchanged = (await invoke('1.admin', 1, 'ApproveChaincodeDefinitionForMyOrg', approve(1, '0.9'))).response;
    expect(unchanged.getMessage()).toContain('attempted to redefine uncommitted sequence (1) for namespace cc with unchanged content');
  });

  it('counts approvals of exactly the definition, a new approval replacing the last', async () => {
    const before = (await invoke('3.user', 3, 'CheckCommitReadiness', definition(new lc.CheckCommitReadinessArgs(), 1))).response;
    expect(approvals(before)).toEqual({ Org1MSP: false, Org2MSP: false, Org3MSP: false, Org4MSP: false });
    for (const i of [1, 2]) await commit((await invoke(`${i}.admin`, i, 'ApproveChaincodeDefinitionForMyOrg', approve(1))).state);
    const after = (await invoke('3.user', 3, 'CheckCommitReadiness', definition(new lc.CheckCommitReadinessArgs(), 1))).response;
    expect(approvals(after)).toEqual({ Org1MSP: true, Org2MSP: true, Org3MSP: false, Org4MSP: false });
    const next = (await invoke('3.user', 3, 'CheckCommitReadiness', definition(new lc.CheckCommitReadinessArgs(), 2))).response;
    expect(next.getMessage()).toContain('requested sequence is 2, but new definition must be sequence 1');
  });

  it('endorses a commit only on a peer whose organisation approved, and writes the definition', async () => {
    const refused = (await invoke('1.admin', 3, 'CommitChaincodeDefinition', definition(new lc.CommitChaincodeDefinitionArgs(), 1))).response;
    expect(refused.getMessage()).toBe("failed to invoke backing implementation of 'CommitChaincodeDefinition': chaincode definition not agreed to by this org (Org3MSP)");
    const { response, state } = await invoke('1.admin', 1, 'CommitChaincodeDefinition', definition(new lc.CommitChaincodeDefinitionArgs(), 1));
    expect(response.getStatus()).toBe(200);
    expect(writtenKeys(state)).toEqual(['namespaces/fields/cc/Collections', 'namespaces/fields/cc/EndorsementInfo', 'namespaces/fields/cc/Sequence', 'namespaces/fields/cc/ValidationInfo', 'namespaces/metadata/cc']);
    expect(privateWrites(state)).toEqual([]);
    await commit(state);
    const query = new lc.QueryChaincodeDefinitionArgs();
    query.setName('cc');
    const found = (await invoke('4.user', 4, 'QueryChaincodeDefinition', query.serializeBinary())).response;
    expect(lc.QueryChaincodeDefinitionResult.deserializeBinary(found.getPayload_asU8()).getSequence()).toBe(1);
    const redefine = (await invoke('1.admin', 1, 'ApproveChaincodeDefinitionForMyOrg', approve(1, '2.0'))).response;
    expect(redefine.getMessage()).toContain('attempted to redefine the current committed sequence (1) for namespace cc with different parameters');
  });

  it('refuses on a channel without the V2_0 application capability', async () => {
    const config = channel.config.cloneMessage();
    const app = config.getChannelGroup()?.getGroupsMap().get('Application');
    app?.getValuesMap().get('Capabilities')?.setValue(new common.Capabilities().serializeBinary());
    const old = new Channel('old', config, 0);
    const response = await scc.invoke({ args: [Buffer.from('QueryChaincodeDefinitions'), new Uint8Array()], signed: signed(signerOf(orgs, '1.user')), local: localOf(1), channel: old, state: new TxSimulator(store, 'old', LIFECYCLE) });
    expect(response.getMessage()).toBe("cannot use new lifecycle for channel 'old' as it does not have the required capabilities enabled");
  });

  it("validates a _lifecycle write against its owner's endorsement and LifecycleEndorsement", () => {
    const endorsedBy = (...specs: number[]): SignedData[] => specs.map((i) => {
      const org = orgs[i - 1];
      return signed(new SigningIdentity(org.mspId, org.peer.signCertPem, org.peer.privateKeyPem));
    });
    const approval = { publicWrites: false, collections: ['_implicit_org_Org1MSP'] };
    expect(channel.checkLifecycleEndorsement(approval, endorsedBy(1)).ok).toBe(true);
    expect(channel.checkLifecycleEndorsement(approval, endorsedBy(2)).ok).toBe(false);
    expect(channel.checkLifecycleEndorsement({ publicWrites: true, collections: [] }, endorsedBy(1, 2)).ok).toBe(false);
    expect(channel.checkLifecycleEndorsement({ publicWrites: true, collections: [] }, endorsedBy(1, 2, 3)).ok).toBe(true);
    expect(channel.checkLifecycleEndorsement({ publicWrites: false, collections: ['_implicit_org_Org9MSP'] }, endorsedBy(1, 2, 3, 4)).ok).toBe(false);
    expect(channel.checkLifecycleEndorsement({ publicWrites: false, collections: ['shared'] }, endorsedBy(1, 2, 3, 4)).ok).toBe(false);
  });
});
