/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { voteHandler } from './handler';
import { voteOptions } from './options';
import type { VoteOptions } from './options';

/** Registers `mgmt vote`. */
export function registerVote(program: Command, io: CliIo): Command {
  const command = program
    .command('vote')
    .description("vote on an open proposal, signed with the member identity's key")
    .argument('<proposalId>', 'the proposal id (its CB hash), from `mgmt round`')
    .addHelpText('after', '\nExample:\n  mgmt --member Org2MSP vote 3f87ac7a...e1 --approve --reason "within our bounds"')
    .action(async (proposalId: string, options: VoteOptions, cmd: Command) => voteHandler(new CliContext(cmd, io), proposalId, options));
  for (const option of voteOptions()) command.addOption(option);
  return command;
}
