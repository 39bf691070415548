/*
 * SPDX-License-Identifier: Apache-2.0
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { Option } from 'commander';
import { HealthConfigError, healthzUrlOf, parseHealthFlag } from '../../dashboard/healthTargets';
import type { HealthFlag, HealthTlsFiles } from '../../dashboard/healthTargets';
import { UsageError } from '../errors';

/** The default port of `mgmt dashboard`. */
export const DEFAULT_DASHBOARD_PORT = 8470;

/** The options of `mgmt dashboard`, after parsing. */
export interface DashboardCommandOptions {
  /** Show this export file; no network. */
  readonly exportFile?: string;
  /** Connection file of a live network. */
  readonly connection?: string;
  readonly member?: string;
  readonly port: number;
  /** Where to write the bearer token (mode 0600). */
  readonly tokenFile: string;
  readonly pollMs: number;
  readonly auditEveryMs: number;
  readonly graceSeconds?: number;
  readonly json: boolean;
  /** Trace files of the members' nodes (`--trace` of mgmt node / mgmt consortium), for the delay charts. */
  readonly traceFiles: readonly string[];
  /** `--health <mspId>=<url>`: operations endpoints to poll, over the connection file's. */
  readonly health: readonly HealthFlag[];
  /** Poll operations endpoints beyond loopback. */
  readonly healthAllowRemote: boolean;
  readonly healthEveryMs: number;
  /** TLS files for the https URLs of `--health`. */
  readonly healthTls: HealthTlsFiles;
}

/** The default seconds between two `/healthz` requests to one member's node. */
export const DEFAULT_HEALTH_EVERY_SECONDS = 5;

export function dashboardOptions(): Option[] {
  return [
    new Option('--export <file>', 'show an export file (mgmt audit --json): no network is used'),
    new Option('--connection <file>', 'connection file of a live network (written by the devnet or network/native)').env('MGMT_CONNECTION'),
    new Option('--member <mspId>', "member whose view to show (default: the connection file's first)").env('MGMT_MEMBER'),
    new Option('--port <port>', `port on 127.0.0.1 (0: any free port; default ${DEFAULT_DASHBOARD_PORT})`),
    new Option('--token-file <file>', 'where to write the bearer token for scripts, mode 0600 (default: <tmp>/mgmt-dashboard-<port>.token)'),
    new Option('--poll-ms <ms>', 'milliseconds between reads of the round in live mode (default 1000)'),
    new Option('--audit-every <seconds>', 'seconds after which a live dashboard audits again without a new CB (default 15)'),
    new Option('--grace <seconds>', 'seconds the newest CB may take to be in force on the primary channel (default 30)'),
    new Option('--json', 'print the URLs as one JSON line: {"url","loginUrl","tokenFile","mode"}'),
    new Option('--trace <files...>', "the members' trace files (mgmt node/consortium --trace): charts agreement, propagation and update delays per CB"),
    new Option('--health <mspId=url>', "a member node's operations endpoint (mgmt node --operations-listen), e.g. Org1MSP=http://127.0.0.1:9443; repeatable; over the connection file's operations.url")
      .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    new Option('--health-allow-remote', 'also poll operations endpoints beyond loopback (by default only 127.0.0.0/8 and [::1])'),
    new Option('--health-every <seconds>', `seconds between two /healthz requests to one node (default ${DEFAULT_HEALTH_EVERY_SECONDS})`),
    new Option('--health-ca <file>', 'PEM CA certificate of the https endpoints of --health (default: the system CAs)'),
    new Option('--health-cert <file>', 'PEM client certificate for the https endpoints of --health; needs --health-key'),
    new Option('--health-key <file>', 'PEM client key for the https endpoints of --health; needs --health-cert'),
  ];
}

