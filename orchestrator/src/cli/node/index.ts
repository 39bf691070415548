/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext } from '../context';
import type { CliIo } from '../context';
import { nodeHandler } from './handler';
import { nodeOptions } from './options';
import type { NodeOptions } from './options';

/** Registers `mgmt node`. */
export function registerNode(program: Command, io: CliIo): Command {
  const command = program
    .command('node')
    .description("run the member's management node (Algorithm 1) with its digital twin, until Ctrl-C")
    .addHelpText(
      'after',
      [
        '',
        'Twins: rules (thresholds on the primary channel\'s load), operator (--config-file or --config: what the',
        'operator wants, approved within --allowance), http (--twin-url: a member\'s own service).',
        'The first SIGINT/SIGTERM stops the node cleanly, a second one exits at once.',
        'Operations: --operations-listen 127.0.0.1:9443 serves /healthz, /metrics (Prometheus), /version and /logspec;',
        "--log-format json with --log-spec 'info:primary=debug' writes JSON lines (docs/operations.md).",
        '',
        'Example:',
        '  mgmt --member Org2MSP node --twin operator --config-file desired.json --allowance batchTimeoutMs=50',
      ].join('\n'),
    )
    .action(async (options: NodeOptions, cmd: Command) => nodeHandler(new CliContext(cmd, io), options));
  for (const option of nodeOptions()) command.addOption(option);
  return command;
}
