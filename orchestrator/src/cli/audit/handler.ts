/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { promises as fs, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  AuditError,
  auditEvidence,
  buildExport,
  collectEvidence,
  formatFault,
  openEvidenceSources,
  parseExport,
  renderCsv,
  renderTable,
  serializeExport,
} from '../../audit';
import type { AuditEvidence, AuditReport, OpenSources } from '../../audit';
import type { MemberConnection } from '../../gateway';
import type { CliContext } from '../context';
import { CliError, UsageError } from '../errors';
import type { AuditCommandOptions } from './options';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function readExport(file: string): Promise<AuditEvidence> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${messageOf(err)}`, { cause: err });
  }
  try {
    return parseExport(text, file);
  } catch (err) {
    if (err instanceof AuditError) throw new CliError(err.message, { cause: err });
    throw err;
  }
}

async function readNetwork(ctx: CliContext, options: AuditCommandOptions): Promise<AuditEvidence> {
  const connection = ctx.connection();
  // Without --member (a bare program), any member can read: take the first.
  const member: MemberConnection = options.member === undefined ? connection.members[0] : ctx.member(connection);
  ctx.progress(`· auditing ${connection.channels.management} and ${connection.channels.primary} as ${member.mspId} (peer ${member.peer.endpoint}, orderer ${member.orderer.endpoint})`);
  let opened: OpenSources;
  try {
    opened = await openEvidenceSources(connection, member);
  } catch (err) {
    throw new CliError(`cannot connect as ${member.mspId}: ${messageOf(err)}`, { cause: err });
  }
  try {
    return await collectEvidence(
      opened.sources,
      (line) => {
        ctx.progress(`· ${line}`);
      },
      { headEvidence: true },
    );
  } catch (err) {
    if (err instanceof AuditError) throw new CliError(err.message, { cause: err });
    throw err;
  } finally {
    opened.close();
  }
}

function render(options: AuditCommandOptions, evidence: AuditEvidence, report: AuditReport): string {
  if (options.json) return serializeExport(buildExport(evidence, report));
  if (options.csv) return renderCsv(report);
  return renderTable(report);
}

/**
 * `mgmt audit`: reads the evidence (from the network with its signed blocks and heads, or from
 * an export with no network at all), audits it, writes the table, the JSON export or CSV (to
 * stdout or `--out`), and names every fault with its height or block and the reason.
 *
 * @param ctx - the CLI context (output, connection file, member).
 * @param options - parsed options.
 * @returns the report, when it has no fault.
 * @throws {@link CliError} (exit 1) when faults are found, the network or the export cannot be
 *   read, or `--require-heads` meets evidence without signed heads; {@link UsageError} (exit 2)
 *   for a missing export file, an unknown member or an unwritable `--out`.
 */
/**
 * The declared signers the auditor accepts: `--declared-signer` and, for a live audit, the
 * connection file's `signers`. An export's own list is replaced by them: a forged export could
 * otherwise declare the orderer organisation whose signatures it forged.
 */
async function withAuditorsSigners(ctx: CliContext, options: AuditCommandOptions, evidence: AuditEvidence): Promise<AuditEvidence> {
  const accepted = new Map<string, string[]>();
  const add = (mspId: string, pem: string): void => { accepted.set(mspId, [...(accepted.get(mspId) ?? []), pem]); };
  for (const spec of options.declaredSigners) {
    const at = spec.indexOf('=');
    const file = spec.slice(at + 1);
    try {
      add(spec.slice(0, at), await fs.readFile(file, 'utf8'));
    } catch (err) {
      throw new UsageError(`--declared-signer ${spec}: cannot read ${file}: ${messageOf(err)}`, { cause: err });
    }
  }
  if (options.verifyExport === undefined) for (const s of ctx.connection().signers ?? []) add(s.mspId, readFileSync(s.caCertPath, 'utf8'));
  const norm = (pem: string): string => pem.replace(/\r\n/g, '\n').trim();
  const claimed = evidence.managementChannel.declaredSigners ?? [];
  const undeclared = claimed.filter((c) => !c.rootCerts.every((pem) => (accepted.get(c.mspId) ?? []).some((a) => norm(a) === norm(pem))));
  if (options.verifyExport !== undefined && undeclared.length > 0) {
    ctx.progress(
      `· the export declares ${undeclared.map((c) => c.mspId).join(', ')} as signer(s); not accepted from the export: pass --declared-signer ${undeclared[0].mspId}=<its CA certificate> if you accept it`,
    );
  }
  const declaredSigners = [...accepted].map(([mspId, rootCerts]) => ({ mspId, rootCerts }));
  const channel = { ...evidence.managementChannel };
  delete channel.declaredSigners;
  return { ...evidence, managementChannel: declaredSigners.length === 0 ? channel : { ...channel, declaredSigners } };
}

export async function auditHandler(ctx: CliContext, options: AuditCommandOptions): Promise<AuditReport> {
  const read = options.verifyExport === undefined ? await readNetwork(ctx, options) : await readExport(options.verifyExport);
  const evidence = await withAuditorsSigners(ctx, options, read);
  if (options.requireHeads && evidence.signedBlocks === undefined) {
    // A version 2 or 3 export stripped of its blocks and relabelled version 1 would otherwise pass with a notice.
    throw new CliError(`${options.verifyExport ?? 'the evidence'} carries no orderer-signed heads (export version 1): --require-heads refuses it`);
  }
  const started = performance.now();
  const report = auditEvidence(evidence, {
    ...(options.graceSeconds === undefined ? {} : { graceSeconds: options.graceSeconds }),
    ...(options.workers === undefined ? {} : options.workers === 0 ? { parallel: false } : { parallel: true, workers: options.workers }),
  });
  const signed = evidence.signedBlocks === undefined ? '' : ' against their signed blocks and heads';
  ctx.progress(
    `· verified ${report.blocks.length} CBs and ${report.primaryConfigBlocks.length} primary config blocks${signed} in ${((performance.now() - started) / 1000).toFixed(2)} s`,
  );

  const output = render(options, evidence, report);
  if (options.out === undefined) {
    ctx.out(output);
  } else {
    try {
      await fs.writeFile(options.out, output);
    } catch (err) {
      throw new UsageError(`cannot write ${options.out}: ${messageOf(err)}`, { cause: err });
    }
    ctx.progress(`· wrote ${options.out}`);
  }
  // The table on stdout lists the faults itself; any other output gets them on stderr.
  if (options.json || options.csv || options.out !== undefined) {
    for (const notice of report.notices ?? []) ctx.progress(`! notice: ${notice}`);
    for (const fault of report.faults) ctx.progress(`✖ ${formatFault(fault)}`);
  }
  if (!report.ok) {
    const count = report.faults.length;
    throw new CliError(`audit found ${count} fault${count === 1 ? '' : 's'}, the first: ${formatFault(report.faults[0])}`);
  }
  ctx.progress(`✔ audit passed: CBs 0..${report.verifiedHeight ?? '-'} and ${report.primaryConfigBlocks.length} config blocks of ${report.primaryChannel}`);
  return report;
}
