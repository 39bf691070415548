/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext, processIo } from '../context';
import type { CliIo } from '../context';
import { auditHandler } from './handler';
import { auditOptions, parseAuditOptions } from './options';

export { auditHandler } from './handler';
export { auditOptions, parseAuditOptions } from './options';
export type { AuditCommandOptions } from './options';

const HELP_AFTER = `
Verifies every CB of the management chain offline (hash links, proposer formula, cycle, timing,
proof signatures against the members' CA certificates, which must match the management
channel's configuration) and every config block of the primary channel: its full difference from
the previous config, path by path (Channel/Application/Policies/Endorsement, ...), each change
governed (named by the configuration of the CB in force or linked) or not. A linked block must
run its CB's configuration (AUDIT_BATCH_MISMATCH); an unlinked one must change no governed path
(AUDIT_UNLINKED_GOVERNED_CHANGE). The export (version 3) carries the orderer-signed Fabric
blocks: every primary config block, from which --verify-export recomputes every difference, and
both channels' heads, so that a history cut at the end or a relinked block fails offline; the
newest CB must be in force on the primary channel within --grace seconds of its Tally.
--verify-export reads export versions 1, 2 and 3.

Example:
  mgmt audit --connection ./connection.json --json --out audit.json && mgmt audit --verify-export audit.json

Exit codes: 0 no fault; 1 faults found (each named with its CB height or primary block and the
reason), or the network or the export could not be read; 2 usage.`;

/**
 * Registers `mgmt audit` on a commander program: the `mgmt` program of `buildProgram()`, or a
 * fresh `new Command()` (give it `.exitOverride()` and map what it throws with `endingOf`, as
 * `runCli` does).
 *
 * @param program - the program to add the subcommand to.
 * @param io - where to write; the process's streams by default.
 * @returns the subcommand.
 * @example
 * registerAudit(program, io);
 * await program.parseAsync(['audit', '--verify-export', 'audit.json'], { from: 'user' });
 */
export function registerAudit(program: Command, io: CliIo = processIo): Command {
  const command = program
    .command('audit')
    .summary('verify the management chain and the primary channel config history')
    .description("Audit who changed the primary channel's configuration, when, and with whose approval.")
    .addHelpText('after', HELP_AFTER)
    .action(async (_options: unknown, cmd: Command) => {
      await auditHandler(new CliContext(cmd, io), parseAuditOptions(cmd.optsWithGlobals()));
    });
  for (const option of auditOptions()) command.addOption(option);
  return command;
}
