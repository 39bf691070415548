/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The peer's commit pipeline, in Fabric's order: well-formed envelope and creator signature,
 * txid, duplicates, endorsement policy, then MVCC and phantom-read validation against committed
 * state plus the earlier valid transactions of the same block. Only valid transactions touch state
 * and history; every transaction gets its code in the TRANSACTIONS_FILTER metadata. Private data
 * is validated and written as hashes like public state; collection endorsement policies, member
 * copies and block-to-live are ../privdata/commit.ts's.
 */
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { computeTxId, decode, parseEnvelope, ParsedEnvelope, sha256 } from '../protoutil';
import { blockHeaderHash } from 'fabric-config/configtx';
import type { SignedData } from 'fabric-config/configtx';
import type { MspRegistry } from 'fabric-config/msp';
import { compareKeys, TOTAL_QUERY_LIMIT } from './simulator';
import type { HistoryRecord, LedgerStore, StateUpdate, Version } from './store';
import { TxCode } from './validationCodes';
import type { BlockPrivateData, PrivateDataCommitter } from '../privdata/commit';
import { hashedNamespaceSets, isPrivateDataNamespace, writtenCollections } from '../privdata/rwset';

const { kvrwset } = ledger.rwset;

/** The `_lifecycle` system chaincode's namespace, whose transactions follow their own endorsement rule. */
const LIFECYCLE_NAMESPACE = '_lifecycle';

export type { SignedData };

/** What the committer needs to know of a channel at the time of a block. */
export interface ChannelView {
  readonly id: string;
  readonly msps: MspRegistry;
  /** Whether the endorsements satisfy the chaincode's endorsement policy. */
  checkEndorsementPolicy(chaincode: string, endorsements: SignedData[]): { ok: true } | { ok: false; reason: string };
  isChaincodeDefined(chaincode: string): boolean;
  /** The rule of a `_lifecycle` transaction, which depends on the keys it writes; absent: none is valid. */
  checkLifecycleEndorsement?(writes: { publicWrites: boolean; collections: readonly string[] }, endorsements: SignedData[]): { ok: true } | { ok: false; reason: string };
}

export interface CommittedTx {
  txId: string;
  txNum: number;
  type: number;
  validationCode: number;
  chaincodeId: string;
  event?: peer.ChaincodeEvent;
}

export interface CommitResult {
  block: common.Block;
  txs: CommittedTx[];
  /** Config envelopes in the block (the channel applies them after the commit). */
  configEnvelopes: common.Envelope[];
}

interface PendingWrite {
  value: Buffer | undefined;
  version: Version;
  txId: string;
  timestamp: { seconds: number; nanos: number };
  metadata?: Map<string, Buffer>;
}

export class Committer {
  constructor(
    private readonly store: LedgerStore,
    /** Collections' endorsement rules, private copies and block-to-live; without it no transaction may write private data. */
    private readonly privateData?: PrivateDataCommitter,
  ) {}

