/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `mgmt` command: one program, one registration per subcommand, shared by the entry point
 * and the tests.
 */
import { Command, Option } from 'commander';
import { registerAudit } from './audit';
import { registerBlocks } from './blocks';
import { registerConnect } from './connect';
import { registerConsortium } from './consortium';
import { registerDashboard } from './dashboard';
import { DEFAULT_CONNECTION_FILE, processIo } from './context';
import type { CliIo } from './context';
import { endingOf, EXIT } from './errors';
import { registerInit } from './init';
import { registerLatest } from './latest';
import { registerNode } from './node';
import { registerOrg } from './org';
import { registerPropose } from './propose';
import { registerRound } from './round';
import { registerSigner } from './signer';
import { registerTally } from './tally';
import { registerTrace } from './trace';
import { registerVote } from './vote';
import { versionInfo } from '../operations/version';

/** `mgmt 0.1.0 (commit 0123abc, Node.js v20.20.2)`: what `/version` of a node's operations endpoint says. */
function versionLine(): string {
  const v = versionInfo();
  return `mgmt ${v.Version} (${v.CommitSHA === undefined ? '' : `commit ${v.CommitSHA.slice(0, 12)}, `}Node.js ${v.Node})`;
}

/**
 * Builds the `mgmt` program. Errors are not printed or turned into exits here: {@link runCli}
 * does that, so that tests see exit codes without the process exiting.
 */
export function buildProgram(io: CliIo = processIo): Command {
  const program = new Command('mgmt')
    .description('Decentralised management of a Fabric consortium: the management chain, its nodes and twins')
    .exitOverride()
    .configureOutput({
      writeOut: (text) => {
        io.out(text);
      },
      writeErr: (text) => {
        io.err(text);
      },
    })
    .version(versionLine(), '-V, --version', 'print the version (package, source commit, Node.js) and exit')
    .showHelpAfterError('(add --help for usage)')
    .enablePositionalOptions(false)
    .addOption(new Option('--connection <file>', 'connection file of the network').default(DEFAULT_CONNECTION_FILE, '<repo>/.devnet/connection.json').env('MGMT_CONNECTION'))
    .addOption(new Option('--member <mspId>', 'the member to act as').default('Org1MSP').env('MGMT_MEMBER'))
    .addOption(new Option('--role <role>', "the member's identity to use").choices(['user', 'admin']).default('user').env('MGMT_ROLE'))
    .addOption(new Option('--json', 'machine-readable output').default(false).env('MGMT_JSON'))
    .addOption(new Option('--verbose', 'print inputs and diagnostics to stderr').default(false).env('MGMT_VERBOSE'))
    .addHelpText(
      'after',
      [
        '',
        'Global options may also be given after the subcommand; every option can come from an MGMT_* variable.',
        'Exit codes: 0 done, 1 refused or failed (one line says why), 2 bad usage, 130 interrupted.',
        '',
        'Example:',
        '  mgmt --member Org2MSP round',
      ].join('\n'),
    );
  for (const register of [registerInit, registerRound, registerPropose, registerVote, registerTally, registerBlocks, registerLatest, registerNode, registerSigner, registerConsortium, registerAudit, registerDashboard, registerTrace, registerOrg, registerConnect]) {
    register(program, io);
  }
  return program;
}

/**
 * Runs `mgmt` with the given arguments (without `node` and the script name) and returns the
 * exit code; what goes wrong is printed to `io.err` (one line for expected failures, the stack
 * for unexpected ones).
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    const ending = endingOf(err);
    if (ending.text !== '') io.err(ending.text);
    return ending.code;
  }
}
