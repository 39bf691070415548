/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { latestHandler } from './handler';
import { latestOptions } from './options';

/** Registers `mgmt latest`. */
export function registerLatest(program: Command, io: CliIo): Command {
  const command = program
    .command('latest')
    .description('show the latest configuration block')
    .addHelpText('after', '\nExample:\n  mgmt latest --json | jq .config')
    .action(async (_options: unknown, cmd: Command) => latestHandler(new CliContext(cmd, io)));
  for (const option of latestOptions()) command.addOption(option);
  return command;
}
