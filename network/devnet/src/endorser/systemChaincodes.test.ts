/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * qscc and cscc through the endorser, as a Fabric v3.1.5 peer answers them: the proposal
 * `peer channel getinfo` and `list` send (no channel, checked against the receiving peer's own
 * MSP, never endorsed), one on a channel as SDKs send it (endorsed when it succeeds), their
 * payloads, ACLs with the config in force, and the error texts of core/scc/qscc and cscc.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common, peer } from '@hyperledger/fabric-protos';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { blockDataHash, blockHeaderHash, buildGenesisBlock, chaincodeProposal, nOutOf, readConfigBlock, signaturePolicy } from 'fabric-config/configtx';
import { MspRegistry, SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs, signerOf, testChannelProfile } from 'fabric-config/testing';
import { ChaincodeRuntime } from '../chaincode';
import { Channel } from '../channel';
import { Committer } from '../ledger/committer';
import { LedgerStore } from '../ledger/store';
import { timestampNow } from '../protoutil';
import { Endorser, LocalPeer, ProposalError } from './endorser';

let root: string;
let ledgerDir: string;
let orgs: OrgCrypto[];
let store: LedgerStore;
let endorser: Endorser;
let org1Peer: LocalPeer;
const channels = new Map<string, Channel>();
const blocks: common.Block[] = [];
/** The id of the one transaction of block 1 of primary, invalid (its signature is not its creator's). */
let badTxId: string;

function peerOf(org: OrgCrypto): LocalPeer {
  return {
    mspId: org.mspId,
    msp: new MspRegistry([{ mspId: org.mspId, rootCerts: [org.caCertPem], tlsRootCerts: [org.tlsCaCertPem] }]),
    signer: new SigningIdentity(org.mspId, org.peer.signCertPem, org.peer.privateKeyPem),
  };
}

/** A signed proposal as Fabric's protoutil.CreateProposalFromCIS and the peer CLI build it. */
function proposal(signer: SigningIdentity, channelId: string, chaincode: string, args: (string | Uint8Array)[]): peer.SignedProposal {
  return chaincodeProposal(signer, channelId, chaincode, args).signed;
}

/** An endorser transaction whose signature is not its creator's: committed BAD_CREATOR_SIGNATURE. */
function badlySignedTx(signer: SigningIdentity, channelId: string): { envelope: Uint8Array; txId: string } {
  const creator = signer.serialize();
  const nonce = randomBytes(24);
  const txId = createHash('sha256').update(nonce).update(creator).digest('hex');
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setChannelId(channelId);
  channelHeader.setTxId(txId);
  channelHeader.setTimestamp(timestampNow());
  const signatureHeader = new common.SignatureHeader();
  signatureHeader.setCreator(creator);
  signatureHeader.setNonce(nonce);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  header.setSignatureHeader(signatureHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  const envelope = new common.Envelope();
  envelope.setPayload(payload.serializeBinary());
  envelope.setSignature(signer.sign(Buffer.from('something else')));
  return { envelope: envelope.serializeBinary(), txId };
}

function nextBlock(previous: common.Block, envelopes: Uint8Array[]): common.Block {
  const data = new common.BlockData();
  data.setDataList(envelopes);
  const header = new common.BlockHeader();
  header.setNumber((previous.getHeader()?.getNumber() ?? 0) + 1);
  header.setPreviousHash(blockHeaderHash(previous.getHeader() as common.BlockHeader));
  header.setDataHash(blockDataHash(data));
  const block = new common.Block();
  block.setHeader(header);
  block.setData(data);
  const metadata = new common.BlockMetadata();
  metadata.setMetadataList([new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0), new Uint8Array(0)]);
  block.setMetadata(metadata);
  return block;
}

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('devnet-scc', 2));
  ledgerDir = mkdtempSync(path.join(tmpdir(), 'devnet-scc-ledger-'));
  store = await LedgerStore.open(ledgerDir);
  const committer = new Committer(store);
  for (const channelId of ['mgmt', 'primary']) {
    const genesis = buildGenesisBlock(testChannelProfile(orgs, { channelId }));
    const channel = new Channel(channelId, readConfigBlock(genesis).config, 0);
    channels.set(channelId, channel);
    const { block } = await committer.commit(channel, genesis);
    if (channelId === 'primary') blocks.push(block);
  }
  const bad = badlySignedTx(signerOf(orgs, '2.user'), 'primary');
  badTxId = bad.txId;
  blocks.push((await committer.commit(channels.get('primary') as Channel, nextBlock(blocks[0], [bad.envelope]))).block);
  endorser = new Endorser(channels, store, new ChaincodeRuntime());
  org1Peer = peerOf(orgs[0]);
});

