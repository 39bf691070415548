/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The replica is fed real Fabric blocks built with @hyperledger/fabric-protos, as an orderer
 * delivers them (no validation flags), so its decoding, its read-set checks and the contract's
 * query functions are exercised on the wire format a peer commits.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { checkpointers } from '@hyperledger/fabric-gateway';
import type { ChaincodeEvent, CloseableAsyncIterable } from '@hyperledger/fabric-gateway';
import { common, ledger, orderer, peer } from '@hyperledger/fabric-protos';
import { rmSync } from 'node:fs';
import { signConfigUpdate } from 'fabric-config/configtx';
import { SigningIdentity } from 'fabric-config/msp';
import type { OrgCrypto } from 'fabric-config/msp';
import { generateTestOrgs } from 'fabric-config/testing';
import { EVENTS } from 'mgmt-chaincode/dist/protocol';
import type { UpdateSignature } from 'mgmt-chaincode/dist/protocol';
import { ManagementReplica } from './managementReplica';

// ---- block builder ----------------------------------------------------------------------------

const CHAINCODE = 'mgmt';
const kv = ledger.rwset.kvrwset;

/** A read at version (block, tx); no version: read as absent. */
interface Read {
  readonly key: string;
  readonly at?: readonly [number, number];
}

interface RangeRead {
  readonly start: string;
  /** As Fabric records it: the query's end when exhausted, else the last key read. */
  readonly end: string;
  readonly exhausted: boolean;
  readonly reads: readonly Read[];
  /** Records no reads info at all (neither raw reads nor a Merkle summary). */
  readonly withoutReadsInfo?: boolean;
}

interface Write {
  readonly key: string;
  /** JSON-encoded unless a string; absent with `delete`. */
  readonly value?: unknown;
  readonly delete?: boolean;
}

interface Tx {
  readonly txId: string;
  readonly reads?: readonly Read[];
  readonly ranges?: readonly RangeRead[];
  readonly writes?: readonly Write[];
  readonly event?: { readonly name: string; readonly payload?: string };
  /** Read-write set namespace, the chaincode by default. */
  readonly namespace?: string;
}

function kvRead(read: Read): ledger.rwset.kvrwset.KVRead {
  const r = new kv.KVRead();
  r.setKey(read.key);
  if (read.at !== undefined) {
    const version = new kv.Version();
    version.setBlockNum(read.at[0]);
    version.setTxNum(read.at[1]);
    r.setVersion(version);
  }
  return r;
}

function rwset(tx: Tx): ledger.rwset.kvrwset.KVRWSet {
  const set = new kv.KVRWSet();
  set.setReadsList((tx.reads ?? []).map(kvRead));
  set.setRangeQueriesInfoList((tx.ranges ?? []).map((range) => {
    const info = new kv.RangeQueryInfo();
    info.setStartKey(range.start);
    info.setEndKey(range.end);
    info.setItrExhausted(range.exhausted);
    if (range.withoutReadsInfo !== true) {
      const raw = new kv.QueryReads();
      raw.setKvReadsList(range.reads.map(kvRead));
      info.setRawReads(raw);
    }
    return info;
  }));
  set.setWritesList((tx.writes ?? []).map((write) => {
    const w = new kv.KVWrite();
    w.setKey(write.key);
    if (write.delete === true) w.setIsDelete(true);
    else w.setValue(Buffer.from(typeof write.value === 'string' ? write.value : JSON.stringify(write.value), 'utf8'));
    return w;
  }));
  return set;
}

