/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { Option } from 'commander';
import { UsageError } from '../errors';

/** The options of `mgmt audit`, after parsing. */
export interface AuditCommandOptions {
  /** Connection file written by the devnet or the native scripts (live audit). */
  readonly connection?: string;
  /** MSP ID of the member whose peer, orderer and client identity to use; the connection file's first by default. */
  readonly member?: string;
  /** Write the self-contained JSON export instead of the table. */
  readonly json: boolean;
  /** Write CSV instead of the table. */
  readonly csv: boolean;
  /** Write the output to this file instead of stdout. */
  readonly out?: string;
  /** Re-verify this export offline instead of reading the network. */
  readonly verifyExport?: string;
  /** Seconds the newest CB may take to be in force on the primary channel (default 30). */
  readonly graceSeconds?: number;
  /** Refuse evidence without signed heads (a version 1 export, or one turned into version 1). */
  readonly requireHeads: boolean;
  /**
   * `mspId=caFile` of each organisation the auditor accepts as a declared signer (it signs config
   * updates without being a member, e.g. OrdererMSP): never taken from an export itself.
   */
  readonly declaredSigners: readonly string[];
  /**
   * Worker threads checking the vote signatures ahead: 0 for none; undefined for one per core but one
   * when the chain is long enough to gain from them (verifyManagementChain's `parallel: 'auto'`).
   */
  readonly workers?: number;
}

/**
 * The commander options of `mgmt audit`, in help order. `--connection`, `--member` and `--json`
 * are also global options of `mgmt`, which then takes them wherever they appear; declaring them
 * here as well keeps the subcommand complete on its own (its help, and a bare program in tests).
 */
export function auditOptions(): Option[] {
  return [
    new Option('--connection <file>', 'connection file of the network (written by the devnet or network/native)').env('MGMT_CONNECTION'),
    new Option('--member <mspId>', "member whose peer, orderer and client identity to use (default: the connection file's first)").env('MGMT_MEMBER'),
    new Option('--json', 'write the self-contained JSON export (verifiable with --verify-export) instead of the table').conflicts('csv'),
    new Option('--csv', 'write the report as CSV instead of the table'),
    new Option('--out <file>', 'write the output to a file instead of stdout'),
    new Option('--verify-export <file>', 're-verify a JSON export offline: no network is used'),
    new Option('--grace <seconds>', 'seconds the newest CB may take to be in force on the primary channel before it is a fault (default 30)'),
    new Option('--require-heads', 'refuse an export without orderer-signed heads (version 1): exit 1'),
    new Option('--declared-signer <mspId=caFile>', 'accept this organisation as a declared signer (its MSP on the channels, its orderer signatures) with this CA certificate; repeatable. A live audit also takes the connection file\'s signers; an export\'s own list is never trusted')
      .argParser((value: string, previous: string[] | undefined) => [...(previous ?? []), value]),
    new Option('--workers <n>', 'worker threads checking the vote signatures ahead; 0 checks them on one thread (default: one per core but one, the verifying thread checking signatures too, for chains of 500 CBs or more)'),
  ];
}

function workerCount(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n > 256) throw new UsageError(`--workers needs a whole number from 0 to 256, got ${JSON.stringify(value)}`);
  return n;
}

function grace(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(seconds)) throw new UsageError(`--grace needs a number of seconds, got ${JSON.stringify(value)}`);
  return seconds;
}

function declaredSignerSpecs(value: unknown): string[] {
  if (value === undefined) return [];
  const specs = Array.isArray(value) ? value : [value];
  for (const spec of specs) {
    if (typeof spec !== 'string' || !/^[^=\s]+=.+$/.test(spec)) throw new UsageError(`--declared-signer needs mspId=caFile, e.g. OrdererMSP=organizations/ordererOrganizations/example.com/msp/cacerts/ca.example.com-cert.pem; got ${JSON.stringify(spec)}`);
  }
  return specs as string[];
}

/**
 * Checks and types the option values (`command.optsWithGlobals()`: the subcommand's own and the
 * global ones of `mgmt`).
 *
 * @param raw - the parsed values.
 * @returns the options.
 * @throws {@link UsageError} when neither a connection file nor `--verify-export` is given, when
 *   both `--json` and `--csv` are, or a value has the wrong type (`--grace` not a number of seconds).
 */
export function parseAuditOptions(raw: Readonly<Record<string, unknown>>): AuditCommandOptions {
  const text = (name: string, flag: string): string | undefined => {
    const value = raw[name];
    if (value === undefined) return undefined;
    if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} needs a value`);
    return value;
  };
  const options: AuditCommandOptions = {
    connection: text('connection', '--connection'),
    member: text('member', '--member'),
    json: raw.json === true,
    csv: raw.csv === true,
    out: text('out', '--out'),
    verifyExport: text('verifyExport', '--verify-export'),
    graceSeconds: grace(text('grace', '--grace')),
    requireHeads: raw.requireHeads === true,
    declaredSigners: declaredSignerSpecs(raw.declaredSigner),
    workers: workerCount(text('workers', '--workers')),
  };
  // Commander's own conflict check misses a --json taken by the global option of `mgmt`.
  if (options.json && options.csv) throw new UsageError('--json and --csv cannot be used together');
  if (options.verifyExport === undefined && options.connection === undefined) {
    throw new UsageError('give --connection <file> (or MGMT_CONNECTION) to audit the network, or --verify-export <file> to verify an export');
  }
  return options;
}
