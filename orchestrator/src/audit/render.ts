/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Renderers of an audit report: a table for people, CSV for spreadsheets. (The JSON export is
 * exportFormat.ts: it carries the evidence, not just the report.)
 */
import { describeChanges } from './diff';
import type { AuditFault, AuditReport } from './types';

/**
 * One line naming a fault: `AUDIT_CB_INVALID at height 3: <reason>`, or `... at primary block 9
 * (CB 2): <reason>` when it concerns a primary config block.
 *
 * @param fault - the fault.
 * @returns the line, without a trailing newline.
 */
export function formatFault(fault: AuditFault): string {
  let where = '';
  if (fault.primaryBlock !== undefined) {
    where = ` at primary block ${fault.primaryBlock}${fault.height === undefined ? '' : ` (CB ${fault.height})`}`;
  } else if (fault.height !== undefined) {
    where = ` at height ${fault.height}`;
  }
  return `${fault.code}${where}: ${fault.reason}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  // The last column is not padded, so that lines carry no trailing spaces.
  const line = (cells: readonly string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}

function list(items: readonly (string | number)[]): string {
  return items.length === 0 ? '-' : items.join(',');
}

function shortHash(hash: string): string {
  return hash.length > 12 ? `${hash.slice(0, 12)}…` : hash || '-';
}

/**
 * The human table: one row per CB (height, time, proposer, cycle, approvals, what changed against
 * the previous configuration, the primary config blocks that applied it, status), one row per
 * primary config block, then the faults and a one-line verdict.
 *
 * @param report - the audit report.
 * @returns the text, ending with a newline.
 */
export function renderTable(report: AuditReport): string {
  const out: string[] = [];
  out.push(`Management chain on ${report.managementChannel}: ${report.blocks.length} CBs; members ${list(report.members)}`);
  out.push(
    table(
      ['HEIGHT', 'TIME', 'PROPOSER', 'CYCLE', 'APPROVALS', 'PRIMARY BLOCKS', 'STATUS', 'CHANGES'],
      report.blocks.map((b) => [
        String(b.height),
        b.timestamp,
        b.proposer,
        String(b.cycle),
        list(b.approvals),
        list(b.appliedIn),
        b.status,
        describeChanges(b.changes),
      ]),
    ),
  );
  out.push('');
  out.push(`Config blocks of ${report.primaryChannel}: ${report.primaryConfigBlocks.length}`);
  out.push(
    table(
      ['BLOCK', 'SEQ', 'TIME', 'BATCH TIMEOUT', 'MAX MESSAGES', 'CHANGED', 'SIGNERS', 'APPLIES'],
      report.primaryConfigBlocks.map((p) => [
        String(p.number),
        String(p.sequence),
        p.timestamp,
        p.batchTimeout,
        String(p.maxMessageCount),
        p.batchChanged ? 'yes' : 'no',
        list(p.signers),
        p.link === null ? (p.linkError === undefined ? '-' : 'malformed link') : `CB ${p.link.height} ${shortHash(p.link.hash)}`,
      ]),
    ),
  );
  out.push('');
  if (report.ok) {
    const linked = report.primaryConfigBlocks.filter((p) => p.link !== null).length;
    out.push(
      `✔ audit passed: CBs 0..${report.verifiedHeight ?? '-'} verified, anchored in the ${report.managementChannel} channel config; ` +
        `${report.primaryConfigBlocks.length} config blocks of ${report.primaryChannel}, ${linked} linked to their CB`,
    );
  } else {
    out.push(`✖ ${report.faults.length} fault${report.faults.length === 1 ? '' : 's'}:`);
    for (const fault of report.faults) out.push(`  ${formatFault(fault)}`);
  }
  return `${out.join('\n')}\n`;
}

/** RFC 4180 field, with a leading `'` before `= + - @` so a spreadsheet never runs a cell as a formula (OWASP). */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Columns of the CSV export, in order. */
export const CSV_COLUMNS = ['height', 'time', 'proposer', 'cycle', 'approvals', 'changes', 'primary_blocks', 'status', 'hash', 'faults'] as const;

/**
 * The report as CSV (RFC 4180, CRLF line ends, a header row): one row per CB, its faults in the
 * last column; faults of primary config blocks that concern no CB get a row of their own with an
 * empty height and the block in `primary_blocks`. Lists inside a cell are separated by `;`.
 *
 * @param report - the audit report.
 * @returns the CSV text.
 */
export function renderCsv(report: AuditReport): string {
  const rows: string[][] = [[...CSV_COLUMNS]];
  const faultsAt = (height: number): string =>
    report.faults
      .filter((f) => f.height === height)
      .map(formatFault)
      .join('; ');
  for (const b of report.blocks) {
    rows.push([
      String(b.height),
      b.timestamp,
      b.proposer,
      String(b.cycle),
      b.approvals.join(';'),
      describeChanges(b.changes),
      b.appliedIn.join(';'),
      b.status,
      b.hash,
      faultsAt(b.height),
    ]);
  }
  const shown = new Set(report.blocks.map((b) => b.height));
  for (const fault of report.faults) {
    if (fault.height !== undefined && shown.has(fault.height)) continue;
    rows.push(['', '', '', '', '', '', fault.primaryBlock === undefined ? '' : String(fault.primaryBlock), 'fault', '', formatFault(fault)]);
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