  /** Validates the block's transactions, sets TRANSACTIONS_FILTER and commits atomically. */
  async commit(channel: ChannelView, block: common.Block): Promise<CommitResult> {
    const blockNum = block.getHeader()?.getNumber() ?? 0;
    const envelopes = block.getData()?.getDataList_asU8() ?? [];
    const filter = new Uint8Array(envelopes.length);
    const txs: CommittedTx[] = [];
    const configEnvelopes: common.Envelope[] = [];
    // namespace \0 key -> the write of an earlier valid tx in this block
    const blockWrites: BlockWrites = new Map();
    // Every valid write in order: two writes of one key in a block are both history, as in Fabric.
    const history: HistoryRecord[] = [];
    const seenTxIds = new Set<string>();
    const privateData = this.privateData?.beginBlock(channel.id, blockNum);

    for (let txNum = 0; txNum < envelopes.length; txNum++) {
      const tx = await this.validateTx(channel, envelopes[txNum], blockNum, txNum, blockWrites, seenTxIds, history, privateData);
      filter[txNum] = tx.validationCode;
      txs.push(tx.record);
      if (tx.config) configEnvelopes.push(tx.config);
    }

    const metadata = block.getMetadata() ?? new common.BlockMetadata();
    const slots = metadata.getMetadataList_asU8().slice();
    while (slots.length < 5) slots.push(new Uint8Array(0));
    slots[common.BlockMetadataIndex.TRANSACTIONS_FILTER] = filter;
    metadata.setMetadataList(slots);
    block.setMetadata(metadata);

    const updates: StateUpdate[] = [];
    for (const w of blockWrites.values()) {
      let metadataMap = w.metadata;
      if (w.value !== undefined && metadataMap === undefined) {
        // A value write keeps the key's committed metadata, as Fabric does.
        metadataMap = (await this.store.getState(channel.id, w.namespace, w.key))?.metadata;
      }
      updates.push({
        namespace: w.namespace,
        key: w.key,
        value: w.value,
        metadata: metadataMap,
        version: w.version,
      });
    }
    if (privateData) updates.push(...(await privateData.updates(updates)));
    await this.store.commitBlock({
      channel: channel.id,
      blockNum,
      blockBytes: block.serializeBinary(),
      blockHash: blockHeaderHash(block.getHeader() ?? new common.BlockHeader()),
      updates,
      history,
      txs: txs.map((t) => ({ txId: t.txId, txNum: t.txNum, validationCode: t.validationCode })),
    });
    return { block, txs, configEnvelopes };
  }

  private async validateTx(
    channel: ChannelView,
    envBytes: Uint8Array,
    blockNum: number,
    txNum: number,
    blockWrites: BlockWrites,
    seenTxIds: Set<string>,
    history: HistoryRecord[],
    privateData?: BlockPrivateData,
  ): Promise<{ validationCode: number; record: CommittedTx; config?: common.Envelope }> {
    const record: CommittedTx = { txId: '', txNum, type: -1, validationCode: TxCode.INVALID_OTHER_REASON, chaincodeId: '' };
    try {
      const { envelope, parsed } = parseTx(envBytes);
      record.txId = parsed.channelHeader.getTxId();
      record.type = parsed.channelHeader.getType();
      if (parsed.channelHeader.getChannelId() !== channel.id) throw new TxInvalid(TxCode.TARGET_CHAIN_NOT_FOUND);
      if (record.type === common.HeaderType.CONFIG) {
        // The orderer validated the config update before cutting this block.
        record.validationCode = TxCode.VALID;
        return { validationCode: TxCode.VALID, record, config: envelope };
      }
      if (record.type !== common.HeaderType.ENDORSER_TRANSACTION) throw new TxInvalid(TxCode.UNKNOWN_TX_TYPE);
      checkCreator(channel, envelope, parsed);
      if (seenTxIds.has(record.txId) || (await this.store.getTx(channel.id, record.txId))) throw new TxInvalid(TxCode.DUPLICATE_TXID);
      seenTxIds.add(record.txId);
      privateData?.seen(record.txId);

      const { action, endorsed } = decodeEndorsedAction(parsed);
      record.chaincodeId = action.getChaincodeId()?.getName() ?? '';
      checkEndorsements(channel, record.chaincodeId, endorsed, action, privateData);
      const nsSets = readWriteSets(action, record.chaincodeId);
      await this.checkReads(channel.id, nsSets, blockWrites);
      const ts = parsed.channelHeader.getTimestamp();
      const stamp = { version: { blockNum, txNum }, txId: record.txId, timestamp: { seconds: ts?.getSeconds() ?? 0, nanos: ts?.getNanos() ?? 0 } };
      await this.stageWrites(channel.id, nsSets, blockWrites, stamp, history);
      if (nsSets.some((n) => isPrivateDataNamespace(n.namespace))) privateData?.validTx(txNum, record.txId, record.chaincodeId, action.getResults_asU8());
      record.event = chaincodeEventOf(action);
      record.validationCode = TxCode.VALID;
      return { validationCode: TxCode.VALID, record };
    } catch (err) {
      if (!(err instanceof TxInvalid)) throw err;
      record.validationCode = err.code;
      return { validationCode: err.code, record };
    }
  }

