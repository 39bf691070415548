/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The devnet's embedded store: blocks, world state, key history, the txid and block hash indexes
 * and the chaincode registry of every channel in one LevelDB (as a Fabric peer keeps its state in
 * LevelDB). A block and everything derived from it are written in one atomic batch, so a restart,
 * even after SIGKILL, finds either the whole block or none of it.
 */
import { common } from '@hyperledger/fabric-protos';
import { ClassicLevel } from 'classic-level';
import { blockHeaderHash } from 'fabric-config/configtx';
import { keys, PREFIX_END, u64 } from './keys';

export interface Version {
  blockNum: number;
  txNum: number;
}

export interface VersionedValue {
  value: Buffer;
  version: Version;
  metadata: Map<string, Buffer>;
}

export interface StoredHistoryEntry {
  txId: string;
  value: Buffer;
  isDelete: boolean;
  timestamp: { seconds: number; nanos: number };
}

export interface TxRecord {
  blockNum: number;
  txNum: number;
  validationCode: number;
}

/** One world-state change made by a valid transaction. `value` undefined = delete. */
export interface StateUpdate {
  namespace: string;
  key: string;
  value: Buffer | undefined;
  metadata?: Map<string, Buffer>;
  version: Version;
}

/** One key modification by one valid transaction, for the history database. */
export interface HistoryRecord {
  namespace: string;
  key: string;
  version: Version;
  entry: StoredHistoryEntry;
}

export interface BlockCommit {
  channel: string;
  blockNum: number;
  blockBytes: Uint8Array;
  /** Fabric's hash of the block's header, for the block hash index. */
  blockHash: Uint8Array;
  updates: StateUpdate[];
  history: HistoryRecord[];
  txs: { txId: string; txNum: number; validationCode: number }[];
}

type Db = ClassicLevel<Buffer, Buffer>;

export class LedgerStore {
  private readonly heights = new Map<string, number>();

  private constructor(private readonly db: Db) {}

  /**
   * Opens the store, first indexing by hash the blocks of a data folder written before the block
   * hash index existed.
   * @throws if the folder is locked by another process (another devnet is running on it).
   */
  static async open(dir: string): Promise<LedgerStore> {
    const db: Db = new ClassicLevel<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    const store = new LedgerStore(db);
    try {
      await store.indexBlockHashes();
    } catch (err) {
      await db.close();
      throw err;
    }
    return store;
  }

  /**
   * Every block is indexed by hash in its own commit batch, so a channel whose newest block is
   * indexed has all its blocks indexed. One whose newest block is not was written by a devnet
   * without the index (or by one since downgraded to it): all its blocks are indexed again, in
   * one batch.
   */
  private async indexBlockHashes(): Promise<void> {
    const prefix = keys.heightPrefix();
    const channels: { channel: string; height: number }[] = [];
    for await (const [k, v] of this.db.iterator({ gte: prefix, lt: Buffer.concat([prefix, PREFIX_END]) })) {
      channels.push({ channel: k.subarray(prefix.length).toString('utf8'), height: Number(v.readBigUInt64BE(0)) });
    }
    for (const { channel, height } of channels) {
      if (height === 0) continue;
      const newest = await this.blockHashOf(channel, height - 1);
      if ((await this.db.get(keys.blockHash(channel, newest))) !== undefined) continue;
      const batch = this.db.batch();
      for (let num = 0; num < height; num++) {
        batch.put(keys.blockHash(channel, await this.blockHashOf(channel, num)), u64(num));
      }
      await batch.write();
    }
  }

  private async blockHashOf(channel: string, num: number): Promise<Uint8Array> {
    const bytes = await this.db.get(keys.block(channel, num));
    const header = bytes === undefined ? undefined : common.Block.deserializeBinary(bytes).getHeader();
    if (!header) throw new Error(`block ${num} of channel ${channel} is missing from the ledger`);
    return blockHeaderHash(header);
  }

  async close(): Promise<void> {
    await this.db.close();
  }

