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
 * (CB 2): <reason>` when it concerns a primary config block, or `... at mgmt block 58 (CB 4):
 * <reason>` when it concerns a block of the management channel.
 *
 * @param fault - the fault.
 * @returns the line, without a trailing newline.
 */
export function formatFault(fault: AuditFault): string {
  let where = '';
  if (fault.primaryBlock !== undefined) {
    where = ` at primary block ${fault.primaryBlock}${fault.height === undefined ? '' : ` (CB ${fault.height})`}`;
  } else if (fault.managementBlock !== undefined) {
    where = ` at mgmt block ${fault.managementBlock}${fault.height === undefined ? '' : ` (CB ${fault.height})`}`;
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

function signersText(signers: readonly string[]): string {
  return signers.length === 0 ? '' : `, signed by the orderer of ${signers.join(', ')}`;
}

/** What the signed heads showed, one line per channel. */
function headLines(report: AuditReport): string[] {
  const heads = report.heads;
  if (heads === undefined) return [];
  const lines = [`Heads read at ${heads.readAt} (judged at ${heads.referenceTime}):`];
  const p = heads.primary;
  lines.push(
    p === null
      ? `  ${report.primaryChannel}: head block does not hold (see the faults)`
      : `  ${report.primaryChannel}: head block ${p.headBlock}${signersText(p.signers)}, names config block ${p.lastConfig} as the latest`,
  );
  const m = heads.management;
  lines.push(
    m === null
      ? `  ${report.managementChannel}: head blocks do not hold (see the faults)`
      : `  ${report.managementChannel}: head block ${m.headBlock}${signersText(m.signers)}; ` +
          (m.cbBlock === null ? 'no block of the evidence holds the newest CB' : `newest CB ${m.cbHeight ?? '-'} written in block ${m.cbBlock}, none after it up to the head`),
  );
  return lines;
}

/** Which CB is in force on the primary channel, which were skipped, which is pending. */
function inForceLines(report: AuditReport): string[] {
  const f = report.inForce;
  if (f === undefined) return [];
  const inForce = f.height === null ? 'no CB' : `CB ${f.height} (config block ${f.block ?? '-'})`;
  const pending = f.pending === null ? '' : `; pending: CB ${f.pending} (sealed within the grace of ${f.graceSeconds} s)`;
  return [`In force on ${report.primaryChannel}: ${inForce}; skipped: ${f.skipped.length === 0 ? '-' : f.skipped.map((h) => `CB ${h}`).join(', ')}${pending}`];
}

/**
 * The human table: one row per CB (height, time, proposer, cycle, approvals, what changed against
 * the previous configuration, the primary config blocks that applied it, status), one row per
 * primary config block, what the signed heads showed, which CB is in force on the primary
 * channel (and which were skipped or are pending), any notices, then the faults and a one-line verdict.
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
  const extra = [...headLines(report), ...inForceLines(report), ...(report.notices ?? []).map((n) => `Notice: ${n}`)];
  if (extra.length > 0) out.push(...extra, '');
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

/**
 * Columns of the CSV export, in order. The last, `primary_status` (in-force, applied, skipped,
 * pending, not-in-force: see PrimaryStatus), is written for reports of evidence with signed heads
 * (export version 2, or a live audit); the CSV of version 1 evidence keeps the first ten columns,
 * as before.
 */
export const CSV_COLUMNS = ['height', 'time', 'proposer', 'cycle', 'approvals', 'changes', 'primary_blocks', 'status', 'hash', 'faults', 'primary_status'] as const;

/**
 * The report as CSV (RFC 4180, CRLF line ends, a header row): one row per CB, its faults and
 * its standing on the primary channel in the last columns; faults that concern no CB of the
 * report get a row of their own with an empty height and the primary block, if any, in
 * `primary_blocks`. Lists inside a cell are separated by `;`.
 *
 * @param report - the audit report.
 * @returns the CSV text.
 */
export function renderCsv(report: AuditReport): string {
  const classified = report.heads !== undefined;
  const rows: string[][] = [classified ? [...CSV_COLUMNS] : CSV_COLUMNS.slice(0, -1)];
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
      ...(classified ? [b.primaryStatus ?? ''] : []),
    ]);
  }
  const shown = new Set(report.blocks.map((b) => b.height));
  for (const fault of report.faults) {
    if (fault.height !== undefined && shown.has(fault.height)) continue;
    rows.push(['', '', '', '', '', '', fault.primaryBlock === undefined ? '' : String(fault.primaryBlock), 'fault', '', formatFault(fault), ...(classified ? [''] : [])]);
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