  /** MVCC: no read of a key written earlier in this block, every read at its committed version, no phantoms. */
  private async checkReads(channelId: string, nsSets: NsSet[], blockWrites: BlockWrites): Promise<void> {
    for (const { namespace, kv } of nsSets) {
      for (const read of kv.getReadsList()) {
        if (blockWrites.has(stateId(namespace, read.getKey()))) throw new TxInvalid(TxCode.MVCC_READ_CONFLICT);
        const committed = await this.store.getState(channelId, namespace, read.getKey());
        if (!sameVersion(committed?.version, read.getVersion())) throw new TxInvalid(TxCode.MVCC_READ_CONFLICT);
      }
      for (const rq of kv.getRangeQueriesInfoList()) {
        if (!(await this.rangeStillValid(channelId, namespace, rq, blockWrites))) throw new TxInvalid(TxCode.PHANTOM_READ_CONFLICT);
      }
    }
  }

  /** Records a valid transaction's writes, so later transactions of the block see them. */
  private async stageWrites(
    channelId: string,
    nsSets: NsSet[],
    blockWrites: BlockWrites,
    stamp: Pick<PendingWrite, 'version' | 'txId' | 'timestamp'>,
    history: HistoryRecord[],
  ): Promise<void> {
    for (const { namespace, kv } of nsSets) {
      for (const w of kv.getWritesList()) {
        const id = stateId(namespace, w.getKey());
        const value = w.getIsDelete() ? undefined : Buffer.from(w.getValue_asU8());
        // A value write keeps metadata an earlier transaction of this block wrote (a delete drops it).
        const metadata = value === undefined ? undefined : blockWrites.get(id)?.metadata;
        blockWrites.set(id, { ...stamp, namespace, key: w.getKey(), value, metadata });
        // Fabric keeps no history of private data, nor of its hashes.
        if (isPrivateDataNamespace(namespace)) continue;
        history.push({
          namespace,
          key: w.getKey(),
          version: stamp.version,
          entry: { txId: stamp.txId, value: value ?? Buffer.alloc(0), isDelete: value === undefined, timestamp: stamp.timestamp },
        });
      }
      for (const mw of kv.getMetadataWritesList()) {
        const id = stateId(namespace, mw.getKey());
        const existing = blockWrites.get(id);
        const value = existing ? existing.value : (await this.store.getState(channelId, namespace, mw.getKey()))?.value;
        if (value === undefined) continue; // metadata of a missing key is dropped, as in Fabric
        const metadata = new Map(mw.getEntriesList().map((e) => [e.getName(), Buffer.from(e.getValue_asU8())]));
        blockWrites.set(id, { ...stamp, namespace, key: mw.getKey(), value, metadata });
      }
    }
  }

  /** Re-executes a range query over committed state plus this block's earlier writes. */
  private async rangeStillValid(
    channelId: string,
    namespace: string,
    rq: ledger.rwset.kvrwset.RangeQueryInfo,
    blockWrites: BlockWrites,
  ): Promise<boolean> {
    const start = rq.getStartKey();
    const end = rq.getEndKey();
    const exhausted = rq.getItrExhausted();
    const inRange = (key: string): boolean =>
      compareKeys(key, start) >= 0 && (end === '' || (exhausted ? compareKeys(key, end) < 0 : compareKeys(key, end) <= 0));
    // Not exhausted means the end key was read and is inclusive; end + NUL is the next key in byte order.
    const scanEnd = end === '' || exhausted ? end : `${end}\u0000`;
    const committed = await this.store.rangeState(channelId, namespace, start, scanEnd, TOTAL_QUERY_LIMIT + 1);
    const current = new Map<string, Version | undefined>(committed.map((row) => [row.key, row.value.version]));
    for (const w of blockWrites.values()) {
      if (w.namespace !== namespace || !inRange(w.key)) continue;
      if (w.value === undefined) current.delete(w.key);
      else current.set(w.key, w.version);
    }
    const reads = rq.getRawReads()?.getKvReadsList() ?? [];
    const keysNow = [...current.keys()].sort(compareKeys);
    if (keysNow.length !== reads.length) return false;
    return reads.every((r, i) => r.getKey() === keysNow[i] && sameVersion(current.get(keysNow[i]), r.getVersion()));
  }
}

