/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Where private data lives in the devnet's one state database, and the hashed read/write set as
 * the committer validates it. Fabric keeps three kinds of state per namespace: public, hashed
 * (every peer: SHA-256 of each private key and value) and private (member peers only); the devnet
 * keeps the hashed state in namespace `<ns>$$h<collection>` keyed by the hex of the key hash, and
 * each member organisation's copy of the private state in `<ns>$$p<collection>$$<MSPID>`, so that
 * a peer reads only its own organisation's copy. Chaincode names cannot contain `$`, and collection
 * names cannot contain `$$`, so these never clash with a chaincode's namespace.
 */
import { createHash } from 'node:crypto';
import { ledger } from '@hyperledger/fabric-protos';

const { kvrwset } = ledger.rwset;

export function sha256(data: Uint8Array | string): Buffer {
  return createHash('sha256').update(data).digest();
}

export function hashedNamespace(namespace: string, collection: string): string {
  return `${namespace}$$h${collection}`;
}

export function privateNamespace(namespace: string, collection: string, mspId: string): string {
  return `${namespace}$$p${collection}$$${mspId}`;
}

/** Whether a namespace is one of the private-data namespaces above (no key history is kept for them). */
export function isPrivateDataNamespace(namespace: string): boolean {
  return namespace.includes('$$');
}

/** The hashed state's key for a private key: the hex of its SHA-256 (what Fabric's hashed rwset carries, as text). */
export function keyHashHex(key: string | Uint8Array): string {
  return (typeof key === 'string' ? sha256(key) : Buffer.from(key)).toString('hex');
}

/** One namespace's reads and writes as the committer checks and applies them. */
export interface NamespaceSet {
  namespace: string;
  kv: ledger.rwset.kvrwset.KVRWSet;
}

/**
 * A namespace's hashed collection read/write sets as ordinary read/write sets over the hashed
 * namespaces, so that the committer's MVCC check and staging apply to key hashes unchanged.
 * A purge is a delete of the hash (the private copies go with it, see ./commit.ts).
 * @throws Error when a HashedRWSet does not decode.
 */
export function hashedNamespaceSets(ns: ledger.rwset.NsReadWriteSet): NamespaceSet[] {
  return ns.getCollectionHashedRwsetList().map((coll) => {
    const hashed = kvrwset.HashedRWSet.deserializeBinary(coll.getHashedRwset_asU8());
    const kv = new kvrwset.KVRWSet();
    kv.setReadsList(
      hashed.getHashedReadsList().map((r) => {
        const read = new kvrwset.KVRead();
        read.setKey(keyHashHex(r.getKeyHash_asU8()));
        const version = r.getVersion();
        if (version) read.setVersion(version);
        return read;
      }),
    );
    kv.setWritesList(
      hashed.getHashedWritesList().map((w) => {
        const write = new kvrwset.KVWrite();
        write.setKey(keyHashHex(w.getKeyHash_asU8()));
        const deleted = w.getIsDelete() || w.getIsPurge();
        write.setIsDelete(deleted);
        if (!deleted) write.setValue(w.getValueHash_asU8());
        return write;
      }),
    );
    kv.setMetadataWritesList(
      hashed.getMetadataWritesList().map((m) => {
        const write = new kvrwset.KVMetadataWrite();
        write.setKey(keyHashHex(m.getKeyHash_asU8()));
        write.setEntriesList(m.getEntriesList());
        return write;
      }),
    );
    return { namespace: hashedNamespace(ns.getNamespace(), coll.getCollectionName()), kv };
  });
}

/** The collections a transaction writes in its namespace's hashed read/write sets. */
export function writtenCollections(ns: ledger.rwset.NsReadWriteSet): string[] {
  const out: string[] = [];
  for (const coll of ns.getCollectionHashedRwsetList()) {
    const hashed = kvrwset.HashedRWSet.deserializeBinary(coll.getHashedRwset_asU8());
    if (hashed.getHashedWritesList().length > 0 || hashed.getMetadataWritesList().length > 0) out.push(coll.getCollectionName());
  }
  return out;
}
