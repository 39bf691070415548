/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { tallyHandler } from './handler';
import { tallyOptions } from './options';

/** Registers `mgmt tally`. */
export function registerTally(program: Command, io: CliIo): Command {
  const command = program
    .command('tally')
    .description('count the votes of a proposal: seal the CB on a quorum, or record the failed cycle')
    .argument('<proposalId>', 'the proposal id (its CB hash)')
    .addHelpText('after', '\nExample:\n  mgmt tally 3f87ac7a...e1 --json')
    .action(async (proposalId: string, _options: unknown, cmd: Command) => tallyHandler(new CliContext(cmd, io), proposalId));
  for (const option of tallyOptions()) command.addOption(option);
  return command;
}
