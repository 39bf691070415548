/*
 * SPDX-License-Identifier: Apache-2.0
 */
import type { Command } from 'commander';
import { CliContext, processIo } from '../context';
import type { CliIo } from '../context';
import { dashboardHandler } from './handler';
import { dashboardOptions, parseDashboardOptions } from './options';

export { dashboardHandler } from './handler';
export { DEFAULT_DASHBOARD_PORT, dashboardOptions, parseDashboardOptions } from './options';
export type { DashboardCommandOptions } from './options';

const HELP_AFTER = `
Serves a read-only web dashboard on 127.0.0.1: the live round (proposal, votes as they arrive,
time left), the management chain and each CB (its diff, its proof entries verified in the
browser, the primary config blocks that put it in force), each primary config block, the audit's
faults, charts, and a drop zone that verifies an export in the browser with the protocol core.

Live, a Members panel shows each member node's health, polled from its operations endpoint's
/healthz (the connection file's members[].operations.url, or --health <mspId>=<url>): healthy,
unhealthy with the failed checks, unreachable with the error, or not configured; and from the
management chain each member's last vote, last proposal and whether it approved the newest CB.
Only the configured URLs are fetched, on loopback unless --health-allow-remote.

Open the one-time login URL it prints: it sets a session cookie (HttpOnly, SameSite=Strict) and
is spent. Requests from other origins or sites are refused (403). Scripts use the bearer token of
--token-file (mode 0600); GET /api/login-link with it gives a new login URL.

Example:
  mgmt dashboard --export audit.json --port 8470
  mgmt dashboard --connection .devnet/connection.json --member Org2MSP
  mgmt dashboard --member Org2MSP --health Org1MSP=http://127.0.0.1:9443 --health Org2MSP=http://127.0.0.1:9444

Exit codes: 0 stopped by Ctrl-C; 1 the export is not an audit export or the network cannot be
read; 2 usage (an unreadable file, a port in use, a --health URL that is malformed or not allowed).`;

/** Registers `mgmt dashboard` on a commander program. */
export function registerDashboard(program: Command, io: CliIo = processIo): Command {
  const command = program
    .command('dashboard')
    .summary('serve a read-only web dashboard of the consortium (live or from an export)')
    .description('Serve a read-only web dashboard for operators and auditors on 127.0.0.1.')
    .addHelpText('after', HELP_AFTER)
    .action(async (_options: unknown, cmd: Command) => {
      let root: Command = cmd;
      while (root.parent !== null) root = root.parent;
      const fromUser = root.getOptionValueSource('connection') === 'cli' || cmd.getOptionValueSource('connection') === 'cli';
      await dashboardHandler(new CliContext(cmd, io), parseDashboardOptions(cmd.optsWithGlobals(), fromUser));
    });
  for (const option of dashboardOptions()) command.addOption(option);
  return command;
}
