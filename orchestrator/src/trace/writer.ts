/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Writes a trace file: one JSON line per step, appended through a write stream as steps happen,
 * so that recording never waits for the disk inside the nodes' loops.
 */
import { createWriteStream } from 'node:fs';
import type { WriteStream } from 'node:fs';
import type { StepFields, TraceStep, Tracer } from './types';

/** Epoch ms with sub-millisecond resolution: the wall clock at process start plus the monotonic time since. */
export function traceClock(): number {
  return performance.timeOrigin + performance.now();
}

/** Options of {@link TraceWriter.open}. */
export interface TraceWriterOptions {
  /** Epoch ms; {@link traceClock} by default. */
  readonly clock?: () => number;
  /** Told once when writing fails (a full disk); later steps are dropped. */
  readonly onError?: (error: Error) => void;
}

/**
 * A trace file being written.
 *
 * @example
 * const writer = await TraceWriter.open('/tmp/t.jsonl');
 * const node = new ManagementNode({ ..., tracer: writer.tracerFor('Org1MSP') });
 * // ...
 * await writer.close();
 */
export class TraceWriter {
  /** The file written. */
  readonly file: string;
  private readonly stream: WriteStream;
  private readonly clock: () => number;
  private readonly onError: ((error: Error) => void) | undefined;
  private failed = false;
  private closing: Promise<void> | undefined;
  private written = 0;

  private constructor(file: string, stream: WriteStream, options: TraceWriterOptions) {
    this.file = file;
    this.stream = stream;
    this.clock = options.clock ?? traceClock;
    this.onError = options.onError;
    stream.on('error', (err) => {
      if (this.failed) return;
      this.failed = true;
      this.onError?.(err);
    });
  }

  /**
   * Opens `file` for appending (a trace of several runs reads as one).
   *
   * @throws Error when the file cannot be opened (missing folder, no permission).
   */
  static async open(file: string, options: TraceWriterOptions = {}): Promise<TraceWriter> {
    const stream = createWriteStream(file, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => {
        reject(new Error(`cannot write the trace file ${file}: ${err.message}`, { cause: err }));
      };
      stream.once('error', onError);
      stream.once('open', () => {
        stream.off('error', onError);
        resolve();
      });
    });
    return new TraceWriter(file, stream, options);
  }

  /** Lines handed to the stream so far. */
  get lines(): number {
    return this.written;
  }

  /** Appends one step; dropped after {@link close} or a write failure. Never throws. */
  record(member: string, step: TraceStep, fields: StepFields): void {
    if (this.failed || this.closing !== undefined) return;
    const t = Math.round(this.clock() * 1000) / 1000;
    this.stream.write(`${JSON.stringify({ t, member, step, ...fields })}\n`);
    this.written += 1;
  }

  /** A tracer that records steps as `member`'s. */
  tracerFor(member: string): Tracer {
    return (step, fields) => {
      this.record(member, step, fields);
    };
  }

  /** Flushes what is buffered and closes the file; resolves once it is closed. Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (this.stream.closed) {
        resolve();
        return;
      }
      this.stream.once('close', () => {
        resolve();
      });
      this.stream.end();
    });
    return this.closing;
  }
}