afterAll(async () => {
  await store.close();
  rmSync(ledgerDir, { recursive: true, force: true });
  rmSync(root, { recursive: true, force: true });
});

const user1 = (): SigningIdentity => signerOf(orgs, '1.user');
const user2 = (): SigningIdentity => signerOf(orgs, '2.user');

async function call(signer: SigningIdentity, channelId: string, chaincode: string, args: (string | Uint8Array)[], local = org1Peer): Promise<peer.ProposalResponse> {
  return endorser.processProposal(proposal(signer, channelId, chaincode, args), local);
}

function responseOf(pr: peer.ProposalResponse): { status: number; message: string; payload: Buffer } {
  const r = pr.getResponse() ?? new peer.Response();
  return { status: r.getStatus(), message: r.getMessage(), payload: Buffer.from(r.getPayload_asU8()) };
}

function bytesOf(block: common.Block): Buffer {
  return Buffer.from(block.serializeBinary());
}

describe('a proposal without a channel, as `peer channel getinfo` and `list` send it', () => {
  it('answers qscc GetChainInfo with the BlockchainInfo, unendorsed and without payload', async () => {
    const pr = await call(user1(), '', 'qscc', ['GetChainInfo', 'primary']);
    expect(responseOf(pr).status).toBe(200);
    expect(pr.getVersion()).toBe(0);
    expect(pr.getPayload_asU8().length).toBe(0);
    expect(pr.hasEndorsement()).toBe(false);
    const info = common.BlockchainInfo.deserializeBinary(responseOf(pr).payload);
    expect(info.getHeight()).toBe(2);
    expect(Buffer.from(info.getCurrentblockhash_asU8())).toEqual(Buffer.from(blockHeaderHash(blocks[1].getHeader() as common.BlockHeader)));
    expect(Buffer.from(info.getPreviousblockhash_asU8())).toEqual(Buffer.from(blockHeaderHash(blocks[0].getHeader() as common.BlockHeader)));
  });

  it('answers cscc GetChannels with every channel the peer is on', async () => {
    const pr = await call(signerOf(orgs, '1.admin'), '', 'cscc', ['GetChannels']);
    expect(responseOf(pr).status).toBe(200);
    const list = peer.ChannelQueryResponse.deserializeBinary(responseOf(pr).payload);
    expect(list.getChannelsList().map((c) => c.getChannelId())).toEqual(['mgmt', 'primary']);
  });

  it("refuses a creator outside the receiving peer's own MSP before any chaincode runs", async () => {
    const err = await call(user2(), '', 'cscc', ['GetChannels']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProposalError);
    expect((err as ProposalError).stage).toBe('preprocess');
    expect((err as Error).message).toMatch(/^error validating proposal: access denied: channel \[\] creator org unknown, creator is malformed$/);
    // The same creator is welcome at its own org's peer.
    expect(responseOf(await call(user2(), '', 'qscc', ['GetChainInfo', 'primary'], peerOf(orgs[1]))).status).toBe(200);
  });

  it('gives a qscc error as a 500 response that keeps its payload', async () => {
    const pr = await call(user1(), '', 'qscc', ['GetChainInfo', 'nope']);
    expect(responseOf(pr)).toMatchObject({ status: 500, message: 'Invalid chain ID, nope' });
    expect(pr.getPayload_asU8().length).toBeGreaterThan(0);
    expect(pr.getVersion()).toBe(0);
  });
});

