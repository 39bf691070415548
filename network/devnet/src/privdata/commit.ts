/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The private data side of committing a block (Fabric's pvtdata coordinator and pvtstatepurgemgmt,
 * in one process): the collection-level endorsement rule of each transaction; for each valid one,
 * the private write set taken from an endorsing peer's transient store (what gossip would have
 * disseminated), checked against the hashes in the block and written to each member
 * organisation's copy; block-to-live expiry of hashed and private state; and the transient
 * store's clean-up. The hashed state itself is written by the committer with the public state
 * (./rwset.ts hashedNamespaceSets).
 */
import { ledger } from '@hyperledger/fabric-protos';
import type { PolicyResult, SignedData } from 'fabric-config/configtx';
import type { Channel } from '../channel';
import type { LedgerStore, StateUpdate, Version } from '../ledger/store';
import type { CollectionRegistry } from './registry';
import { hashedNamespace, keyHashHex, privateNamespace, sha256 } from './rwset';
import type { TransientStore } from './transientStore';

const { kvrwset } = ledger.rwset;

/** The namespace of the block-to-live schedule: `$` cannot start a chaincode name. */
export const EXPIRY_NAMESPACE = '$$btl';

interface ExpiryEntry {
  ns: string;
  coll: string;
  /** The private key, base64 (keys may hold any bytes). */
  key: string;
  orgs: string[];
  version: Version;
}

export class PrivateDataCommitter {
  constructor(
    private readonly store: LedgerStore,
    private readonly registry: CollectionRegistry,
    readonly transient: TransientStore,
    private readonly channels: ReadonlyMap<string, Channel>,
  ) {}

  /** The private data work of one block of a channel. */
  beginBlock(channelId: string, blockNum: number): BlockPrivateData {
    return new BlockPrivateData(this.store, this.registry, this.transient, this.channels.get(channelId), channelId, blockNum);
  }
}

export class BlockPrivateData {
  private readonly txIds: string[] = [];
  private readonly valid: { txNum: number; txId: string; chaincode: string; rwset: ledger.rwset.TxReadWriteSet }[] = [];

  constructor(
    private readonly store: LedgerStore,
    private readonly registry: CollectionRegistry,
    private readonly transient: TransientStore,
    private readonly channel: Channel | undefined,
    private readonly channelId: string,
    private readonly blockNum: number,
  ) {}

