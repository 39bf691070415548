/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Private data on the devnet, end to end: a TypeScript chaincode (test/fixtures/private-chaincode,
 * fabric-samples' asset-transfer-private-data flow with implicit organisation collections) defined
 * through `_lifecycle` with a collection configuration, driven by @hyperledger/fabric-gateway
 * clients of different organisations: create with transient data, read by a member, refused to a
 * non-member, hashes readable by anyone, transfer by agreement, delete, purge, block-to-live, a
 * collection-level endorsement policy, and blocks that carry hashes only. With FABRIC_BIN, the
 * same definition made with Fabric's `peer lifecycle chaincode ... --collections-config`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { common, msp, peer } from '@hyperledger/fabric-protos';
import type { Contract, Gateway } from '@hyperledger/fabric-gateway';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as ts from 'typescript';
import { SigningIdentity } from 'fabric-config/msp';
import { broadcast, processProposal as sendProposal } from '../orchestrator/src/channelConfig/ordererClient';
import { connectGateway, newGrpcConnection, MemberConnection } from '../orchestrator/src/gateway';
import { buildChaincodePackage } from '../network/devnet/src/lifecycle/chaincodePackage';
import { endorsedTransaction, lifecycleProposal } from '../network/devnet/src/lifecycle/client';
import { validationCodeOf } from './support/commitStatus';
import { backend, REPO_ROOT, startNetwork, TestNetwork } from './support/network';
import { peerAsAdmin } from './support/peerCli';

const lc = peer.lifecycle;
const FIXTURE = path.join(REPO_ROOT, 'test', 'fixtures', 'private-chaincode');
const FABRIC_BIN = process.env.FABRIC_BIN;
const NAME = 'privcc';
const VALID = 0;
const ENDORSEMENT_POLICY_FAILURE = 10;
const MVCC_READ_CONFLICT = 11;
/** A colour no other part of a block could contain by chance: the block must not carry it. */
const SECRET_COLOUR = 'secret-colour-5b1e9c';
const run = promisify(execFile);

let netw: TestNetwork;
let scratch: string;
let chaincodeDir: string;
const clients: grpc.Client[] = [];
const gateways: Gateway[] = [];

function member(i: number): MemberConnection {
  return netw.connection.members[i];
}
const adminOf = (m: MemberConnection): SigningIdentity => SigningIdentity.fromMspDir(m.adminMspDir, m.mspId);

async function peerClient(m: MemberConnection): Promise<grpc.Client> {
  const client = await newGrpcConnection(m.peer);
  clients.push(client);
  return client;
}

/** The chaincode as a user of `m`'s organisation calls it through its own peer's gateway. */
async function contractOf(m: MemberConnection, name = NAME): Promise<{ contract: Contract; gateway: Gateway }> {
  const gw = await connectGateway(await peerClient(m), m);
  gateways.push(gw);
  return { contract: gw.getNetwork('primary').getContract(name), gateway: gw };
}

/** index.ts transpiled to index.js with the fixture's package.json: what the devnet's Node runtime starts. */
function buildFixture(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const source = readFileSync(path.join(FIXTURE, 'index.ts'), 'utf8');
  const output = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true } });
  writeFileSync(path.join(dir, 'index.js'), output.outputText);
  writeFileSync(path.join(dir, 'package.json'), readFileSync(path.join(FIXTURE, 'package.json')));
}

function rolePrincipal(mspId: string, role: msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap]): msp.MSPPrincipal {
  const r = new msp.MSPRole();
  r.setMspIdentifier(mspId);
  r.setRole(role);
  const principal = new msp.MSPPrincipal();
  principal.setPrincipalClassification(msp.MSPPrincipal.Classification.ROLE);
  principal.setPrincipal(r.serializeBinary());
  return principal;
}

/** OR over the organisations' members (or peers): policydsl's OR('Org1MSP.member', ...). */
function anyOf(mspIds: string[], role: msp.MSPRole.MSPRoleTypeMap[keyof msp.MSPRole.MSPRoleTypeMap] = msp.MSPRole.MSPRoleType.MEMBER): common.SignaturePolicyEnvelope {
  const envelope = new common.SignaturePolicyEnvelope();
  envelope.setIdentitiesList(mspIds.map((id) => rolePrincipal(id, role)));
  const outOf = new common.SignaturePolicy.NOutOf();
  outOf.setN(1);
  outOf.setRulesList(mspIds.map((_, i) => {
    const signedBy = new common.SignaturePolicy();
    signedBy.setSignedBy(i);
    return signedBy;
  }));
  const rule = new common.SignaturePolicy();
  rule.setNOutOf(outOf);
  envelope.setRule(rule);
  return envelope;
}