describe('qscc on a channel, as SDKs send it', () => {
  it('endorses a successful query: version 1, the payload the peer signed, chaincode version syscc', async () => {
    const pr = await call(user2(), 'primary', 'qscc', ['GetBlockByNumber', 'primary', '0']);
    expect(responseOf(pr).status).toBe(200);
    expect(responseOf(pr).payload).toEqual(bytesOf(blocks[0]));
    expect(pr.getVersion()).toBe(1);
    const endorsement = pr.getEndorsement() as peer.Endorsement;
    expect(Buffer.from(endorsement.getEndorser_asU8())).toEqual(Buffer.from(org1Peer.signer.serialize()));
    const action = peer.ChaincodeAction.deserializeBinary(peer.ProposalResponsePayload.deserializeBinary(pr.getPayload_asU8()).getExtension_asU8());
    expect(action.getChaincodeId()?.getName()).toBe('qscc');
    expect(action.getChaincodeId()?.getVersion()).toBe('syscc');
    expect(action.getResults_asU8().length).toBe(0);
    expect(Buffer.from(action.getResponse()?.getPayload_asU8() ?? [])).toEqual(bytesOf(blocks[0]));
  });

  it('reads blocks by number (MaxUint64 is the newest), hash and txid', async () => {
    const block = async (args: string[] | [string, string, Uint8Array]): Promise<Buffer> => responseOf(await call(user1(), 'primary', 'qscc', args)).payload;
    expect(await block(['GetBlockByNumber', 'primary', '18446744073709551615'])).toEqual(bytesOf(blocks[1]));
    expect(await block(['GetBlockByHash', 'primary', blockHeaderHash(blocks[1].getHeader() as common.BlockHeader)])).toEqual(bytesOf(blocks[1]));
    expect(await block(['GetBlockByTxID', 'primary', badTxId])).toEqual(bytesOf(blocks[1]));
    // The query's own channel header does not matter: args[1] names the ledger.
    expect(await block(['GetBlockByNumber', 'mgmt', '0'])).toEqual(await store.getBlockBytes('mgmt', 0));
  });

  it('returns a transaction with its validation code', async () => {
    const pr = await call(user1(), 'primary', 'qscc', ['GetTransactionByID', 'primary', badTxId]);
    const processed = peer.ProcessedTransaction.deserializeBinary(responseOf(pr).payload);
    expect(processed.getValidationcode()).toBe(peer.TxValidationCode.BAD_CREATOR_SIGNATURE);
    expect(Buffer.from(processed.getTransactionenvelope()?.serializeBinary() ?? [])).toEqual(Buffer.from(blocks[1].getData()?.getDataList_asU8()[0] ?? []));
  });

  it("refuses as qscc does, in Fabric's words", async () => {
    const message = async (args: (string | Uint8Array)[]): Promise<string> => {
      const r = responseOf(await call(user1(), 'primary', 'qscc', args));
      expect(r.status).toBe(500);
      return r.message;
    };
    expect(await message(['GetChainInfo'])).toBe('Incorrect number of arguments, 1');
    expect(await message(['GetBlockByNumber', 'primary'])).toBe('missing 3rd argument for GetBlockByNumber');
    expect(await message(['GetBlockByNumber', 'primary', '7'])).toBe('Failed to get block number 7, error no such block number [7] in index');
    expect(await message(['GetBlockByNumber', 'primary', 'x"1'])).toBe('Failed to parse block number with error strconv.ParseUint: parsing "x\\"1": invalid syntax');
    expect(await message(['GetBlockByNumber', 'primary', '18446744073709551616'])).toBe(
      'Failed to parse block number with error strconv.ParseUint: parsing "18446744073709551616": value out of range',
    );
    expect(await message(['GetBlockByHash', 'primary', 'abc'])).toBe('Failed to get block hash abc, error no such block hash [616263] in index');
    expect(await message(['GetTransactionByID', 'primary', 'f00'])).toBe('Failed to get transaction with id f00, error no such transaction ID [f00] in index');
    expect(await message(['GetBlockByTxID', 'primary', 'f00'])).toBe('Failed to get block for txID f00, error no such transaction ID [f00] in index');
    // Checked before the function: an unknown one is an unmapped ACL resource.
    expect(await message(['GetNothing', 'primary', 'x'])).toBe('access denied for [GetNothing][primary]: [Unmapped policy for qscc/GetNothing]');
  });

  it('answers an unknown hash quoted as raw bytes that are not UTF-8 as the shim fails to send it', async () => {
    const hash = Buffer.alloc(32, 0xff);
    const pr = await call(user1(), 'primary', 'qscc', ['GetBlockByHash', 'primary', hash]);
    expect(responseOf(pr)).toMatchObject({
      status: 500,
      message: 'error in simulation: transaction returned with failure: failed to marshal response: proto: field protos.Response.message contains invalid UTF-8',
    });
    expect(pr.getPayload_asU8().length).toBe(0);
  });

  it('checks the ACL the config in force names for the function', async () => {
    const primary = channels.get('primary') as Channel;
    const genesis = primary.config;
    try {
      primary.setConfig(withAcl(genesis, 'qscc/GetChainInfo', 'OnlyOrg1Admin'), primary.lastConfigBlock);
      expect(responseOf(await call(user2(), 'primary', 'qscc', ['GetChainInfo', 'primary']))).toMatchObject({
        status: 500,
        message:
          'access denied for [GetChainInfo][primary]: [failed evaluating policy on signed data during check policy [/Channel/Application/OnlyOrg1Admin]: [signature set did not satisfy policy]]',
      });
      expect(responseOf(await call(signerOf(orgs, '1.admin'), 'primary', 'qscc', ['GetChainInfo', 'primary'])).status).toBe(200);
    } finally {
      primary.setConfig(genesis, primary.lastConfigBlock);
    }
  });

  it('skips the peer/Propose ACL, as Fabric does for system chaincodes', async () => {
    // A peer identity is no Writer, but it is a Reader, which qscc asks for.
    const peerIdentity = new SigningIdentity('Org1MSP', orgs[0].peer.signCertPem, orgs[0].peer.privateKeyPem);
    expect(responseOf(await call(peerIdentity, 'primary', 'qscc', ['GetChainInfo', 'primary'])).status).toBe(200);
  });

  it('refuses a proposal on a channel the peer is not on with a 500 response', async () => {
    const pr = await call(user1(), 'nope', 'qscc', ['GetChainInfo', 'primary']);
    expect(responseOf(pr)).toMatchObject({ status: 500, message: "channel 'nope' not found" });
  });
});

