/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Renderers of an audit report: a table for people, CSV for spreadsheets. (The JSON export is
 * exportFormat.ts: it carries the evidence, not just the report.)
 */
import { describeChanges } from './diff';
import { changeText, valueText } from './governance';
import type { AuditedBlock, AuditedPrimaryConfig, AuditFault, AuditReport, PrimaryChange } from './types';

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

/** The most characters of a value in the table's change rows: a certificate list or a consenter set stays one line. */
const TABLE_VALUE_MAX = 80;

/** Codes of the faults at a primary block that concern a path (`paths`), `;`-separated. */
function faultCodesAt(report: AuditReport, block: number, path: string): string {
  return report.faults
    .filter((f) => f.primaryBlock === block && f.paths?.includes(path) === true)
    .map((f) => f.code)
    .join(';');
}

function changeCount(p: AuditedPrimaryConfig, index: number): string {
  if (index === 0) return '-';
  const governed = p.changes.filter((c) => c.governed).length;
  return `${p.changes.length}${governed === 0 ? '' : ` (${governed} governed)`}`;
}

function governedByText(p: AuditedPrimaryConfig): string {
  if (p.governedBy === null) return '-';
  const linked = p.link !== null && p.link.height === p.governedBy;
  return `CB ${p.governedBy} (${linked ? 'linked' : 'in force'})`;
}

/** Every change of every primary config block, one row each; empty when there is none. */
function changeLines(report: AuditReport): string[] {
  const rows = report.primaryConfigBlocks.flatMap((p) =>
    p.changes.map((c: PrimaryChange) => [
      String(p.number),
      governedByText(p),
      c.governed ? 'yes' : 'no',
      faultCodesAt(report, p.number, c.path) || '-',
      c.path,
      changeText(c, TABLE_VALUE_MAX),
    ]),
  );
  if (rows.length === 0) return [];
  const partial = report.primaryConfigBlocks.some((p, i) => i > 0 && !p.changesComplete) ? '; batch values only where the evidence has no config (see the notices)' : '';
  return [
    `Changes of ${report.primaryChannel} against the previous config block (governed: named by the configuration of the CB that governs the block${partial}):`,
    table(['BLOCK', 'GOVERNED BY', 'GOVERNED', 'FAULT', 'PATH', 'BEFORE → AFTER'], rows),
    '',
  ];
}

/**
 * The human table: one row per CB (height, time, proposer, cycle, approvals, what changed against
 * the previous configuration, the primary config blocks that applied it, status), one row per
 * primary config block, one row per change of a primary config block against the one before
 * (the block, the CB that governs it, governed or not, the fault that concerns it, the config
 * path, the values before and after, long ones shortened), what the signed heads showed, which CB
 * is in force on the primary channel (and which were skipped or are pending), any notices, then
 * the faults and a one-line verdict.
 *
 * @param report - the audit report.
 * @returns the text, ending with a newline.
 */
/** A CB's changes for the table: a channel model's whole genesis is summarised (the export and the CSV carry it in full). */
function cbChanges(block: AuditedBlock): string {
  const text = describeChanges(block.changes);
  return block.height === 0 && text.length > 160 ? `initial configuration (${block.changes.length} top-level keys; --json or --csv shows it)` : text;
}

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
        cbChanges(b),
      ]),
    ),
  );
  out.push('');
  out.push(`Config blocks of ${report.primaryChannel}: ${report.primaryConfigBlocks.length}`);
  out.push(
    table(
      ['BLOCK', 'SEQ', 'TIME', 'BATCH TIMEOUT', 'MAX MESSAGES', 'CHANGES', 'SIGNERS', 'APPLIES'],
      report.primaryConfigBlocks.map((p, i) => [
        String(p.number),
        String(p.sequence),
        p.timestamp,
        p.batchTimeout,
        String(p.maxMessageCount),
        changeCount(p, i),
        list(p.signers),
        p.link === null ? (p.linkError === undefined ? '-' : 'malformed link') : `CB ${p.link.height} ${shortHash(p.link.hash)}`,
      ]),
    ),
  );
  out.push('');
  out.push(...changeLines(report));
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

/** A value in a CSV cell: whole, strings as they are, anything else as JSON; empty when absent. */
function csvValue(value: PrimaryChange['before']): string {
  return value === undefined ? '' : valueText(value);
}

/**
 * Columns of the CSV export, in order. `record` says what a row is: `cb` (one per CB: the
 * columns `height` to `primary_status`, as before, `primary_status` being empty without signed
 * heads), `change` (one per change of a primary config block: `block`, `time`, `link_height`,
 * `link_hash`, `signers`, `path`, `kind`, `before`, `after`, `governed`, `fault_code`), or `fault`
 * (a fault that concerns no CB of the report). Every fault is written once, in the `faults` cell
 * of its CB's row or in a row of its own; `fault_code` only repeats the codes on the changes concerned.
 */
export const CSV_COLUMNS = [
  'record',
  'height',
  'time',
  'proposer',
  'cycle',
  'approvals',
  'changes',
  'primary_blocks',
  'status',
  'hash',
  'faults',
  'primary_status',
  'block',
  'link_height',
  'link_hash',
  'signers',
  'path',
  'kind',
  'before',
  'after',
  'governed',
  'fault_code',
] as const;

type CsvColumn = (typeof CSV_COLUMNS)[number];

function csvRow(cells: Partial<Record<CsvColumn, string>>): string[] {
  return CSV_COLUMNS.map((column) => cells[column] ?? '');
}

/**
 * The report as CSV (RFC 4180, CRLF line ends, a header row of {@link CSV_COLUMNS}): one `cb` row
 * per CB with its faults and its standing on the primary channel; one `change` row per change of
 * a primary config block against the one before, with the block's time, link and signers and
 * whether the change is governed; one `fault` row per fault that concerns no CB of the report
 * (the primary block, if any, in `primary_blocks` and `block`). Lists inside a cell are separated
 * by `;`; values are whole (strings as they are, anything else as JSON).
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
    rows.push(
      csvRow({
        record: 'cb',
        height: String(b.height),
        time: b.timestamp,
        proposer: b.proposer,
        cycle: String(b.cycle),
        approvals: b.approvals.join(';'),
        changes: describeChanges(b.changes),
        primary_blocks: b.appliedIn.join(';'),
        status: b.status,
        hash: b.hash,
        faults: faultsAt(b.height),
        primary_status: b.primaryStatus ?? '',
      }),
    );
  }
  for (const p of report.primaryConfigBlocks) {
    for (const c of p.changes) {
      rows.push(
        csvRow({
          record: 'change',
          time: p.timestamp,
          block: String(p.number),
          link_height: p.link === null ? '' : String(p.link.height),
          link_hash: p.link?.hash ?? '',
          signers: p.signers.join(';'),
          path: c.path,
          kind: c.kind,
          before: csvValue(c.before),
          after: csvValue(c.after),
          governed: c.governed ? 'yes' : 'no',
          fault_code: faultCodesAt(report, p.number, c.path),
        }),
      );
    }
  }
  const shown = new Set(report.blocks.map((b) => b.height));
  for (const fault of report.faults) {
    if (fault.height !== undefined && shown.has(fault.height)) continue;
    const block = fault.primaryBlock === undefined ? '' : String(fault.primaryBlock);
    rows.push(csvRow({ record: 'fault', primary_blocks: block, status: 'fault', faults: formatFault(fault), block }));
  }
  return rows.map((r) => r.map(csvField).join(',')).join('\r\n') + '\r\n';
}