/** Envelope → Payload → Transaction → ChaincodeActionPayload → ... → ChaincodeAction, as a peer endorses. */
function envelope(tx: Tx): Uint8Array {
  const ns = new ledger.rwset.NsReadWriteSet();
  ns.setNamespace(tx.namespace ?? CHAINCODE);
  ns.setRwset(rwset(tx).serializeBinary());
  const results = new ledger.rwset.TxReadWriteSet();
  results.setDataModel(ledger.rwset.TxReadWriteSet.DataModel.KV);
  results.setNsRwsetList([ns]);

  const action = new peer.ChaincodeAction();
  action.setResults(results.serializeBinary());
  if (tx.event !== undefined) {
    const event = new peer.ChaincodeEvent();
    event.setChaincodeId(CHAINCODE);
    event.setTxId(tx.txId);
    event.setEventName(tx.event.name);
    event.setPayload(Buffer.from(tx.event.payload ?? '', 'utf8'));
    action.setEvents(event.serializeBinary());
  }
  const responsePayload = new peer.ProposalResponsePayload();
  responsePayload.setProposalHash(Buffer.alloc(32));
  responsePayload.setExtension$(action.serializeBinary());
  const endorsed = new peer.ChaincodeEndorsedAction();
  endorsed.setProposalResponsePayload(responsePayload.serializeBinary());
  const actionPayload = new peer.ChaincodeActionPayload();
  actionPayload.setAction(endorsed);
  const transactionAction = new peer.TransactionAction();
  transactionAction.setPayload(actionPayload.serializeBinary());
  const transaction = new peer.Transaction();
  transaction.setActionsList([transactionAction]);

  const channelHeader = new common.ChannelHeader();
  channelHeader.setType(common.HeaderType.ENDORSER_TRANSACTION);
  channelHeader.setChannelId('mgmt');
  channelHeader.setTxId(tx.txId);
  const header = new common.Header();
  header.setChannelHeader(channelHeader.serializeBinary());
  const payload = new common.Payload();
  payload.setHeader(header);
  payload.setData(transaction.serializeBinary());
  const env = new common.Envelope();
  env.setPayload(payload.serializeBinary());
  return env.serializeBinary();
}

function block(number: number, txs: readonly Tx[]): common.Block {
  const header = new common.BlockHeader();
  header.setNumber(number);
  const data = new common.BlockData();
  data.setDataList(txs.map(envelope));
  const b = new common.Block();
  b.setHeader(header);
  b.setData(data);
  return b;
}

// ---- reading the replica --------------------------------------------------------------------

const SELF = { mspId: 'OrdererMSP', caCertificate: '' };
const cbKey = (height: number): string => `cb:${height.toString().padStart(16, '0')}`;
const decode = (bytes: Uint8Array): unknown => JSON.parse(Buffer.from(bytes).toString('utf8'));

function newReplica(): ManagementReplica {
  return new ManagementReplica({ chaincodeName: CHAINCODE, self: SELF });
}

function query(replica: ManagementReplica, name: string, ...args: string[]): Promise<Uint8Array> {
  return replica.network().getContract(CHAINCODE).evaluateTransaction(name, ...args);
}

/** The JSON stored under `cb:<height>` as GetBlock returns it, or undefined when the key is absent. */
async function valueAt(replica: ManagementReplica, height: number): Promise<unknown> {
  try {
    return decode(await query(replica, 'GetBlock', String(height)));
  } catch (err) {
    if ((err as { code?: string }).code === 'MGMT_NOT_FOUND') return undefined;
    throw err;
  }
}

/** A tx writing `{mark}` under `cb:<height>`, the key the assertions read back with GetBlock. */
const mark = (txId: string, height: number, value: string, extra: Omit<Tx, 'txId' | 'writes'> = {}): Tx => ({
  txId,
  writes: [{ key: cbKey(height), value: { mark: value } }],
  ...extra,
});

function iteratorOf<T>(iterable: CloseableAsyncIterable<T>): AsyncIterator<T> {
  return iterable[Symbol.asyncIterator]();
}

async function take<T>(iterator: AsyncIterator<T>, count: number): Promise<T[]> {
  const items: T[] = [];
  for (let i = 0; i < count; i++) {
    const next = await iterator.next();
    if (next.done === true) throw new Error(`the stream ended after ${i} items, ${count} were expected`);
    items.push(next.value);
  }
  return items;
}

const eventSummary = (e: ChaincodeEvent): [number, string, string, string] =>
  [Number(e.blockNumber), e.transactionId, e.eventName, Buffer.from(e.payload).toString('utf8')];

// ---- tests --------------------------------------------------------------------------------------