describe('cscc', () => {
  it('returns the channel config in force', async () => {
    const r = responseOf(await call(user2(), 'primary', 'cscc', ['GetChannelConfig', 'primary']));
    expect(r.status).toBe(200);
    expect(common.Config.deserializeBinary(r.payload).toObject()).toEqual((channels.get('primary') as Channel).config.toObject());
    const block = responseOf(await call(user2(), 'primary', 'cscc', ['GetConfigBlock', 'mgmt']));
    expect(block.payload).toEqual(await store.getBlockBytes('mgmt', 0));
  });

  it("refuses as cscc does, in Fabric's words", async () => {
    const message = async (signer: SigningIdentity, args: string[]): Promise<string> => {
      const r = responseOf(await call(signer, 'primary', 'cscc', args));
      expect(r.status).toBe(500);
      return r.message;
    };
    expect(await message(user1(), ['GetChannelConfig'])).toBe('Incorrect number of arguments, 1');
    expect(await message(user1(), ['GetChannelConfig', ''])).toBe('empty channel name provided');
    expect(await message(user1(), ['GetChannelConfig', 'nope'])).toBe('access denied for [GetChannelConfig][nope]: Failed to get policy manager for channel [nope]');
    expect(await message(user1(), ['Nothing', 'x'])).toBe('Requested function Nothing not found.');
    // GetChannels is checked against the receiving peer's own MSP, whatever the channel.
    expect(await message(user2(), ['GetChannels'])).toBe(
      'access denied for [GetChannels]: Failed deserializing proposal creator during channelless check policy with policy [Members]: [expected MSP ID Org1MSP, received Org2MSP]',
    );
  });
});

/** The config with an ACLs value naming `policy` (a new Application policy only Org1's admin satisfies) for `resource`. */
function withAcl(config: common.Config, resource: string, policy: string): common.Config {
  const next = config.cloneMessage();
  const app = next.getChannelGroup()?.getGroupsMap().get('Application') as common.ConfigGroup;
  const only = new common.ConfigPolicy();
  only.setModPolicy('Admins');
  only.setPolicy(signaturePolicy(nOutOf(1, [{ mspId: 'Org1MSP', role: 'admin' }])));
  app.getPoliciesMap().set(policy, only);
  const acls = new peer.ACLs();
  const api = new peer.APIResource();
  api.setPolicyRef(policy);
  acls.getAclsMap().set(resource, api);
  const value = new common.ConfigValue();
  value.setModPolicy('Admins');
  value.setValue(acls.serializeBinary());
  app.getValuesMap().set('ACLs', value);
  return next;
}
