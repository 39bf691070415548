/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * What every subcommand gets: the global options, where to write, and a session with the
 * member's gateway that is always closed again.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type * as grpc from '@grpc/grpc-js';
import type { Command } from 'commander';
import type { Gateway } from '@hyperledger/fabric-gateway';
import { connectGateway, managementChaincodeOf, newGrpcConnection, readConnectionFile } from '../gateway';
import type { ConnectionFile, MemberConnection, Role } from '../gateway';
import type { MgmtLedger } from '../managementNode/ledger';
import { MgmtClient } from '../mgmtClient/client';
import { CliError, UsageError } from './errors';

/** The repository root (three levels up from orchestrator/{src,dist}/cli). */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
/** Where `npm run devnet -- up` writes its connection file. */
export const DEFAULT_CONNECTION_FILE = path.join(REPO_ROOT, '.devnet', 'connection.json');

/** Options every subcommand accepts (before or after its name). */
export interface GlobalOptions {
  readonly connection: string;
  readonly member: string;
  readonly role: Role;
  readonly json: boolean;
  readonly verbose: boolean;
}

/** An open connection of one member to its peer. */
export interface MemberSession {
  readonly member: MemberConnection;
  readonly connection: ConnectionFile;
  /** The management contract (an `MgmtClient` on the member's gateway; a fake in tests). */
  readonly ledger: MgmtLedger;
  /** The MSP folder of the identity in use (its keystore signs votes). */
  readonly mspDir: string;
  /** Undefined for sessions that do not go through fabric-gateway (tests). */
  readonly gateway: Gateway | undefined;
  readonly client: grpc.Client | undefined;
  close(): void;
}

/** Where the CLI writes and what it may be given instead of the real network (tests). */
export interface CliIo {
  /** stdout. */
  readonly out: (text: string) => void;
  /** stderr. */
  readonly err: (text: string) => void;
  /** Aborted on the first SIGINT/SIGTERM (daemons stop cleanly). */
  readonly signal?: AbortSignal;
  /** Registers what a second SIGINT/SIGTERM must do at once before the process exits. */
  readonly onForce?: (action: () => void) => void;
  /** Opens a member's session; the real gateway by default. */
  readonly openSession?: (globals: GlobalOptions, connection: ConnectionFile, member: MemberConnection) => Promise<MemberSession>;
  /** Reads stdin for `-` inputs. */
  readonly readStdin?: () => string;
}

/** The default io: process streams. */
export const processIo: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
};

async function openGatewaySession(globals: GlobalOptions, connection: ConnectionFile, member: MemberConnection): Promise<MemberSession> {
  const client = await newGrpcConnection(member.peer);
  try {
    const gateway = await connectGateway(client, member, globals.role);
    return {
      member,
      connection,
      ledger: new MgmtClient({ network: gateway.getNetwork(connection.channels.management), chaincodeName: managementChaincodeOf(connection) }),
      mspDir: globals.role === 'admin' ? member.adminMspDir : member.userMspDir,
      gateway,
      client,
      close: (): void => {
        gateway.close();
        client.close();
      },
    };
  } catch (err) {
    client.close();
    throw new CliError(`cannot connect as ${member.mspId} ${globals.role}: ${(err as Error).message}`, { cause: err });
  }
}

/** A subcommand's view of the CLI. */
export class CliContext {
  /** The global options in force. */
  readonly globals: GlobalOptions;
  /** Where the connection option came from: `cli`, `env` or `default`. */
  readonly connectionSource: string | undefined;
  private readonly io: CliIo;

  constructor(command: Command, io: CliIo) {
    this.globals = command.optsWithGlobals<GlobalOptions>();
    let root: Command = command;
    while (root.parent !== null) root = root.parent;
    this.connectionSource = root.getOptionValueSource('connection');
    this.io = io;
  }

  /** The CLI's io (signals, stdin). */
  get ioOptions(): CliIo {
    return this.io;
  }

  /** Prints the result: the human text, or with --json the machine value as one JSON line. */
  print(human: string | readonly string[], machine: unknown): void {
    if (this.globals.json) this.io.out(`${JSON.stringify(machine)}\n`);
    else this.io.out(`${typeof human === 'string' ? human : human.join('\n')}\n`);
  }

  /** A progress line on stderr (kept off stdout so that --json output stays parseable). */
  progress(line: string): void {
    this.io.err(`${line}\n`);
  }

  /** A line on stderr with --verbose only. */
  verbose(line: string): void {
    if (this.globals.verbose) this.io.err(`${line}\n`);
  }

  /** Writes raw text to stdout (daemon progress in --json mode). */
  out(text: string): void {
    this.io.out(text);
  }

  /**
   * The connection file.
   *
   * @throws {@link CliError} when it is missing or malformed, saying how to get one.
   */
  connection(): ConnectionFile {
    const file = this.globals.connection;
    if (!existsSync(file)) {
      throw new CliError(`connection file ${file} not found: run \`npm run devnet -- up\` or pass --connection <file> (env MGMT_CONNECTION)`);
    }
    try {
      return readConnectionFile(file);
    } catch (err) {
      throw new CliError(`${(err as Error).message}: is it a connection file written by the devnet or network/native?`, { cause: err });
    }
  }

  /**
   * The member selected by --member in the connection file.
   *
   * @throws {@link UsageError} listing the members when it is not there.
   */
  member(connection: ConnectionFile): MemberConnection {
    const member = connection.members.find((m) => m.mspId === this.globals.member);
    if (member === undefined) {
      throw new UsageError(`member ${this.globals.member} is not in ${this.globals.connection}; pass --member with one of ${connection.members.map((m) => m.mspId).join(', ')}`);
    }
    return member;
  }

  /**
   * Runs `fn` with the member's session and closes it afterwards, also on failure.
   *
   * @throws whatever `fn` throws, and {@link CliError}/{@link UsageError} from opening.
   */
  async withSession<T>(fn: (session: MemberSession) => Promise<T>): Promise<T> {
    const connection = this.connection();
    const member = this.member(connection);
    this.verbose(`connection ${this.globals.connection}, member ${member.mspId} (${this.globals.role}), peer ${member.peer.endpoint}`);
    const session = await (this.io.openSession ?? openGatewaySession)(this.globals, connection, member);
    try {
      return await fn(session);
    } finally {
      session.close();
    }
  }
}