  /**
   * A point read on the calling thread. The hot reads (txid index, state) are a few microseconds
   * from LevelDB's memtable and caches, while an asynchronous get costs a trip through libuv's
   * thread pool and several event-loop turns: under load most of the devnet's time in the store,
   * and latency on every proposal, commit and commit-status request. The value is the same: a
   * read sees every batch whose write has completed, on either path.
   */
  private read(key: Buffer): Buffer | undefined {
    return this.db.getSync(key);
  }

  async height(channel: string): Promise<number> {
    const cached = this.heights.get(channel);
    if (cached !== undefined) return cached;
    const raw = await this.db.get(keys.height(channel));
    const height = raw === undefined ? 0 : Number(raw.readBigUInt64BE(0));
    this.heights.set(channel, height);
    return height;
  }

  async getBlockBytes(channel: string, num: number): Promise<Buffer | undefined> {
    return this.db.get(keys.block(channel, num));
  }

  /** The number of the channel's block whose header hash is `hash`. */
  async getBlockNumberByHash(channel: string, hash: Uint8Array): Promise<number | undefined> {
    const raw = await this.db.get(keys.blockHash(channel, hash));
    return raw === undefined ? undefined : Number(raw.readBigUInt64BE(0));
  }

  getState(channel: string, ns: string, key: string): Promise<VersionedValue | undefined> {
    return settled(() => {
      const raw = this.read(keys.state(channel, ns, key));
      return raw === undefined ? undefined : decodeState(raw);
    });
  }

  /**
   * Committed keys of one namespace in [start, end) in UTF-8 byte order; end '' = unbounded.
   * `limit` bounds the scan, since a page or the peer's total cap is all a caller can use.
   */
  async rangeState(
    channel: string,
    ns: string,
    start: string,
    end: string,
    limit?: number,
  ): Promise<{ key: string; value: VersionedValue }[]> {
    const prefix = keys.statePrefix(channel, ns);
    const gte = Buffer.concat([prefix, Buffer.from(start, 'utf8')]);
    const lt = end === '' ? Buffer.concat([prefix, PREFIX_END]) : Buffer.concat([prefix, Buffer.from(end, 'utf8')]);
    const out: { key: string; value: VersionedValue }[] = [];
    for await (const [k, v] of this.db.iterator({ gte, lt, limit: limit ?? -1 })) {
      out.push({ key: k.subarray(prefix.length).toString('utf8'), value: decodeState(v) });
    }
    return out;
  }

  /** Newest first, as Fabric's history database returns it. */
  async getHistory(channel: string, ns: string, key: string): Promise<StoredHistoryEntry[]> {
    const prefix = keys.historyPrefix(channel, ns, key);
    const out: StoredHistoryEntry[] = [];
    for await (const v of this.db.values({ gte: prefix, lt: Buffer.concat([prefix, PREFIX_END]), reverse: true })) {
      out.push(decodeHistory(v));
    }
    return out;
  }

  /** The first committed transaction with this id (`txId` as a string, or its exact bytes). */
  getTx(channel: string, txId: string | Uint8Array): Promise<TxRecord | undefined> {
    return settled(() => {
      const raw = this.read(keys.txIndex(channel, txId));
      if (raw === undefined) return undefined;
      return { blockNum: Number(raw.readBigUInt64BE(0)), txNum: Number(raw.readBigUInt64BE(8)), validationCode: raw[16] };
    });
  }

  /**
   * Writes a block and all its effects atomically.
   * @throws if the block is not the next one of the channel.
   */
  async commitBlock(commit: BlockCommit): Promise<void> {
    const height = await this.height(commit.channel);
    if (commit.blockNum !== height) {
      throw new Error(`block ${commit.blockNum} is not the next block of channel ${commit.channel} (height ${height})`);
    }
    const batch = this.db.batch();
    batch.put(keys.block(commit.channel, commit.blockNum), Buffer.from(commit.blockBytes));
    batch.put(keys.blockHash(commit.channel, commit.blockHash), u64(commit.blockNum));
    // The first occurrence of a txid wins, whatever code a later copy gets (a replayed id signed
    // by someone else is BAD_CREATOR_SIGNATURE, not DUPLICATE_TXID): a later copy must never
    // redirect commit status or event resumption to itself.
    const indexed = new Set<string>();
    for (const tx of commit.txs) {
      if (tx.txId === '' || tx.validationCode === DUPLICATE_TXID || indexed.has(tx.txId)) continue;
      if (this.read(keys.txIndex(commit.channel, tx.txId)) !== undefined) continue;
      indexed.add(tx.txId);
      batch.put(keys.txIndex(commit.channel, tx.txId), encodeTx(commit.blockNum, tx.txNum, tx.validationCode));
    }
    for (const u of commit.updates) {
      const stateKey = keys.state(commit.channel, u.namespace, u.key);
      if (u.value === undefined) batch.del(stateKey);
      else batch.put(stateKey, encodeState(u.value, u.version, u.metadata ?? new Map<string, Buffer>()));
    }
    for (const h of commit.history) {
      batch.put(keys.history(commit.channel, h.namespace, h.key, h.version.blockNum, h.version.txNum), encodeHistory(h.entry));
    }
    const h = Buffer.alloc(8);
    h.writeBigUInt64BE(BigInt(height + 1));
    batch.put(keys.height(commit.channel), h);
    await batch.write();
    this.heights.set(commit.channel, height + 1);
  }

