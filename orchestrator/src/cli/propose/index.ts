/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { proposeHandler } from './handler';
import { proposeOptions } from './options';
import type { ProposeOptions } from './options';

/** Registers `mgmt propose`. */
export function registerPropose(program: Command, io: CliIo): Command {
  const command = program
    .command('propose')
    .description('propose the next configuration block (only the expected proposer of the current cycle may): a whole configuration, or the one in force edited (--edit) or patched (--patch)')
    .argument('[configFile]', 'the whole configuration as a JSON object (a file, or - for stdin); omit it with --edit or --patch, or to keep the configuration in force with a membership change')
    .addHelpText(
      'after',
      [
        '',
        'The configuration is checked (genesis schema, channel model, the primary channel as it is now) and what it',
        'changes relative to the configuration in force is listed on stderr before it is proposed.',
        'Editing without a change proposes nothing and exits 1, as git commit does with an empty message.',
        'A membership change (--add-member, --remove-member, --rotate-ca, --params) is sealed by the members in force',
        'and puts the new members in force from the next height: at most n - quorum(n) removed, one added per block.',
        '',
        'Example:',
        '  echo \'[{"op":"replace","path":"/orderer/batchTimeoutMs","value":500}]\' | mgmt --member Org3MSP propose --patch -',
        '  EDITOR="code --wait" mgmt --member Org3MSP propose --edit',
        '  mgmt --member Org3MSP propose desired.json --dry-run',
        '  mgmt --member Org3MSP propose --add-member Org5MSP=org5/ca/ca.org5.example.com-cert.pem',
        '  mgmt --member Org3MSP propose --remove-member Org4MSP',
      ].join('\n'),
    )
    .action(async (file: string | undefined, options: ProposeOptions, cmd: Command) => proposeHandler(new CliContext(cmd, io), file, options));
  for (const option of proposeOptions()) command.addOption(option);
  return command;
}
