#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Figures for the README: the management delay's agreement part, measured live on the devnet.
 * It runs the one-command consortium (four management nodes with rules twins, a workload on
 * `primary`) on a devnet of its own (fresh temporary data folder, private port grid; the
 * consortium starts it through network/backends) for N configuration blocks, and reports per
 * block and as p50/p95:
 *
 *   agreement = round open (CBI after the previous CB's timestamp, plus any abandoned rounds)
 *               -> CB committed (the earliest of the four nodes to see ConfigBlockCommitted).
 *
 * Propagation (committed -> verified at each observer) is measured by the observer; its column is
 * left empty here. The devnet is always brought down again (also on failure and on Ctrl-C).
 *
 * Port grid with the default --base-port 21300 (all 127.0.0.1, below the ephemeral port range and
 * clear of the test files' grids):
 *   orderers 21300 22300 23300 24300, peers 21301 23301 25301 27301, admin API 21309.
 *
 * Example:
 *   npm run bench:management -- --rounds 20 --cbi 2 --cycle-timeout 3 --json
 *
 * Exit codes: 0 all N blocks sealed, 1 the run failed, 2 bad usage, 130 interrupted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Command, InvalidArgumentError } from 'commander';
import { Consortium, summaryTable } from 'mgmt-orchestrator/dist/consortium';
import type { ConsortiumResult } from 'mgmt-orchestrator/dist/consortium';
import { progress, runProgram } from './benchSupport';

interface Options {
  rounds: number;
  cbi: number;
  cycleTimeout: number;
  workloadTps: number;
  basePort: number;
  batchTimeout?: string;
  verbose?: boolean;
  json?: boolean;
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`an integer from ${min} to ${max}`);
    return n;
  };
}

function nonNegative(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('a number >= 0');
  return n;
}

async function main(options: Options): Promise<number> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'bench-management-'));
  const controller = new AbortController();
  let signals = 0;
  let kill = (): void => undefined;
  const onSignal = (): void => {
    signals++;
    if (signals === 1) controller.abort();
    else {
      kill();
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  progress(`${options.rounds} CBs, CBI ${options.cbi} s, cycle ${options.cycleTimeout} s, workload ${options.workloadTps} tx/s, base port ${options.basePort}, data ${dataDir}`);
  const important = /^(✔| {2}✖| {2}!|devnet|chaincode|genesis|\d+ management)/;
  const consortium = new Consortium({
    rounds: options.rounds,
    cbiSeconds: options.cbi,
    cycleTimeoutSeconds: options.cycleTimeout,
    workloadTps: options.workloadTps,
    dataDir,
    basePort: options.basePort,
    batchTimeout: options.batchTimeout,
    signal: controller.signal,
    verbose: options.verbose === true,
    // The summary is printed below; progress shows the blocks as they land.
    output: (line) => {
      if (options.verbose === true || important.test(line)) progress(line);
    },
  });
  kill = (): void => {
    consortium.kill();
  };
  let result: ConsortiumResult;
  try {
    result = await consortium.run();
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  const config = { rounds: options.rounds, cbiSeconds: options.cbi, cycleTimeoutSeconds: options.cycleTimeout, workloadTps: options.workloadTps, cpus: os.cpus().length, node: process.version };
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ config, agreement: result.agreement, rows: result.rows, workload: result.workload, interrupted: result.interrupted })}\n`);
  } else {
    process.stdout.write(`${summaryTable(result.rows).join('\n')}\n`);
    const a = result.agreement;
    process.stdout.write(
      `\n| what | devnet | command |\n| --- | --- | --- |\n| agreement delay (round open -> CB committed), ${a?.count ?? 0} CBs, CBI ${options.cbi} s, cycle ${options.cycleTimeout} s, ${options.workloadTps} tx/s on primary | ${
        a === undefined ? '-' : `p50 ${(a.p50 / 1000).toFixed(2)} s, p95 ${(a.p95 / 1000).toFixed(2)} s`
      } | \`npm run bench:management\` |\n`,
    );
  }
  if (result.interrupted) return 130;
  return result.rows.length >= options.rounds ? 0 : 1;
}

const program = new Command('bench-management')
  .description('agreement delay of the management chain (round open -> CB committed), p50/p95, on a devnet of its own')
  .option('--rounds <n>', 'configuration blocks to measure (at least 20 for the README)', integer(1), 20)
  .option('--cbi <seconds>', 'configuration block interval', integer(1), 2)
  .option('--cycle-timeout <seconds>', 'cycle length', integer(1), 3)
  .option('--workload-tps <rate>', 'transactions per second on primary', nonNegative, 20)
  .option('--base-port <port>', 'first port of the devnet grid (uses base..base+6001)', integer(1024, 59534), 21300)
  .option('--batch-timeout <duration>', "the devnet channels' genesis BatchTimeout, e.g. 100ms")
  .option('--verbose', 'show every round live')
  .option('--json', 'machine-readable result on stdout')
  .addHelpText('after', '\nExample:\n  npm run bench:management -- --rounds 20 --json');

runProgram(program, () => main(program.opts<Options>()));