interface CollectionSpec {
  name: string;
  members: string[];
  blockToLive: number;
  memberOnlyRead?: boolean;
  memberOnlyWrite?: boolean;
  endorsedBy?: string[];
}

function collectionPackage(specs: CollectionSpec[]): peer.CollectionConfigPackage {
  const pkg = new peer.CollectionConfigPackage();
  pkg.setConfigList(specs.map((s) => {
    const c = new peer.StaticCollectionConfig();
    c.setName(s.name);
    const policy = new peer.CollectionPolicyConfig();
    policy.setSignaturePolicy(anyOf(s.members));
    c.setMemberOrgsPolicy(policy);
    c.setRequiredPeerCount(1);
    c.setMaximumPeerCount(1);
    c.setBlockToLive(s.blockToLive);
    c.setMemberOnlyRead(s.memberOnlyRead ?? true);
    c.setMemberOnlyWrite(s.memberOnlyWrite ?? true);
    if (s.endorsedBy) {
      const ep = new peer.ApplicationPolicy();
      ep.setSignaturePolicy(anyOf(s.endorsedBy, msp.MSPRole.MSPRoleType.PEER));
      c.setEndorsementPolicy(ep);
    }
    const config = new peer.CollectionConfig();
    config.setStaticCollectionConfig(c);
    return config;
  }));
  return pkg;
}

const COLLECTIONS: CollectionSpec[] = [
  // fabric-samples' collections_config.json assetCollection.
  { name: 'assetCollection', members: ['Org1MSP', 'Org2MSP'], blockToLive: 1000000 },
  { name: 'shortLivedCollection', members: ['Org1MSP', 'Org2MSP'], blockToLive: 2 },
  { name: 'org2EndorsedCollection', members: ['Org1MSP', 'Org2MSP'], blockToLive: 0, endorsedBy: ['Org2MSP'] },
  // Org3's alone, writable by anyone: the chaincode's policy (Org1 or Org2) is met by no member.
  { name: 'org3Collection', members: ['Org3MSP'], blockToLive: 0, memberOnlyWrite: false },
];

/** The sample's chaincode endorsement policy: OR('Org1MSP.member','Org2MSP.member'). */
function chaincodePolicy(): Uint8Array {
  const policy = new peer.ApplicationPolicy();
  policy.setSignaturePolicy(anyOf(['Org1MSP', 'Org2MSP']));
  return policy.serializeBinary();
}

async function proposeTo(as: SigningIdentity, at: MemberConnection[], channel: string, fn: string, arg: Uint8Array): Promise<{ responses: peer.ProposalResponse[]; proposal: peer.Proposal; txId: string }> {
  const { signed, proposal, txId } = lifecycleProposal(as, channel, fn, arg);
  const responses = await Promise.all(at.map(async (m) => sendProposal(await peerClient(m), signed, 60_000)));
  return { responses, proposal, txId };
}

/** Endorses a `_lifecycle` call on `at`, orders it and waits for its validation code (through a gateway's CommitStatus). */
async function transact(as: SigningIdentity, at: MemberConnection[], fn: string, arg: Uint8Array): Promise<number> {
  const { responses, proposal, txId } = await proposeTo(as, at, 'primary', fn, arg);
  for (const r of responses) expect(r.getResponse()?.getMessage()).toBe('');
  const envelope = endorsedTransaction(proposal, responses, as);
  const orderer = await newGrpcConnection(member(0).orderer);
  clients.push(orderer);
  expect((await broadcast(orderer, envelope)).statusName).toBe('SUCCESS');
  return validationCode(txId);
}

/**
 * A transaction's validation code from the gateway's CommitStatus, which answers once the block is
 * announced, after the peer has put a committed definition in force (as the peer CLI's wait does).
 */
async function validationCode(txId: string): Promise<number> {
  return validationCodeOf(await peerClient(member(0)), SigningIdentity.fromMspDir(member(0).userMspDir, member(0).mspId), 'primary', txId);
}

