/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { blocksHandler } from './handler';
import { blocksOptions } from './options';
import type { BlocksOptions } from './options';

/** Registers `mgmt blocks`. */
export function registerBlocks(program: Command, io: CliIo): Command {
  const command = program
    .command('blocks')
    .description('list configuration blocks (GetBlocks, paged 100 at a time), optionally verified offline')
    .addHelpText('after', '\nExample:\n  mgmt blocks --from 0 --verify\n  mgmt blocks --json > chain.json')
    .action(async (options: BlocksOptions, cmd: Command) => blocksHandler(new CliContext(cmd, io), options));
  for (const option of blocksOptions()) command.addOption(option);
  return command;
}
