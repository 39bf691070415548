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
  ];
}

function grace(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value) || !Number.isFinite(seconds)) throw new UsageError(`--grace needs a number of seconds, got ${JSON.stringify(value)}`);
  return seconds;
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
  };
  // Commander's own conflict check misses a --json taken by the global option of `mgmt`.
  if (options.json && options.csv) throw new UsageError('--json and --csv cannot be used together');
  if (options.verifyExport === undefined && options.connection === undefined) {
    throw new UsageError('give --connection <file> (or MGMT_CONNECTION) to audit the network, or --verify-export <file> to verify an export');
  }
  return options;
}
