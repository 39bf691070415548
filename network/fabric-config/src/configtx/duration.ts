/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Go's time.ParseDuration and Duration.String. BatchTimeout is stored as a Go duration string and
 * Fabric's orderer parses it with Go, so the devnet must accept and refuse exactly the same strings.
 */
import { ConfigtxError } from './errors';

const NANOS_PER_MS = 1_000_000n;

/** Go's units, in nanoseconds. Both micro signs are accepted, as Go does. */
const UNIT_NANOS: ReadonlyMap<string, bigint> = new Map([
  ['ns', 1n],
  ['us', 1_000n],
  ['\u00b5s', 1_000n],
  ['\u03bcs', 1_000n],
  ['ms', 1_000_000n],
  ['s', 1_000_000_000n],
  ['m', 60_000_000_000n],
  ['h', 3_600_000_000_000n],
]);

/** Go stores durations as int64 nanoseconds and refuses anything larger. */
const MAX_NANOS = (1n << 63n) - 1n;

function invalid(message: string): ConfigtxError {
  return new ConfigtxError(message, { code: 'CONFIGTX_BAD_DURATION' });
}

/**
 * Parses a Go duration string to whole nanoseconds, with Go's grammar:
 * `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or a bare `0`.
 *
 * @param s - the duration, e.g. `"2s"`, `"1m30s"`, `"1.5s"`, `"300us"`.
 * @returns the duration in nanoseconds.
 * @throws ConfigtxError (`CONFIGTX_BAD_DURATION`) with Go's message on any other string.
 */
export function parseGoDurationNanos(s: string): bigint {
  const quoted = JSON.stringify(s);
  let rest = s;
  let negative = false;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    negative = rest.startsWith('-');
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') throw invalid(`time: invalid duration ${quoted}`);
  let total = 0n;
  while (rest !== '') {
    const number = /^([0-9]*)(?:\.([0-9]*))?/.exec(rest);
    const whole = number?.[1] ?? '';
    const fraction = number?.[2];
    if (whole === '' && (fraction === undefined || fraction === '')) {
      throw invalid(`time: invalid duration ${quoted}`);
    }
    rest = rest.slice(number?.[0].length ?? 0);
    // Go's unit is everything up to the next digit or dot.
    const unitMatch = /^[^0-9.]*/.exec(rest);
    const unit = unitMatch?.[0] ?? '';
    if (unit === '') throw invalid(`time: missing unit in duration ${quoted}`);
    const unitNanos = UNIT_NANOS.get(unit);
    if (unitNanos === undefined) throw invalid(`time: unknown unit ${JSON.stringify(unit)} in duration ${quoted}`);
    rest = rest.slice(unit.length);
    let value = BigInt(whole === '' ? '0' : whole) * unitNanos;
    if (fraction !== undefined && fraction !== '') {
      // Go truncates the fractional part towards zero; so does BigInt division.
      value += (BigInt(fraction) * unitNanos) / 10n ** BigInt(fraction.length);
    }
    total += value;
    if (total > MAX_NANOS) throw invalid(`time: invalid duration ${quoted}`);
  }
  return negative ? -total : total;
}

/**
 * Parses a Go duration string (as in BatchTimeout) to milliseconds.
 *
 * @param s - the duration, e.g. `"2s"`, `"500ms"`, `"1m30s"`, `"1.5s"`, `"0.5h"`, `"300us"`.
 * @returns the duration in milliseconds, fractional below one millisecond (`"300us"` gives 0.3).
 * @throws ConfigtxError (`CONFIGTX_BAD_DURATION`) with Go's message when `s` is not a Go duration.
 * @example parseGoDuration('1m30s') // 90000
 */
export function parseGoDuration(s: string): number {
  const nanos = parseGoDurationNanos(s);
  return Number(nanos / NANOS_PER_MS) + Number(nanos % NANOS_PER_MS) / 1e6;
}

/** Go's fmtFrac: the fraction digits of `v` over `precision` decimal places, trailing zeros dropped. */
function splitFraction(v: bigint, precision: number): { integer: bigint; fraction: string } {
  const scale = 10n ** BigInt(precision);
  const fraction = (v % scale).toString().padStart(precision, '0').replace(/0+$/, '');
  return { integer: v / scale, fraction: fraction === '' ? '' : `.${fraction}` };
}

/**
 * Formats nanoseconds as Go's Duration.String does (`"2s"`, `"1m30s"`, `"1h0m0s"`, `"500ms"`,
 * `"300µs"`, `"0s"`), so a value written by the devnet reads as one written by Fabric's tools.
 *
 * @param nanos - the duration in nanoseconds.
 * @returns the Go duration string.
 */
export function formatGoDurationNanos(nanos: bigint): string {
  if (nanos === 0n) return '0s';
  const sign = nanos < 0n ? '-' : '';
  const abs = nanos < 0n ? -nanos : nanos;
  if (abs < 1_000_000_000n) {
    const [precision, unit] = abs < 1_000n ? [0, 'ns'] : abs < 1_000_000n ? [3, '\u00b5s'] : [6, 'ms'];
    const { integer, fraction } = splitFraction(abs, precision);
    return `${sign}${integer}${fraction}${unit}`;
  }
  const { integer: totalSeconds, fraction } = splitFraction(abs, 9);
  const seconds = totalSeconds % 60n;
  const totalMinutes = totalSeconds / 60n;
  if (totalMinutes === 0n) return `${sign}${seconds}${fraction}s`;
  const minutes = totalMinutes % 60n;
  const hours = totalMinutes / 60n;
  const head = hours === 0n ? `${minutes}m` : `${hours}h${minutes}m`;
  return `${sign}${head}${seconds}${fraction}s`;
}

/**
 * Formats milliseconds as a Go duration string (Go's Duration.String).
 *
 * @param ms - the duration in milliseconds; sub-millisecond fractions are kept to the nanosecond.
 * @returns the Go duration string, e.g. `formatGoDuration(90000)` gives `"1m30s"`.
 * @throws RangeError if `ms` is not finite.
 */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms)) throw new RangeError(`duration must be finite, got ${ms}`);
  const whole = Math.trunc(ms);
  const nanos = BigInt(whole) * NANOS_PER_MS + BigInt(Math.round((ms - whole) * 1e6));
  return formatGoDurationNanos(nanos);
}