function definitionArgs<T extends { setName(v: string): unknown; setSequence(v: number): unknown; setVersion(v: string): unknown; setValidationParameter(v: Uint8Array): unknown; setCollections(v?: peer.CollectionConfigPackage): unknown }>(
  args: T,
  sequence: number,
  collections: peer.CollectionConfigPackage,
): T {
  args.setName(NAME);
  args.setSequence(sequence);
  args.setVersion('1.0');
  args.setValidationParameter(chaincodePolicy());
  args.setCollections(collections);
  return args;
}

function approveArgs(sequence: number, collections: peer.CollectionConfigPackage, packageId: string): Uint8Array {
  const args = definitionArgs(new lc.ApproveChaincodeDefinitionForMyOrgArgs(), sequence, collections);
  const source = new lc.ChaincodeSource();
  const local = new lc.ChaincodeSource.Local();
  local.setPackageId(packageId);
  source.setLocalPackage(local);
  args.setSource(source);
  return args.serializeBinary();
}

const utf8 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('utf8');
const sha256Hex = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');
const transient = (field: string, value: unknown): Record<string, Uint8Array> => ({ [field]: Buffer.from(JSON.stringify(value)) });

/** Submits through `contract`'s gateway and returns the committed code and block number. */
async function submit(contract: Contract, fn: string, options: { arguments?: string[]; transientData?: Record<string, Uint8Array>; endorsingOrganizations?: string[] } = {}): Promise<{ code: number; blockNumber: bigint }> {
  const commit = await contract.submitAsync(fn, options);
  const status = await commit.getStatus();
  return { code: status.code, blockNumber: status.blockNumber };
}

/** The messages of a refused submit's endorsement, where the gateway puts each peer's answer. */
async function refusal(attempt: Promise<unknown>): Promise<string> {
  try {
    await attempt;
  } catch (err) {
    const details = (err as { details?: { message: string }[] }).details ?? [];
    return [(err as Error).message, ...details.map((d) => d.message)].join('\n');
  }
  throw new Error('expected a refusal');
}

async function blockBytes(blockNumber: bigint): Promise<Buffer> {
  const { gateway } = await contractOf(member(0));
  return Buffer.from(await gateway.getNetwork('primary').getContract('qscc').evaluateTransaction('GetBlockByNumber', 'primary', blockNumber.toString()));
}

// A node chaincode package needs a builder native Fabric has not here (no Docker; the native
// network runs ccaas packages only), so this suite runs on the devnet.
const onDevnet = backend() === 'devnet' ? describe : describe.skip;
if (backend() !== 'devnet') console.warn('devnetPrivateData: skipped on the native backend, whose peers cannot build the node chaincode package it installs');

