/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * One transaction's simulation over committed state, recording the read/write set as a Fabric
 * peer does: reads see committed state only (no read-your-own-writes), each first read records the
 * committed version, range queries record what they saw so that the committer can detect phantoms.
 * Calls naming a collection go to ../privdata/simulation.ts, whose hashes join the read/write set.
 */
import { ledger } from '@hyperledger/fabric-protos';
import type { HistoryEntry, KeyValue, RangePage, StateAccess } from '../chaincode/stateAccess';
import { PrivateSimulation } from '../privdata/simulation';
import type { PrivateContext } from '../privdata/simulation';
import type { LedgerStore, Version } from './store';

const { kvrwset } = ledger.rwset;

/** Fabric's `ledger.state.totalQueryLimit`: a range query stops after this many results. */
export const TOTAL_QUERY_LIMIT = 100000;

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

interface RecordedRange {
  startKey: string;
  endKey: string;
  exhausted: boolean;
  reads: { key: string; version: Version }[];
}

export class TxSimulator implements StateAccess {
  private readonly reads = new Map<string, Version | undefined>();
  private readonly writes = new Map<string, Buffer | undefined>();
  private readonly metadataWrites = new Map<string, Map<string, Buffer>>();
  private readonly ranges: RecordedRange[] = [];
  private paginated = false;
  /** The namespace's collections on the endorsing peer; absent when the chaincode has none to offer. */
  readonly privateData?: PrivateSimulation;

  constructor(
    private readonly store: LedgerStore,
    private readonly channel: string,
    readonly namespace: string,
    privateContext?: PrivateContext,
  ) {
    if (privateContext) {
      this.privateData = new PrivateSimulation(store, channel, namespace, privateContext, {
        beforeWrite: () => { this.checkWriteAllowed(); },
        hasWrites: () => this.writes.size > 0 || this.metadataWrites.size > 0,
      });
    }
  }

  async getState(key: string): Promise<Uint8Array | undefined> {
    const vv = await this.store.getState(this.channel, this.namespace, key);
    if (!this.reads.has(key)) this.reads.set(key, vv?.version);
    return vv?.value;
  }

  putState(key: string, value: Uint8Array): void {
    this.checkWriteAllowed();
    // An empty value is a delete, as in Fabric's rwset builder.
    this.writes.set(key, value.length === 0 ? undefined : Buffer.from(value));
  }

  deleteState(key: string): void {
    this.checkWriteAllowed();
    this.writes.set(key, undefined);
  }

  async getStateByRange(startKey: string, endKey: string, paging?: { pageSize: number; bookmark: string }): Promise<RangePage> {
    if (paging) {
      if (this.writes.size > 0 || this.metadataWrites.size > 0 || this.privateData?.hasWrites()) {
        throw new Error('paginated queries are not supported in a transaction that writes (Fabric refuses them)');
      }
      this.paginated = true;
      const from = paging.bookmark !== '' ? paging.bookmark : startKey;
      const rows = await this.store.rangeState(this.channel, this.namespace, from, endKey, paging.pageSize + 1);
      const page = rows.slice(0, paging.pageSize);
      const more = rows.length > paging.pageSize;
      this.ranges.push({
        startKey: from,
        // Not exhausted: the range validated at commit ends at the last key read, inclusive.
        endKey: more && page.length > 0 ? page[page.length - 1].key : endKey,
        exhausted: !more,
        reads: page.map((r) => ({ key: r.key, version: r.value.version })),
      });
      return { results: page.map(toKv), bookmark: more ? rows[paging.pageSize].key : '' };
    }
    const rows = await this.store.rangeState(this.channel, this.namespace, startKey, endKey, TOTAL_QUERY_LIMIT + 1);
    const capped = rows.length > TOTAL_QUERY_LIMIT;
    const results = rows.slice(0, TOTAL_QUERY_LIMIT);
    this.ranges.push({
      startKey,
      endKey: capped ? results[results.length - 1].key : endKey,
      exhausted: !capped,
      reads: results.map((r) => ({ key: r.key, version: r.value.version })),
    });
    return { results: results.map(toKv), bookmark: '' };
  }

  async getHistoryForKey(key: string): Promise<HistoryEntry[]> {
    const entries = await this.store.getHistory(this.channel, this.namespace, key);
    return entries.map((e) => ({ txId: e.txId, value: e.value, isDelete: e.isDelete, timestamp: e.timestamp }));
  }

