/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The private data side of one transaction's simulation on one endorsing peer (Fabric's
 * txSimulator private-data calls and the handler's collection ACLs): reads come from the peer's
 * own organisation's copy, checked against the hashed state's version; every read is recorded as
 * a hashed read; writes go to the private write set, whose SHA-256 hashes go into the transaction
 * and whose values go only to the transient store.
 */
import { ledger } from '@hyperledger/fabric-protos';
import type { KeyValue, PrivateStateAccess } from '../chaincode/stateAccess';
import type { LedgerStore, Version } from '../ledger/store';
import { versionProto } from '../ledger/simulator';
import type { Collection, CollectionSet } from './collections';
import { hashedNamespace, keyHashHex, privateNamespace, sha256 } from './rwset';

const { kvrwset } = ledger.rwset;

/** Fabric's `ledger.state.totalQueryLimit`. */
const TOTAL_QUERY_LIMIT = 100000;

/** What the endorsing peer knows of the transaction's private data context. */
export interface PrivateContext {
  txId: string;
  collections: CollectionSet;
  /** Whether the proposal's creator satisfies the collection's member orgs policy. */
  creatorIsMember(collection: Collection): boolean;
  /** The endorsing peer's organisation, whose copy of private data it reads. */
  peerOrg: string;
  /** Application capability V2_5, which PurgePrivateData needs. */
  purgeEnabled: boolean;
}

/** The public simulation's rules that private calls share (no writes after paginated queries, etc.). */
export interface SimulationGuard {
  beforeWrite(): void;
  hasWrites(): boolean;
}

/** Which collections a simulation touched, for endorsement planning (Fabric's ChaincodeInterest). */
export interface PrivateSummary {
  /** Collections whose private values were read (not only their hashes). */
  privateReads: string[];
  /** Collections written (values, deletes, purges or metadata). */
  writes: string[];
}

interface CollectionRecord {
  hashedReads: Map<string, Version | undefined>;
  writes: Map<string, { value: Buffer | undefined; purge: boolean }>;
  metadataWrites: Map<string, Map<string, Buffer>>;
  privateRead: boolean;
}

export class PrivateSimulation implements PrivateStateAccess {
  private readonly records = new Map<string, CollectionRecord>();
  private queried = false;

  constructor(
    private readonly store: LedgerStore,
    private readonly channel: string,
    private readonly namespace: string,
    private readonly context: PrivateContext,
    private readonly guard: SimulationGuard,
  ) {}

  /** Whether a private range query ran: Fabric then refuses any write. */
  get queriesPerformed(): boolean {
    return this.queried;
  }

  async getPrivateData(collection: string, key: string): Promise<Uint8Array | undefined> {
    this.readable(collection);
    const hashed = await this.store.getState(this.channel, hashedNamespace(this.namespace, collection), keyHashHex(key));
    const own = await this.store.getState(this.channel, privateNamespace(this.namespace, collection, this.context.peerOrg), key);
    if (!sameVersion(hashed?.version, own?.version)) {
      throw new Error(`private data matching public hash version is not available. Public hash version = ${versionText(hashed?.version)}, Private data version = ${versionText(own?.version)}`);
    }
    const record = this.record(collection);
    if (!record.hashedReads.has(key)) record.hashedReads.set(key, hashed?.version);
    record.privateRead = true;
    return own?.value;
  }

  async getPrivateDataHash(collection: string, key: string): Promise<Uint8Array | undefined> {
    this.context.collections.require(collection);
    const hashed = await this.store.getState(this.channel, hashedNamespace(this.namespace, collection), keyHashHex(key));
    const record = this.record(collection);
    if (!record.hashedReads.has(key)) record.hashedReads.set(key, hashed?.version);
    return hashed?.value;
  }

  putPrivateData(collection: string, key: string, value: Uint8Array): void {
    this.writable(collection);
    // An empty value is a delete, as in Fabric's rwset builder.
    this.record(collection).writes.set(key, { value: value.length === 0 ? undefined : Buffer.from(value), purge: false });
  }

