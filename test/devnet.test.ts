/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The devnet seen through the real @hyperledger/fabric-gateway client, as each of the four orgs.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import * as grpc from '@grpc/grpc-js';
import {
  checkpointers,
  connect,
  Contract,
  EndorseError,
  Gateway,
  GatewayError,
  signers,
} from '@hyperledger/fabric-gateway';
import { common } from '@hyperledger/fabric-protos';
import { createHash, generateKeyPairSync } from 'node:crypto';
import * as path from 'node:path';
import { SigningIdentity } from 'fabric-config/msp';
import { fetchBlock, fetchPeerBlock } from '../orchestrator/src/channelConfig/ordererClient';
import { connectGateway, newGrpcConnection, newIdentity, MemberConnection } from '../orchestrator/src/gateway';
import { REPO_ROOT, startNetwork, TestNetwork } from './support/network';

const CHAINCODE = path.join(REPO_ROOT, 'test', 'fixtures', 'assets-chaincode');
const utf8 = new TextDecoder();

let net: TestNetwork;
const clients: grpc.Client[] = [];
const gateways: Gateway[] = [];

async function gatewayFor(member: MemberConnection): Promise<Gateway> {
  const client = await newGrpcConnection(member.peer);
  clients.push(client);
  const gw = await connectGateway(client, member);
  gateways.push(gw);
  return gw;
}

function contractOf(gw: Gateway): Contract {
  return gw.getNetwork('primary').getContract('assets');
}

function closeAll(): void {
  gateways.splice(0).forEach((g) => { g.close(); });
  clients.splice(0).forEach((c) => { c.close(); });
}

/** Fabric's block header hash: SHA-256 of DER SEQUENCE{INTEGER number, OCTET STRING prev, OCTET STRING data}. */
function headerHash(header: common.BlockHeader): Buffer {
  const int = (n: number): Buffer => {
    let hex = n.toString(16);
    if (hex.length % 2) hex = '0' + hex;
    let b = Buffer.from(hex, 'hex');
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return b;
  };
  const tlv = (tag: number, body: Buffer): Buffer => {
    const len = body.length < 128 ? Buffer.from([body.length]) : Buffer.from([0x81, body.length]);
    return Buffer.concat([Buffer.from([tag]), len, body]);
  };
  const seq = Buffer.concat([
    tlv(0x02, int(header.getNumber())),
    tlv(0x04, Buffer.from(header.getPreviousHash_asU8())),
    tlv(0x04, Buffer.from(header.getDataHash_asU8())),
  ]);
  return createHash('sha256').update(tlv(0x30, seq)).digest();
}

beforeAll(async () => {
  net = await startNetwork({ basePort: 20050, batchTimeout: '250ms' });
  await net.deploy(CHAINCODE, 'primary', 'assets');
});

afterAll(async () => {
  closeAll();
  await net?.stop();
});

