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
      {
        number: 0,
        sequence: 0,
        timestamp: '2025-12-31T00:00:00.000Z',
        batchTimeout: '2s',
        batchTimeoutMs: 2000,
        maxMessageCount: 10,
        link: null,
        signers: [],
        batchChanged: false,
        changes: [],
        governedBy: 0,
        changesComplete: true,
      },
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
        changes: [
          { path: 'Channel/Application/Policies/Endorsement', kind: 'modified', before: 'MAJORITY Endorsement', after: "OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer')", governed: true },
          { path: 'Channel/Orderer/BatchTimeout', kind: 'modified', before: '2s', after: '200ms', governed: true },
          { path: 'Channel/Orderer/ChannelRestrictions/MaxCount', kind: 'added', after: 5, governed: false },
          { path: 'Channel/Orderer/Org1MSP/MSP/RootCerts', kind: 'modified', before: [`sha256:${hash('1')}`, `sha256:${hash('2')}`], after: [`sha256:${hash('3')}`], governed: false },
        ],
        governedBy: 1,
        changesComplete: true,
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
    [{ code: 'AUDIT_UNLINKED_GOVERNED_CHANGE', primaryBlock: 5, reason: 'y' }, 'AUDIT_UNLINKED_GOVERNED_CHANGE at primary block 5: y'],
    [{ code: 'AUDIT_PRIMARY_INCOMPLETE', reason: 'z' }, 'AUDIT_PRIMARY_INCOMPLETE: z'],
  ] as const)('%j', (fault, line) => {
    expect(formatFault(fault)).toBe(line);
  });
});

describe('renderTable', () => {
  it('shows one row per CB, per primary config block and per change, and the verdict', () => {
    const text = renderTable(report());
    const lines = text.split('\n');
    expect(lines[0]).toBe('Management chain on mgmt: 2 CBs; members Org1MSP,Org2MSP,Org3MSP,Org4MSP');
    expect(lines[1]).toBe('HEIGHT  TIME                      PROPOSER  CYCLE  APPROVALS                        PRIMARY BLOCKS  STATUS    CHANGES');
    expect(lines[2]).toMatch(/^0 +2026-01-01T00:00:00.000Z +Org1MSP +0 +Org1MSP,Org2MSP,Org3MSP +- +verified +batchTimeoutMs: \(none\)→100$/);
    expect(lines[3]).toMatch(/^1 +.* +Org3MSP +1 +Org1MSP,Org2MSP,Org3MSP,Org4MSP +4 +verified +batchTimeoutMs: 100→200$/);
    expect(text).toMatch(/^BLOCK +SEQ +TIME +BATCH TIMEOUT +MAX MESSAGES +CHANGES +SIGNERS +APPLIES$/m);
    expect(text).toMatch(/^0 +0 +2025-12-31T00:00:00.000Z +2s +10 +- +- +-$/m);
    expect(text).toMatch(/^4 +1 +2026-01-01T00:00:45.000Z +200ms +10 +4 \(2 governed\) +Org1MSP,Org2MSP,Org3MSP +CB 1 bbbbbbbbbbbb…$/m);
    expect(text).toContain('Changes of primary against the previous config block (governed: named by the configuration of the CB that governs the block):');
    expect(text).toMatch(/^BLOCK +GOVERNED BY +GOVERNED +FAULT +PATH +BEFORE → AFTER$/m);
    expect(text).toMatch(/^4 +CB 1 \(linked\) +yes +- +Channel\/Application\/Policies\/Endorsement +MAJORITY Endorsement → OutOf\(2, 'Org1MSP\.peer', 'Org2MSP\.peer'\)$/m);
    expect(text).toMatch(/^4 +CB 1 \(linked\) +no +- +Channel\/Orderer\/ChannelRestrictions\/MaxCount +\(none\) → 5$/m);
    // Certificate hashes are cut, and so is a value longer than the cell allows.
    expect(text).toMatch(/^4 +CB 1 \(linked\) +no +- +Channel\/Orderer\/Org1MSP\/MSP\/RootCerts +\["sha256:111111111111…","sha256:222222222222…"\] → \["sha256:333333333333…"\]$/m);
    expect(lines.some((l) => / $/.test(l))).toBe(false);
    expect(text.trimEnd().split('\n').pop()).toBe(
      '✔ audit passed: CBs 0..1 verified, anchored in the mgmt channel config; 2 config blocks of primary, 1 linked to their CB',
    );
  });

  it('marks the changes a fault concerns, and shortens long values', () => {
    const base = report();
    const long = { path: 'Channel/Orderer/ConsensusType/Consenters', kind: 'modified' as const, before: ['x'.repeat(80)], after: [], governed: false };
    const text = renderTable(
      report({
        ok: false,
        primaryConfigBlocks: [base.primaryConfigBlocks[0], { ...base.primaryConfigBlocks[1], link: null, changes: [...base.primaryConfigBlocks[1].changes, long] }],
        faults: [{ code: 'AUDIT_UNLINKED_GOVERNED_CHANGE', primaryBlock: 4, reason: 'r', paths: ['Channel/Orderer/BatchTimeout'] }],
      }),
    );
    expect(text).toMatch(/^4 +CB 1 \(in force\) +yes +AUDIT_UNLINKED_GOVERNED_CHANGE +Channel\/Orderer\/BatchTimeout +2s → 200ms$/m);
    expect(text).toMatch(/^4 +CB 1 \(in force\) +no +- +Channel\/Orderer\/ChannelRestrictions\/MaxCount/m);
    expect(text).toMatch(new RegExp(`^4 .* Channel/Orderer/ConsensusType/Consenters +\\["${'x'.repeat(77)}… → \\[\\]$`, 'm'));
  });

  it('lists the faults instead of the verdict when there are any', () => {
    const text = renderTable(report({ ok: false, faults: [{ code: 'AUDIT_CB_INVALID', height: 1, reason: 'bad' }] }));
    expect(text).toMatch(/✖ 1 fault:\n {2}AUDIT_CB_INVALID at height 1: bad\n$/);
  });

  it('has no change section when no config block changed anything', () => {
    const base = report();
    const text = renderTable(report({ primaryConfigBlocks: [base.primaryConfigBlocks[0], { ...base.primaryConfigBlocks[1], changes: [] }] }));
    expect(text).not.toContain('Changes of primary');
    expect(text).toMatch(/^4 +1 +\S+ +200ms +10 +0 +Org1MSP/m);
  });
});

