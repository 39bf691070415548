/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Each endorsing peer's transient store (Fabric core/transientstore): the private write set a
 * simulation produced, kept by channel and txid until the transaction commits (or is invalid)
 * or, if it never commits, until the channel has grown by `maxBlockRetention` blocks (Fabric's
 * peer.gossip.pvtData.transientstoreMaxBlockRetention). Kept in memory: a devnet restart loses
 * the private data of transactions endorsed but not yet committed, as a Fabric peer without
 * reconciliation would miss it.
 */
import { ledger } from '@hyperledger/fabric-protos';

/** Fabric's default transientstoreMaxBlockRetention. */
export const MAX_BLOCK_RETENTION = 1000;

interface Entry {
  /** The channel height when the first copy was stored. */
  height: number;
  /** Serialized TxPvtReadWriteSet per endorsing peer's organisation. */
  copies: Map<string, Uint8Array>;
}

export class TransientStore {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly maxBlockRetention = MAX_BLOCK_RETENTION) {}

  /** Stores one peer's private write set for a transaction it endorsed. */
  put(channel: string, txId: string, peerOrg: string, pvt: ledger.rwset.TxPvtReadWriteSet, height: number): void {
    const key = entryKey(channel, txId);
    const entry = this.entries.get(key) ?? { height, copies: new Map<string, Uint8Array>() };
    entry.copies.set(peerOrg, pvt.serializeBinary());
    this.entries.set(key, entry);
  }

  /** Every peer's copy for the transaction (the committer takes the first whose hashes match). */
  get(channel: string, txId: string): ledger.rwset.TxPvtReadWriteSet[] {
    const entry = this.entries.get(entryKey(channel, txId));
    if (!entry) return [];
    return [...entry.copies.values()].map((bytes) => ledger.rwset.TxPvtReadWriteSet.deserializeBinary(bytes));
  }

  /** Drops the block's transactions and every entry older than the retention, once block `blockNum` commits. */
  purge(channel: string, txIds: Iterable<string>, blockNum: number): void {
    for (const txId of txIds) this.entries.delete(entryKey(channel, txId));
    const prefix = `${channel}\u0000`;
    for (const [key, entry] of this.entries) {
      if (key.startsWith(prefix) && entry.height + this.maxBlockRetention <= blockNum) this.entries.delete(key);
    }
  }

  get size(): number {
    return this.entries.size;
  }
}

function entryKey(channel: string, txId: string): string {
  return `${channel}\u0000${txId}`;
}