describe('devnet through the fabric-gateway client', () => {
  it('submits and evaluates as each of the four orgs', async () => {
    for (const member of net.connection.members) {
      const contract = contractOf(await gatewayFor(member));
      const key = `asset-${member.mspId}`;
      await contract.submitTransaction('Put', key, `owned by ${member.mspId}`);
      expect(utf8.decode(await contract.evaluateTransaction('Get', key))).toBe(`owned by ${member.mspId}`);
      expect(utf8.decode(await contract.evaluateTransaction('WhoAmI'))).toBe(member.mspId);
    }
  });

  it('reports commit status with the block number', async () => {
    const contract = contractOf(await gatewayFor(net.connection.members[1]));
    const submitted = await contract.submitAsync('Put', { arguments: ['status-key', 'v1'] });
    const status = await submitted.getStatus();
    expect(status).toMatchObject({ successful: true, transactionId: submitted.getTransactionId() });
    expect(status.blockNumber).toBeGreaterThan(0n);
  });

  it('marks the second of two conflicting transactions in one block MVCC_READ_CONFLICT', async () => {
    const contract = contractOf(await gatewayFor(net.connection.members[0]));
    await contract.submitTransaction('Put', 'counter', '10');
    const first = await contract.newProposal('Increment', { arguments: ['counter'] }).endorse();
    const second = await contract.newProposal('Increment', { arguments: ['counter'] }).endorse();
    const [s1, s2] = await Promise.all([first.submit(), second.submit()]);
    const [st1, st2] = await Promise.all([s1.getStatus(), s2.getStatus()]);
    expect(st1.blockNumber).toBe(st2.blockNumber);
    // Whichever the orderer took first wins (Fabric's gateway may send them to different orderers).
    expect([st1.code, st2.code].sort()).toEqual([0, 11]); // VALID, MVCC_READ_CONFLICT
    expect(utf8.decode(await contract.evaluateTransaction('Get', 'counter'))).toBe('11');
  });

  it('marks a range read invalidated by an insert PHANTOM_READ_CONFLICT', async () => {
    const contract = contractOf(await gatewayFor(net.connection.members[1]));
    await contract.submitTransaction('Put', 'ph-a', '1');
    await contract.submitTransaction('Put', 'ph-c', '3');
    const counting = await contract.newProposal('CountRange', { arguments: ['ph-a', 'ph-z', 'ph-count'] }).endorse();
    expect(utf8.decode(counting.getResult())).toBe('2');
    await contract.submitTransaction('Put', 'ph-b', '2');
    const status = await (await counting.submit()).getStatus();
    expect(status.code).toBe(12); // PHANTOM_READ_CONFLICT
    const err = await contract.evaluateTransaction('Get', 'ph-count').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
  });

  it('serves range, partial composite key, pagination and history queries', async () => {
    const contract = contractOf(await gatewayFor(net.connection.members[2]));
    for (const k of ['r1', 'r2', 'r3', 'r4']) await contract.submitTransaction('Put', `range-${k}`, k);
    const range = JSON.parse(utf8.decode(await contract.evaluateTransaction('Range', 'range-r1', 'range-r4'))) as { key: string }[];
    expect(range.map((r) => r.key)).toEqual(['range-r1', 'range-r2', 'range-r3']);
    const page = JSON.parse(utf8.decode(await contract.evaluateTransaction('RangePage', 'range-', 'range-~', '2', ''))) as { rows: string[]; bookmark: string };
    expect(page.rows).toEqual(['range-r1', 'range-r2']);
    expect(page.bookmark).toBe('range-r3');

    await contract.submitTransaction('PutOwned', 'alice', 'a1', 'x');
    await contract.submitTransaction('PutOwned', 'alice', 'a2', 'y');
    await contract.submitTransaction('PutOwned', 'bob', 'b1', 'z');
    expect(JSON.parse(utf8.decode(await contract.evaluateTransaction('ByOwner', 'alice')))).toEqual(['a1', 'a2']);

    await contract.submitTransaction('Put', 'hist', 'one');
    await contract.submitTransaction('Put', 'hist', 'two');
    await contract.submitTransaction('Delete', 'hist');
    const history = JSON.parse(utf8.decode(await contract.evaluateTransaction('History', 'hist'))) as { value: string; isDelete: boolean }[];
    expect(history.map((h) => [h.value, h.isDelete])).toEqual([
      ['', true],
      ['two', false],
      ['one', false],
    ]);
  });

  it('gives a chaincode error back as an EndorseError with the chaincode message', async () => {
    const contract = contractOf(await gatewayFor(net.connection.members[3]));
    const err = await contract.submitTransaction('Get', 'no-such-key').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndorseError);
    expect((err as EndorseError).details[0]?.message).toContain('no-such-key does not exist');
    const evalErr = await contract.evaluateTransaction('Get', 'no-such-key').catch((e: unknown) => e);
    expect(evalErr).toBeInstanceOf(GatewayError);
    expect((evalErr as GatewayError).message).toContain('chaincode response 500');
  });

  it('resumes chaincode events from a checkpoint with nothing repeated or lost', async () => {
    const gw = await gatewayFor(net.connection.members[0]);
    const network = gw.getNetwork('primary');
    const contract = network.getContract('assets');
    const first = await contract.submitAsync('Put', { arguments: ['ev-0', '0'] });
    const startBlock = (await first.getStatus()).blockNumber;
    for (let i = 1; i < 4; i++) await contract.submitTransaction('Put', `ev-${i}`, String(i));

    const checkpointer = checkpointers.inMemory();
    const seen: string[] = [];
    const events = await network.getChaincodeEvents('assets', { startBlock, checkpoint: checkpointer });
    try {
      for await (const event of events) {
        const payload = JSON.parse(utf8.decode(event.payload)) as { key: string };
        if (!payload.key.startsWith('ev-')) continue;
        seen.push(payload.key);
        await checkpointer.checkpointChaincodeEvent(event);
        if (seen.length === 2) break;
      }
    } finally {
      events.close();
    }
    for (let i = 4; i < 6; i++) await contract.submitTransaction('Put', `ev-${i}`, String(i));
    const resumed = await network.getChaincodeEvents('assets', { startBlock, checkpoint: checkpointer });
    try {
      for await (const event of resumed) {
        const payload = JSON.parse(utf8.decode(event.payload)) as { key: string };
        if (!payload.key.startsWith('ev-')) continue;
        seen.push(payload.key);
        await checkpointer.checkpointChaincodeEvent(event);
        if (seen.length === 6) break;
      }
    } finally {
      resumed.close();
    }
    expect(seen).toEqual(['ev-0', 'ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5']);
  });

  it('streams committed blocks whose hashes chain', async () => {
    const gw = await gatewayFor(net.connection.members[1]);
    const blocks = await gw.getNetwork('primary').getBlockEvents({ startBlock: 0n });
    const seen: common.Block[] = [];
    try {
      for await (const block of blocks) {
        seen.push(block);
        if (seen.length === 5) break;
      }
    } finally {
      blocks.close();
    }
    expect(seen[0].getHeader()?.getNumber()).toBe(0);
    for (let i = 1; i < seen.length; i++) {
      const prev = seen[i - 1].getHeader() as common.BlockHeader;
      expect(Buffer.from(seen[i].getHeader()?.getPreviousHash_asU8() ?? [])).toEqual(headerHash(prev));
      const dataHash = createHash('sha256');
      for (const d of seen[i].getData()?.getDataList_asU8() ?? []) dataHash.update(d);
      expect(Buffer.from(seen[i].getHeader()?.getDataHash_asU8() ?? [])).toEqual(dataHash.digest());
    }
  });

  it("serves a transaction's validation code from the peer's Deliver and leaves it empty in the orderer's, as Fabric does", async () => {
    const member = net.connection.members[0];
    const contract = contractOf(await gatewayFor(member));
    const status = await (await contract.submitAsync('Put', { arguments: ['filter-key', 'v'] })).getStatus();
    const signer = SigningIdentity.fromMspDir(member.userMspDir, member.mspId);
    const peerClient = await newGrpcConnection(member.peer);
    const ordererClient = await newGrpcConnection(member.orderer);
    try {
      const number = Number(status.blockNumber);
      const fromPeer = await fetchPeerBlock(peerClient, 'primary', signer, number);
      const fromOrderer = await fetchBlock(ordererClient, 'primary', signer, number);
      const filter = (b: common.Block): Uint8Array => b.getMetadata()?.getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER] ?? new Uint8Array(0);
      expect(filter(fromPeer).length).toBe(fromPeer.getData()?.getDataList().length);
      expect([...filter(fromPeer)].every((code) => code === 0)).toBe(true);
      expect(filter(fromOrderer).length).toBe(0);
      expect(fromOrderer.getHeader()?.serializeBinary()).toEqual(fromPeer.getHeader()?.serializeBinary());
    } finally {
      peerClient.close();
      ordererClient.close();
    }
  });

  it('refuses a proposal whose signature does not match its creator', async () => {
    const member = net.connection.members[0];
    const client = await newGrpcConnection(member.peer);
    clients.push(client);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const forged = connect({ client, identity: await newIdentity(member.userMspDir, member.mspId), signer: signers.newPrivateKeySigner(privateKey) });
    gateways.push(forged);
    const err = await contractOf(forged).evaluateTransaction('Get', 'asset-Org1MSP').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).message).toMatch(/access denied|signature/);
    const submitErr = await contractOf(forged).submitTransaction('Put', 'forged', 'x').catch((e: unknown) => e);
    expect(submitErr).toBeInstanceOf(EndorseError);
  });

  it('keeps every committed transaction and the block hash chain across a SIGKILL restart', async () => {
    const contract = contractOf(await gatewayFor(net.connection.members[2]));
    await contract.submitTransaction('Put', 'durable', 'before-crash');
    closeAll();
    await net.crash();
    await net.restart();
    const gw = await gatewayFor(net.connection.members[2]);
    expect(utf8.decode(await contractOf(gw).evaluateTransaction('Get', 'durable'))).toBe('before-crash');
    await contractOf(gw).submitTransaction('Put', 'durable', 'after-restart');
    expect(utf8.decode(await contractOf(gw).evaluateTransaction('Get', 'durable'))).toBe('after-restart');

    const blocks = await gw.getNetwork('primary').getBlockEvents({ startBlock: 0n });
    let previous: common.BlockHeader | undefined;
    let count = 0;
    const status = await contractOf(gw).submitAsync('Put', { arguments: ['tip', 'x'] });
    const tip = (await status.getStatus()).blockNumber;
    try {
      for await (const block of blocks) {
        const header = block.getHeader() as common.BlockHeader;
        if (previous) expect(Buffer.from(header.getPreviousHash_asU8())).toEqual(headerHash(previous));
        previous = header;
        count++;
        if (BigInt(header.getNumber()) === tip) break;
      }
    } finally {
      blocks.close();
    }
    expect(count).toBe(Number(tip) + 1);
  });
});
