/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { initHandler } from './handler';
import { initOptions } from './options';
import type { InitOptions } from './options';

/** Registers `mgmt init`. */
export function registerInit(program: Command, io: CliIo): Command {
  const command = program
    .command('init')
    .description('open the genesis proposal (InitLedger): params from a file, or generated from the connection file\'s members')
    .addHelpText(
      'after',
      '\nA quorum of members then approves it with `mgmt vote <id> --approve`, and anyone submits `mgmt tally <id>`.\n\nExample:\n  mgmt init --cbi 30 --cycle-timeout 10 --config desired.json',
    )
    .action(async (options: InitOptions, cmd: Command) => initHandler(new CliContext(cmd, io), options));
  for (const option of initOptions()) command.addOption(option);
  return command;
}
