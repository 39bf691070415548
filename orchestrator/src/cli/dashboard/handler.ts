/*
 * SPDX-License-Identifier: Apache-2.0
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { AuditError, openEvidenceSources } from '../../audit';
import { newSecret, openExportSource, openLiveSource, startDashboardServer } from '../../dashboard';
import type { DashboardSource } from '../../dashboard';
import { HealthConfigError, resolveHealthTargets } from '../../dashboard/healthTargets';
import type { HealthTarget } from '../../dashboard/healthTargets';
import { traceTimings, withTraceTimings } from '../../dashboard/traceTimings';
import type { CliContext } from '../context';
import { CliError, UsageError } from '../errors';
import type { DashboardCommandOptions } from './options';

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Writes a fresh token to `file`, readable by this user only (replacing any file or link there). */
function writeTokenFile(file: string, token: string): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.rmSync(tmp, { force: true });
    // 'wx' never follows a link planted at the temporary name; the mode is set at creation.
    fs.writeFileSync(tmp, `${token}\n`, { mode: 0o600, flag: 'wx' });
    fs.renameSync(tmp, file);
  } catch (err) {
    throw new UsageError(`cannot write the token file ${file}: ${messageOf(err)} (choose another with --token-file)`, { cause: err });
  }
}

async function openSource(ctx: CliContext, options: DashboardCommandOptions): Promise<DashboardSource> {
  const audit = options.graceSeconds === undefined ? {} : { graceSeconds: options.graceSeconds };
  if (options.exportFile !== undefined) {
    try {
      return await openExportSource(options.exportFile, audit);
    } catch (err) {
      if (err instanceof AuditError) throw new CliError(err.message, { cause: err });
      throw new UsageError(`cannot read ${options.exportFile}: ${messageOf(err)}`, { cause: err });
    }
  }
  const connection = ctx.connection();
  const member = options.member === undefined ? connection.members[0] : ctx.member(connection);
  let targets: HealthTarget[];
  try {
    targets = resolveHealthTargets(connection.members, options.health, { allowRemote: options.healthAllowRemote, flagTls: options.healthTls });
  } catch (err) {
    if (err instanceof HealthConfigError) throw new UsageError(err.message, { cause: err });
    throw err;
  }
  for (const flag of options.health) {
    if (!connection.members.some((m) => m.mspId === flag.mspId)) ctx.progress(`· --health ${flag.mspId}: no such member in the connection file; polled all the same`);
  }
  let opened;
  try {
    opened = await openEvidenceSources(connection, member);
  } catch (err) {
    throw new CliError(`cannot connect as ${member.mspId}: ${messageOf(err)}`, { cause: err });
  }
  try {
    return await openLiveSource({
      ...audit,
      sources: opened.sources,
      label: `${member.mspId} via ${member.peer.endpoint}`,
      pollMs: options.pollMs,
      auditEveryMs: options.auditEveryMs,
      closeSources: () => { opened.close(); },
      onProgress: (line) => { ctx.progress(`· ${line}`); },
      health: { targets, everyMs: options.healthEveryMs },
    });
  } catch (err) {
    opened.close();
    if (err instanceof AuditError) throw new CliError(err.message, { cause: err });
    throw err;
  }
}

/**
 * `mgmt dashboard`: serves the read-only dashboard on 127.0.0.1 until SIGINT/SIGTERM, printing
 * its URL and a one-time login URL (with --json, as one JSON line on stdout).
 *
 * @throws {@link UsageError} (exit 2) for an unreadable export or token file, or a port in use;
 *   {@link CliError} (exit 1) for an export that is not one, or a network that cannot be read.
 */
export async function dashboardHandler(ctx: CliContext, options: DashboardCommandOptions): Promise<void> {
  if (options.traceFiles.length > 0) {
    try {
      traceTimings(options.traceFiles);
    } catch (err) {
      throw new UsageError(`--trace: ${messageOf(err)}`, { cause: err });
    }
  }
  const opened = await openSource(ctx, options);
  const source = options.traceFiles.length > 0 ? withTraceTimings(opened, options.traceFiles) : opened;
  const token = newSecret();
  let server;
  try {
    server = await startDashboardServer({ source, port: options.port, token });
  } catch (err) {
    await source.close();
    throw new UsageError(`cannot listen on 127.0.0.1:${options.port}: ${messageOf(err)} (choose another with --port)`, { cause: err });
  }
  const tokenFile = options.port === 0 ? options.tokenFile.replace(/-0\.token$/, `-${server.port}.token`) : options.tokenFile;
  try {
    writeTokenFile(tokenFile, token);
  } catch (err) {
    await server.close();
    await source.close();
    throw err;
  }
  const loginUrl = server.loginUrl();
  if (options.json) {
    ctx.out(`${JSON.stringify({ url: server.url, loginUrl, tokenFile, mode: source.mode })}\n`);
  } else {
    ctx.out(`dashboard of ${source.state().source} (${source.mode}) at ${server.url}\n`);
    ctx.out(`open this one-time login URL in your browser: ${loginUrl}\n`);
    ctx.out(`bearer token for scripts (and for new login URLs, GET /api/login-link): ${tokenFile}\n`);
  }
  const signal = ctx.ioOptions.signal;
  await new Promise<void>((resolve) => {
    if (signal === undefined || signal.aborted) resolve();
    else signal.addEventListener('abort', () => { resolve(); }, { once: true });
  });
  await server.close();
  await source.close();
  fs.rmSync(tokenFile, { force: true });
  ctx.progress('· dashboard stopped');
}