  async putMeta(name: string, value: unknown): Promise<void> {
    await this.db.put(keys.meta(name), Buffer.from(JSON.stringify(value), 'utf8'));
  }

  async getMeta<T>(name: string): Promise<T | undefined> {
    const raw = await this.db.get(keys.meta(name));
    return raw === undefined ? undefined : (JSON.parse(raw.toString('utf8')) as T);
  }

  async putChaincode(channel: string, name: string, definition: unknown): Promise<void> {
    await this.db.put(keys.chaincode(channel, name), Buffer.from(JSON.stringify(definition), 'utf8'));
  }

  async listChaincodes<T>(): Promise<T[]> {
    const prefix = keys.chaincodePrefix();
    const out: T[] = [];
    for await (const v of this.db.values({ gte: prefix, lt: Buffer.concat([prefix, PREFIX_END]) })) {
      out.push(JSON.parse(v.toString('utf8')) as T);
    }
    return out;
  }
}

const DUPLICATE_TXID = 9;

/** A synchronous read as a promise, its failure (e.g. a closed store) as a rejection, as before. */
function settled<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}

function encodeTx(blockNum: number, txNum: number, code: number): Buffer {
  const b = Buffer.alloc(17);
  b.writeBigUInt64BE(BigInt(blockNum), 0);
  b.writeBigUInt64BE(BigInt(txNum), 8);
  b[16] = code;
  return b;
}

// State value: u64 block | u64 tx | u32 metadata length | metadata JSON | value bytes.
function encodeState(value: Buffer, version: Version, metadata: Map<string, Buffer>): Buffer {
  const meta = Buffer.from(JSON.stringify([...metadata].map(([k, v]) => [k, v.toString('base64')])), 'utf8');
  const head = Buffer.alloc(20);
  head.writeBigUInt64BE(BigInt(version.blockNum), 0);
  head.writeBigUInt64BE(BigInt(version.txNum), 8);
  head.writeUInt32BE(meta.length, 16);
  return Buffer.concat([head, meta, value]);
}

function decodeState(raw: Buffer): VersionedValue {
  const metaLen = raw.readUInt32BE(16);
  const entries = JSON.parse(raw.subarray(20, 20 + metaLen).toString('utf8')) as [string, string][];
  return {
    version: { blockNum: Number(raw.readBigUInt64BE(0)), txNum: Number(raw.readBigUInt64BE(8)) },
    metadata: new Map(entries.map(([k, v]) => [k, Buffer.from(v, 'base64')])),
    value: raw.subarray(20 + metaLen),
  };
}

function encodeHistory(h: StoredHistoryEntry): Buffer {
  return Buffer.from(
    JSON.stringify({ t: h.txId, d: h.isDelete, s: h.timestamp.seconds, n: h.timestamp.nanos, v: h.value.toString('base64') }),
    'utf8',
  );
}

function decodeHistory(raw: Buffer): StoredHistoryEntry {
  const o = JSON.parse(raw.toString('utf8')) as { t: string; d: boolean; s: number; n: number; v: string };
  return { txId: o.t, isDelete: o.d, timestamp: { seconds: o.s, nanos: o.n }, value: Buffer.from(o.v, 'base64') };
}
