/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The management chaincode's world state, rebuilt from the management channel's blocks as an
 * orderer delivers them, for an organisation that has no peer on that channel and is not a
 * member of its Application group (an ordering-service organisation running `mgmt signer`):
 * Fabric lets such an organisation read the channel from the orderer (/Channel/Readers), but
 * no peer will answer it (peer/Propose and event/Block are /Channel/Application/* policies).
 *
 * It does what a committing peer does for one namespace: each endorser transaction's read set
 * is checked against the versions committed before it (MVCC and phantom reads, as Fabric's
 * validator), a valid transaction's writes are applied at version (block, tx) and its chaincode
 * event is published; transactions repeated by ID are ignored. Endorsement policies are not
 * evaluated: nothing the signer does rests on them, because every CB it acts on is verified
 * against its members' 2f+1 signed votes (the observer), and every admin signature it counts is
 * verified by the channel's policy check before an update is submitted.
 *
 * Queries are answered by the management contract's own query functions (GetBlock, GetLatest,
 * GetUpdateSignatures, ...) over this state, so the answers have the chaincode's shape exactly.
 */
import './quietContractLogs';
import type { ChaincodeEvent, ChaincodeEventsOptions, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import { common, ledger, peer } from '@hyperledger/fabric-protos';
import { Context } from 'fabric-contract-api';
import type { ChaincodeStub, Iterators } from 'fabric-shim-api';
import { writeUpdateSignature } from 'mgmt-chaincode/dist/contract/storage';
import { MgmtContract } from 'mgmt-chaincode/dist/mgmtContract';
import type { ConfigBlock, Member, UpdateSignature } from 'mgmt-chaincode/dist/protocol';
import { EVENTS, assertUpdateSignature, parseConfigUpdate, toIsoMillis, updateSha256 } from 'mgmt-chaincode/dist/protocol';
import type { MgmtContractCalls, MgmtNetwork } from '../mgmtClient/client';
import type { PrimaryChannelEvents } from '../primary/fabricAdapter';

interface Version {
  readonly block: number;
  readonly tx: number;
}

interface Entry {
  readonly value: Buffer;
  readonly version: Version;
}

interface TransactionAction {
  readonly txId: string;
  readonly rwset: ledger.rwset.kvrwset.KVRWSet | undefined;
  readonly event: peer.ChaincodeEvent | undefined;
}

const utf8 = new TextEncoder();
/** fabric-shim's end of a partial composite key range (the largest Unicode code point). */
const MAX_UNICODE_RUNE = '\u{10FFFF}';
const COMPOSITE_NS = '\u0000';

const compareKeys = (a: string, b: string): number => Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

function sameVersion(read: ledger.rwset.kvrwset.Version | undefined, entry: Entry | undefined): boolean {
  if (read === undefined) return entry === undefined;
  return entry !== undefined && entry.version.block === read.getBlockNum() && entry.version.tx === read.getTxNum();
}

/** The endorser transaction's ID, and the chaincode action of `chaincode` (read-write set and event), if it has one. */
function transactionAction(envelopeBytes: Uint8Array, chaincode: string): TransactionAction | undefined {
  try {
    const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(envelopeBytes).getPayload_asU8());
    const header = common.ChannelHeader.deserializeBinary(payload.getHeader()?.getChannelHeader_asU8() ?? new Uint8Array(0));
    if (header.getType() !== common.HeaderType.ENDORSER_TRANSACTION) return undefined;
    let rwset: ledger.rwset.kvrwset.KVRWSet | undefined;
    let event: peer.ChaincodeEvent | undefined;
    for (const action of peer.Transaction.deserializeBinary(payload.getData_asU8()).getActionsList()) {
      const responsePayload = peer.ChaincodeActionPayload.deserializeBinary(action.getPayload_asU8()).getAction()?.getProposalResponsePayload_asU8();
      if (responsePayload === undefined) continue;
      const chaincodeAction = peer.ChaincodeAction.deserializeBinary(peer.ProposalResponsePayload.deserializeBinary(responsePayload).getExtension_asU8());
      for (const ns of ledger.rwset.TxReadWriteSet.deserializeBinary(chaincodeAction.getResults_asU8()).getNsRwsetList()) {
        if (ns.getNamespace() === chaincode) rwset = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(ns.getRwset_asU8());
      }
      const eventBytes = chaincodeAction.getEvents_asU8();
      if (eventBytes.length > 0) {
        const decoded = peer.ChaincodeEvent.deserializeBinary(eventBytes);
        if (decoded.getChaincodeId() === chaincode && decoded.getEventName() !== '') event = decoded;
      }
    }
    return { txId: header.getTxId(), rwset, event };
  } catch {
    // A transaction this reader cannot decode is one no peer would have validated either.
    return undefined;
  }
}

/** Options of {@link ManagementReplica}. */
export interface ManagementReplicaOptions {
  /** The management chaincode's name (the read-write set namespace). */
  readonly chaincodeName: string;
  /** The organisation whose own update signatures are kept locally (it cannot write to the channel). */
  readonly self: Member;
  /** Epoch milliseconds, `Date.now` by default. */
  readonly clock?: () => number;
}

type Listener = () => void;

/** Blocks kept for block-event followers (the Fabric adapter follows only new ones). */
const MAX_RETAINED_BLOCKS = 1024;
/** Chaincode events kept for event followers (an observer further behind fetches CBs by query). */
const MAX_RETAINED_EVENTS = 8192;

/** The newest `capacity` items of a sequence, addressed by their absolute position in it. */
class Window<T> {
  private items: T[] = [];
  /** Absolute position of the oldest item retained. */
  start = 0;

  constructor(private readonly capacity: number) {}

  /** Absolute position after the newest item: how many were ever pushed. */
  get end(): number {
    return this.start + this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity * 2) {
      // Dropped in batches, so that a push stays O(1) amortised.
      const drop = this.items.length - this.capacity;
      this.items = this.items.slice(drop);
      this.start += drop;
    }
  }

  /** The item at an absolute position, undefined when it is not retained. */
  at(position: number): T | undefined {
    return position >= this.start ? this.items[position - this.start] : undefined;
  }
}