  deletePrivateData(collection: string, key: string): void {
    this.writable(collection);
    this.record(collection).writes.set(key, { value: undefined, purge: false });
  }

  purgePrivateData(collection: string, key: string): void {
    if (!this.context.purgeEnabled) throw new Error('purge private data is not enabled, channel application capability of V2_5 or later is required');
    this.writable(collection);
    this.record(collection).writes.set(key, { value: undefined, purge: true });
  }

  async getPrivateDataByRange(collection: string, startKey: string, endKey: string): Promise<KeyValue[]> {
    this.readable(collection);
    if (this.guard.hasWrites()) {
      throw new Error(`txid [${this.context.txId}]: unsuppored transaction. Queries on pvt data is supported only in a read-only transaction`);
    }
    this.queried = true;
    const rows = await this.store.rangeState(this.channel, privateNamespace(this.namespace, collection, this.context.peerOrg), startKey, endKey, TOTAL_QUERY_LIMIT);
    return rows.map((r) => ({ key: r.key, value: r.value.value }));
  }

  async getPrivateDataMetadata(collection: string, key: string): Promise<Map<string, Uint8Array>> {
    this.readable(collection);
    const hashed = await this.store.getState(this.channel, hashedNamespace(this.namespace, collection), keyHashHex(key));
    const record = this.record(collection);
    if (!record.hashedReads.has(key)) record.hashedReads.set(key, hashed?.version);
    return new Map(hashed?.metadata ?? []);
  }

  putPrivateDataMetadata(collection: string, key: string, metakey: string, value: Uint8Array): void {
    this.writable(collection);
    const entries = this.record(collection).metadataWrites.get(key) ?? new Map<string, Buffer>();
    entries.set(metakey, Buffer.from(value));
    this.record(collection).metadataWrites.set(key, entries);
  }

  hasWrites(): boolean {
    return [...this.records.values()].some((r) => r.writes.size > 0 || r.metadataWrites.size > 0);
  }

  summary(): PrivateSummary {
    const names = [...this.records.keys()].sort();
    return {
      privateReads: names.filter((n) => this.records.get(n)?.privateRead),
      writes: names.filter((n) => {
        const r = this.records.get(n);
        return r !== undefined && (r.writes.size > 0 || r.metadataWrites.size > 0);
      }),
    };
  }

