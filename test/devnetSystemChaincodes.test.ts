/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The query (qscc) and configuration (cscc) system chaincodes, as a Fabric v3.1.5 peer serves
 * them: through the real @hyperledger/fabric-gateway client's Evaluate, which Fabric's gateway
 * allows for system chaincodes, and through protos.Endorser/ProcessProposal with the channel-less
 * proposal that `peer channel getinfo` and `peer channel list` send.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import { Contract, Gateway, GatewayError } from '@hyperledger/fabric-gateway';
import { common, peer } from '@hyperledger/fabric-protos';
import * as path from 'node:path';
import { blockHeaderHash, chaincodeProposal, viewChannelConfig } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import { fetchPeerBlock, processProposal } from '../orchestrator/src/channelConfig/ordererClient';
import { connectGateway, newGrpcConnection, MemberConnection } from '../orchestrator/src/gateway';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
const VALID = 0;
const MVCC_READ_CONFLICT = 11;

let net: TestNetwork;
const clients: grpc.Client[] = [];
const gateways: Gateway[] = [];

async function connectionTo(member: MemberConnection): Promise<grpc.Client> {
  const client = await newGrpcConnection(member.peer);
  clients.push(client);
  return client;
}

/** A gateway at `at`'s peer, signed as `as`'s user. */
async function gatewayFor(as: MemberConnection, at: MemberConnection = as): Promise<Gateway> {
  const gw = await connectGateway(await connectionTo(at), as);
  gateways.push(gw);
  return gw;
}

function systemContract(gw: Gateway, name: 'qscc' | 'cscc'): Contract {
  return gw.getNetwork('primary').getContract(name);
}

function member(i: number): MemberConnection {
  return net.connection.members[i];
}

function userOf(m: MemberConnection): SigningIdentity {
  return SigningIdentity.fromMspDir(m.userMspDir, m.mspId);
}

/** The proposal `peer channel getinfo` and `list` send: no channel in its header (protoutil.CreateProposalFromCIS). */
function signedProposal(signer: SigningIdentity, channelId: string, chaincode: string, args: string[]): peer.SignedProposal {
  return chaincodeProposal(signer, channelId, chaincode, args).signed;
}


async function evaluateError(contract: Contract, name: string, ...args: string[]): Promise<GatewayError> {
  const err = await contract.evaluateTransaction(name, ...args).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(GatewayError);
  return err as GatewayError;
}

/** The gRPC status message the gateway sent, without grpc-js's `<code> <NAME>: ` prefix. */
function statusMessage(err: GatewayError): string {
  return err.message.replace(/^\d+ [A-Z_]+: /, '');
}

let committedTxId: string;
let committedBlock: bigint;
let conflictingTxId: string;

beforeAll(async () => {
  net = await startNetwork({ basePort: 20950, batchTimeout: '250ms' });
  await net.deploy(CHAINCODE, 'primary', 'assets');
  const contract = (await gatewayFor(member(0))).getNetwork('primary').getContract('assets');
  const submitted = await contract.submitAsync('Put', { arguments: ['scc-key', 'v'] });
  committedTxId = submitted.getTransactionId();
  committedBlock = (await submitted.getStatus()).blockNumber;
  // Two increments endorsed on the same state: whichever the orderer takes second is invalid.
  await contract.submitTransaction('Put', 'scc-counter', '1');
  const first = await contract.newProposal('Increment', { arguments: ['scc-counter'] }).endorse();
  const second = await contract.newProposal('Increment', { arguments: ['scc-counter'] }).endorse();
  const [s1, s2] = await Promise.all([first.submit(), second.submit()]);
  const [st1, st2] = await Promise.all([s1.getStatus(), s2.getStatus()]);
  conflictingTxId = st1.code === MVCC_READ_CONFLICT ? st1.transactionId : st2.transactionId;
  expect([st1.code, st2.code].sort()).toEqual([VALID, MVCC_READ_CONFLICT]);
});