describe('queries over the replicated state', () => {
  const cb = { height: 0, prevHash: '', proposer: 'Org1MSP', cycle: 0, timestamp: '2026-01-01T00:00:00.000Z', config: { batchTimeout: '2s' }, hash: 'ab'.repeat(32), proof: [] };
  const params = { members: [{ mspId: 'Org1MSP', caCertificate: 'pem' }], cbiSeconds: 10, cycleTimeoutSeconds: 30, clockToleranceSeconds: 5, configSchema: {} };
  const genesis = (): ManagementReplica => {
    const replica = newReplica();
    replica.apply(block(0, [{
      txId: 'genesis',
      writes: [
        { key: cbKey(0), value: cb },
        { key: 'latest', value: { height: 0, hash: cb.hash, timestamp: cb.timestamp } },
        { key: 'params', value: params },
      ],
    }]));
    return replica;
  };

  it('answers GetBlock, GetLatest and GetParams from a valid transaction\'s writes', async () => {
    const replica = genesis();
    expect(replica.height).toBe(1);
    expect(decode(await query(replica, 'GetBlock', '0'))).toEqual(cb);
    expect(decode(await query(replica, 'GetLatest'))).toEqual(cb);
    expect(decode(await query(replica, 'GetParams'))).toEqual(params);
    expect(decode(await query(replica, 'GetBlocks', '0', '5'))).toEqual([cb]);
  });

  it('answers as the contract does before genesis and for an absent height', async () => {
    await expect(query(newReplica(), 'GetLatest')).rejects.toMatchObject({ code: 'MGMT_NOT_INITIALISED' });
    await expect(query(genesis(), 'GetBlock', '1')).rejects.toMatchObject({ code: 'MGMT_NOT_FOUND' });
  });

  it('ignores the writes of another namespace', async () => {
    const replica = newReplica();
    replica.apply(block(0, [{ ...mark('other', 0, 'x'), namespace: 'lscc' }]));
    expect(await valueAt(replica, 0)).toBeUndefined();
  });

  it.each(['Propose', 'toString', 'constructor', 'unknownTransaction'])('refuses %s as a query', async (name) => {
    await expect(query(genesis(), name)).rejects.toThrow(`${name} is not a query of the management contract`);
  });

  it('submits nothing but the organisation\'s own update signature', async () => {
    await expect(genesis().network().getContract(CHAINCODE).submitTransaction('Vote', 'a', 'true', 's', '')).rejects.toThrow(/submits nothing/);
  });
});

describe('MVCC read checks', () => {
  it('applies only the first of two transactions of a block that read and write the same key', async () => {
    const replica = newReplica();
    replica.apply(block(0, [mark('t0', 1, 'base')]));
    replica.apply(block(1, [
      mark('a', 1, 'a', { reads: [{ key: cbKey(1), at: [0, 0] }] }),
      mark('b', 1, 'b', { reads: [{ key: cbKey(1), at: [0, 0] }] }),
    ]));
    expect(await valueAt(replica, 1)).toEqual({ mark: 'a' });
  });

  it('versions a write by (block, transaction index): a later read at that version is valid', async () => {
    const replica = newReplica();
    replica.apply(block(0, [mark('t0', 1, 'base')]));
    replica.apply(block(1, [mark('skip', 2, 'other'), mark('a', 1, 'a', { reads: [{ key: cbKey(1), at: [0, 0] }] })]));
    replica.apply(block(2, [
      mark('stale', 1, 'stale', { reads: [{ key: cbKey(1), at: [0, 0] }] }),
      mark('wrongTx', 1, 'wrongTx', { reads: [{ key: cbKey(1), at: [1, 0] }] }),
    ]));
    expect(await valueAt(replica, 1)).toEqual({ mark: 'a' });
    replica.apply(block(3, [mark('fresh', 1, 'fresh', { reads: [{ key: cbKey(1), at: [1, 1] }] })]));
    expect(await valueAt(replica, 1)).toEqual({ mark: 'fresh' });
  });

  it('ignores a transaction that read as absent a key that exists, and applies one that read an absent key', async () => {
    const replica = newReplica();
    replica.apply(block(0, [mark('t0', 1, 'base')]));
    replica.apply(block(1, [
      mark('absent', 1, 'absent', { reads: [{ key: cbKey(1) }] }),
      mark('new', 2, 'new', { reads: [{ key: cbKey(2) }] }),
    ]));
    expect(await valueAt(replica, 1)).toEqual({ mark: 'base' });
    expect(await valueAt(replica, 2)).toEqual({ mark: 'new' });
  });

  it('ignores a transaction that read a key at a version that was deleted since', async () => {
    const replica = newReplica();
    replica.apply(block(0, [mark('t0', 1, 'base')]));
    replica.apply(block(1, [{ txId: 'del', writes: [{ key: cbKey(1), delete: true }] }]));
    expect(await valueAt(replica, 1)).toBeUndefined();
    replica.apply(block(2, [
      mark('ghost', 1, 'ghost', { reads: [{ key: cbKey(1), at: [0, 0] }] }),
      mark('reborn', 3, 'reborn', { reads: [{ key: cbKey(1) }] }),
    ]));
    expect(await valueAt(replica, 1)).toBeUndefined();
    expect(await valueAt(replica, 3)).toEqual({ mark: 'reborn' });
  });
});

