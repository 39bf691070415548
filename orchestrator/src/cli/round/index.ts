/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { roundHandler } from './handler';
import { roundOptions } from './options';

/** Registers `mgmt round`. */
export function registerRound(program: Command, io: CliIo): Command {
  const command = program
    .command('round')
    .description('show the current round: next height, phase, cycle, expected proposer, open proposal and votes')
    .addHelpText('after', '\nExample:\n  mgmt round --member Org2MSP --json')
    .action(async (_options: unknown, cmd: Command) => roundHandler(new CliContext(cmd, io)));
  for (const option of roundOptions()) command.addOption(option);
  return command;
}
