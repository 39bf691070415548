/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { describe, expect, it } from '@jest/globals';
import { formatFault, renderCsv, renderTable } from './render';
import type { AuditReport } from './types';

const hash = (c: string): string => c.repeat(64);

function report(overrides: Partial<AuditReport> = {}): AuditReport {
  return {
    ok: true,
    managementChannel: 'mgmt',
    primaryChannel: 'primary',
    members: ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'],
    verifiedHeight: 1,
    blocks: [
      {
        height: 0,
        hash: hash('a'),
        timestamp: '2026-01-01T00:00:00.000Z',
        proposer: 'Org1MSP',
        cycle: 0,
        approvals: ['Org1MSP', 'Org2MSP', 'Org3MSP'],
        changes: [{ key: 'batchTimeoutMs', kind: 'added', after: 100 }],
        appliedIn: [],
        status: 'verified',
      },
      {
        height: 1,
        hash: hash('b'),
        timestamp: '2026-01-01T00:00:40.000Z',
        proposer: 'Org3MSP',
        cycle: 1,
        approvals: ['Org1MSP', 'Org2MSP', 'Org3MSP', 'Org4MSP'],
        changes: [{ key: 'batchTimeoutMs', kind: 'changed', before: 100, after: 200 }],
        appliedIn: [4],
        status: 'verified',
      },
    ],
    primaryConfigBlocks: [
      { number: 0, sequence: 0, timestamp: '2025-12-31T00:00:00.000Z', batchTimeout: '2s', batchTimeoutMs: 2000, maxMessageCount: 10, link: null, signers: [], batchChanged: false },
      {
        number: 4,
        sequence: 1,
        timestamp: '2026-01-01T00:00:45.000Z',
        batchTimeout: '200ms',
        batchTimeoutMs: 200,
        maxMessageCount: 10,
        link: { height: 1, hash: hash('b') },
        signers: ['Org1MSP', 'Org2MSP', 'Org3MSP'],
        batchChanged: true,
      },
    ],
    faults: [],
    ...overrides,
  };
}

describe('formatFault', () => {
  it.each([
    [{ code: 'AUDIT_CB_INVALID', height: 3, reason: 'proof has 2 approvals, quorum is 3' }, 'AUDIT_CB_INVALID at height 3: proof has 2 approvals, quorum is 3'],
    [{ code: 'AUDIT_BATCH_MISMATCH', height: 2, primaryBlock: 9, reason: 'x' }, 'AUDIT_BATCH_MISMATCH at primary block 9 (CB 2): x'],
    [{ code: 'AUDIT_UNLINKED_CHANGE', primaryBlock: 5, reason: 'y' }, 'AUDIT_UNLINKED_CHANGE at primary block 5: y'],
    [{ code: 'AUDIT_PRIMARY_INCOMPLETE', reason: 'z' }, 'AUDIT_PRIMARY_INCOMPLETE: z'],
  ] as const)('%j', (fault, line) => {
    expect(formatFault(fault)).toBe(line);
  });
});

describe('renderTable', () => {
  it('shows one row per CB and per primary config block, and the verdict', () => {
    const text = renderTable(report());
    const lines = text.split('\n');
    expect(lines[0]).toBe('Management chain on mgmt: 2 CBs; members Org1MSP,Org2MSP,Org3MSP,Org4MSP');
    expect(lines[1]).toBe('HEIGHT  TIME                      PROPOSER  CYCLE  APPROVALS                        PRIMARY BLOCKS  STATUS    CHANGES');
    expect(lines[2]).toMatch(/^0 +2026-01-01T00:00:00.000Z +Org1MSP +0 +Org1MSP,Org2MSP,Org3MSP +- +verified +batchTimeoutMs: \(none\)→100$/);
    expect(lines[3]).toMatch(/^1 +.* +Org3MSP +1 +Org1MSP,Org2MSP,Org3MSP,Org4MSP +4 +verified +batchTimeoutMs: 100→200$/);
    expect(text).toMatch(/^4 +1 +2026-01-01T00:00:45.000Z +200ms +10 +yes +Org1MSP,Org2MSP,Org3MSP +CB 1 bbbbbbbbbbbb…$/m);
    expect(lines.some((l) => / $/.test(l))).toBe(false);
    expect(text.trimEnd().split('\n').pop()).toBe(
      '✔ audit passed: CBs 0..1 verified, anchored in the mgmt channel config; 2 config blocks of primary, 1 linked to their CB',
    );
  });

  it('lists the faults instead of the verdict when there are any', () => {
    const text = renderTable(report({ ok: false, faults: [{ code: 'AUDIT_CB_INVALID', height: 1, reason: 'bad' }] }));
    expect(text).toMatch(/✖ 1 fault:\n {2}AUDIT_CB_INVALID at height 1: bad\n$/);
  });
});

describe('renderCsv', () => {
  it('writes RFC 4180 rows with CRLF, quoting, faults per CB and rows for faults of no CB', () => {
    const csv = renderCsv(
      report({
        ok: false,
        faults: [
          { code: 'AUDIT_CB_INVALID', height: 1, reason: 'hash "x", bad' },
          { code: 'AUDIT_UNLINKED_CHANGE', primaryBlock: 7, reason: '-changed' },
        ],
      }),
    );
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe('height,time,proposer,cycle,approvals,changes,primary_blocks,status,hash,faults');
    expect(rows[1]).toBe(`0,2026-01-01T00:00:00.000Z,Org1MSP,0,Org1MSP;Org2MSP;Org3MSP,batchTimeoutMs: (none)→100,,verified,${hash('a')},`);
    expect(rows[2]).toBe(
      `1,2026-01-01T00:00:40.000Z,Org3MSP,1,Org1MSP;Org2MSP;Org3MSP;Org4MSP,batchTimeoutMs: 100→200,4,verified,${hash('b')},"AUDIT_CB_INVALID at height 1: hash ""x"", bad"`,
    );
    expect(rows[3]).toBe(',,,,,,7,fault,,AUDIT_UNLINKED_CHANGE at primary block 7: -changed');
    expect(rows[4]).toBe('');
  });

  it('neutralises cells that a spreadsheet would run as formulas', () => {
    const csv = renderCsv(report({ blocks: [{ ...report().blocks[0], proposer: '=HYPERLINK("x")' }] }));
    expect(csv.split('\r\n')[1]).toContain(`,"'=HYPERLINK(""x"")",`);
  });
});
