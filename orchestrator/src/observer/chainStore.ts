/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The observer's local copy of the management chain (MC_i of Algorithm 2) on disk, so that a
 * restart verifies only new blocks and hands on exactly the ones it had not handed on yet.
 *
 *   <dir>/chain.jsonl     one verified CB per line, with its receipt; append-only, fsynced
 *   <dir>/delivered.json  {height, hash} of the last CB the consumer acknowledged; replaced atomically
 *   <dir>/LOCK            pid of the process using the folder: two observers on one folder would
 *                         each hand on the same blocks
 *
 * Why JSON lines and not the devnet's LevelDB: CBs are rare and small, the file is the format
 * `GetBlocks` and `mgmt audit --json` already use (one CB per element), an operator can read it
 * with `jq`, and a torn last line (a crash mid-append) is recognisable and dropped. Stored blocks
 * were fully verified before they were written; on load only their hashes and links are checked
 * (cheap: no signatures), which catches a damaged or edited file.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ConfigBlock } from 'mgmt-chaincode/dist/protocol';
import { hashHeader } from 'mgmt-chaincode/dist/protocol';
import { ObserverError } from './errors';
import type { ConfigBlockReceipt, VerifiedConfigBlock } from './types';

const CHAIN_FILE = 'chain.jsonl';
const DELIVERED_FILE = 'delivered.json';
const LOCK_FILE = 'LOCK';

interface ReceiptLine {
  source: 'event' | 'fetch';
  committedInBlock?: string;
  notBeforeBlock: string;
  transactionId?: string;
  receivedAtMs: number;
  verifiedAtMs: number;
}

interface ChainLine {
  block: ConfigBlock;
  receipt: ReceiptLine;
}

function toLine(entry: VerifiedConfigBlock): string {
  const { receipt } = entry;
  const line: ChainLine = {
    block: entry.block,
    receipt: {
      source: receipt.source,
      ...(receipt.committedInBlock === undefined ? {} : { committedInBlock: receipt.committedInBlock.toString() }),
      notBeforeBlock: receipt.notBeforeBlock.toString(),
      ...(receipt.transactionId === undefined ? {} : { transactionId: receipt.transactionId }),
      receivedAtMs: receipt.receivedAtMs,
      verifiedAtMs: receipt.verifiedAtMs,
    },
  };
  return `${JSON.stringify(line)}\n`;
}

function fromLine(text: string, lineNumber: number, file: string): VerifiedConfigBlock {
  const corrupt = (why: string, cause?: unknown): ObserverError =>
    new ObserverError(`${file} line ${lineNumber}: ${why}`, { code: 'OBSERVER_STORE_CORRUPT', details: file, cause });
  let parsed: ChainLine;
  try {
    parsed = JSON.parse(text) as ChainLine;
  } catch (err) {
    throw corrupt('not JSON', err);
  }
  const r = parsed.receipt as Partial<ReceiptLine> | undefined;
  if (typeof parsed.block !== 'object' || typeof r !== 'object' || typeof r.notBeforeBlock !== 'string') {
    throw corrupt('expected {"block": {...}, "receipt": {...}}');
  }
  let receipt: ConfigBlockReceipt;
  try {
    receipt = {
      source: r.source === 'fetch' ? 'fetch' : 'event',
      ...(r.committedInBlock === undefined ? {} : { committedInBlock: BigInt(r.committedInBlock) }),
      notBeforeBlock: BigInt(r.notBeforeBlock),
      ...(r.transactionId === undefined ? {} : { transactionId: r.transactionId }),
      receivedAtMs: Number(r.receivedAtMs),
      verifiedAtMs: Number(r.verifiedAtMs),
    };
  } catch (err) {
    throw corrupt('malformed receipt', err);
  }
  return { block: parsed.block, receipt };
}

/** The verified chain on disk plus the consumer's acknowledgement mark. */
export class ChainStore {
  private readonly dir: string;
  private readonly blocks: VerifiedConfigBlock[];
  private delivered: number;
  private closing: Promise<void> | undefined;

  private constructor(dir: string, entries: VerifiedConfigBlock[], delivered: number) {
    this.dir = dir;
    this.blocks = entries;
    this.delivered = delivered;
  }

