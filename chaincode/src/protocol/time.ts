/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { MgmtError } from './errors';

const ISO_MILLIS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/**
 * Formats epoch milliseconds the way configuration blocks carry time:
 * `YYYY-MM-DDTHH:mm:ss.sssZ` (UTC, milliseconds).
 *
 * @throws {@link MgmtError} `MGMT_BAD_ARGUMENT` for a time outside years 0000..9999.
 */
export function toIsoMillis(ms: number): string {
  const text = Number.isSafeInteger(ms) ? new Date(ms).toISOString() : '';
  if (!ISO_MILLIS.test(text)) {
    throw new MgmtError('MGMT_BAD_ARGUMENT', `time ${ms} has no YYYY-MM-DDTHH:mm:ss.sssZ form`);
  }
  return text;
}

/**
 * Parses a timestamp in exactly the form {@link toIsoMillis} writes, so that every timestamp has
 * one spelling and hashes stay comparable.
 *
 * @returns epoch milliseconds, or `undefined` when the text is not in canonical form.
 */
export function parseIsoMillis(text: unknown): number | undefined {
  if (typeof text !== 'string' || !ISO_MILLIS.test(text)) {
    return undefined;
  }
  const ms = Date.parse(text);
  if (!Number.isSafeInteger(ms) || new Date(ms).toISOString() !== text) {
    return undefined;
  }
  return ms;
}

/**
 * Refuses a transaction whose timestamp is further than the tolerance from the endorser's clock.
 * Endorsers of one transaction may disagree here; a skewed endorser then refuses to endorse, and
 * the endorsement policy decides.
 *
 * @throws {@link MgmtError} `MGMT_CLOCK_SKEW` naming both times.
 */
export function assertClockSkew(txMs: number, endorserMs: number, toleranceSeconds: number): void {
  if (Math.abs(txMs - endorserMs) > toleranceSeconds * 1000) {
    throw new MgmtError(
      'MGMT_CLOCK_SKEW',
      `transaction time ${toIsoMillis(txMs)} is more than ${toleranceSeconds}s from endorser time ${toIsoMillis(Math.trunc(endorserMs))}`,
    );
  }
}
