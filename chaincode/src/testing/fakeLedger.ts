/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * An in-memory ledger and ChaincodeStub with Fabric's semantics where the contract depends on
 * them: reads see committed state only (no read-your-own-writes), every read and range read is
 * recorded with its version, and a block commits with Fabric's MVCC rules (a read is invalid if
 * an earlier valid transaction of the same block wrote the key or the committed version moved;
 * range reads are re-run and fail on phantoms). Events of valid transactions only, the last
 * setEvent of each. Test code only.
 */

import Long from 'long';

import type { ChaincodeStub, Iterators, SerializedIdentity, Timestamp } from 'fabric-shim-api';

/** A key version: (block number, transaction index), as Fabric's ledger assigns it. */
export interface Version {
  readonly block: number;
  readonly tx: number;
}

interface Entry {
  readonly value: Buffer;
  readonly version: Version;
}

interface RangeRead {
  readonly start: string;
  readonly end: string;
  readonly results: readonly { key: string; version: Version }[];
}

/** What a simulation read and wrote. */
export interface ReadWriteSet {
  readonly reads: ReadonlyMap<string, Version | null>;
  readonly ranges: readonly RangeRead[];
  /** `null` is a delete. */
  readonly writes: ReadonlyMap<string, Buffer | null>;
}

/** Fabric's validation codes that this fake produces. */
export type ValidationCode = 'VALID' | 'MVCC_READ_CONFLICT' | 'PHANTOM_READ_CONFLICT';

/** An event of a committed, valid transaction. */
export interface CommittedEvent {
  readonly block: number;
  readonly txId: string;
  readonly name: string;
  readonly payload: string;
}

/** Identity and time of a simulated transaction. */
export interface TxOptions {
  readonly mspId: string;
  /** PEM certificate of the creator. */
  readonly certificate: string;
  readonly timestampMs: number;
  /** Extra nanoseconds below the millisecond, to test truncation. */
  readonly extraNanos?: number;
  readonly fcn?: string;
  readonly args?: readonly string[];
}

const COMPOSITE_NS = '\u0000';
const MAX_UNICODE = '\u{10FFFF}';