  async getStateMetadata(key: string): Promise<Map<string, Uint8Array>> {
    const vv = await this.store.getState(this.channel, this.namespace, key);
    if (!this.reads.has(key)) this.reads.set(key, vv?.version);
    return new Map(vv?.metadata ?? []);
  }

  putStateMetadata(key: string, metakey: string, value: Uint8Array): void {
    this.checkWriteAllowed();
    const entries = this.metadataWrites.get(key) ?? new Map<string, Buffer>();
    entries.set(metakey, Buffer.from(value));
    this.metadataWrites.set(key, entries);
  }

  /** The TxReadWriteSet bytes that go into the ChaincodeAction, keys in byte order as Fabric sorts them. */
  toRwsetBytes(): Uint8Array {
    const kv = new kvrwset.KVRWSet();
    kv.setReadsList(
      [...this.reads.keys()].sort(compareKeys).map((key) => newRead(key, this.reads.get(key))),
    );
    kv.setRangeQueriesInfoList(this.ranges.map(toRangeQueryInfo));
    kv.setWritesList(
      [...this.writes.keys()].sort(compareKeys).map((key) => {
        const w = new kvrwset.KVWrite();
        w.setKey(key);
        const value = this.writes.get(key);
        w.setIsDelete(value === undefined);
        if (value !== undefined) w.setValue(value);
        return w;
      }),
    );
    kv.setMetadataWritesList(
      [...this.metadataWrites.keys()].sort(compareKeys).map((key) => {
        const m = new kvrwset.KVMetadataWrite();
        m.setKey(key);
        const entries = this.metadataWrites.get(key) ?? new Map<string, Buffer>();
        m.setEntriesList(
          [...entries.keys()].sort().map((name) => {
            const e = new kvrwset.KVMetadataEntry();
            e.setName(name);
            e.setValue(entries.get(name) ?? Buffer.alloc(0));
            return e;
          }),
        );
        return m;
      }),
    );
    const ns = new ledger.rwset.NsReadWriteSet();
    ns.setNamespace(this.namespace);
    ns.setRwset(kv.serializeBinary());
    // Only hashes of private reads and writes go into the transaction (Fabric's hashed rwset).
    if (this.privateData) ns.setCollectionHashedRwsetList(this.privateData.results().hashed);
    const txrw = new ledger.rwset.TxReadWriteSet();
    txrw.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
    txrw.setNsRwsetList([ns]);
    return txrw.serializeBinary();
  }

  /** The private write set for the transient store, or undefined when the simulation wrote no private data. */
  toPvtRwset(): ledger.rwset.TxPvtReadWriteSet | undefined {
    const pvt = this.privateData?.results().pvt;
    if (!pvt) return undefined;
    const tx = new ledger.rwset.TxPvtReadWriteSet();
    tx.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
    tx.setNsPvtRwsetList([pvt]);
    return tx;
  }

  private checkWriteAllowed(): void {
    if (this.privateData?.queriesPerformed) {
      throw new Error('unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed');
    }
    if (this.paginated) {
      throw new Error('writes are not supported in a transaction that made a paginated query (Fabric refuses them)');
    }
  }
}

function toKv(r: { key: string; value: { value: Buffer } }): KeyValue {
  return { key: r.key, value: r.value.value };
}

export function newRead(key: string, version: Version | undefined): ledger.rwset.kvrwset.KVRead {
  const read = new kvrwset.KVRead();
  read.setKey(key);
  if (version) read.setVersion(versionProto(version));
  return read;
}

/** A committed version as the rwset proto carries it (plain and hashed reads alike). */
export function versionProto(version: Version): ledger.rwset.kvrwset.Version {
  const v = new kvrwset.Version();
  v.setBlockNum(version.blockNum);
  v.setTxNum(version.txNum);
  return v;
}

function toRangeQueryInfo(r: RecordedRange): ledger.rwset.kvrwset.RangeQueryInfo {
  const info = new kvrwset.RangeQueryInfo();
  info.setStartKey(r.startKey);
  info.setEndKey(r.endKey);
  info.setItrExhausted(r.exhausted);
  const raw = new kvrwset.QueryReads();
  raw.setKvReadsList(r.reads.map((x) => newRead(x.key, x.version)));
  info.setRawReads(raw);
  return info;
}