/** A transaction found invalid, with its Fabric validation code. */
class TxInvalid extends Error {
  constructor(readonly code: number) {
    super(`invalid transaction: code ${code}`);
  }
}

type BlockWrites = Map<string, PendingWrite & { namespace: string; key: string }>;
type NsSet = { namespace: string; kv: ledger.rwset.kvrwset.KVRWSet };

function parseTx(envBytes: Uint8Array): { envelope: common.Envelope; parsed: ParsedEnvelope } {
  try {
    const envelope = common.Envelope.deserializeBinary(envBytes);
    return { envelope, parsed: parseEnvelope(envelope) };
  } catch {
    throw new TxInvalid(TxCode.BAD_PAYLOAD);
  }
}

/** The creator's identity and signature over the payload, and txid = sha256(nonce || creator). */
function checkCreator(channel: ChannelView, envelope: common.Envelope, parsed: ParsedEnvelope): void {
  const creator = parsed.signatureHeader.getCreator_asU8();
  let valid: boolean;
  try {
    valid = channel.msps.verify(channel.msps.deserialize(creator), envelope.getPayload_asU8(), envelope.getSignature_asU8());
  } catch {
    valid = false;
  }
  if (!valid) throw new TxInvalid(TxCode.BAD_CREATOR_SIGNATURE);
  if (computeTxId(parsed.signatureHeader.getNonce_asU8(), creator) !== parsed.channelHeader.getTxId()) {
    throw new TxInvalid(TxCode.BAD_PROPOSAL_TXID);
  }
}

/** The one endorsed action, checked against the proposal it answers. */
function decodeEndorsedAction(parsed: ParsedEnvelope): { action: peer.ChaincodeAction; endorsed: peer.ChaincodeEndorsedAction } {
  let transaction: peer.Transaction;
  try {
    transaction = decode(() => peer.Transaction.deserializeBinary(parsed.payload.getData_asU8()), 'transaction');
  } catch {
    throw new TxInvalid(TxCode.BAD_PAYLOAD);
  }
  const actions = transaction.getActionsList();
  if (actions.length !== 1) throw new TxInvalid(TxCode.NIL_TXACTION);
  try {
    const cap = decode(() => peer.ChaincodeActionPayload.deserializeBinary(actions[0].getPayload_asU8()), 'action payload');
    const endorsed = cap.getAction();
    if (!endorsed) throw new TxInvalid(TxCode.NIL_TXACTION);
    const prp = decode(() => peer.ProposalResponsePayload.deserializeBinary(endorsed.getProposalResponsePayload_asU8()), 'proposal response payload');
    const expectedHash = sha256(parsed.header.getChannelHeader_asU8(), actions[0].getHeader_asU8(), cap.getChaincodeProposalPayload_asU8());
    if (!expectedHash.equals(Buffer.from(prp.getProposalHash_asU8()))) throw new TxInvalid(TxCode.BAD_RESPONSE_PAYLOAD);
    const action = decode(() => peer.ChaincodeAction.deserializeBinary(prp.getExtension_asU8()), 'chaincode action');
    return { action, endorsed };
  } catch (err) {
    if (err instanceof TxInvalid) throw err;
    throw new TxInvalid(TxCode.BAD_PAYLOAD);
  }
}