function integer(value: string | undefined, flag: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`${flag} needs a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

function traceFilesOf(value: unknown): string[] {
  if (value === undefined) return [];
  const files = Array.isArray(value) ? value : [value];
  if (files.some((f) => typeof f !== 'string' || f === '')) throw new UsageError('--trace needs trace files');
  return files as string[];
}

function healthFlagsOf(value: unknown, allowRemote: boolean): HealthFlag[] {
  if (value === undefined) return [];
  const texts = Array.isArray(value) ? value : [value];
  try {
    return texts.map((text) => {
      if (typeof text !== 'string') throw new HealthConfigError('--health needs <mspId>=<url>');
      const flag = parseHealthFlag(text);
      // Checked here as well as at start, so that a bad URL is a usage error before anything connects.
      healthzUrlOf(flag.url, `--health ${text}`, allowRemote);
      return flag;
    });
  } catch (err) {
    if (err instanceof HealthConfigError) throw new UsageError(err.message);
    throw err;
  }
}

/**
 * Checks and types the option values.
 *
 * @throws {@link UsageError} when neither or both of --export and --connection are given
 *   (a --connection that only comes from MGMT_CONNECTION or the default gives way to --export),
 *   a number is out of range, or a --health value is malformed or beyond loopback without
 *   --health-allow-remote.
 */
export function parseDashboardOptions(raw: Readonly<Record<string, unknown>>, connectionFromUser: boolean): DashboardCommandOptions {
  const text = (name: string, flag: string): string | undefined => {
    const value = raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} needs a value`);
    return value;
  };
  const exportFile = text('export', '--export');
  const connection = text('connection', '--connection');
  if (exportFile !== undefined && connection !== undefined && connectionFromUser) {
    throw new UsageError('give either --export <file> (an export, no network) or --connection <file> (a live network), not both');
  }
  if (exportFile === undefined && connection === undefined) {
    throw new UsageError('give --export <file> to show an export, or --connection <file> (or MGMT_CONNECTION) to show a live network');
  }
  const port = integer(text('port', '--port'), '--port', 0, 65535) ?? DEFAULT_DASHBOARD_PORT;
  const healthAllowRemote = raw.healthAllowRemote === true;
  const health = healthFlagsOf(raw.health, healthAllowRemote);
  const healthTls: HealthTlsFiles = {
    ...(raw.healthCa === undefined ? {} : { tlsCaCertPath: text('healthCa', '--health-ca') }),
    ...(raw.healthCert === undefined ? {} : { clientCertPath: text('healthCert', '--health-cert') }),
    ...(raw.healthKey === undefined ? {} : { clientKeyPath: text('healthKey', '--health-key') }),
  };
  if ((healthTls.clientCertPath === undefined) !== (healthTls.clientKeyPath === undefined)) throw new UsageError('--health-cert and --health-key go together: give both, or neither');
  if (exportFile !== undefined && (health.length > 0 || raw.healthEvery !== undefined)) {
    throw new UsageError('--health and --health-every are for a live dashboard (--connection): an export has no nodes to poll');
  }
  if (Object.keys(healthTls).length > 0 && !health.some((flag) => flag.url.startsWith('https:'))) {
    throw new UsageError('--health-ca, --health-cert and --health-key apply to https URLs of --health, and none is given (for the connection file, set operations.tlsCaCertPath, clientCertPath, clientKeyPath)');
  }
  const grace = text('grace', '--grace');
  if (grace !== undefined && !/^\d+(\.\d+)?$/.test(grace)) throw new UsageError(`--grace needs a number of seconds, got ${JSON.stringify(grace)}`);
  return {
    ...(exportFile === undefined ? { connection } : { exportFile }),
    member: text('member', '--member'),
    port,
    tokenFile: text('tokenFile', '--token-file') ?? path.join(os.tmpdir(), `mgmt-dashboard-${port}.token`),
    pollMs: integer(text('pollMs', '--poll-ms'), '--poll-ms', 100, 600000) ?? 1000,
    auditEveryMs: (integer(text('auditEvery', '--audit-every'), '--audit-every', 1, 86400) ?? 15) * 1000,
    ...(grace === undefined ? {} : { graceSeconds: Number(grace) }),
    json: raw.json === true,
    traceFiles: traceFilesOf(raw.trace),
    health,
    healthAllowRemote,
    healthEveryMs: (integer(text('healthEvery', '--health-every'), '--health-every', 1, 3600) ?? DEFAULT_HEALTH_EVERY_SECONDS) * 1000,
    healthTls,
  };
}