describe('phantom reads', () => {
  /** cb:1 at (0,0) and cb:3 at (0,1). */
  const seeded = (): ManagementReplica => {
    const replica = newReplica();
    replica.apply(block(0, [mark('s1', 1, 'one'), mark('s3', 3, 'three')]));
    return replica;
  };
  const fullRange = (reads: readonly Read[] = [{ key: cbKey(1), at: [0, 0] }, { key: cbKey(3), at: [0, 1] }]): RangeRead =>
    ({ start: cbKey(0), end: cbKey(10), exhausted: true, reads });

  it('applies a transaction whose range read still matches', async () => {
    const replica = seeded();
    replica.apply(block(1, [mark('r', 9, 'ok', { ranges: [fullRange()] })]));
    expect(await valueAt(replica, 9)).toEqual({ mark: 'ok' });
  });

  it('leaves an exhausted range\'s end key out of the comparison', async () => {
    const replica = seeded();
    const upToThree: RangeRead = { start: cbKey(0), end: cbKey(3), exhausted: true, reads: [{ key: cbKey(1), at: [0, 0] }] };
    replica.apply(block(1, [mark('r', 9, 'ok', { ranges: [upToThree] })]));
    expect(await valueAt(replica, 9)).toEqual({ mark: 'ok' });
  });

  it('ignores a transaction after an earlier one of the block inserted a key in its range', async () => {
    const replica = seeded();
    replica.apply(block(1, [mark('insert', 2, 'two'), mark('r', 9, 'phantom', { ranges: [fullRange()] })]));
    expect(await valueAt(replica, 2)).toEqual({ mark: 'two' });
    expect(await valueAt(replica, 9)).toBeUndefined();
  });

  it('ignores a transaction whose range saw a key that was updated or deleted since', async () => {
    const updated = seeded();
    updated.apply(block(1, [mark('update', 3, 'new')]));
    updated.apply(block(2, [mark('r', 9, 'phantom', { ranges: [fullRange()] })]));
    expect(await valueAt(updated, 9)).toBeUndefined();

    const deleted = seeded();
    deleted.apply(block(1, [{ txId: 'del', writes: [{ key: cbKey(3), delete: true }] }]));
    deleted.apply(block(2, [mark('r', 9, 'phantom', { ranges: [fullRange()] })]));
    expect(await valueAt(deleted, 9)).toBeUndefined();
  });

  it('treats a range recording neither raw reads nor a summary as one that read nothing', async () => {
    const replica = seeded();
    const withoutReads = (txId: string, height: number, start: number, end: number): Tx =>
      mark(txId, height, txId, { ranges: [{ start: cbKey(start), end: cbKey(end), exhausted: true, reads: [], withoutReadsInfo: true }] });
    replica.apply(block(1, [withoutReads('covering', 9, 0, 2), withoutReads('empty', 8, 4, 8)]));
    expect(await valueAt(replica, 9)).toBeUndefined();
    expect(await valueAt(replica, 8)).toEqual({ mark: 'empty' });
  });

  it('ignores an exhausted range that read nothing once a key exists in it, and not one past its end', async () => {
    const replica = seeded();
    replica.apply(block(1, [
      mark('empty', 9, 'phantom', { ranges: [{ start: cbKey(0), end: cbKey(2), exhausted: true, reads: [] }] }),
      mark('beyond', 8, 'ok', { ranges: [{ start: cbKey(4), end: cbKey(8), exhausted: true, reads: [] }] }),
    ]));
    expect(await valueAt(replica, 9)).toBeUndefined();
    expect(await valueAt(replica, 8)).toEqual({ mark: 'ok' });
  });

  // Fabric's simulator records an unexhausted range with EndKey = the last key read, and its
  // validator then compares [StartKey, EndKey] inclusive (validator.go validateRangeQuery).
  const partial: RangeRead = { start: cbKey(0), end: cbKey(3), exhausted: false, reads: [{ key: cbKey(1), at: [0, 0] }, { key: cbKey(3), at: [0, 1] }] };

  it('applies a transaction whose unexhausted range still matches up to and including its last read', async () => {
    const replica = seeded();
    replica.apply(block(1, [mark('r', 9, 'ok', { ranges: [partial] })]));
    expect(await valueAt(replica, 9)).toEqual({ mark: 'ok' });
  });

  it('compares an unexhausted range only up to its last read: a key inserted after it does not invalidate', async () => {
    const replica = seeded();
    replica.apply(block(1, [mark('insert', 4, 'four'), mark('r', 9, 'ok', { ranges: [partial] })]));
    expect(await valueAt(replica, 9)).toEqual({ mark: 'ok' });
  });

  it('ignores an unexhausted range when a key was inserted before its last read, or its last read changed', async () => {
    const inserted = seeded();
    inserted.apply(block(1, [mark('insert', 2, 'two'), mark('r', 9, 'phantom', { ranges: [partial] })]));
    expect(await valueAt(inserted, 9)).toBeUndefined();

    const changed = seeded();
    changed.apply(block(1, [mark('update', 3, 'new'), mark('r', 9, 'phantom', { ranges: [partial] })]));
    expect(await valueAt(changed, 9)).toBeUndefined();
  });
});

