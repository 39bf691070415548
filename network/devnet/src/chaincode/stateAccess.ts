/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The contract between the chaincode runtime and the ledger: ./stateRequests.ts serves the shim's
 * state requests through this interface and never sees the ledger itself, so the simulator decides
 * read/write-set recording, MVCC versions and the no-read-your-writes rule in one place.
 */

/** One key and its value, as a range query returns it. */
export interface KeyValue {
  key: string;
  value: Uint8Array;
}

/** One page of a range query. */
export interface RangePage {
  results: KeyValue[];
  /** Next start key for pagination, '' when done. */
  bookmark: string;
}

/** One committed change of a key, as the history database records it. */
export interface HistoryEntry {
  txId: string;
  value: Uint8Array;
  isDelete: boolean;
  timestamp: { seconds: number; nanos: number };
}

/** State of one namespace (chaincode) as seen by one transaction simulation; records the read/write set. Keys compare in UTF-8 byte order. */
export interface StateAccess {
  getState(key: string): Promise<Uint8Array | undefined>;
  putState(key: string, value: Uint8Array): void; // an empty value is a delete, as in Fabric
  deleteState(key: string): void;
  /** start inclusive, end exclusive; '' end = unbounded. Without paging: all results up to the peer's cap. With paging: at most pageSize results starting at bookmark (or start). */
  getStateByRange(startKey: string, endKey: string, paging?: { pageSize: number; bookmark: string }): Promise<RangePage>;
  getHistoryForKey(key: string): Promise<HistoryEntry[]>; // newest first, committed only
  getStateMetadata(key: string): Promise<Map<string, Uint8Array>>;
  putStateMetadata(key: string, metakey: string, value: Uint8Array): void;
  /** The namespace's private data collections; absent where the peer has none to offer (e.g. a system chaincode). */
  readonly privateData?: PrivateStateAccess;
}

/**
 * Private data of the namespace's collections as the endorsing peer sees it (Fabric's
 * GetPrivateData and siblings): each call checks the collection exists and the creator's access,
 * and reads the endorsing peer's own organisation's copy.
 */
export interface PrivateStateAccess {
  getPrivateData(collection: string, key: string): Promise<Uint8Array | undefined>;
  /** SHA-256 of the committed value, readable by any peer of the channel. */
  getPrivateDataHash(collection: string, key: string): Promise<Uint8Array | undefined>;
  putPrivateData(collection: string, key: string, value: Uint8Array): void;
  deletePrivateData(collection: string, key: string): void;
  /** Deletes the key and, at commit, every copy of it (Fabric v2.5 PurgePrivateData). */
  purgePrivateData(collection: string, key: string): void;
  /** start inclusive, end exclusive; Fabric allows it only in a transaction that writes nothing, and records no reads. */
  getPrivateDataByRange(collection: string, startKey: string, endKey: string): Promise<KeyValue[]>;
  getPrivateDataMetadata(collection: string, key: string): Promise<Map<string, Uint8Array>>;
  putPrivateDataMetadata(collection: string, key: string, metakey: string, value: Uint8Array): void;
}