/**
 * The management chaincode's state and events, rebuilt from delivered blocks. Feed it every block
 * of the channel in order with {@link ManagementReplica.apply}; read it through
 * {@link ManagementReplica.network}, which fits where a gateway `Network` of the management
 * channel is expected (observer, Fabric adapter).
 */
export class ManagementReplica {
  private readonly options: Readonly<ManagementReplicaOptions>;
  private readonly state = new Map<string, Entry>();
  /** This organisation's own update signatures: shared with nobody, counted by its own submissions. */
  private readonly local = new Map<string, Buffer>();
  private readonly txIds = new Set<string>();
  /** The newest events and blocks, a window: a follower that falls further behind reads the chain's state instead. */
  private readonly events = new Window<ChaincodeEvent>(MAX_RETAINED_EVENTS);
  private readonly blocks = new Window<common.Block>(MAX_RETAINED_BLOCKS);
  private readonly listeners = new Set<Listener>();
  private readonly contract = new MgmtContract();

  constructor(options: Readonly<ManagementReplicaOptions>) {
    this.options = options;
  }

  /** Height of the newest CB the channel holds (the chaincode's `latest` key), -1 before genesis. */
  latestCbHeight(): number {
    const latest = this.state.get('latest');
    if (latest === undefined) return -1;
    try {
      const { height } = JSON.parse(latest.value.toString('utf8')) as { height?: unknown };
      return typeof height === 'number' ? height : -1;
    } catch {
      return -1;
    }
  }