afterAll(async () => {
  gateways.splice(0).forEach((g) => { g.close(); });
  clients.splice(0).forEach((c) => { c.close(); });
  await net?.stop();
});

describe('qscc through the gateway', () => {
  it('evaluates GetChainInfo: the height and the hashes of the newest block', async () => {
    const gw = await gatewayFor(member(1));
    const info = common.BlockchainInfo.deserializeBinary(await systemContract(gw, 'qscc').evaluateTransaction('GetChainInfo', 'primary'));
    const newest = await fetchPeerBlock(await connectionTo(member(1)), 'primary', userOf(member(1)), 'newest');
    const header = newest.getHeader() as common.BlockHeader;
    expect(info.getHeight()).toBe(header.getNumber() + 1);
    expect(Buffer.from(info.getCurrentblockhash_asU8())).toEqual(Buffer.from(blockHeaderHash(header)));
    expect(Buffer.from(info.getPreviousblockhash_asU8())).toEqual(Buffer.from(header.getPreviousHash_asU8()));
  });

  it('returns by number, by hash and by txid the very block Deliver returns', async () => {
    const gw = await gatewayFor(member(2));
    const qscc = systemContract(gw, 'qscc');
    const delivered = await fetchPeerBlock(await connectionTo(member(2)), 'primary', userOf(member(2)), Number(committedBlock));
    const expected = Buffer.from(delivered.serializeBinary());
    expect(Buffer.from(await qscc.evaluateTransaction('GetBlockByNumber', 'primary', committedBlock.toString()))).toEqual(expected);
    const hash = blockHeaderHash(delivered.getHeader() as common.BlockHeader);
    expect(Buffer.from(await qscc.evaluate('GetBlockByHash', { arguments: [Buffer.from('primary'), hash] }))).toEqual(expected);
    expect(Buffer.from(await qscc.evaluateTransaction('GetBlockByTxID', 'primary', committedTxId))).toEqual(expected);
  });

  it('returns a transaction with its validation code, valid or not', async () => {
    const qscc = systemContract(await gatewayFor(member(3)), 'qscc');
    const valid = peer.ProcessedTransaction.deserializeBinary(await qscc.evaluateTransaction('GetTransactionByID', 'primary', committedTxId));
    expect(valid.getValidationcode()).toBe(VALID);
    const payload = common.Payload.deserializeBinary(valid.getTransactionenvelope()?.getPayload_asU8() ?? new Uint8Array(0));
    expect(common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0)).getTxId()).toBe(committedTxId);
    const invalid = peer.ProcessedTransaction.deserializeBinary(await qscc.evaluateTransaction('GetTransactionByID', 'primary', conflictingTxId));
    expect(invalid.getValidationcode()).toBe(MVCC_READ_CONFLICT);
  });

  it("answers a missing block, an unknown txid and an unknown channel with qscc's errors", async () => {
    const qscc = systemContract(await gatewayFor(member(0)), 'qscc');
    const missing = await evaluateError(qscc, 'GetBlockByNumber', 'primary', '999999');
    expect(missing.code).toBe(grpc.status.UNKNOWN);
    expect(statusMessage(missing)).toBe('evaluate call to endorser returned error: chaincode response 500, Failed to get block number 999999, error no such block number [999999] in index');
    expect(missing.details[0]?.mspId).toBe('Org1MSP');
    const txid = 'ab'.repeat(32);
    expect(statusMessage(await evaluateError(qscc, 'GetTransactionByID', 'primary', txid))).toBe(
      `evaluate call to endorser returned error: chaincode response 500, Failed to get transaction with id ${txid}, error no such transaction ID [${txid}] in index`,
    );
    expect(statusMessage(await evaluateError(qscc, 'GetChainInfo', 'nope'))).toBe('evaluate call to endorser returned error: chaincode response 500, Invalid chain ID, nope');
  });

  it('is not submitted: there is no endorsement plan for a system chaincode', async () => {
    const err = await systemContract(await gatewayFor(member(0)), 'qscc').submitTransaction('GetChainInfo', 'primary').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe(grpc.status.FAILED_PRECONDITION);
  });
});