describe('renderCsv', () => {
  const header =
    'record,height,time,proposer,cycle,approvals,changes,primary_blocks,status,hash,faults,primary_status,block,link_height,link_hash,signers,path,kind,before,after,governed,fault_code';

  it('writes RFC 4180 rows with CRLF: a cb row per CB, a change row per change, a fault row per fault of no CB', () => {
    const csv = renderCsv(
      report({
        ok: false,
        faults: [
          { code: 'AUDIT_CB_INVALID', height: 1, reason: 'hash "x", bad' },
          { code: 'AUDIT_BATCH_MISMATCH', height: 1, primaryBlock: 4, reason: 'differs', paths: ['Channel/Orderer/BatchTimeout'] },
          { code: 'AUDIT_PRIMARY_INCOMPLETE', primaryBlock: 7, reason: '-changed' },
        ],
      }),
    );
    const rows = csv.split('\r\n');
    expect(rows[0]).toBe(header);
    expect(rows[1]).toBe(`cb,0,2026-01-01T00:00:00.000Z,Org1MSP,0,Org1MSP;Org2MSP;Org3MSP,batchTimeoutMs: (none)→100,,verified,${hash('a')},,,,,,,,,,,,`);
    expect(rows[2]).toBe(
      `cb,1,2026-01-01T00:00:40.000Z,Org3MSP,1,Org1MSP;Org2MSP;Org3MSP;Org4MSP,batchTimeoutMs: 100→200,4,verified,${hash('b')},` +
        `"AUDIT_CB_INVALID at height 1: hash ""x"", bad; AUDIT_BATCH_MISMATCH at primary block 4 (CB 1): differs",,,,,,,,,,,`,
    );
    const change = `change,,2026-01-01T00:00:45.000Z,,,,,,,,,,4,1,${hash('b')},Org1MSP;Org2MSP;Org3MSP`;
    // A policy in policydsl holds commas and quotes: the cell is quoted, its quotes doubled.
    expect(rows[3]).toBe(`${change},Channel/Application/Policies/Endorsement,modified,MAJORITY Endorsement,"OutOf(2, 'Org1MSP.peer', 'Org2MSP.peer')",yes,`);
    expect(rows[4]).toBe(`${change},Channel/Orderer/BatchTimeout,modified,2s,200ms,yes,AUDIT_BATCH_MISMATCH`);
    expect(rows[5]).toBe(`${change},Channel/Orderer/ChannelRestrictions/MaxCount,added,,5,no,`);
    // Values are whole in CSV: no hash is cut; JSON arrays are quoted for their commas and quotes.
    expect(rows[6]).toBe(`${change},Channel/Orderer/Org1MSP/MSP/RootCerts,modified,"[""sha256:${hash('1')}"",""sha256:${hash('2')}""]","[""sha256:${hash('3')}""]",no,`);
    expect(rows[7]).toBe('fault,,,,,,,7,fault,,AUDIT_PRIMARY_INCOMPLETE at primary block 7: -changed,,7,,,,,,,,,');
    expect(rows[8]).toBe('');
    expect(rows.slice(0, -1).every((r) => parseCsvLine(r).length === header.split(',').length)).toBe(true);
  });

  it('neutralises cells that a spreadsheet would run as formulas, in a CB row and in a change value', () => {
    const base = report();
    const csv = renderCsv(
      report({
        blocks: [{ ...base.blocks[0], proposer: '=HYPERLINK("x")' }],
        primaryConfigBlocks: [base.primaryConfigBlocks[0], { ...base.primaryConfigBlocks[1], changes: [{ path: 'Channel/Application/ACLs/x', kind: 'modified', before: '@SUM(A1)', after: '-1+1', governed: true }] }],
      }),
    );
    expect(csv.split('\r\n')[1]).toContain(`,"'=HYPERLINK(""x"")",`);
    expect(csv.split('\r\n')[2]).toMatch(/,Channel\/Application\/ACLs\/x,modified,'@SUM\(A1\),'-1\+1,yes,$/);
  });
});

/** Splits one RFC 4180 line into its cells (quoted cells may hold commas and doubled quotes). */
function parseCsvLine(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else cell += c;
  }
  cells.push(cell);
  return cells;
}
