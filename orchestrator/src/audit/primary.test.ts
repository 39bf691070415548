/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Decoding primary config blocks and finding them by walking back along last-config indexes,
 * on blocks made with the configtx module as the orderer makes them.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { common } from '@hyperledger/fabric-protos';
import { Timestamp } from 'google-protobuf/google/protobuf/timestamp_pb';
import { rmSync } from 'node:fs';
import {
  buildConfigUpdateEnvelope,
  buildGenesisBlock,
  computeUpdate,
  lastConfigMetadata,
  readConfigBlock,
  readMsps,
  signConfigUpdate,
  withBatchParams,
} from 'fabric-config/configtx';
import type { BatchChange, ChannelProfile } from 'fabric-config/configtx';
import { MspRegistry, SigningIdentity } from 'fabric-config/msp';
import { acceptConfigUpdate, generateTestOrgs, testChannelProfile } from 'fabric-config/testing';
import type { OrgCrypto } from 'fabric-config/msp';
import { decodePrimaryConfigBlock, scanConfigBlocks } from './primary';

let root: string;
let orgs: OrgCrypto[];
let admins: SigningIdentity[];

beforeAll(async () => {
  ({ root, orgs } = await generateTestOrgs('audit-primary', 4));
  admins = orgs.map((o) => new SigningIdentity(o.mspId, o.admin.certPem, o.admin.privateKeyPem));
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

function profile(): ChannelProfile {
  return testChannelProfile(orgs);
}

function block(number: number, envelopeBytes: Uint8Array, lastConfig: number): common.Block {
  const header = new common.BlockHeader();
  header.setNumber(number);
  const data = new common.BlockData();
  data.setDataList([envelopeBytes]);
  const b = new common.Block();
  b.setHeader(header);
  b.setData(data);
  b.setMetadata(lastConfigMetadata(lastConfig));
  return b;
}

/** The CONFIG envelope the orderer writes for an accepted update, at a given time. */
function configBlock(number: number, current: common.Config, change: BatchChange, signers: SigningIdentity[], at: Date, txId?: string): { block: common.Block; config: common.Config } {
  const update = computeUpdate('primary', current, withBatchParams(current, change)).serializeBinary();
  const envelope = buildConfigUpdateEnvelope('primary', update, signers.map((s) => signConfigUpdate(update, s)), signers[0], { timestamp: at });
  if (txId !== undefined) {
    // A tx_id the link reader must refuse (what a buggy or hostile submitter could write).
    const payload = common.Payload.deserializeBinary(envelope.getPayload_asU8());
    const channelHeader = common.ChannelHeader.deserializeBinary(payload.getHeader()!.getChannelHeader_asU8());
    channelHeader.setTxId(txId);
    payload.getHeader()!.setChannelHeader(channelHeader.serializeBinary());
    envelope.setPayload(payload.serializeBinary());
  }
  const applied = acceptConfigUpdate('primary', current, envelope, new MspRegistry(readMsps(current)));
  const configEnvelope = new common.ConfigEnvelope();
  configEnvelope.setConfig(applied.config);
  configEnvelope.setLastUpdate(envelope);
  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.CONFIG);
  channelHeader.setChannelId('primary');
  const ts = new Timestamp();
  ts.fromDate(at);
  channelHeader.setTimestamp(ts);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(configEnvelope.serializeBinary());
  const outer = new common.Envelope();
  outer.setPayload(payload.serializeBinary());
  return { block: block(number, outer.serializeBinary(), number), config: applied.config };
}

function normalBlock(number: number, lastConfig: number): common.Block {
  return block(number, new Uint8Array([1, 2, 3]), lastConfig);
}

describe('decodePrimaryConfigBlock', () => {
  it('reads number, sequence, time, batch parameters, the management link and the signers', () => {
    const genesis = buildGenesisBlock(profile(), { timestamp: new Date('2026-01-01T00:00:00Z') });
    expect(decodePrimaryConfigBlock(genesis)).toEqual({
      number: 0,
      sequence: 0,
      timestamp: '2026-01-01T00:00:00.000Z',
      batchTimeout: '2s',
      batchTimeoutMs: 2000,
      maxMessageCount: 10,
      link: null,
      signers: [],
    });
    const link = { height: 4, hash: 'ab'.repeat(32) };
    const { block: linked } = configBlock(3, readConfigBlock(genesis).config, { batchTimeout: '250ms', maxMessageCount: 25 }, admins.slice(1, 4), new Date('2026-01-02T00:00:00.123Z'), `mgmt-cb:4:${link.hash}`);
    expect(decodePrimaryConfigBlock(linked)).toEqual({
      number: 3,
      sequence: 1,
      timestamp: '2026-01-02T00:00:00.123Z',
      batchTimeout: '250ms',
      batchTimeoutMs: 250,
      maxMessageCount: 25,
      link,
      signers: ['Org2MSP', 'Org3MSP', 'Org4MSP'],
    });
  });

  it('reports a malformed link instead of throwing', () => {
    const genesis = readConfigBlock(buildGenesisBlock(profile())).config;
    const { block: bad } = configBlock(1, genesis, { maxMessageCount: 11 }, admins.slice(0, 3), new Date(), 'mgmt-cb:4:not-a-hash');
    const record = decodePrimaryConfigBlock(bad);
    expect(record.link).toBeNull();
    expect(record.linkError).toMatch(/invalid management link 'mgmt-cb:4:not-a-hash'/);
  });
});

describe('scanConfigBlocks', () => {
  it('walks back from the newest block to genesis, fetching two blocks per config block', async () => {
    const genesis = buildGenesisBlock(profile());
    const first = configBlock(3, readConfigBlock(genesis).config, { maxMessageCount: 20 }, admins.slice(0, 3), new Date(), `mgmt-cb:1:${'aa'.repeat(32)}`);
    const second = configBlock(6, first.config, { maxMessageCount: 30 }, admins.slice(0, 3), new Date(), `mgmt-cb:2:${'bb'.repeat(32)}`);
    const chain = [genesis, normalBlock(1, 0), normalBlock(2, 0), first.block, normalBlock(4, 3), normalBlock(5, 3), second.block, normalBlock(7, 6), normalBlock(8, 6)];
    const fetched: (number | 'newest')[] = [];
    const records = await scanConfigBlocks((which) => {
      fetched.push(which);
      return Promise.resolve(chain[which === 'newest' ? chain.length - 1 : which]);
    });
    expect(records.map((r) => [r.number, r.sequence, r.maxMessageCount, r.link?.height ?? null])).toEqual([
      [0, 0, 10, null],
      [3, 1, 20, 1],
      [6, 2, 30, 2],
    ]);
    expect(fetched).toEqual(['newest', 6, 5, 3, 2, 0]);
  });

  it('uses the newest block itself when it is the config block, and refuses an index that does not go back', async () => {
    const genesis = buildGenesisBlock(profile());
    expect((await scanConfigBlocks(() => Promise.resolve(genesis))).map((r) => r.number)).toEqual([0]);
    const looping = [genesis, normalBlock(1, 2), normalBlock(2, 2)];
    const { block: config2 } = configBlock(2, readConfigBlock(genesis).config, { maxMessageCount: 12 }, admins.slice(0, 3), new Date());
    looping[2] = config2;
    await expect(scanConfigBlocks((which) => Promise.resolve(looping[which === 'newest' ? 2 : which]))).rejects.toThrow(/block 1 names config block 2, which is not before config block 2/);
  });
});