  /** Resolves once `height` blocks are applied; rejects after `timeoutMs`. */
  waitForHeight(height: number, timeoutMs: number): Promise<void> {
    if (this.blocks.end >= height) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const listener: Listener = () => {
        if (this.blocks.end < height) return;
        clearTimeout(timer);
        this.listeners.delete(listener);
        resolve();
      };
      const timer = setTimeout(() => {
        this.listeners.delete(listener);
        reject(new Error(`the management channel's blocks reached ${this.blocks.end} of ${height} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.listeners.add(listener);
    });
  }

  /** Number of blocks applied: the next block expected. */
  get height(): number {
    return this.blocks.end;
  }

  /**
   * Applies the next block of the channel.
   * @throws Error when the block is not the next one (a gap or a repeat would corrupt the state).
   */
  apply(block: common.Block): void {
    const number = block.getHeader()?.getNumber() ?? -1;
    if (number !== this.blocks.end) throw new Error(`block ${number} delivered where block ${this.blocks.end} was expected`);
    (block.getData()?.getDataList_asU8() ?? []).forEach((bytes, tx) => {
      const action = transactionAction(bytes, this.options.chaincodeName);
      if (action === undefined || this.txIds.has(action.txId)) return;
      this.txIds.add(action.txId);
      if (action.rwset !== undefined && !this.valid(action.rwset)) return;
      for (const write of action.rwset?.getWritesList() ?? []) {
        if (write.getIsDelete()) this.state.delete(write.getKey());
        else this.state.set(write.getKey(), { value: Buffer.from(write.getValue_asU8()), version: { block: number, tx } });
      }
      if (action.event !== undefined) {
        this.events.push({
          blockNumber: BigInt(number),
          transactionId: action.txId,
          chaincodeName: this.options.chaincodeName,
          eventName: action.event.getEventName(),
          payload: action.event.getPayload_asU8(),
        });
      }
    });
    this.blocks.push(block);
    for (const listener of this.listeners) listener();
  }

  /** Fabric's MVCC and phantom-read checks against the state committed before the transaction. */
  private valid(rwset: ledger.rwset.kvrwset.KVRWSet): boolean {
    for (const read of rwset.getReadsList()) {
      if (!sameVersion(read.getVersion(), this.state.get(read.getKey()))) return false;
    }
    for (const range of rwset.getRangeQueriesInfoList()) {
      // Merkle summaries are only used for ranges of thousands of keys, which this chaincode never reads.
      if (range.hasReadsMerkleHashes()) continue;
      // As Fabric's validator: a range that records neither summary nor raw reads read nothing.
      const raw = range.getRawReads()?.getKvReadsList() ?? [];
      // An unexhausted range's end key is the last key the chaincode read, so it is compared too.
      const seen = this.range(range.getStartKey(), range.getEndKey(), !range.getItrExhausted());
      if (seen.length !== raw.length) return false;
      for (let i = 0; i < raw.length; i++) {
        if (seen[i][0] !== raw[i].getKey() || !sameVersion(raw[i].getVersion(), seen[i][1])) return false;
      }
    }
    return true;
  }

  private range(start: string, end: string, includeEnd: boolean): [string, Entry][] {
    return [...this.state.entries()]
      .filter(([key]) => compareKeys(key, start) >= 0 && (end === '' || (includeEnd ? compareKeys(key, end) <= 0 : compareKeys(key, end) < 0)))
      .sort(([a], [b]) => compareKeys(a, b));
  }

  /** A read-only stub over the state (plus this organisation's own signatures) for the contract's queries. */
  private stub(writes?: Map<string, Buffer>): ChaincodeStub {
    const read = (key: string): Buffer | undefined => this.local.get(key) ?? this.state.get(key)?.value;
    const iterate = (start: string, end: string): Iterators.StateQueryIterator => {
      const keys = [...new Set([...this.state.keys(), ...this.local.keys()])]
        .filter((key) => compareKeys(key, start) >= 0 && (end === '' || compareKeys(key, end) < 0))
        .sort(compareKeys);
      let i = 0;
      const iterator = {
        next: (): Promise<Iterators.NextResult<Iterators.KV>> => {
          if (i >= keys.length) return Promise.resolve({ done: true, value: { namespace: this.options.chaincodeName, key: '', value: Buffer.alloc(0) } });
          const key = keys[i++];
          return Promise.resolve({ done: false, value: { namespace: this.options.chaincodeName, key, value: read(key) ?? Buffer.alloc(0) } });
        },
        close: (): Promise<void> => Promise.resolve(),
      };
      return iterator;
    };
    const createCompositeKey = (type: string, attributes: string[]): string => `${COMPOSITE_NS}${type}${COMPOSITE_NS}${attributes.map((a) => `${a}${COMPOSITE_NS}`).join('')}`;
    const stub = {
      getState: (key: string): Promise<Uint8Array> => Promise.resolve(read(key) ?? Buffer.alloc(0)),
      putState: (key: string, value: Uint8Array): Promise<void> => {
        if (writes === undefined) return Promise.reject(new Error('the replica is read-only'));
        writes.set(key, Buffer.from(value));
        return Promise.resolve();
      },
      getStateByRange: (start: string, end: string): Promise<Iterators.StateQueryIterator> => Promise.resolve(iterate(start, end)),
      createCompositeKey,
      getStateByPartialCompositeKey: (type: string, attributes: string[]): Promise<Iterators.StateQueryIterator> => {
        const start = createCompositeKey(type, attributes);
        return Promise.resolve(iterate(start, `${start}${MAX_UNICODE_RUNE}`));
      },
      getTxTimestamp: () => {
        const ms = (this.options.clock ?? Date.now)();
        return { seconds: { low: Math.floor(ms / 1000), high: 0, unsigned: false, toNumber: () => Math.floor(ms / 1000) }, nanos: (ms % 1000) * 1e6 };
      },
      getTxID: (): string => '',
    };
    // The contract's queries use only the calls above; a full ChaincodeStub is a peer's.
    return stub as unknown as ChaincodeStub;
  }

  private context(writes?: Map<string, Buffer>): Context {
    const ctx = new Context();
    ctx.stub = this.stub(writes);
    return ctx;
  }

  /** Runs one of the contract's queries over the state. */
  private async query(name: string, args: readonly string[]): Promise<Uint8Array> {
    const c = this.contract;
    const ctx = this.context();
    const [a = '', b = ''] = args;
    const queries: Record<string, (() => Promise<string>) | undefined> = {
      GetParams: () => c.GetParams(ctx),
      GetMembers: () => c.GetMembers(ctx),
      GetLatest: () => c.GetLatest(ctx),
      GetBlock: () => c.GetBlock(ctx, a),
      GetBlocks: () => c.GetBlocks(ctx, a, b),
      GetRound: () => c.GetRound(ctx),
      GetUpdateSignatures: () => c.GetUpdateSignatures(ctx, a),
    };
    const query = Object.hasOwn(queries, name) ? queries[name] : undefined;
    if (query === undefined) throw new Error(`${name} is not a query of the management contract`);
    return utf8.encode(await query());
  }

  /**
   * Keeps this organisation's own admin signature of an update, checked as the chaincode checks a
   * member's, where the organisation's own submissions of the update count it. It is not on the
   * channel: the organisation cannot write there.
   */
  private async keepSignature(args: readonly string[]): Promise<Uint8Array> {
    const [height, configSequence, update, configSignature] = args;
    const updateBytes = Buffer.from(update, 'base64');
    const nowMs = (this.options.clock ?? Date.now)();
    const parts = assertUpdateSignature({ update: updateBytes, configSignature: Buffer.from(configSignature, 'base64'), member: this.options.self, atMs: nowMs });
    const block = JSON.parse(new TextDecoder().decode(await this.query('GetBlock', [height]))) as ConfigBlock;
    const record: UpdateSignature = {
      height: Number(height),
      cbHash: block.hash,
      configSequence: Number(configSequence),
      channelId: parseConfigUpdate(updateBytes).channelId,
      update,
      updateSha256: updateSha256(updateBytes),
      configSignature,
      mspId: this.options.self.mspId,
      signer: parts.creatorCertificate,
      timestamp: toIsoMillis(nowMs),
      txId: `local-${this.options.self.mspId}-${height}-${configSequence}`,
    };
    const writes = new Map<string, Buffer>();
    await writeUpdateSignature(this.context(writes), record);
    for (const [key, value] of writes) this.local.set(key, value);
    // Wakes the adapter as the chaincode's event would; the block number is the current height.
    this.events.push({
      blockNumber: BigInt(this.blocks.end),
      transactionId: record.txId,
      chaincodeName: this.options.chaincodeName,
      eventName: EVENTS.UpdateSignatureShared,
      payload: utf8.encode(JSON.stringify({ height: record.height, configSequence: record.configSequence, channelId: record.channelId, updateSha256: record.updateSha256, mspId: record.mspId })),
    });
    for (const listener of this.listeners) listener();
    return utf8.encode(JSON.stringify(record));
  }

  /**
   * Follows a window's items from absolute position `from` (or the oldest still retained) as blocks
   * are applied, keeping those `keep` accepts, until closed.
   */
  private follow<T>(window: Window<T>, from: number, keep: (item: T) => boolean = () => true): CloseableAsyncIterable<T> {
    let index = from;
    let closed = false;
    let wake: Listener | undefined;
    const listener: Listener = () => { wake?.(); };
    this.listeners.add(listener);
    const close = (): void => {
      closed = true;
      this.listeners.delete(listener);
      wake?.();
    };
    return {
      close,
      [Symbol.dispose]: close,
      [Symbol.asyncIterator]: () => ({
        next: async (): Promise<IteratorResult<T>> => {
          for (;;) {
            if (closed) return { done: true, value: undefined };
            index = Math.max(index, window.start);
            while (index < window.end) {
              const item = window.at(index++) as T;
              if (keep(item)) return { done: false, value: item };
            }
            await new Promise<void>((resolve) => { wake = resolve; });
          }
        },
      }),
    };
  }

  /** The management channel as the observer and the Fabric adapter read it. */
  network(): MgmtNetwork & PrimaryChannelEvents {
    const contract: MgmtContractCalls = {
      evaluateTransaction: (name, ...args) => this.query(name, args),
      submitTransaction: (name, ...args) => {
        if (name === 'ShareUpdateSignature') return this.keepSignature(args);
        return Promise.reject(new Error(`${name}: an organisation that is not a member of the management channel submits nothing to it`));
      },
    };
    return {
      getContract: () => contract,
      getChaincodeEvents: (_chaincodeName: string, options?: ChaincodeEventsOptions) => {
        const checkpointBlock = options?.checkpoint?.getBlockNumber();
        const checkpointTx = options?.checkpoint?.getTransactionId();
        const startBlock = checkpointBlock ?? options?.startBlock;
        const appliedAtOpen = this.blocks.end;
        // As the gateway: from the checkpoint (after its transaction), else from startBlock, else
        // from the next block. Judged per event as it is delivered, not as an index computed once:
        // the replica may still be replaying the channel when a stream opens.
        const from = startBlock ?? BigInt(appliedAtOpen);
        let pastCheckpoint = checkpointBlock === undefined || checkpointTx === undefined;
        const keep = (e: ChaincodeEvent): boolean => {
          if (e.blockNumber < from) return false;
          if (pastCheckpoint || e.blockNumber > (checkpointBlock ?? 0n)) return true;
          if (e.transactionId === checkpointTx) pastCheckpoint = true;
          return false;
        };
        return Promise.resolve(this.follow(this.events, 0, keep));
      },
      getBlockEvents: (options) => {
        const appliedAtOpen = this.blocks.end;
        return Promise.resolve(this.follow(this.blocks, Number(options?.startBlock ?? BigInt(appliedAtOpen))));
      },
    };
  }
}
