/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { consortiumHandler } from './handler';
import { consortiumOptions } from './options';
import type { ConsortiumCliOptions } from './options';

/** Registers `mgmt consortium`. */
export function registerConsortium(program: Command, io: CliIo): Command {
  const command = program
    .command('consortium')
    .description(
      'the local consortium end to end: devnet up, chaincodes deployed, genesis sealed, four management nodes with rules twins watching a workload on primary, each round live, a summary at the end',
    )
    .addHelpText(
      'after',
      [
        '',
        'With --connection (or MGMT_CONNECTION) it uses that network instead of starting a devnet.',
        'Ctrl-C stops everything (nodes, workload, devnet unless --keep); a second Ctrl-C kills at once.',
        '',
        'Example:',
        '  mgmt consortium --rounds 20 --cbi 2 --cycle-timeout 3 --workload-tps 50',
      ].join('\n'),
    )
    .action(async (options: ConsortiumCliOptions, cmd: Command) => consortiumHandler(new CliContext(cmd, io), options));
  for (const option of consortiumOptions()) command.addOption(option);
  return command;
}