function compareKeys(a: string, b: string): number {
  // Fabric's state databases order keys by their UTF-8 bytes.
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function sameVersion(a: Version | null, b: Version | null): boolean {
  if (a === null || b === null) {
    return a === b;
  }
  return a.block === b.block && a.tx === b.tx;
}

let txCounter = 0;

/** The committed world state plus the block counter. */
export class FakeLedger {
  private readonly state = new Map<string, Entry>();
  private blockNumber = 0;
  /** Events of valid transactions, in commit order. */
  readonly events: CommittedEvent[] = [];

  /** A fresh stub for simulating one transaction against the current committed state. */
  stub(options: TxOptions): FakeStub {
    return new FakeStub(this, options);
  }

  /** The committed value of a key. */
  get(key: string): Buffer | undefined {
    return this.state.get(key)?.value;
  }

  /** Drops a committed key, as a ledger written by an older chaincode version lacks it. */
  forget(key: string): void {
    this.state.delete(key);
  }

  /** The committed version of a key. */
  version(key: string): Version | null {
    return this.state.get(key)?.version ?? null;
  }

  /** Keys and versions in [start, end) over the given view of the state. */
  rangeOf(start: string, end: string, view: ReadonlyMap<string, Entry> = this.state): { key: string; version: Version }[] {
    const from = start === '' ? '\u0001' : start;
    return [...view.entries()]
      .filter(([key]) => compareKeys(key, from) >= 0 && (end === '' || compareKeys(key, end) < 0))
      .sort(([a], [b]) => compareKeys(a, b))
      .map(([key, entry]) => ({ key, version: entry.version }));
  }

  /**
   * Orders the simulated transactions into one block and validates them as a Fabric peer
   * does. Valid transactions' writes and events are applied in order.
   *
   * @returns one validation code per transaction.
   */
  commitBlock(txs: readonly FakeStub[]): ValidationCode[] {
    this.blockNumber++;
    const block = this.blockNumber;
    const pending = new Map<string, Entry | null>();
    const codes = txs.map((tx, index): ValidationCode => {
      const rwset = tx.rwset();
      for (const [key, version] of rwset.reads) {
        if (pending.has(key) || !sameVersion(this.version(key), version)) {
          return 'MVCC_READ_CONFLICT';
        }
      }
      const view = new Map(this.state);
      for (const [key, entry] of pending) {
        if (entry === null) {
          view.delete(key);
        } else {
          view.set(key, entry);
        }
      }
      for (const range of rwset.ranges) {
        const now = this.rangeOf(range.start, range.end, view);
        const same =
          now.length === range.results.length &&
          now.every((r, i) => r.key === range.results[i]?.key && sameVersion(r.version, range.results[i]?.version ?? null));
        if (!same) {
          return 'PHANTOM_READ_CONFLICT';
        }
      }
      for (const [key, value] of rwset.writes) {
        pending.set(key, value === null ? null : { value, version: { block, tx: index } });
      }
      const event = tx.event();
      if (event !== undefined) {
        this.events.push({ block, txId: tx.getTxID(), name: event.name, payload: event.payload.toString('utf8') });
      }
      return 'VALID';
    });
    for (const [key, entry] of pending) {
      if (entry === null) {
        this.state.delete(key);
      } else {
        this.state.set(key, entry);
      }
    }
    return codes;
  }
}

type StubMethods = Pick<
  ChaincodeStub,
  | 'getState'
  | 'putState'
  | 'createCompositeKey'
  | 'setEvent'
  | 'getTxTimestamp'
  | 'getCreator'
  | 'getTxID'
  | 'getChannelID'
  | 'getFunctionAndParameters'
  | 'getArgs'
>;

class FakeIterator implements Iterators.StateQueryIterator {
  private index = 0;

  constructor(private readonly items: readonly Iterators.KV[]) {}

  next(): Promise<Iterators.NextResult<Iterators.KV>> {
    if (this.index >= this.items.length) {
      // The shim's iterator also ends with an undefined value.
      return Promise.resolve({ value: undefined as unknown as Iterators.KV, done: true });
    }
    const value = this.items[this.index];
    this.index++;
    return Promise.resolve({ value, done: false });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterator<Iterators.KV> {
    return { next: (): Promise<Iterators.NextResult<Iterators.KV>> => this.next() };
  }
}

/** A ChaincodeStub that simulates one transaction against a {@link FakeLedger}. */
export class FakeStub implements StubMethods {
  private readonly reads = new Map<string, Version | null>();
  private readonly ranges: RangeRead[] = [];
  private readonly writes = new Map<string, Buffer | null>();
  private lastEvent: { name: string; payload: Buffer } | undefined;
  private readonly txId: string;

  constructor(
    private readonly ledger: FakeLedger,
    private readonly options: TxOptions,
  ) {
    txCounter++;
    this.txId = `tx${txCounter.toString().padStart(6, '0')}`;
  }

  /** What this simulation read and wrote. */
  rwset(): ReadWriteSet {
    return { reads: new Map(this.reads), ranges: [...this.ranges], writes: new Map(this.writes) };
  }

  /** The event this transaction would emit (the last setEvent wins, as in Fabric). */
  event(): { name: string; payload: Buffer } | undefined {
    return this.lastEvent;
  }

  getState(key: string): Promise<Uint8Array> {
    if (!this.reads.has(key)) {
      this.reads.set(key, this.ledger.version(key));
    }
    // Committed state only: Fabric has no read-your-own-writes.
    return Promise.resolve(this.ledger.get(key) ?? Buffer.alloc(0));
  }

  putState(key: string, value: Uint8Array): Promise<void> {
    if (key === '') {
      return Promise.reject(new Error('key must not be empty'));
    }
    // An empty value is a delete in Fabric.
    this.writes.set(key, value.length === 0 ? null : Buffer.from(value));
    return Promise.resolve();
  }

  /** Range read over committed state, recorded for phantom validation. */
  getStateByRange(startKey: string, endKey: string): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    if (startKey.startsWith(COMPOSITE_NS) || endKey.startsWith(COMPOSITE_NS)) {
      throw new Error('getStateByRange takes simple keys');
    }
    return this.range(startKey, endKey);
  }

  getStateByPartialCompositeKey(objectType: string, attributes: string[]): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    const prefix = this.createCompositeKey(objectType, attributes);
    return this.range(prefix, prefix + MAX_UNICODE);
  }

  private range(start: string, end: string): Promise<Iterators.StateQueryIterator> & AsyncIterable<Iterators.KV> {
    const results = this.ledger.rangeOf(start, end);
    this.ranges.push({ start, end, results });
    const items: Iterators.KV[] = results.map(({ key }) => ({
      namespace: 'mgmt',
      key,
      value: this.ledger.get(key) ?? Buffer.alloc(0),
    }));
    const iterator = new FakeIterator(items);
    return Object.assign(Promise.resolve<Iterators.StateQueryIterator>(iterator), {
      [Symbol.asyncIterator]: (): AsyncIterator<Iterators.KV> => iterator[Symbol.asyncIterator](),
    });
  }

  createCompositeKey(objectType: string, attributes: string[]): string {
    for (const part of [objectType, ...attributes]) {
      if (part.length === 0 || part.includes(COMPOSITE_NS)) {
        throw new Error('object type or attribute not a non-zero length string');
      }
    }
    return `${COMPOSITE_NS}${objectType}${COMPOSITE_NS}${attributes.map((a) => `${a}${COMPOSITE_NS}`).join('')}`;
  }

  setEvent(name: string, payload: Uint8Array): void {
    this.lastEvent = { name, payload: Buffer.from(payload) };
  }

  getTxTimestamp(): Timestamp {
    const seconds = Math.floor(this.options.timestampMs / 1000);
    const nanos = (this.options.timestampMs - seconds * 1000) * 1_000_000 + (this.options.extraNanos ?? 0);
    return { seconds: Long.fromNumber(seconds, true), nanos };
  }

  getCreator(): SerializedIdentity {
    return { mspid: this.options.mspId, idBytes: Buffer.from(this.options.certificate, 'utf8') };
  }

  getTxID(): string {
    return this.txId;
  }

  getChannelID(): string {
    return 'mgmt';
  }

  getFunctionAndParameters(): { params: string[]; fcn: string } {
    return { fcn: this.options.fcn ?? '', params: [...(this.options.args ?? [])] };
  }

  getArgs(): string[] {
    return [this.options.fcn ?? '', ...(this.options.args ?? [])];
  }

  /** What fabric-shim's dispatcher reads (`ChaincodeFromContract.invokeFunctionality`). */
  getBufferArgs(): Buffer[] {
    return this.getArgs().map((arg) => Buffer.from(arg, 'utf8'));
  }

  /** This stub typed as the shim's interface, for a Context. */
  asChaincodeStub(): ChaincodeStub {
    return this as unknown as ChaincodeStub;
  }
}