  /**
   * The namespace's private write set (TxPvtReadWriteSet's NsPvtReadWriteSet) and the hashed
   * read/write sets that go into the transaction, each collection's carrying the SHA-256 of its
   * private write set; collections in name order, keys in byte order, as Fabric sorts them.
   */
  results(): { hashed: ledger.rwset.CollectionHashedReadWriteSet[]; pvt: ledger.rwset.NsPvtReadWriteSet | undefined } {
    const hashed: ledger.rwset.CollectionHashedReadWriteSet[] = [];
    const pvtColls: ledger.rwset.CollectionPvtReadWriteSet[] = [];
    for (const name of [...this.records.keys()].sort()) {
      const record = this.records.get(name) as CollectionRecord;
      const writtenKeys = [...record.writes.keys()].sort(byteOrder);
      const hashedRw = new kvrwset.HashedRWSet();
      hashedRw.setHashedReadsList(
        [...record.hashedReads.keys()].sort(byteOrder).map((key) => {
          const read = new kvrwset.KVReadHash();
          read.setKeyHash(sha256(key));
          const version = record.hashedReads.get(key);
          if (version) read.setVersion(versionProto(version));
          return read;
        }),
      );
      hashedRw.setHashedWritesList(
        writtenKeys.map((key) => {
          const { value, purge } = record.writes.get(key) as { value: Buffer | undefined; purge: boolean };
          const write = new kvrwset.KVWriteHash();
          write.setKeyHash(sha256(key));
          write.setIsDelete(value === undefined);
          write.setIsPurge(purge);
          if (value !== undefined) write.setValueHash(sha256(value));
          return write;
        }),
      );
      const metadataKeys = [...record.metadataWrites.keys()].sort(byteOrder);
      hashedRw.setMetadataWritesList(
        metadataKeys.map((key) => {
          const m = new kvrwset.KVMetadataWriteHash();
          m.setKeyHash(sha256(key));
          m.setEntriesList(metadataEntries(record.metadataWrites.get(key)));
          return m;
        }),
      );
      const coll = new ledger.rwset.CollectionHashedReadWriteSet();
      coll.setCollectionName(name);
      coll.setHashedRwset(hashedRw.serializeBinary());
      if (writtenKeys.length > 0 || metadataKeys.length > 0) {
        const pvtKv = new kvrwset.KVRWSet();
        pvtKv.setWritesList(
          writtenKeys.map((key) => {
            const { value } = record.writes.get(key) as { value: Buffer | undefined };
            const w = new kvrwset.KVWrite();
            w.setKey(key);
            w.setIsDelete(value === undefined);
            if (value !== undefined) w.setValue(value);
            return w;
          }),
        );
        pvtKv.setMetadataWritesList(
          metadataKeys.map((key) => {
            const m = new kvrwset.KVMetadataWrite();
            m.setKey(key);
            m.setEntriesList(metadataEntries(record.metadataWrites.get(key)));
            return m;
          }),
        );
        const pvtBytes = pvtKv.serializeBinary();
        coll.setPvtRwsetHash(sha256(pvtBytes));
        const pvtColl = new ledger.rwset.CollectionPvtReadWriteSet();
        pvtColl.setCollectionName(name);
        pvtColl.setRwset(pvtBytes);
        pvtColls.push(pvtColl);
      }
      hashed.push(coll);
    }
    if (pvtColls.length === 0) return { hashed, pvt: undefined };
    const pvt = new ledger.rwset.NsPvtReadWriteSet();
    pvt.setNamespace(this.namespace);
    pvt.setCollectionPvtRwsetList(pvtColls);
    return { hashed, pvt };
  }

  private readable(collection: string): void {
    const coll = this.aclCollection(collection);
    if (coll.memberOnlyRead && !this.context.creatorIsMember(coll)) {
      throw new Error(`tx creator does not have read access permission on privatedata in chaincodeName:${this.namespace} collectionName: ${collection}`);
    }
  }

  private writable(collection: string): void {
    const coll = this.aclCollection(collection);
    if (coll.memberOnlyWrite && !this.context.creatorIsMember(coll)) {
      throw new Error(`tx creator does not have write access permission on privatedata in chaincodeName:${this.namespace} collectionName: ${collection}`);
    }
    if (this.queried) {
      throw new Error(`txid [${this.context.txId}]: unsuppored transaction. Transaction has already performed queries on pvt data. Writes are not allowed`);
    }
    this.guard.beforeWrite();
  }

  /** The collection, as the handler's access check finds it (Fabric's NoSuchCollectionError when it cannot). */
  private aclCollection(collection: string): Collection {
    const coll = this.context.collections.get(collection);
    if (!coll) throw new Error(`collection ${this.channel}/${this.namespace}/${collection} could not be found`);
    return coll;
  }

  private record(collection: string): CollectionRecord {
    let record = this.records.get(collection);
    if (!record) {
      record = { hashedReads: new Map(), writes: new Map(), metadataWrites: new Map(), privateRead: false };
      this.records.set(collection, record);
    }
    return record;
  }
}

function metadataEntries(entries: Map<string, Buffer> | undefined): ledger.rwset.kvrwset.KVMetadataEntry[] {
  const map = entries ?? new Map<string, Buffer>();
  return [...map.keys()].sort().map((name) => {
    const e = new kvrwset.KVMetadataEntry();
    e.setName(name);
    e.setValue(map.get(name) ?? Buffer.alloc(0));
    return e;
  });
}

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function sameVersion(a: Version | undefined, b: Version | undefined): boolean {
  if (!a || !b) return !a && !b;
  return a.blockNum === b.blockNum && a.txNum === b.txNum;
}

/** Fabric's version.Height as its error messages print it. */
function versionText(v: Version | undefined): string {
  return v ? `{BlockNum: ${v.blockNum}, TxNum: ${v.txNum}}` : '<nil>';
}
