/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { proposeHandler } from './handler';
import { proposeOptions } from './options';

/** Registers `mgmt propose`. */
export function registerPropose(program: Command, io: CliIo): Command {
  const command = program
    .command('propose')
    .description('propose the next configuration block (only the expected proposer of the current cycle may)')
    .argument('<configFile>', 'the primary configuration as a JSON object (a file, or - for stdin)')
    .addHelpText('after', '\nExample:\n  echo \'{"batchTimeoutMs":200,"maxMessageCount":20}\' | mgmt --member Org3MSP propose -')
    .action(async (file: string, _options: unknown, cmd: Command) => proposeHandler(new CliContext(cmd, io), file));
  for (const option of proposeOptions()) command.addOption(option);
  return command;
}