describe('transaction IDs', () => {
  it('ignores a transaction whose ID an earlier block used', async () => {
    const replica = newReplica();
    replica.apply(block(0, [mark('dup', 1, 'first')]));
    replica.apply(block(1, [mark('dup', 1, 'again'), mark('dup', 2, 'again')]));
    expect(await valueAt(replica, 1)).toEqual({ mark: 'first' });
    expect(await valueAt(replica, 2)).toBeUndefined();
  });

  it('ignores the second of two transactions of a block with the same ID', async () => {
    const replica = newReplica();
    replica.apply(block(0, [mark('dup', 1, 'first'), mark('dup', 2, 'second')]));
    expect(await valueAt(replica, 1)).toEqual({ mark: 'first' });
    expect(await valueAt(replica, 2)).toBeUndefined();
  });

  it('keeps the ID of an invalid transaction, as the ledger indexes every transaction', async () => {
    const replica = newReplica();
    replica.apply(block(0, [mark('t0', 1, 'base')]));
    replica.apply(block(1, [mark('x', 2, 'invalid', { reads: [{ key: cbKey(1) }] })]));
    replica.apply(block(2, [mark('x', 2, 'retry')]));
    expect(await valueAt(replica, 2)).toBeUndefined();
  });
});

describe('block order', () => {
  it.each([['a gap', 2], ['a repeat', 0]])('refuses %s and leaves the state unchanged', async (_label, number) => {
    const replica = newReplica();
    replica.apply(block(0, [mark('t0', 1, 'base', { event: { name: 'E' } })]));
    const events = iteratorOf(await replica.network().getChaincodeEvents(CHAINCODE, { startBlock: 0n }));
    expect(() => { replica.apply(block(number, [mark('late', 1, 'late', { reads: [{ key: cbKey(1), at: [0, 0] }], event: { name: 'E' } }), mark('new', 2, 'new')])); })
      .toThrow(`block ${number} delivered where block 1 was expected`);
    expect(replica.height).toBe(1);
    expect(await valueAt(replica, 1)).toEqual({ mark: 'base' });
    expect(await valueAt(replica, 2)).toBeUndefined();
    // The refused block's transaction IDs are not spent: block 1 may carry them.
    replica.apply(block(1, [mark('new', 2, 'new', { event: { name: 'E' } })]));
    expect(await valueAt(replica, 2)).toEqual({ mark: 'new' });
    expect((await take(events, 2)).map((e) => e.transactionId)).toEqual(['t0', 'new']);
  });
});

