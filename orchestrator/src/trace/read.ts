/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reads trace files back. A line that is not a trace line (the last one of a run killed while
 * writing, say) is counted and skipped, never fatal: the rest of the trace still tells its story.
 */
import { readFileSync } from 'node:fs';
import { messageOf } from 'mgmt-chaincode/dist/protocol';
import type { TraceLine } from './types';

/** Lines of one or more trace files, in time order. */
export interface ReadTrace {
  readonly lines: readonly TraceLine[];
  /** Non-empty lines that are not trace lines. */
  readonly unreadable: number;
  /** Where the first of them is, e.g. `t.jsonl:17: not JSON`. */
  readonly firstProblem?: string;
}

type JsonRecord = Record<string, unknown>;

/** A trace line from a parsed JSON value, with only the known fields of the right type; else why not. */
function traceLineOf(value: unknown): TraceLine | string {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const v = value as JsonRecord;
  if (typeof v.t !== 'number' || !Number.isFinite(v.t)) return 'no numeric "t"';
  if (typeof v.member !== 'string' || typeof v.step !== 'string') return 'no "member" or "step"';
  const num = (key: string): number | undefined => {
    const x = v[key];
    return typeof x === 'number' && Number.isFinite(x) ? x : undefined;
  };
  const str = (key: string): string | undefined => {
    const x = v[key];
    return typeof x === 'string' ? x : undefined;
  };
  return {
    t: v.t,
    member: v.member,
    step: v.step,
    height: num('height'),
    cycle: num('cycle'),
    proposalId: str('proposalId'),
    by: str('by'),
    at: num('at'),
    tx: str('tx'),
    txId: str('txId'),
    detail: str('detail'),
  };
}

/** Parses the text of a trace file. @param source - names the file in {@link ReadTrace.firstProblem}. */
export function parseTrace(text: string, source = 'trace'): ReadTrace {
  const lines: TraceLine[] = [];
  let unreadable = 0;
  let firstProblem: string | undefined;
  text.split('\n').forEach((raw, index) => {
    if (raw.trim() === '') return;
    let parsed: TraceLine | string;
    try {
      parsed = traceLineOf(JSON.parse(raw));
    } catch {
      parsed = 'not JSON';
    }
    if (typeof parsed === 'string') {
      unreadable += 1;
      firstProblem ??= `${source}:${index + 1}: ${parsed}`;
    } else {
      lines.push(parsed);
    }
  });
  return { lines: lines.sort((a, b) => a.t - b.t), unreadable, firstProblem };
}

/**
 * Reads and merges trace files (one per `mgmt node`, say), in time order.
 *
 * @throws Error naming the file when one cannot be read.
 */
export function readTraceFiles(files: readonly string[]): ReadTrace {
  const parts = files.map((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      throw new Error(`cannot read the trace ${file}: ${messageOf(err)}`, { cause: err });
    }
    return parseTrace(text, file);
  });
  return {
    lines: parts.flatMap((p) => p.lines).sort((a, b) => a.t - b.t),
    unreadable: parts.reduce((sum, p) => sum + p.unreadable, 0),
    firstProblem: parts.find((p) => p.firstProblem !== undefined)?.firstProblem,
  };
}
