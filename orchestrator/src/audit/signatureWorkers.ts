/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The vote signatures of a whole chain checked ahead, in parallel, by worker threads, so that a
 * long audit is not bound to one core's ECDSA speed (about 60 µs a signature, 3.3 a CB).
 *
 * Only the answer to "does this signature verify over this message under this certificate's key"
 * is computed ahead; it is a pure function of its three inputs. The core's verifyBlock still runs
 * on every block, in order, on the calling thread, and decides everything else (which certificate,
 * which CA, validity at which instant, canonical encodings, quorum, params in force). When it asks
 * the injected verifier's `verifyVote`, the answer is read from shared memory, waiting for the
 * worker that computes it if needed; a question nobody asked ahead, or whose worker failed, is
 * answered directly. So the verdicts are the sequential ones, and the chain is verified while the
 * workers are still checking its later signatures.
 *
 * The calling thread blocks in `Atomics.wait` (allowed on Node's main thread) instead of awaiting,
 * so `verifyManagementChain` and `auditEvidence` stay synchronous for every caller.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { X509Certificate } from 'node:crypto';
import type { CryptoVerifier } from 'mgmt-chaincode/dist/protocol';
import { createOpenSslVerifier } from './opensslVerifier';

/** Signatures handed to a worker at a time, and answered together (about 15 ms of work). */
const CHUNK = 256;

/**
 * How long the verifying thread waits for one chunk before it gives up on that chunk and checks
 * its signatures itself: only a worker that died or hangs gets there, even on a loaded machine.
 */
const CHUNK_WAIT_MS = 10_000;

/** Answers in shared memory: not yet known, verifies, does not verify (or cannot be checked ahead). */
const UNKNOWN = 0;
const VALID = 1;
const INVALID = 2;

/**
 * Chunk states in shared memory. Whoever moves a chunk from PENDING to CLAIMED (a worker, or the
 * verifying thread when it reaches a chunk no worker has started) checks it, so no signature is
 * checked twice and no thread idles while one is left: a worker slowed by other processes on a
 * shared machine holds up only the chunk it has claimed.
 */
const PENDING = 0;
const CLAIMED = 1;
const DONE = 2;

/**
 * The worker, as source (`eval`): a file would not exist when the audit runs from TypeScript
 * under the tests. It answers exactly as `createOpenSslVerifier().verifyVote` (the same
 * `crypto.verify` call on the certificate's public key, false when it throws), and leaves
 * UNKNOWN what it cannot answer that way (a certificate that does not parse: the core never
 * asks about it). It takes the chunks in chain order, so the first blocks are answered first.
 */
const WORKER_SOURCE = `
'use strict';
const { workerData, parentPort } = require('node:worker_threads');
const { verify, X509Certificate } = require('node:crypto');
const { answers, states } = workerData;
const out = new Uint8Array(answers);
const state = new Int32Array(states);
const pems = [];
const keys = new Map();
function keyOf(i) {
  if (!keys.has(i)) {
    let key = null;
    try { key = new X509Certificate(pems[i]).publicKey; } catch { key = null; }
    keys.set(i, key);
  }
  return keys.get(i);
}
parentPort.on('message', (batch) => {
  for (const pem of batch.pems) pems.push(pem);
  for (const chunk of batch.chunks) {
    if (Atomics.compareExchange(state, chunk.index, ${PENDING}, ${CLAIMED}) !== ${PENDING}) continue;
    for (let j = 0; j < chunk.pem.length; j++) {
      const key = keyOf(chunk.pem[j]);
      if (key === null) continue;
      let valid = false;
      try {
        valid = verify('sha256', Buffer.from(chunk.text[j], 'utf8'), { key, dsaEncoding: 'der' }, Buffer.from(chunk.signature[j], 'base64'));
      } catch {
        valid = false;
      }
      out[chunk.start + j] = valid ? ${VALID} : ${INVALID};
    }
    Atomics.store(state, chunk.index, ${DONE});
    Atomics.notify(state, chunk.index);
  }
});
`;

/**
 * Chunks in the first batch posted to the workers, and in each one after it: the workers start on
 * the first blocks while the rest of the chain's signatures are still being collected.
 */
const FIRST_BATCH = 2;
const BATCH = 16;

/** A batch of work as posted to the workers: the certificates new since the last batch, and chunks. */
interface Batch {
  readonly pems: string[];
  readonly chunks: ChunkJob[];
}

let running = 0;

/**
 * Signature workers started and not yet exited, in this process: 0 once every pre-pass has been
 * closed and its workers have stopped (they stop asynchronously, shortly after `close`).
 */
export function runningSignatureWorkers(): number {
  return running;
}

/**
 * The worker threads a parallel audit uses by default: one per available core but the verifying
 * thread's, which checks the chunks no worker has started as well as running the core. On 2 cores
 * one worker verified a 10,000-CB chain in 1.23 s and two in 1.31 s (three threads on two cores
 * take turns; `node scripts/dist/bench-audit.js --workers 1`, then `--workers 2`). 0 on a single
 * core: nothing to run in parallel with.
 */
export function defaultAuditWorkers(): number {
  return availableParallelism() - 1;
}

/** A chunk of signature checks as a worker receives it (structured-cloned). */
interface ChunkJob {
  readonly index: number;
  /** Index of the chunk's first signature in the answers. */
  readonly start: number;
  readonly pem: number[];
  readonly text: string[];
  readonly signature: string[];
}

/** The checks of a chain, in chain order. */
interface Jobs {
  readonly pems: string[];
  /** Signature index by {@link jobKey}. */
  readonly byKey: Map<string, number>;
  readonly chunks: ChunkJob[];
  readonly count: number;
}

/** A running pre-pass: the verifier to give verifyBlock, and how to stop the workers. */
export interface SignaturePrepass {
  /** An OpenSSL verifier whose `verifyVote` reads the workers' answers. */
  readonly verifier: CryptoVerifier;
  /** Signatures handed to the workers. */
  readonly signatures: number;
  /** Questions answered so far from the workers' answers, and directly (none asked ahead, or a worker failed). */
  answered(): { readonly ahead: number; readonly direct: number };
  /** Chunks of signatures so far checked by the workers and by the verifying thread, of `total`. */
  chunks(): { readonly total: number; readonly byWorkers: number; readonly here: number };
  /** Stops the workers (idempotent); call it in every case, also when verification stops early. */
  close(): void;
}

const HASH = /^[0-9a-f]{64}$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function jobKey(pemIndex: number, text: string, signatureBase64: string): string {
  return `${pemIndex}\n${text}\n${signatureBase64}`;
}

/** Proof entries of the chain, an upper bound of the signatures {@link collectJobs} finds. */
function proofEntries(blocks: readonly unknown[]): number {
  let count = 0;
  for (const block of blocks) if (isObject(block) && Array.isArray(block.proof)) count += block.proof.length;
  return count;
}

/**
 * Every approval of every block that looks like one (a 64-hex hash, proof entries with string
 * certificate and signature): untrusted input, so nothing here is a verdict, only a question the
 * core may ask. Its vote text is the core's `voteText(hash, true)`, as proofs hold approvals.
 * `post` receives the work in batches as it is found, each chunk once it is full (the last one at
 * the end).
 */
function collectJobs(blocks: readonly unknown[], voteText: (hash: string) => string, post: (batch: Batch) => void): Jobs {
  const pems: string[] = [];
  const pemIndex = new Map<string, number>();
  const byKey = new Map<string, number>();
  const chunks: ChunkJob[] = [];
  let current: ChunkJob | undefined;
  let postedChunks = 0;
  let postedPems = 0;
  const flush = (upTo: number): void => {
    if (upTo <= postedChunks) return;
    post({ pems: pems.slice(postedPems), chunks: chunks.slice(postedChunks, upTo) });
    postedChunks = upTo;
    postedPems = pems.length;
  };
  for (const block of blocks) {
    if (!isObject(block) || typeof block.hash !== 'string' || !HASH.test(block.hash) || !Array.isArray(block.proof)) continue;
    let text: string;
    try {
      text = voteText(block.hash);
    } catch {
      // Not a hash the core would accept: the block fails before any signature is asked about.
      continue;
    }
    for (const entry of block.proof as unknown[]) {
      if (!isObject(entry) || typeof entry.certificate !== 'string' || typeof entry.signature !== 'string') continue;
      let pem = pemIndex.get(entry.certificate);
      if (pem === undefined) {
        pem = pems.length;
        pems.push(entry.certificate);
        pemIndex.set(entry.certificate, pem);
      }
      const key = jobKey(pem, text, entry.signature);
      if (byKey.has(key)) continue;
      if (current === undefined || current.pem.length === CHUNK) {
        // The chunks before this new one are full.
        if (chunks.length - postedChunks >= (postedChunks === 0 ? FIRST_BATCH : BATCH)) flush(chunks.length);
        current = { index: chunks.length, start: byKey.size, pem: [], text: [], signature: [] };
        chunks.push(current);
      }
      byKey.set(key, byKey.size);
      current.pem.push(pem);
      current.text.push(text);
      current.signature.push(entry.signature);
    }
  }
  flush(chunks.length);
  return { pems, byKey, chunks, count: byKey.size };
}

/**
 * Starts checking the vote signatures of `blocks` on `workers` threads, chunk by chunk in chain
 * order; the verifying thread checks a chunk itself when it gets there before any worker.
 *
 * @param blocks - the chain, untrusted, as given to verifyManagementChain.
 * @param workers - worker threads, at least 1.
 * @param voteText - the core's vote text of an approval of `hash`.
 * @returns the verifier for verifyBlock and `close`, which the caller must call (in `finally`).
 */
export function startSignaturePrepass(blocks: readonly unknown[], workers: number, voteText: (hash: string) => string): SignaturePrepass {
  if (!Number.isSafeInteger(workers) || workers < 1) {
    throw new RangeError(`workers must be a positive integer, got ${String(workers)}`);
  }
  // The workers start before the signatures are collected (a thread takes tens of milliseconds to
  // boot), sized for every proof entry; they get the work in batches as it is found.
  const entries = proofEntries(blocks);
  const maxChunks = Math.ceil(entries / CHUNK);
  const answers = new Uint8Array(new SharedArrayBuffer(Math.max(1, entries)));
  const states = new Int32Array(new SharedArrayBuffer(4 * Math.max(1, maxChunks)));
  const threads: Worker[] = [];
  for (let w = 0; w < Math.min(workers, maxChunks); w++) {
    let worker: Worker;
    try {
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { answers: answers.buffer, states: states.buffer } });
    } catch {
      // No thread to be had (a resource limit): the chunks no worker takes are checked here.
      break;
    }
    // A worker that fails leaves the chunk it claimed unanswered; the verifying thread stops waiting
    // for it (CHUNK_WAIT_MS) and checks those signatures itself: the failure costs time, not a verdict.
    worker.on('error', () => undefined);
    running++;
    worker.once('exit', () => {
      running--;
    });
    // Never what keeps the process alive.
    worker.unref();
    threads.push(worker);
  }
  const jobs = collectJobs(blocks, voteText, (batch) => {
    for (const worker of threads) worker.postMessage(batch);
  });
  const abandoned = new Set<number>();
  const direct = createOpenSslVerifier();
  /** The PEM each certificate object was parsed from, to find its signatures' answers. */
  const pemOf = new WeakMap<X509Certificate, string>();
  const pemIndex = new Map(jobs.pems.map((pem, i) => [pem, i]));

  let checkedHere = 0;
  /** Checks a chunk no worker has started, on this thread, as a worker would. */
  const checkChunk = (chunk: ChunkJob): void => {
    chunk.pem.forEach((pem, j) => {
      let certificate: X509Certificate;
      try {
        certificate = direct.certificate(jobs.pems[pem]);
      } catch {
        return;
      }
      const valid = direct.verifyVote(certificate, Buffer.from(chunk.text[j], 'utf8'), Buffer.from(chunk.signature[j], 'base64'));
      answers[chunk.start + j] = valid ? VALID : INVALID;
    });
    Atomics.store(states, chunk.index, DONE);
    checkedHere++;
  };

  /** Where to start looking for a spare chunk: those below are claimed, or behind this thread. */
  let claimedBelow = 0;
  /** Claims the first chunk after `chunk` that nobody has started, if any. */
  const claimAfter = (chunk: number): number | undefined => {
    for (let c = Math.max(chunk + 1, claimedBelow); c < jobs.chunks.length; c++) {
      if (Atomics.compareExchange(states, c, PENDING, CLAIMED) === PENDING) return c;
      claimedBelow = c + 1;
    }
    return undefined;
  };

  const answerOf = (certificate: X509Certificate, message: Uint8Array, signatureDer: Uint8Array): number => {
    const pem = pemOf.get(certificate);
    const index = pem === undefined ? undefined : pemIndex.get(pem);
    if (index === undefined) return UNKNOWN;
    // The core asks only about canonical base64 signatures, so this is the proof entry's text.
    const job = jobs.byKey.get(jobKey(index, Buffer.from(message).toString('utf8'), Buffer.from(signatureDer).toString('base64')));
    if (job === undefined) return UNKNOWN;
    const chunk = Math.floor(job / CHUNK);
    if (Atomics.compareExchange(states, chunk, PENDING, CLAIMED) === PENDING) {
      checkChunk(jobs.chunks[chunk]);
    }
    while (Atomics.load(states, chunk) !== DONE && !abandoned.has(chunk)) {
      // Rather than idle while a worker finishes this chunk, check the next one nobody has started.
      const spare = claimAfter(chunk);
      if (spare !== undefined) {
        checkChunk(jobs.chunks[spare]);
      } else if (Atomics.wait(states, chunk, CLAIMED, CHUNK_WAIT_MS) === 'timed-out') {
        abandoned.add(chunk);
      }
    }
    return Atomics.load(states, chunk) === DONE ? answers[job] : UNKNOWN;
  };

  let ahead = 0;
  let directly = 0;
  let closed = false;
  return {
    signatures: jobs.count,
    answered: () => ({ ahead, direct: directly }),
    chunks: () => {
      const done = jobs.chunks.filter((c) => Atomics.load(states, c.index) === DONE).length;
      return { total: jobs.chunks.length, byWorkers: done - checkedHere, here: checkedHere };
    },
    verifier: Object.freeze({
      certificate(pem: string): X509Certificate {
        const certificate = direct.certificate(pem);
        pemOf.set(certificate, pem);
        return certificate;
      },
      issuedBy: (certificate: X509Certificate, ca: X509Certificate): boolean => direct.issuedBy(certificate, ca),
      verifyVote(certificate: X509Certificate, message: Uint8Array, signatureDer: Uint8Array): boolean {
        const answer = answerOf(certificate, message, signatureDer);
        if (answer === UNKNOWN) {
          directly++;
          return direct.verifyVote(certificate, message, signatureDer);
        }
        ahead++;
        return answer === VALID;
      },
    }),
    close(): void {
      if (closed) return;
      closed = true;
      for (const worker of threads) {
        worker.terminate().catch(() => undefined);
      }
    },
  };
}