describe('cscc through the gateway', () => {
  it('lists mgmt and primary for a member at its own peer', async () => {
    const list = peer.ChannelQueryResponse.deserializeBinary(await systemContract(await gatewayFor(member(1)), 'cscc').evaluateTransaction('GetChannels'));
    expect(list.getChannelsList().map((c) => c.getChannelId()).sort()).toEqual(['mgmt', 'primary']);
  });

  it("refuses GetChannels to another org's member: it is checked against the peer's own MSP", async () => {
    const err = await evaluateError(systemContract(await gatewayFor(member(1), member(0)), 'cscc'), 'GetChannels');
    expect(statusMessage(err)).toBe(
      'evaluate call to endorser returned error: chaincode response 500, access denied for [GetChannels]: Failed deserializing proposal creator during channelless check policy with policy [Members]: [expected MSP ID Org1MSP, received Org2MSP]',
    );
  });

  it('returns the channel config, which decodes with fabric-config', async () => {
    const cscc = systemContract(await gatewayFor(member(2)), 'cscc');
    const config = common.Config.deserializeBinary(await cscc.evaluateTransaction('GetChannelConfig', 'mgmt'));
    const view = viewChannelConfig('mgmt', config);
    expect(view.orgs.map((o) => o.mspId)).toEqual(['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP']);
    expect(view.consensusType).toBe('devnet');
    expect(statusMessage(await evaluateError(cscc, 'GetChannelConfig', 'nope'))).toBe(
      'evaluate call to endorser returned error: chaincode response 500, access denied for [GetChannelConfig][nope]: Failed to get policy manager for channel [nope]',
    );
  });
});

describe('the channel-less proposals of `peer channel getinfo` and `peer channel list`', () => {
  it('answers GetChainInfo and GetChannels unendorsed, with the response only', async () => {
    const client = await connectionTo(member(0));
    const info = await processProposal(client, signedProposal(userOf(member(0)), '', 'qscc', ['GetChainInfo', 'primary']));
    expect(info.getResponse()?.getStatus()).toBe(200);
    expect(info.hasEndorsement()).toBe(false);
    expect(common.BlockchainInfo.deserializeBinary(info.getResponse()?.getPayload_asU8() ?? new Uint8Array(0)).getHeight()).toBeGreaterThan(Number(committedBlock));
    const list = await processProposal(client, signedProposal(userOf(member(0)), '', 'cscc', ['GetChannels']));
    expect(list.getResponse()?.getStatus()).toBe(200);
    const channels = peer.ChannelQueryResponse.deserializeBinary(list.getResponse()?.getPayload_asU8() ?? new Uint8Array(0)).getChannelsList();
    expect(channels.map((c) => c.getChannelId()).sort()).toEqual(['mgmt', 'primary']);
  });

  it("refuses another org's member with a gRPC error, as the peer's local MSP does not know it", async () => {
    const err = await processProposal(await connectionTo(member(0)), signedProposal(userOf(member(3)), '', 'cscc', ['GetChannels'])).catch((e: unknown) => e);
    expect((err as grpc.ServiceError).code).toBe(grpc.status.UNKNOWN);
    expect((err as grpc.ServiceError).details).toMatch(/^error validating proposal: access denied: channel \[\] creator org unknown, creator is malformed$/);
  });

  it('answers an unknown channel with a 500 response', async () => {
    const r = await processProposal(await connectionTo(member(0)), signedProposal(userOf(member(0)), '', 'qscc', ['GetChainInfo', 'nope']));
    expect(r.getResponse()?.getStatus()).toBe(500);
    expect(r.getResponse()?.getMessage()).toBe('Invalid chain ID, nope');
  });
});
