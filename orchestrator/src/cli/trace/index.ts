/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { traceHandler } from './handler';
import { traceOptions } from './options';

/** Registers `mgmt trace`. */
export function registerTrace(program: Command, io: CliIo): Command {
  const command = program
    .command('trace')
    .description('where the time of each CB goes, from a trace written with --trace: per CB and p50/p95 from round open to in force on primary, against the floor of ordering rounds')
    .argument('<file...>', 'trace files (JSON lines) of `mgmt consortium --trace` or `mgmt node --trace`; several are merged')
    .addHelpText(
      'after',
      [
        '',
        'The floor of a phase is the ordering rounds it cannot do without (agreement: Propose, the votes, Tally;',
        'update: ShareUpdateSignature, the config update) times the p50 ordering round of the same trace',
        '(a transaction from the gateway\'s submit to its commit status).',
        '',
        'Example:',
        '  mgmt consortium --rounds 10 --cbi 2 --trace /tmp/t.jsonl && mgmt trace /tmp/t.jsonl',
        '  mgmt trace org1.jsonl org2.jsonl org3.jsonl org4.jsonl --json',
      ].join('\n'),
    )
    .action(async (files: string[], _options: unknown, cmd: Command) => traceHandler(new CliContext(cmd, io), files));
  for (const option of traceOptions()) command.addOption(option);
  return command;
}