onDevnet('private data on the devnet', () => {
  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'devnet-private-'));
    chaincodeDir = path.join(scratch, 'private-chaincode');
    buildFixture(chaincodeDir);
    netw = await startNetwork({ basePort: 22250 });
  }, 120_000);

  afterAll(async () => {
    gateways.splice(0).forEach((g) => { g.close(); });
    clients.splice(0).forEach((c) => { c.close(); });
    await netw?.stop();
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  describe('private data through _lifecycle and the gateway', () => {
    let packageId: string;
    const collections = collectionPackage(COLLECTIONS);

    it('refuses collection configurations as Fabric validates them on approve', async () => {
      const refused = async (pkg: peer.CollectionConfigPackage): Promise<string> => {
        const r = (await proposeTo(adminOf(member(0)), [member(0)], 'primary', 'ApproveChaincodeDefinitionForMyOrg', approveArgs(1, pkg, 'none:0'))).responses[0];
        return r.getResponse()?.getMessage() ?? '';
      };
      const prefix = "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: ";
      expect(await refused(collectionPackage([{ name: '_implicit_org_Org1MSP', members: ['Org1MSP'], blockToLive: 0 }]))).toBe(
        `${prefix}invalid collection name '_implicit_org_Org1MSP'. Names can only consist of alphanumerics, '_', and '-' and cannot begin with '_'`,
      );
      expect(await refused(collectionPackage([COLLECTIONS[0], COLLECTIONS[0]]))).toBe(`${prefix}collection-name: assetCollection -- found duplicate in collection configuration`);
      expect(await refused(collectionPackage([{ name: 'elsewhere', members: ['Org1MSP', 'Org9MSP'], blockToLive: 0 }]))).toBe(
        `${prefix}collection-name: elsewhere -- collection member 'Org9MSP' is not part of the channel`,
      );
    });

    it('defines the chaincode with its collections: installed, approved by a majority, committed', async () => {
      const code = new Map([['src/index.js', readFileSync(path.join(chaincodeDir, 'index.js'))], ['src/package.json', readFileSync(path.join(chaincodeDir, 'package.json'))]]);
      const bytes = await buildChaincodePackage('node', 'privcc_1', code);
      packageId = `privcc_1:${createHash('sha256').update(bytes).digest('hex')}`;
      for (const m of [member(0), member(1), member(2)]) {
        const args = new lc.InstallChaincodeArgs();
        args.setChaincodeInstallPackage(bytes);
        const r = (await proposeTo(adminOf(m), [m], '', 'InstallChaincode', args.serializeBinary())).responses[0];
        expect(r.getResponse()?.getStatus()).toBe(200);
      }
      for (const m of [member(0), member(1), member(2)]) {
        expect(await transact(adminOf(m), [m], 'ApproveChaincodeDefinitionForMyOrg', approveArgs(1, collections, packageId))).toBe(VALID);
      }
      const commit = definitionArgs(new lc.CommitChaincodeDefinitionArgs(), 1, collections).serializeBinary();
      expect(await transact(adminOf(member(0)), [member(0), member(1), member(2)], 'CommitChaincodeDefinition', commit)).toBe(VALID);
      const query = new lc.QueryChaincodeDefinitionArgs();
      query.setName(NAME);
      const r = (await proposeTo(adminOf(member(0)), [member(0)], 'primary', 'QueryChaincodeDefinition', query.serializeBinary())).responses[0];
      const def = lc.QueryChaincodeDefinitionResult.deserializeBinary(r.getResponse()?.getPayload_asU8() ?? new Uint8Array());
      expect(def.getCollections()?.getConfigList().map((c) => c.getStaticCollectionConfig()?.getName())).toEqual(COLLECTIONS.map((c) => c.name));
    }, 120_000);

    it("CreateAsset with transient data: a member reads it, a non-member is refused, and the block holds only hashes", async () => {
      const org1 = (await contractOf(member(0))).contract;
      const asset = { objectType: 'asset', assetID: 'asset1', color: SECRET_COLOUR, size: 20, appraisedValue: 100 };
      const created = await submit(org1, 'CreateAsset', { transientData: transient('asset_properties', asset) });
      expect(created.code).toBe(VALID);

      const stored = await org1.evaluateTransaction('ReadAsset', 'asset1');
      expect(JSON.parse(utf8(stored))).toMatchObject({ objectType: 'asset', assetID: 'asset1', color: SECRET_COLOUR, size: 20 });
      const org2 = (await contractOf(member(1))).contract;
      expect(utf8(await org2.evaluateTransaction('ReadAsset', 'asset1'))).toBe(utf8(stored));

      const org3 = (await contractOf(member(2))).contract;
      await expect(org3.evaluateTransaction('ReadAsset', 'asset1')).rejects.toThrow(/tx creator does not have read access permission on privatedata in chaincodeName:privcc collectionName: assetCollection/);
      // Any peer has the hashes: a non-member's GetPrivateDataHash is the SHA-256 of the member's value.
      expect(utf8(await org3.evaluateTransaction('ReadPrivateHash', 'assetCollection', 'asset1'))).toBe(sha256Hex(stored));

      const block = await blockBytes(created.blockNumber);
      expect(block.includes(Buffer.from(SECRET_COLOUR))).toBe(false);
      expect(block.includes(Buffer.from('appraisedValue'))).toBe(false);
      expect(block.includes(createHash('sha256').update(stored).digest())).toBe(true);
    });

    it("keeps each organisation's implicit collection on its own peers only", async () => {
      const org1 = (await contractOf(member(0))).contract;
      expect(JSON.parse(utf8(await org1.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'asset1')))).toEqual({ assetID: 'asset1', appraisedValue: 100 });
      // Anyone may read an implicit collection, but Org2's peer holds no copy of Org1's.
      const org2 = (await contractOf(member(1))).contract;
      await expect(org2.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'asset1')).rejects.toThrow(/private data matching public hash version is not available/);
    });

    it('lists assets by range, for a member', async () => {
      const org1 = (await contractOf(member(0))).contract;
      await submit(org1, 'CreateAsset', { transientData: transient('asset_properties', { objectType: 'asset', assetID: 'asset2', color: 'blue', size: 5, appraisedValue: 200 }) });
      const assets = JSON.parse(utf8(await org1.evaluateTransaction('GetAssetByRange', 'asset', 'asset9'))) as { assetID: string }[];
      expect(assets.map((a) => a.assetID)).toEqual(['asset1', 'asset2']);
    });

    it('transfers an asset when the buyer agreed to the same appraised value (compared by hash), and refuses otherwise', async () => {
      const org1 = (await contractOf(member(0))).contract;
      const org2 = (await contractOf(member(1))).contract;
      expect((await submit(org2, 'AgreeToTransfer', { transientData: transient('asset_value', { assetID: 'asset1', appraisedValue: 100 }) })).code).toBe(VALID);
      expect(utf8(await org1.evaluateTransaction('ReadTransferAgreement', 'asset1'))).toContain('x509::');
      expect((await submit(org1, 'TransferAsset', { transientData: transient('asset_owner', { assetID: 'asset1', buyerMSP: 'Org2MSP' }) })).code).toBe(VALID);
      const asset = JSON.parse(utf8(await org2.evaluateTransaction('ReadAsset', 'asset1'))) as { owner: string };
      expect(asset.owner).toContain('CN=User1@org2.example.com');
      expect(utf8(await org1.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'asset1'))).toBe('');
      expect(utf8(await org1.evaluateTransaction('ReadTransferAgreement', 'asset1'))).toBe('');

      expect((await submit(org2, 'AgreeToTransfer', { transientData: transient('asset_value', { assetID: 'asset2', appraisedValue: 150 }) })).code).toBe(VALID);
      expect(await refusal(submit(org1, 'TransferAsset', { transientData: transient('asset_owner', { assetID: 'asset2', buyerMSP: 'Org2MSP' }) }))).toMatch(/hash for appraised value for owner/);
    });

    it('sends transient data only to peers of the organisations in the collections written, unless the client names the endorsers', async () => {
      // Anyone may write an implicit collection; the gateway has it endorsed by its organisation's peer.
      const org3 = (await contractOf(member(2))).contract;
      const gift = { value: Buffer.from('for Org1 only') };
      expect((await submit(org3, 'PutPrivateFromTransient', { arguments: ['_implicit_org_Org1MSP', 'gift'], transientData: gift })).code).toBe(VALID);
      const org1 = (await contractOf(member(0))).contract;
      expect(utf8(await org1.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'gift'))).toBe('for Org1 only');

      // org3Collection's only member cannot meet the chaincode's policy: Fabric's gateway refuses rather than send the values elsewhere.
      const note = { value: Buffer.from('for Org3') };
      expect(await refusal(submit(org1, 'PutPrivateFromTransient', { arguments: ['org3Collection', 'note'], transientData: note }))).toMatch(
        /requires endorsement from organisation\(s\) that are not in the distribution policy of the private data collection\(s\): \[org3Collection\]; retry specifying trusted endorsing organizations to protect transient data/,
      );
      // A client that names the endorsers takes that responsibility; the value still reaches Org3's peer only.
      expect((await submit(org1, 'PutPrivateFromTransient', { arguments: ['org3Collection', 'note'], transientData: note, endorsingOrganizations: ['Org1MSP'] })).code).toBe(VALID);
      expect(utf8(await org3.evaluateTransaction('ReadAssetPrivateDetails', 'org3Collection', 'note'))).toBe('for Org3');
      await expect(org1.evaluateTransaction('ReadAssetPrivateDetails', 'org3Collection', 'note')).rejects.toThrow(/does not have read access permission/);
    });

    it('refuses a non-member creator in a member_only collection', async () => {
      const org3 = (await contractOf(member(2))).contract;
      // CreateAsset first reads assetCollection (member_only_read), as the sample does.
      expect(await refusal(submit(org3, 'CreateAsset', { transientData: transient('asset_properties', { objectType: 'asset', assetID: 'asset3', color: 'red', size: 1, appraisedValue: 1 }) }))).toMatch(
        /tx creator does not have read access permission on privatedata in chaincodeName:privcc collectionName: assetCollection/,
      );
      expect(await refusal(submit(org3, 'PutPrivate', { arguments: ['assetCollection', 'k', 'v'] }))).toMatch(
        /tx creator does not have write access permission on privatedata in chaincodeName:privcc collectionName: assetCollection/,
      );
    });

    it('DeleteAsset removes the asset and its hashes; PurgeAsset removes them for good', async () => {
      const org1 = (await contractOf(member(0))).contract;
      const org2 = (await contractOf(member(1))).contract;
      const org3 = (await contractOf(member(2))).contract;
      expect((await submit(org2, 'DeleteAsset', { transientData: transient('asset_delete', { assetID: 'asset1' }) })).code).toBe(VALID);
      expect(utf8(await org2.evaluateTransaction('ReadAsset', 'asset1'))).toBe('');
      expect(utf8(await org3.evaluateTransaction('ReadPrivateHash', 'assetCollection', 'asset1'))).toBe('');

      expect(utf8(await org3.evaluateTransaction('ReadPrivateHash', 'assetCollection', 'asset2'))).not.toBe('');
      expect((await submit(org1, 'PurgeAsset', { transientData: transient('asset_purge', { assetID: 'asset2' }) })).code).toBe(VALID);
      expect(utf8(await org1.evaluateTransaction('ReadAsset', 'asset2'))).toBe('');
      expect(utf8(await org1.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'asset2'))).toBe('');
      expect(utf8(await org3.evaluateTransaction('ReadPrivateHash', 'assetCollection', 'asset2'))).toBe('');
    });

    it('forgets data of a collection with block_to_live 2 once three more blocks are committed', async () => {
      const org1 = (await contractOf(member(0))).contract;
      const written = await submit(org1, 'PutPrivateFromTransient', { arguments: ['shortLivedCollection', 'brief'], transientData: { value: Buffer.from('here for a while') } });
      expect(written.code).toBe(VALID);
      expect(utf8(await org1.evaluateTransaction('ReadAssetPrivateDetails', 'shortLivedCollection', 'brief'))).toBe('here for a while');
      let last = written.blockNumber;
      let n = 0;
      while (last < written.blockNumber + 2n) {
        last = (await submit(org1, 'PutPrivate', { arguments: ['org2EndorsedCollection', `filler${n++}`, 'x'] })).blockNumber;
      }
      // Still there at block written + 2: Fabric purges when block written + BTL + 1 commits.
      expect(utf8(await org1.evaluateTransaction('ReadAssetPrivateDetails', 'shortLivedCollection', 'brief'))).toBe('here for a while');
      await submit(org1, 'PutPrivate', { arguments: ['org2EndorsedCollection', `filler${n++}`, 'x'] });
      expect(utf8(await org1.evaluateTransaction('ReadAssetPrivateDetails', 'shortLivedCollection', 'brief'))).toBe('');
      expect(utf8(await org1.evaluateTransaction('ReadPrivateHash', 'shortLivedCollection', 'brief'))).toBe('');
    }, 60_000);

    it("applies a collection's own endorsement policy instead of the chaincode's to its writes", async () => {
      const org1 = (await contractOf(member(0))).contract;
      // The chaincode's policy (Org1 or Org2) is met by Org1, but org2EndorsedCollection needs a peer of Org2.
      expect((await submit(org1, 'PutPrivate', { arguments: ['org2EndorsedCollection', 'k1', 'v'], endorsingOrganizations: ['Org1MSP'] })).code).toBe(ENDORSEMENT_POLICY_FAILURE);
      expect((await submit(org1, 'PutPrivate', { arguments: ['org2EndorsedCollection', 'k2', 'v'], endorsingOrganizations: ['Org2MSP'] })).code).toBe(VALID);
      // Without named organisations the gateway finds Org2's peer itself.
      expect((await submit(org1, 'PutPrivate', { arguments: ['org2EndorsedCollection', 'k3', 'v'] })).code).toBe(VALID);
    });

    it('validates private reads by the version of their key hash (MVCC)', async () => {
      const org1 = (await contractOf(member(0))).contract;
      expect((await submit(org1, 'IncrementPrivate', { arguments: ['assetCollection', 'counter'] })).code).toBe(VALID);
      // Both read version 1 of the counter; the first to commit wins, the second is a read conflict.
      const first = await org1.newProposal('IncrementPrivate', { arguments: ['assetCollection', 'counter'] }).endorse();
      const second = await org1.newProposal('IncrementPrivate', { arguments: ['assetCollection', 'counter'] }).endorse();
      expect((await (await first.submit()).getStatus()).code).toBe(VALID);
      expect((await (await second.submit()).getStatus()).code).toBe(MVCC_READ_CONFLICT);
      expect(utf8(await org1.evaluateTransaction('ReadAssetPrivateDetails', 'assetCollection', 'counter'))).toBe('2');
    });

    it("keeps a private key's metadata with its hash, and the value readable after a metadata-only write", async () => {
      const org1 = (await contractOf(member(0))).contract;
      expect((await submit(org1, 'SetPrivateEndorsement', { arguments: ['assetCollection', 'counter', 'some-policy'] })).code).toBe(VALID);
      expect(utf8(await org1.evaluateTransaction('GetPrivateEndorsement', 'assetCollection', 'counter'))).toBe('some-policy');
      const org2 = (await contractOf(member(1))).contract;
      expect(utf8(await org2.evaluateTransaction('ReadAssetPrivateDetails', 'assetCollection', 'counter'))).toBe('2');
    });

    it('refuses a change of an existing collection\'s block_to_live in a new sequence', async () => {
      const changed = collectionPackage(COLLECTIONS.map((c) => (c.name === 'shortLivedCollection' ? { ...c, blockToLive: 5 } : c)));
      const r = (await proposeTo(adminOf(member(0)), [member(0)], 'primary', 'ApproveChaincodeDefinitionForMyOrg', approveArgs(2, changed, packageId))).responses[0];
      expect(r.getResponse()?.getMessage()).toBe(
        "failed to invoke backing implementation of 'ApproveChaincodeDefinitionForMyOrg': error validating chaincode definition: the BlockToLive in an existing collection [shortLivedCollection] modified. Existing value [2]",
      );
    });

    it('keeps private and hashed state across a restart', async () => {
      await netw.crash();
      gateways.splice(0).forEach((g) => { g.close(); });
      clients.splice(0).forEach((c) => { c.close(); });
      await netw.restart();
      const org1 = (await contractOf(member(0))).contract;
      expect(utf8(await org1.evaluateTransaction('ReadAssetPrivateDetails', '_implicit_org_Org1MSP', 'gift'))).toBe('for Org1 only');
      const org3 = (await contractOf(member(2))).contract;
      expect(utf8(await org3.evaluateTransaction('ReadPrivateHash', '_implicit_org_Org1MSP', 'gift'))).toBe(sha256Hex('for Org1 only'));
    }, 120_000);
  });

  const withFabric = FABRIC_BIN ? describe : describe.skip;
  if (!FABRIC_BIN) {
    console.warn("devnetPrivateData: FABRIC_BIN is not set, so the case with Fabric's `peer lifecycle chaincode ... --collections-config` CLI is skipped (set FABRIC_BIN=/path/to/fabric/bin to run it)");
  }

  withFabric("private data defined with Fabric's own peer CLI (--collections-config)", () => {
    const peerCli = (m: MemberConnection, args: string[]): Promise<string> => peerAsAdmin(FABRIC_BIN as string, m, args);

    it('approves and commits a definition with a collections config file, then runs the sample flow', async () => {
      const file = path.join(scratch, 'privcli.tar.gz');
      await peerCli(member(0), ['lifecycle', 'chaincode', 'package', file, '--path', chaincodeDir, '--lang', 'node', '--label', 'privcli_1']);
      const packageId = `privcli_1:${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
      for (const m of [member(0), member(1), member(2)]) await peerCli(m, ['lifecycle', 'chaincode', 'install', file]);
      // fabric-samples' collections_config.json for asset-transfer-private-data, assetCollection only.
      const config = path.join(scratch, 'collections_config.json');
      writeFileSync(config, JSON.stringify([
        { name: 'assetCollection', policy: "OR('Org1MSP.member', 'Org2MSP.member')", requiredPeerCount: 1, maxPeerCount: 1, blockToLive: 1000000, memberOnlyRead: true, memberOnlyWrite: true },
      ]));
      const orderer = ['-o', member(0).orderer.endpoint, '--tls', '--cafile', member(0).orderer.tlsCaCertPath, '--channelID', 'primary'];
      const definition = ['--name', 'privcli', '--version', '1.0', '--sequence', '1', '--collections-config', config, '--signature-policy', "OR('Org1MSP.member','Org2MSP.member')"];
      for (const m of [member(0), member(1), member(2)]) {
        await peerCli(m, ['lifecycle', 'chaincode', 'approveformyorg', ...orderer, ...definition, '--package-id', packageId]);
      }
      const peers = [member(0), member(1), member(2)].flatMap((m) => ['--peerAddresses', m.peer.endpoint, '--tlsRootCertFiles', m.peer.tlsCaCertPath]);
      await peerCli(member(0), ['lifecycle', 'chaincode', 'commit', ...orderer, ...definition, ...peers]);
      const committed = JSON.parse(await peerCli(member(0), ['lifecycle', 'chaincode', 'querycommitted', '--channelID', 'primary', '--name', 'privcli', '--output', 'json'])) as { collections?: { config?: unknown[] } };
      expect(committed.collections?.config).toHaveLength(1);

      const org1 = (await contractOf(member(0), 'privcli')).contract;
      expect((await submit(org1, 'CreateAsset', { transientData: transient('asset_properties', { objectType: 'asset', assetID: 'cli1', color: 'teal', size: 3, appraisedValue: 7 }) })).code).toBe(VALID);
      const org2 = (await contractOf(member(1), 'privcli')).contract;
      expect(JSON.parse(utf8(await org2.evaluateTransaction('ReadAsset', 'cli1')))).toMatchObject({ color: 'teal' });
      const org3 = (await contractOf(member(2), 'privcli')).contract;
      await expect(org3.evaluateTransaction('ReadAsset', 'cli1')).rejects.toThrow(/does not have read access permission/);

      // The peer CLI sends one signed proposal to two members' peers: each simulates on its own copy, and the answers match.
      const properties = Buffer.from(JSON.stringify({ objectType: 'asset', assetID: 'cli2', color: 'plum', size: 4, appraisedValue: 9 })).toString('base64');
      const twoPeers = [member(0), member(1)].flatMap((m) => ['--peerAddresses', m.peer.endpoint, '--tlsRootCertFiles', m.peer.tlsCaCertPath]);
      await peerCli(member(0), ['chaincode', 'invoke', ...orderer, '-n', 'privcli', ...twoPeers, '--waitForEvent', '--transient', JSON.stringify({ asset_properties: properties }), '-c', '{"function":"CreateAsset","Args":[]}']);
      expect(JSON.parse(utf8(await org2.evaluateTransaction('ReadAsset', 'cli2')))).toMatchObject({ color: 'plum' });
    }, 180_000);

    it("plans the endorsers of a collection's private reads with Fabric's discover CLI: its members only", async () => {
      const keyOf = (dir: string): string => path.join(dir, readdirSync(dir)[0]);
      const m = member(0);
      const flags = [`--peerTLSCA=${m.peer.tlsCaCertPath}`, `--userKey=${keyOf(path.join(m.userMspDir, 'keystore'))}`, `--userCert=${keyOf(path.join(m.userMspDir, 'signcerts'))}`, `--MSP=${m.mspId}`];
      const plan = async (extra: string[]): Promise<string[]> => {
        const { stdout } = await run(path.join(FABRIC_BIN as string, 'discover'), [...flags, 'endorsers', '--channel=primary', '--chaincode=privcc', ...extra, `--server=${m.peer.endpoint}`], { timeout: 30_000 });
        const [descriptor] = JSON.parse(stdout) as { EndorsersByGroups: Record<string, { MSPID: string }[]>; Layouts: { quantities_by_group: Record<string, number> }[] }[];
        const mspOf = new Map(Object.entries(descriptor.EndorsersByGroups).map(([group, list]) => [group, list[0].MSPID]));
        return descriptor.Layouts.map((l) => Object.entries(l.quantities_by_group).map(([g, n]) => `${mspOf.get(g) ?? g}:${n}`).join(' ')).sort();
      };
      // privcc's policy is OR(Org1, Org2) members, and assetCollection's members are the same two.
      expect(await plan(['--collection=privcc:assetCollection'])).toEqual(['Org1MSP:1', 'Org2MSP:1']);
      // org2EndorsedCollection's own policy (an Org2 peer) replaces the chaincode's.
      expect(await plan(['--collection=privcc:org2EndorsedCollection'])).toEqual(['Org2MSP:1']);
    });
  });
});
