/*
 * SPDX-License-Identifier: Apache-2.0
 */

import { describe, expect, it } from '@jest/globals';

import { cycleOutcome, tally, tallyVotes } from './tally';
import type { Verdict } from './types';

/** Rows read like the rule: `<approvals> of <n> approve, <rejections> reject: <verdict>`. */
const rows: [string, number, number, number, Verdict][] = [
  ['3 of 4 approve: sealed', 4, 3, 0, 'sealed'],
  ['4 of 4 approve: sealed', 4, 4, 0, 'sealed'],
  ['3 of 4 approve, 1 rejects: sealed', 4, 3, 1, 'sealed'],
  ['2 of 4 approve: open', 4, 2, 0, 'open'],
  ['2 of 4 approve, 1 rejects: open', 4, 2, 1, 'open'],
  ['2 of 4 reject: failed', 4, 0, 2, 'failed'],
  ['2 of 4 approve, 2 reject: failed', 4, 2, 2, 'failed'],
  ['1 of 4 rejects: open', 4, 0, 1, 'open'],
  ['nobody votes: open', 4, 0, 0, 'open'],
  ['1 of 1 approves: sealed', 1, 1, 0, 'sealed'],
  ['1 of 1 rejects: failed', 1, 0, 1, 'failed'],
  ['2 of 3 approve: open', 3, 2, 0, 'open'],
  ['3 of 3 approve: sealed', 3, 3, 0, 'sealed'],
  ['1 of 3 rejects: failed', 3, 0, 1, 'failed'],
  ['5 of 7 approve: sealed', 7, 5, 0, 'sealed'],
  ['4 of 7 approve, 2 reject: open', 7, 4, 2, 'open'],
  ['3 of 7 reject: failed', 7, 0, 3, 'failed'],
  ['11 of 16 approve: sealed', 16, 11, 0, 'sealed'],
  ['6 of 16 reject: failed', 16, 10, 6, 'failed'],
];

describe('tally', () => {
  it.each(rows)('%s', (_row, n, approvals, rejections, verdict) => {
    expect(tally({ n, approvals, rejections }).verdict).toBe(verdict);
  });

  it('reports the thresholds it used', () => {
    expect(tally({ n: 4, approvals: 1, rejections: 1 })).toEqual({
      verdict: 'open',
      n: 4,
      approvals: 1,
      rejections: 1,
      quorum: 3,
      rejectionThreshold: 2,
    });
  });

  it.each([
    ['negative counts', 4, -1, 0],
    ['fractional counts', 4, 1.5, 0],
    ['more votes than members', 4, 3, 2],
  ])('refuses %s', (_label, n, approvals, rejections) => {
    expect(() => tally({ n, approvals, rejections })).toThrow(expect.objectContaining({ code: 'MGMT_BAD_ARGUMENT' }));
  });
});

describe('tallyVotes', () => {
  const ids = ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'];

  it('counts each member once and ignores non-members', () => {
    const t = tallyVotes(
      [
        { mspId: 'Org1MSP', approve: true },
        { mspId: 'Org2MSP', approve: true },
        { mspId: 'Org9MSP', approve: true },
        { mspId: 'Org3MSP', approve: false },
      ],
      ids,
    );
    expect(t).toMatchObject({ verdict: 'open', approvals: 2, rejections: 1, n: 4 });
  });

  it('refuses a member voting twice', () => {
    expect(() =>
      tallyVotes(
        [
          { mspId: 'Org1MSP', approve: true },
          { mspId: 'Org1MSP', approve: true },
        ],
        ids,
      ),
    ).toThrow(expect.objectContaining({ code: 'MGMT_DUPLICATE_VOTE' }));
  });
});

describe('cycleOutcome', () => {
  const end = 1_000;
  it.each([
    ['a quorum before the deadline: sealed', 3, 0, 999, { verdict: 'sealed' }],
    ['a quorum tallied after the deadline: sealed', 3, 0, 5_000, { verdict: 'sealed' }],
    ['enough rejections before the deadline: failed, rejected', 0, 2, 10, { verdict: 'failed', reason: 'rejected' }],
    ['undecided before the deadline: open', 2, 1, 999, { verdict: 'open' }],
    ['undecided at the deadline: failed, timeout', 2, 1, 1_000, { verdict: 'failed', reason: 'timeout' }],
  ])('%s', (_label, approvals, rejections, now, expected) => {
    expect(cycleOutcome(tally({ n: 4, approvals, rejections }), now, end)).toMatchObject(expected);
  });
});