describe('chaincode events', () => {
  /** Blocks 0..2; block 1 has an invalid transaction whose event must not be published. */
  const withEvents = (): ManagementReplica => {
    const replica = newReplica();
    replica.apply(block(0, [mark('a0', 1, 'a0', { event: { name: 'ProposalCreated', payload: 'p0' } })]));
    replica.apply(block(1, [
      mark('a1', 1, 'a1', { reads: [{ key: cbKey(1), at: [0, 0] }], event: { name: 'VoteCast', payload: 'p1' } }),
      mark('bad', 1, 'bad', { reads: [{ key: cbKey(1), at: [0, 0] }], event: { name: 'VoteCast', payload: 'bad' } }),
      { txId: 'silent', writes: [{ key: cbKey(5), value: {} }] },
      mark('b1', 2, 'b1', { event: { name: 'VoteCast', payload: 'p2' } }),
    ]));
    replica.apply(block(2, [mark('a2', 3, 'a2', { event: { name: 'ConfigBlockCommitted', payload: 'p3' } })]));
    return replica;
  };
  const block3 = block(3, [mark('a3', 4, 'a3', { event: { name: 'CycleFailed', payload: 'p4' } })]);

  it('yields the events of valid transactions from startBlock, then those of blocks applied later', async () => {
    const replica = withEvents();
    const stream = await replica.network().getChaincodeEvents(CHAINCODE, { startBlock: 1n });
    const events = iteratorOf(stream);
    expect((await take(events, 3)).map(eventSummary)).toEqual([
      [1, 'a1', 'VoteCast', 'p1'],
      [1, 'b1', 'VoteCast', 'p2'],
      [2, 'a2', 'ConfigBlockCommitted', 'p3'],
    ]);
    const pending = events.next();
    replica.apply(block3);
    const next = await pending;
    expect(next.done).toBe(false);
    expect(eventSummary(next.value as ChaincodeEvent)).toEqual([3, 'a3', 'CycleFailed', 'p4']);
    expect((next.value as ChaincodeEvent).chaincodeName).toBe(CHAINCODE);
    stream.close();
  });

  it('resumes after a checkpointed transaction, or after a checkpointed block', async () => {
    const replica = withEvents();
    const afterTx = checkpointers.inMemory();
    await afterTx.checkpointTransaction(1n, 'a1');
    const fromTx = await replica.network().getChaincodeEvents(CHAINCODE, { checkpoint: afterTx, startBlock: 0n });
    expect((await take(iteratorOf(fromTx), 2)).map((e) => e.transactionId)).toEqual(['b1', 'a2']);
    fromTx.close();

    const afterBlock = checkpointers.inMemory();
    await afterBlock.checkpointBlock(1n);
    const fromBlock = await replica.network().getChaincodeEvents(CHAINCODE, { checkpoint: afterBlock });
    expect((await take(iteratorOf(fromBlock), 1)).map((e) => e.transactionId)).toEqual(['a2']);
    fromBlock.close();
  });

  it('starts at the next block applied when no start is given', async () => {
    const replica = withEvents();
    const stream = await replica.network().getChaincodeEvents(CHAINCODE);
    const pending = iteratorOf(stream).next();
    replica.apply(block3);
    expect((await pending).value?.transactionId).toBe('a3');
    stream.close();
  });

  it('ends a waiting iteration when closed', async () => {
    const replica = withEvents();
    const stream = await replica.network().getChaincodeEvents(CHAINCODE, { startBlock: 2n });
    const events = iteratorOf(stream);
    expect((await take(events, 1)).map((e) => e.transactionId)).toEqual(['a2']);
    const pending = events.next();
    stream.close();
    expect(await pending).toEqual({ done: true, value: undefined });
    replica.apply(block3);
    expect(await events.next()).toEqual({ done: true, value: undefined });
  });

  it('yields applied blocks from startBlock, then blocks applied later', async () => {
    const replica = withEvents();
    const stream = await replica.network().getBlockEvents({ startBlock: 1n });
    const blocks = iteratorOf(stream);
    expect((await take(blocks, 2)).map((b) => b.getHeader()?.getNumber())).toEqual([1, 2]);
    const pending = blocks.next();
    replica.apply(block3);
    expect((await pending).value).toBe(block3);
    stream.close();
    expect(await blocks.next()).toEqual({ done: true, value: undefined });
  });
});