  /**
   * Opens (creating if needed) the store in `dir`. A torn last line, left by a crash in the
   * middle of an append, is dropped and cut off the file.
   *
   * @throws {@link ObserverError} `OBSERVER_STORE_CORRUPT` when the blocks are not a chain from
   * genesis (wrong height, hash or link) or the delivered mark names a block not in it;
   * `OBSERVER_STORE_IO` when the folder cannot be read or written; `OBSERVER_STATE` when another
   * live process holds the folder.
   */
  static async open(dir: string): Promise<ChainStore> {
    try {
      await fs.mkdir(dir, { recursive: true });
    } catch (err) {
      throw new ObserverError(`cannot create ${dir}: ${(err as Error).message}`, { code: 'OBSERVER_STORE_IO', details: dir, cause: err });
    }
    await lock(dir);
    try {
      const entries = await readChain(path.join(dir, CHAIN_FILE));
      const delivered = await readDelivered(path.join(dir, DELIVERED_FILE), entries);
      return new ChainStore(dir, entries, delivered);
    } catch (err) {
      await fs.rm(path.join(dir, LOCK_FILE), { force: true });
      throw err;
    }
  }

  /**
   * Releases the folder for the next process. Idempotent; every caller waits until the lock is
   * gone, so a second caller cannot reopen the folder while the first is still releasing it.
   */
  close(): Promise<void> {
    this.closing ??= fs.rm(path.join(this.dir, LOCK_FILE), { force: true });
    return this.closing;
  }

  /** Every verified block, by height. */
  get entries(): readonly VerifiedConfigBlock[] {
    return this.blocks;
  }

  /** Height of the latest verified block, -1 when empty. */
  get latestHeight(): number {
    return this.blocks.length - 1;
  }

  /** Height of the last block the consumer acknowledged, -1 before any. */
  get deliveredHeight(): number {
    return this.delivered;
  }

  /**
   * Appends the block at the next height and makes it durable before returning.
   *
   * @throws {@link ObserverError} `OBSERVER_STORE_CORRUPT` if the block is not at the next height
   * or does not link; `OBSERVER_STORE_IO` if the write fails.
   */
  async append(entry: VerifiedConfigBlock): Promise<void> {
    const height = this.blocks.length;
    if (entry.block.height !== height || (height > 0 && entry.block.prevHash !== this.blocks[height - 1]?.block.hash)) {
      throw new ObserverError(`refusing to store block ${entry.block.height} after block ${height - 1}`, { code: 'OBSERVER_STORE_CORRUPT' });
    }
    const file = path.join(this.dir, CHAIN_FILE);
    try {
      const handle = await fs.open(file, 'a');
      try {
        await handle.write(toLine(entry));
        await handle.datasync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw new ObserverError(`cannot append to ${file}: ${(err as Error).message}`, { code: 'OBSERVER_STORE_IO', details: file, cause: err });
    }
    this.blocks.push(entry);
  }

  /**
   * Records that the consumer has processed every block up to `height`.
   *
   * @throws {@link ObserverError} `OBSERVER_STORE_IO` if the write fails.
   */
  async markDelivered(height: number): Promise<void> {
    const entry = this.blocks[height];
    if (entry === undefined) {
      throw new ObserverError(`cannot mark block ${height} delivered: not stored`, { code: 'OBSERVER_STORE_CORRUPT' });
    }
    const file = path.join(this.dir, DELIVERED_FILE);
    const temporary = `${file}.tmp`;
    try {
      // Write, flush, rename: a crash leaves either the old mark or the new one, never half.
      const handle = await fs.open(temporary, 'w');
      try {
        await handle.write(JSON.stringify({ height, hash: entry.block.hash }));
        await handle.datasync();
      } finally {
        await handle.close();
      }
      await fs.rename(temporary, file);
    } catch (err) {
      throw new ObserverError(`cannot write ${file}: ${(err as Error).message}`, { code: 'OBSERVER_STORE_IO', details: file, cause: err });
    }
    this.delivered = height;
  }
}

async function readChain(file: string): Promise<VerifiedConfigBlock[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8').catch((err: unknown) => {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
      throw err;
    });
    const complete = text.lastIndexOf('\n') + 1;
    if (complete < text.length) {
      // A torn last line: the crash came before its fsync returned, so it was never handed on.
      await fs.truncate(file, Buffer.byteLength(text.slice(0, complete), 'utf8'));
      text = text.slice(0, complete);
    }
  } catch (err) {
    throw new ObserverError(`cannot read ${file}: ${(err as Error).message}`, { code: 'OBSERVER_STORE_IO', details: file, cause: err });
  }
  const lines = text.split('\n').filter((l) => l.length > 0);
  const entries = lines.map((line, i) => fromLine(line, i + 1, file));
  entries.forEach((entry, height) => {
    const { block } = entry;
    const problem =
      block.height !== height
        ? `height ${String(block.height)}, expected ${height}`
        : hashHeader(block) !== block.hash
          ? `hash of block ${height} does not match its header`
          : height > 0 && block.prevHash !== entries[height - 1]?.block.hash
            ? `block ${height} does not link to block ${height - 1}`
            : undefined;
    if (problem !== undefined) {
      throw new ObserverError(`${file}: ${problem}`, { code: 'OBSERVER_STORE_CORRUPT', details: file });
    }
  });
  return entries;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The hash of the genesis block stored in `dir`, undefined when none is stored (or the first line
 * is unreadable: {@link ChainStore.open} reports that in full). Lets an owner tell a state folder
 * of another chain (a network made anew) from one it can resume.
 */
