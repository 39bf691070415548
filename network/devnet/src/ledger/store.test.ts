/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The block hash index: written with each block, and rebuilt when a data folder from before it
 * (or one a devnet without it wrote to since) is opened.
 */
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { common } from '@hyperledger/fabric-protos';
import { ClassicLevel } from 'classic-level';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { blockDataHash, blockHeaderHash } from 'fabric-config/configtx';
import { keys, PREFIX_END } from './keys';
import { LedgerStore } from './store';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'devnet-store-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Blocks 0..count-1 of a hash chain, each with one data item. */
function chain(count: number): common.Block[] {
  const blocks: common.Block[] = [];
  for (let num = 0; num < count; num++) {
    const data = new common.BlockData();
    data.setDataList([Buffer.from(`tx ${num}`)]);
    const header = new common.BlockHeader();
    header.setNumber(num);
    if (num > 0) header.setPreviousHash(blockHeaderHash(blocks[num - 1].getHeader() as common.BlockHeader));
    header.setDataHash(blockDataHash(data));
    const block = new common.Block();
    block.setHeader(header);
    block.setData(data);
    blocks.push(block);
  }
  return blocks;
}

async function commitAll(store: LedgerStore, channel: string, blocks: common.Block[]): Promise<void> {
  for (const block of blocks) {
    const blockNum = block.getHeader()?.getNumber() ?? 0;
    await store.commitBlock({
      channel,
      blockNum,
      blockBytes: block.serializeBinary(),
      blockHash: blockHeaderHash(block.getHeader() as common.BlockHeader),
      updates: [],
      history: [],
      txs: [{ txId: `tx-${channel}-${blockNum}`, txNum: 0, validationCode: 0 }],
    });
  }
}

const hashOf = (block: common.Block): Uint8Array => blockHeaderHash(block.getHeader() as common.BlockHeader);

/** Removes every block hash index entry, as a data folder written before the index looks. */
async function dropHashIndex(entries: (db: ClassicLevel<Buffer, Buffer>) => Buffer[] | Promise<Buffer[]>): Promise<void> {
  const db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
  await db.open();
  const batch = db.batch();
  for (const key of await entries(db)) batch.del(key);
  await batch.write();
  await db.close();
}

async function hashKeys(db: ClassicLevel<Buffer, Buffer>): Promise<Buffer[]> {
  const prefix = Buffer.from('x\u0000', 'utf8');
  const out: Buffer[] = [];
  for await (const key of db.keys({ gte: prefix, lt: Buffer.concat([prefix, PREFIX_END]) })) out.push(key);
  return out;
}

describe('LedgerStore block hash index', () => {
  it('finds each block by its header hash, and nothing for an unknown one', async () => {
    const store = await LedgerStore.open(dir);
    try {
      const blocks = chain(3);
      await commitAll(store, 'primary', blocks);
      for (const [num, block] of blocks.entries()) expect(await store.getBlockNumberByHash('primary', hashOf(block))).toBe(num);
      expect(await store.getBlockNumberByHash('mgmt', hashOf(blocks[1]))).toBeUndefined();
      expect(await store.getBlockNumberByHash('primary', Buffer.alloc(32))).toBeUndefined();
    } finally {
      await store.close();
    }
  });

  it('indexes the blocks of a data folder written without the index when it opens', async () => {
    const primary = chain(4);
    const mgmt = chain(2);
    const first = await LedgerStore.open(dir);
    await commitAll(first, 'primary', primary);
    await commitAll(first, 'mgmt', mgmt);
    await first.close();
    await dropHashIndex(hashKeys);

    const reopened = await LedgerStore.open(dir);
    try {
      for (const [num, block] of primary.entries()) expect(await reopened.getBlockNumberByHash('primary', hashOf(block))).toBe(num);
      expect(await reopened.getBlockNumberByHash('mgmt', hashOf(mgmt[1]))).toBe(1);
      expect(await reopened.getTx('primary', 'tx-primary-2')).toEqual({ blockNum: 2, txNum: 0, validationCode: 0 });
    } finally {
      await reopened.close();
    }
  });

  it('indexes again a channel whose newest blocks were written without the index', async () => {
    const blocks = chain(3);
    const store = await LedgerStore.open(dir);
    await commitAll(store, 'primary', blocks);
    await store.close();
    // Only the newest block lacks its entry, as after a run of a devnet without the index.
    await dropHashIndex(() => [keys.blockHash('primary', hashOf(blocks[2]))]);

    const reopened = await LedgerStore.open(dir);
    try {
      expect(await reopened.getBlockNumberByHash('primary', hashOf(blocks[2]))).toBe(2);
      expect(await reopened.getBlockNumberByHash('primary', hashOf(blocks[0]))).toBe(0);
    } finally {
      await reopened.close();
    }
  });
});
