/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What every benchmark script shares: option parsing, progress lines and the summary statistics,
 * so that the figures in the README are computed one way.
 */
import { InvalidArgumentError } from 'commander';

export interface Summary {
  count: number;
  p50: number;
  p95: number;
  max: number;
  mean: number;
}

export const progress = (line: string): void => {
  process.stderr.write(`» ${line}\n`);
};

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export const round = (n: number, digits = 1): number => Number(n.toFixed(digits));

export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('a positive integer');
  return n;
}

export function parsePort(value: string): number {
  const n = Number(value);
  // The devnet's grid reaches base + 6001 (Org4's peer).
  if (!Number.isInteger(n) || n < 1024 || n > 65535 - 6001) throw new InvalidArgumentError(`a port between 1024 and ${65535 - 6001}`);
  return n;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const mean = sorted.reduce((a, b) => a + b, 0) / (sorted.length || 1);
  return {
    count: sorted.length,
    p50: round(percentile(sorted, 50)),
    p95: round(percentile(sorted, 95)),
    max: round(sorted[sorted.length - 1] ?? NaN),
    mean: round(mean),
  };
}

/**
 * The first SIGINT/SIGTERM brings the network down (`close`) and exits 130/143; a second exits
 * at once, saying what may be left (`leftover`). Returns the exit code of an interruption, 0 if none.
 */
export function closeOnSignals(close: () => Promise<void>, leftover: () => string): () => number {
  let signals = 0;
  let interrupted = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    signals += 1;
    interrupted = signal === 'SIGINT' ? 130 : 143;
    if (signals > 1) {
      process.stderr.write(`✖ ${signal} again: exiting now; ${leftover()}\n`);
      process.exit(1);
    }
    progress(`${signal}: bringing the devnet down (again to exit at once)`);
    void close().finally(() => process.exit(interrupted));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return () => interrupted;
}