export async function storedGenesisHash(dir: string): Promise<string | undefined> {
  const first = await firstLine(path.join(dir, CHAIN_FILE));
  try {
    const hash = (JSON.parse(first) as { block?: { hash?: unknown } }).block?.hash;
    return typeof hash === 'string' ? hash : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Fails the way {@link ChainStore.open} would if another live process holds `dir`, without taking
 * it: a daemon checks this before it acts at all, so a second one on the same folder exits before
 * it votes or proposes.
 *
 * @throws {@link ObserverError} `OBSERVER_STATE` naming the process that holds the folder.
 */
export async function assertStateFolderFree(dir: string): Promise<void> {
  await assertNotHeld(dir, process.pid);
}

/** The first line of a file (the chain file only grows: read no more of it than that), '' when absent. */
async function firstLine(file: string): Promise<string> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, 'r');
  } catch {
    return '';
  }
  try {
    const chunks: Buffer[] = [];
    for (let position = 0; ; ) {
      const { bytesRead, buffer } = await handle.read({ buffer: Buffer.alloc(64 * 1024), position });
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      const newline = chunk.indexOf(0x0a);
      chunks.push(newline >= 0 ? chunk.subarray(0, newline) : chunk);
      if (newline >= 0) break;
      position += bytesRead;
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close();
  }
}

/** Throws when a live process other than `except` holds the folder's lock. */
async function assertNotHeld(dir: string, except?: number): Promise<void> {
  const file = path.join(dir, LOCK_FILE);
  const holder = Number((await fs.readFile(file, 'utf8').catch(() => '')).trim());
  if (Number.isSafeInteger(holder) && holder > 0 && holder !== except && isAlive(holder)) {
    throw new ObserverError(`${dir} is in use by process ${holder}`, { code: 'OBSERVER_STATE', details: file });
  }
}

/** Takes the folder's lock, taking over one left by a process that no longer runs. */
async function lock(dir: string): Promise<void> {
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await fs.writeFile(file, String(process.pid), { flag: 'wx' });
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new ObserverError(`cannot lock ${dir}: ${(err as Error).message}`, { code: 'OBSERVER_STORE_IO', details: file, cause: err });
      }
    }
    await assertNotHeld(dir);
    await fs.rm(file, { force: true });
  }
  throw new ObserverError(`cannot lock ${dir}`, { code: 'OBSERVER_STATE', details: file });
}

async function readDelivered(file: string, entries: readonly VerifiedConfigBlock[]): Promise<number> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return -1;
    throw new ObserverError(`cannot read ${file}: ${(err as Error).message}`, { code: 'OBSERVER_STORE_IO', details: file, cause: err });
  }
  let mark: { height?: unknown; hash?: unknown };
  try {
    mark = JSON.parse(text) as { height?: unknown; hash?: unknown };
  } catch (err) {
    throw new ObserverError(`${file} is not JSON`, { code: 'OBSERVER_STORE_CORRUPT', details: file, cause: err });
  }
  const height = typeof mark.height === 'number' ? mark.height : NaN;
  if (entries[height]?.block.hash !== mark.hash) {
    throw new ObserverError(`${file} names block ${String(mark.height)} (${String(mark.hash)}), which the chain does not hold`, {
      code: 'OBSERVER_STORE_CORRUPT',
      details: file,
    });
  }
  return height;
}