/** Each endorsement is the endorser's signature over prp || endorser, checked against the chaincode's policy. */
function checkEndorsements(
  channel: ChannelView,
  chaincodeId: string,
  endorsed: peer.ChaincodeEndorsedAction,
  action: peer.ChaincodeAction,
  privateData?: BlockPrivateData,
): void {
  if (!channel.isChaincodeDefined(chaincodeId)) throw new TxInvalid(TxCode.INVALID_CHAINCODE);
  const prpBytes = endorsed.getProposalResponsePayload_asU8();
  const endorsements: SignedData[] = endorsed.getEndorsementsList().map((e) => ({
    identity: e.getEndorser_asU8(),
    data: Buffer.concat([prpBytes, e.getEndorser_asU8()]),
    signature: e.getSignature_asU8(),
  }));
  if (chaincodeId === LIFECYCLE_NAMESPACE) {
    const verdict = channel.checkLifecycleEndorsement?.(lifecycleWrites(action), endorsements);
    if (!verdict?.ok) throw new TxInvalid(TxCode.ENDORSEMENT_POLICY_FAILURE);
    return;
  }
  // A write to a collection with its own endorsement policy needs that policy instead of the chaincode's.
  const privateVerdict = privateData?.checkEndorsement(chaincodeId, action, endorsements);
  if (privateVerdict) {
    if (!privateVerdict.ok) throw new TxInvalid(TxCode.ENDORSEMENT_POLICY_FAILURE);
    return;
  }
  if (!channel.checkEndorsementPolicy(chaincodeId, endorsements).ok) throw new TxInvalid(TxCode.ENDORSEMENT_POLICY_FAILURE);
}

/** Whether a `_lifecycle` transaction writes public state, and which collections it writes. */
function lifecycleWrites(action: peer.ChaincodeAction): { publicWrites: boolean; collections: string[] } {
  let publicWrites = false;
  const collections: string[] = [];
  try {
    for (const ns of ledger.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8()).getNsRwsetList()) {
      if (ns.getNamespace() !== LIFECYCLE_NAMESPACE) continue;
      const kv = kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
      publicWrites ||= kv.getWritesList().length > 0 || kv.getMetadataWritesList().length > 0;
      collections.push(...writtenCollections(ns));
    }
  } catch {
    throw new TxInvalid(TxCode.BAD_RWSET);
  }
  return { publicWrites, collections };
}

/** The namespaces' read/write sets; only the invoked chaincode may write (no chaincode-to-chaincode calls). */
function readWriteSets(action: peer.ChaincodeAction, chaincodeId: string): NsSet[] {
  let rwset: ledger.rwset.TxReadWriteSet;
  try {
    rwset = ledger.rwset.TxReadWriteSet.deserializeBinary(action.getResults_asU8());
  } catch {
    throw new TxInvalid(TxCode.BAD_RWSET);
  }
  return rwset.getNsRwsetList().map((ns) => {
    let kv: ledger.rwset.kvrwset.KVRWSet;
    try {
      kv = kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
    } catch {
      throw new TxInvalid(TxCode.BAD_RWSET);
    }
    if (ns.getNamespace() !== chaincodeId && (kv.getWritesList().length > 0 || kv.getMetadataWritesList().length > 0)) {
      throw new TxInvalid(TxCode.ILLEGAL_WRITESET);
    }
    // Private reads and writes are validated and applied as hashes, each collection's in its own namespace.
    let hashed: NsSet[] = [];
    if (ns.getCollectionHashedRwsetList().length > 0) {
      if (ns.getNamespace() !== chaincodeId) throw new TxInvalid(TxCode.ILLEGAL_WRITESET);
      try {
        hashed = hashedNamespaceSets(ns);
      } catch {
        throw new TxInvalid(TxCode.BAD_RWSET);
      }
    }
    return [{ namespace: ns.getNamespace(), kv }, ...hashed];
  }).flat();
}

function chaincodeEventOf(action: peer.ChaincodeAction): peer.ChaincodeEvent | undefined {
  const events = action.getEvents_asU8();
  if (events.length === 0) return undefined;
  const event = peer.ChaincodeEvent.deserializeBinary(events);
  return event.getEventName() === '' ? undefined : event;
}

function stateId(namespace: string, key: string): string {
  return `${namespace}\u0000${key}`;
}

function sameVersion(committed: Version | undefined, read: ledger.rwset.kvrwset.Version | undefined): boolean {
  if (!committed || !read) return !committed && !read;
  return committed.blockNum === read.getBlockNum() && committed.txNum === read.getTxNum();
}
