#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The `mgmt` command. The first SIGINT/SIGTERM asks the running subcommand to stop cleanly (the
 * daemons and the consortium listen for it); a second one runs the registered last-resort
 * actions and exits at once.
 */
import { processIo } from './context';
import { runCli } from './program';

// A reader that stops early (`mgmt blocks | head`) closes the pipe: exit quietly, as Unix tools do.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const controller = new AbortController();
const forced: (() => void)[] = [];
/** npm forwards the terminal's Ctrl-C to its child, which also gets it from the terminal: a copy within this window is the same Ctrl-C. */
const DUPLICATE_WINDOW_MS = 1000;
let firstSignalAt: number | undefined;
const onSignal = (signal: NodeJS.Signals): void => {
  if (firstSignalAt === undefined) {
    firstSignalAt = Date.now();
    process.stderr.write(`${signal}: stopping cleanly (again to force)\n`);
    controller.abort();
    return;
  }
  if (Date.now() - firstSignalAt < DUPLICATE_WINDOW_MS) return;
  process.stderr.write(`${signal} again: exiting now\n`);
  for (const action of forced) {
    try {
      action();
    } catch {
      // exiting anyway
    }
  }
  process.exit(130);
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

runCli(process.argv.slice(2), { ...processIo, signal: controller.signal, onForce: (action) => forced.push(action) }).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