  /**
   * The endorsement check of a transaction that writes private data.
   * @returns undefined when it writes no collection (the chaincode's policy alone decides), else the verdict.
   */
  checkEndorsement(chaincode: string, action: { getResults_asU8(): Uint8Array }, endorsements: SignedData[]): PolicyResult | undefined {
    if (!this.channel) return undefined;
    let rwset: ledger.rwset.TxReadWriteSet;
    let rule: ReturnType<CollectionRegistry['endorsementRule']>;
    try {
      rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8());
      rule = this.registry.endorsementRule(this.channel, chaincode, rwset);
    } catch {
      return undefined; // the committer finds the read/write set bad itself
    }
    if (!rule) return undefined;
    const collections = this.registry.collectionsOf(this.channel, chaincode);
    const ns = rwset.getNsRwsetList().find((n) => n.getNamespace() === chaincode);
    for (const coll of ns?.getCollectionHashedRwsetList() ?? []) {
      if (!collections.get(coll.getCollectionName())) {
        return { ok: false, reason: `collection [${coll.getCollectionName()}] not defined in the collection config for chaincode [${chaincode}]` };
      }
    }
    return this.registry.checkEndorsements(this.channel, chaincode, rule, endorsements);
  }

  /** Every transaction of the block, whatever its code: its transient data goes once the block commits. */
  seen(txId: string): void {
    if (txId !== '') this.txIds.push(txId);
  }

  /** A valid transaction, whose private writes reach the member organisations' copies. */
  validTx(txNum: number, txId: string, chaincode: string, results: Uint8Array): void {
    try {
      this.valid.push({ txNum, txId, chaincode, rwset: ledger.rwset.TxReadWriteSet.deserializeBinary(results) });
    } catch {
      // A read/write set that does not decode made the transaction invalid already.
    }
  }

  /**
   * The block's private state changes, to commit atomically with it: private copies of valid
   * writes, block-to-live schedule entries, and the expiries due at this block. Keys that
   * `publicUpdates` (the committer's, including hashed state) writes are not expired.
   */
  async updates(publicUpdates: readonly StateUpdate[]): Promise<StateUpdate[]> {
    const pending = new Map<string, StateUpdate>();
    const put = (u: StateUpdate): void => { pending.set(`${u.namespace}\u0000${u.key}`, u); };
    const current = async (namespace: string, key: string): Promise<Buffer | undefined> => {
      const id = `${namespace}\u0000${key}`;
      if (pending.has(id)) return pending.get(id)?.value;
      return (await this.store.getState(this.channelId, namespace, key))?.value;
    };
    if (this.channel) {
      for (const tx of this.valid) await this.applyTx(this.channel, tx, put, current);
    }
    const written = new Set(publicUpdates.map((u) => `${u.namespace}\u0000${u.key}`));
    await this.expire(put, written);
    this.transient.purge(this.channelId, this.txIds, this.blockNum);
    return [...pending.values()];
  }

  private async applyTx(
    channel: Channel,
    tx: BlockPrivateData['valid'][number],
    put: (u: StateUpdate) => void,
    current: (namespace: string, key: string) => Promise<Buffer | undefined>,
  ): Promise<void> {
    const ns = tx.rwset.getNsRwsetList().find((n) => n.getNamespace() === tx.chaincode);
    const hashedColls = ns?.getCollectionHashedRwsetList() ?? [];
    if (hashedColls.length === 0) return;
    const collections = this.registry.collectionsOf(channel, tx.chaincode);
    const copies = this.transient.get(this.channelId, tx.txId);
    const version: Version = { blockNum: this.blockNum, txNum: tx.txNum };
    for (const hashed of hashedColls) {
      const expected = Buffer.from(hashed.getPvtRwsetHash_asU8());
      if (expected.length === 0) continue; // reads only
      const collection = collections.get(hashed.getCollectionName());
      if (!collection) continue;
      // The first peer's copy whose hash is the block's; none means the data is missing, as on a Fabric peer that could not pull it.
      const pvt = findCollection(copies, tx.chaincode, collection.name, expected);
      if (!pvt) continue;
      const kv = kvrwset.KVRWSet.deserializeBinary(pvt);
      for (const w of kv.getWritesList()) {
        const value = w.getIsDelete() ? undefined : Buffer.from(w.getValue_asU8());
        for (const org of collection.memberOrgs) {
          put({ namespace: privateNamespace(tx.chaincode, collection.name, org), key: w.getKey(), value, version });
        }
        if (value !== undefined && collection.blockToLive > 0) {
          const expiry = this.blockNum + collection.blockToLive + 1;
          const entry: ExpiryEntry = { ns: tx.chaincode, coll: collection.name, key: Buffer.from(w.getKey(), 'utf8').toString('base64'), orgs: [...collection.memberOrgs], version };
          put({ namespace: EXPIRY_NAMESPACE, key: expiryKey(expiry, tx.chaincode, collection.name, w.getKey()), value: Buffer.from(JSON.stringify(entry), 'utf8'), version });
        }
      }
      // A metadata write gives the key's hash a new version: each copy follows, so that it still matches.
      const written = new Set(kv.getWritesList().map((w) => w.getKey()));
      for (const m of kv.getMetadataWritesList()) {
        if (written.has(m.getKey())) continue;
        for (const org of collection.memberOrgs) {
          const namespace = privateNamespace(tx.chaincode, collection.name, org);
          const value = await current(namespace, m.getKey());
          if (value !== undefined) put({ namespace, key: m.getKey(), value, version });
        }
      }
    }
  }

  /** Fabric purges an expired key only if no later write replaced it (its hashed version is still the scheduled one). */
  private async expire(put: (u: StateUpdate) => void, written: ReadonlySet<string>): Promise<void> {
    const due = await this.store.rangeState(this.channelId, EXPIRY_NAMESPACE, '', expiryBound(this.blockNum + 1));
    for (const row of due) {
      const entry = JSON.parse(row.value.value.toString('utf8')) as ExpiryEntry;
      const key = Buffer.from(entry.key, 'base64').toString('utf8');
      const hashedNs = hashedNamespace(entry.ns, entry.coll);
      const hashedKey = keyHashHex(key);
      put({ namespace: EXPIRY_NAMESPACE, key: row.key, value: undefined, version: row.value.version });
      if (written.has(`${hashedNs}\u0000${hashedKey}`)) continue;
      const current = await this.store.getState(this.channelId, hashedNs, hashedKey);
      if (!current || current.version.blockNum !== entry.version.blockNum || current.version.txNum !== entry.version.txNum) continue;
      put({ namespace: hashedNs, key: hashedKey, value: undefined, version: entry.version });
      for (const org of entry.orgs) put({ namespace: privateNamespace(entry.ns, entry.coll, org), key, value: undefined, version: entry.version });
    }
  }
}

function findCollection(copies: readonly ledger.rwset.TxPvtReadWriteSet[], namespace: string, collection: string, expected: Buffer): Uint8Array | undefined {
  for (const copy of copies) {
    for (const ns of copy.getNsPvtRwsetList()) {
      if (ns.getNamespace() !== namespace) continue;
      for (const coll of ns.getCollectionPvtRwsetList()) {
        if (coll.getCollectionName() === collection && sha256(coll.getRwset_asU8()).equals(expected)) return coll.getRwset_asU8();
      }
    }
  }
  return undefined;
}

/** Fixed-width hex block number first, so that the schedule sorts by expiry block. */
function expiryKey(block: number, ns: string, coll: string, key: string): string {
  return `${expiryBound(block)}\u0000${ns}\u0000${coll}\u0000${keyHashHex(key)}`;
}

function expiryBound(block: number): string {
  return block.toString(16).padStart(16, '0');
}