describe('update signatures', () => {
  /** fabric-shim's createCompositeKey, spelled out, as chaincode/src/contract/storage.ts updateSignatureKey uses it. */
  const updsigKey = (height: number, channel: string, sequence: number, mspId: string): string =>
    `\u0000updsig\u0000${height}\u0000${channel}\u0000${sequence.toString().padStart(16, '0')}\u0000${mspId}\u0000`;
  const record = (height: number, channelId: string, configSequence: number, mspId: string): UpdateSignature => ({
    height, cbHash: 'cd'.repeat(32), configSequence, channelId, update: 'dXBk', updateSha256: 'ef'.repeat(32), configSignature: 'c2ln', mspId,
    signer: 'pem', timestamp: '2026-01-01T00:00:00.000Z', txId: `${height}-${channelId}-${configSequence}-${mspId}`,
  });
  const signed = (records: readonly UpdateSignature[]): Tx[] => records.map((r) => ({
    txId: r.txId,
    writes: [{ key: updsigKey(r.height, r.channelId, r.configSequence, r.mspId), value: r }],
  }));

  it('lists a height\'s signatures by channel, config sequence, then MSP ID', async () => {
    const replica = newReplica();
    const expected = [
      record(1, 'mgmt', 7, 'Org1MSP'),
      record(1, 'primary', 2, 'Org1MSP'),
      record(1, 'primary', 2, 'Org2MSP'),
      record(1, 'primary', 10, 'Org1MSP'),
    ];
    const others = [record(10, 'primary', 2, 'Org1MSP'), record(0, 'primary', 2, 'Org1MSP')];
    // Written in an order unlike the answer's, over two blocks.
    replica.apply(block(0, signed([expected[3], others[0], expected[1]])));
    replica.apply(block(1, signed([expected[2], others[1], expected[0]])));
    expect(decode(await query(replica, 'GetUpdateSignatures', '1'))).toEqual(expected);
    expect(decode(await query(replica, 'GetUpdateSignatures', '10'))).toEqual([others[0]]);
    expect(decode(await query(replica, 'GetUpdateSignatures', '2'))).toEqual([]);
  });

  describe('the organisation\'s own signature, kept locally', () => {
    let root: string;
    let orgs: OrgCrypto[];

    beforeAll(async () => {
      ({ root, orgs } = await generateTestOrgs('replica-test', 2));
    });

    afterAll(() => {
      rmSync(root, { recursive: true, force: true });
    });

    const NOW = Date.now();
    const cb1 = { height: 1, hash: '12'.repeat(32) };

    function configUpdate(channelId = 'primary'): Uint8Array {
      const timeout = new orderer.BatchTimeout();
      timeout.setTimeout('3s');
      const value = new common.ConfigValue();
      value.setVersion(1);
      value.setModPolicy('Admins');
      value.setValue(timeout.serializeBinary());
      const writeOrderer = new common.ConfigGroup();
      writeOrderer.getValuesMap().set('BatchTimeout', value);
      const write = new common.ConfigGroup();
      write.getGroupsMap().set('Orderer', writeOrderer);
      const read = new common.ConfigGroup();
      read.getGroupsMap().set('Orderer', new common.ConfigGroup());
      const update = new common.ConfigUpdate();
      update.setChannelId(channelId);
      update.setReadSet(read);
      update.setWriteSet(write);
      return update.serializeBinary();
    }

    function selfReplica(): ManagementReplica {
      const self = { mspId: orgs[0].mspId, caCertificate: orgs[0].caCertPem };
      const replica = new ManagementReplica({ chaincodeName: CHAINCODE, self, clock: () => NOW });
      replica.apply(block(0, [
        { txId: 'cb1', writes: [{ key: cbKey(1), value: cb1 }] },
        ...signed([record(1, 'primary', 3, 'Org0MSP'), record(1, 'primary', 3, 'Org9MSP')]),
      ]));
      return replica;
    }

    const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
    const share = (replica: ManagementReplica, signer: SigningIdentity, update = configUpdate()): Promise<Uint8Array> =>
      replica.network().getContract(CHAINCODE).submitTransaction('ShareUpdateSignature', '1', '3', b64(update), b64(signConfigUpdate(update, signer).serializeBinary()));
    const admin = (org: OrgCrypto): SigningIdentity => new SigningIdentity(org.mspId, org.admin.certPem, org.admin.privateKeyPem);

    it('keeps its admin\'s signature among the channel\'s and announces it', async () => {
      const replica = selfReplica();
      const events = iteratorOf(await replica.network().getChaincodeEvents(CHAINCODE));
      const update = configUpdate();
      const kept = decode(await share(replica, admin(orgs[0]), update)) as UpdateSignature;
      expect(kept).toMatchObject({
        height: 1, cbHash: cb1.hash, configSequence: 3, channelId: 'primary', update: b64(update),
        mspId: orgs[0].mspId, signer: orgs[0].admin.certPem, timestamp: new Date(NOW).toISOString(),
      });
      const listed = decode(await query(replica, 'GetUpdateSignatures', '1')) as UpdateSignature[];
      expect(listed.map((r) => r.mspId)).toEqual(['Org0MSP', orgs[0].mspId, 'Org9MSP']);
      expect(listed[1]).toEqual(kept);
      const [event] = await take(events, 1);
      expect(event.eventName).toBe(EVENTS.UpdateSignatureShared);
      expect(decode(event.payload)).toEqual({ height: 1, configSequence: 3, channelId: 'primary', updateSha256: kept.updateSha256, mspId: orgs[0].mspId });
    });

    it('refuses another organisation\'s signature and a non-admin\'s, keeping nothing', async () => {
      const replica = selfReplica();
      await expect(share(replica, admin(orgs[1]))).rejects.toMatchObject({ code: 'MGMT_BAD_SIGNATURE' });
      const client = new SigningIdentity(orgs[0].mspId, orgs[0].user.certPem, orgs[0].user.privateKeyPem);
      await expect(share(replica, client)).rejects.toMatchObject({ code: 'MGMT_BAD_CERTIFICATE' });
      const listed = decode(await query(replica, 'GetUpdateSignatures', '1')) as UpdateSignature[];
      expect(listed.map((r) => r.mspId)).toEqual(['Org0MSP', 'Org9MSP']);
    });
  });
});

describe('retention', () => {
  it('keeps a window of the newest blocks: a follower from an old block starts at the oldest retained, in order, and sees new ones', async () => {
    const replica = newReplica();
    const count = 2500;
    for (let n = 0; n < count; n++) replica.apply(block(n, []));
    expect(replica.height).toBe(count);
    const blocks = iteratorOf(await replica.network().getBlockEvents({ startBlock: 0n }));
    const first = (await blocks.next()).value as common.Block;
    const firstNumber = first.getHeader()?.getNumber() ?? -1;
    // Older blocks are gone (at most twice the window is ever kept), the rest come in order.
    expect(firstNumber).toBeGreaterThan(0);
    expect(count - firstNumber).toBeLessThanOrEqual(2 * 1024);
    expect(((await blocks.next()).value as common.Block).getHeader()?.getNumber()).toBe(firstNumber + 1);
    const live = iteratorOf(await replica.network().getBlockEvents({ startBlock: BigInt(count) }));
    const next = live.next();
    replica.apply(block(count, []));
    expect(((await next).value as common.Block).getHeader()?.getNumber()).toBe(count);
  });
});
