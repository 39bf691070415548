/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The dashboard over an export file: no network. The file is read and audited once, with the
 * same audit as `mgmt audit --verify-export`.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { auditEvidence, parseExport, renderCsv } from '../audit';
import type { AuditOptions } from '../audit';
import type { DashboardSource } from './source';
import type { DashboardState } from './types';

/**
 * Reads and audits an export file.
 *
 * @throws {@link AuditError} `AUDIT_EXPORT_UNREADABLE` naming the first problem of the file;
 *   the error of `readFile` when it cannot be read.
 */
export async function openExportSource(file: string, options: Readonly<AuditOptions> = {}): Promise<DashboardSource> {
  const text = await fs.readFile(file, 'utf8');
  const evidence = parseExport(text, file);
  const report = auditEvidence(evidence, options);
  const version = (JSON.parse(text) as { version?: number }).version;
  const state: DashboardState = {
    mode: 'export',
    source: path.basename(file),
    version: 1,
    auditedAt: new Date().toISOString(),
    ...(typeof version === 'number' ? { exportVersion: version } : {}),
    report,
    chain: evidence.managementChain,
  };
  const csv = renderCsv(report);
  return {
    mode: 'export',
    state: () => state,
    exportText: () => text,
    csv: () => csv,
    live: () => undefined,
    members: () => undefined,
    subscribe: () => () => undefined,
    close: () => Promise.resolve(),
  };
}
