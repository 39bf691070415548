/*
 * SPDX-License-Identifier: Apache-2.0
 */
import { Consortium } from '../../consortium/runner';
import type { CliContext } from '../context';
import { InterruptedExit } from '../errors';
import type { ConsortiumCliOptions } from './options';

/**
 * `mgmt consortium`: the whole local consortium in one command (see consortium/runner.ts).
 * Live lines go to stdout (stderr with --json, where stdout gets the summary as JSON).
 *
 * @throws {@link NetworkStartError}, {@link LedgerCallError} when it cannot be set up;
 * {@link InterruptedExit} when Ctrl-C came before --rounds blocks.
 */
export async function consortiumHandler(ctx: CliContext, options: ConsortiumCliOptions): Promise<void> {
  // An explicit --connection (or MGMT_CONNECTION) means: use that network, start none.
  const explicit = ctx.connectionSource === 'cli' || ctx.connectionSource === 'env';
  const json = ctx.globals.json;
  const stamp = (): string => new Date().toISOString().slice(11, 23);
  const consortium = new Consortium({
    rounds: options.rounds,
    cbiSeconds: options.cbi,
    cycleTimeoutSeconds: options.cycleTimeout,
    workloadTps: options.workloadTps,
    keep: options.keep === true,
    connectionFile: explicit ? ctx.globals.connection : undefined,
    dataDir: options.data,
    basePort: options.basePort,
    batchTimeout: options.batchTimeout,
    schemaFile: options.schema,
    signal: ctx.ioOptions.signal,
    verbose: ctx.globals.verbose,
    output: (line) => {
      if (json) ctx.progress(line);
      else ctx.out(`${line === '' ? '' : `${stamp()} `}${line}\n`);
    },
  });
  ctx.ioOptions.onForce?.(() => {
    consortium.kill();
  });
  ctx.verbose(`consortium ${JSON.stringify(options)}${explicit ? ` on ${ctx.globals.connection}` : ''}`);
  const result = await consortium.run();
  if (json) ctx.out(`${JSON.stringify(result)}\n`);
  if (result.interrupted && options.rounds > 0) throw new InterruptedExit();
}
