/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * `mgmt-sim bench`: wall time, CPU time and peak memory of the base case at several network
 * sizes, each in a child process of its own (so peak memory is the run's), one after another,
 * printed beside the simulator's speed goals (issue 19):
 *
 * - 32 nodes, 600 simulated s: at least 50 times faster than SymBChainSim, which took 84.7 s for
 *   its 32-node base case, so at most 84.7 / 50 = 1.694 s;
 * - 256 nodes, one simulated hour: under 60 s.
 *
 * A run of another duration is compared after scaling its wall time linearly to the goal's
 * duration, and says so. The machine's load average is printed with the figures: on a shared
 * machine wall time depends on it, CPU time much less.
 */

import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';

/** One speed goal: at most `maxWallSec` of wall time for `simulatedSec` at `nodes` primary nodes. */
export interface SpeedGoal {
  readonly nodes: number;
  readonly simulatedSec: number;
  readonly maxWallSec: number;
  readonly text: string;
}

/** SymBChainSim's wall time for 600 simulated s of its 32-node base case (the reference). */
export const SYMBCHAINSIM_32_NODES_600_SEC = 84.7;

export const SPEED_GOALS: readonly SpeedGoal[] = [
  { nodes: 32, simulatedSec: 600, maxWallSec: SYMBCHAINSIM_32_NODES_600_SEC / 50, text: '>= 50x SymBChainSim (84.7 s): <= 1.69 s per 600 simulated s' },
  { nodes: 256, simulatedSec: 3600, maxWallSec: 60, text: '< 60 s per simulated hour' },
];

/** Default simulated seconds per size: the goal's duration, else one hour. */
export function defaultDuration(nodes: number): number {
  return SPEED_GOALS.find((g) => g.nodes === nodes)?.simulatedSec ?? 3600;
}

/** One measured run. */
export interface BenchRow {
  readonly nodes: number;
  readonly simulatedSec: number;
  readonly wallSec: number;
  readonly cpuSec: number;
  readonly peakRssMiB: number;
  readonly events: number;
  readonly messages: number;
  readonly primaryBlocks: number;
  /** The goal for this size, if any, with the wall time scaled to its duration and the verdict. */
  readonly goal?: { readonly text: string; readonly wallSecAtGoal: number; readonly scaled: boolean; readonly met: boolean; readonly speedupVsSymbChainSim?: number };
}

/** A child run that failed: its exit status and what it said. */
export class BenchRunError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchRunError';
  }
}

interface ChildOutput {
  readonly stats: { readonly events: number; readonly messages: number; readonly primaryBlocks: number };
  readonly timing: { readonly wallMs: number; readonly cpuMs: number; readonly maxRssMiB: number };
}

/** Compares a run with the goal for its size. */
export function judge(nodes: number, simulatedSec: number, wallSec: number): BenchRow['goal'] {
  const goal = SPEED_GOALS.find((g) => g.nodes === nodes);
  if (goal === undefined) {
    return undefined;
  }
  const wallSecAtGoal = (wallSec * goal.simulatedSec) / simulatedSec;
  return {
    text: goal.text,
    wallSecAtGoal,
    scaled: simulatedSec !== goal.simulatedSec,
    met: wallSecAtGoal <= goal.maxWallSec,
    ...(goal.nodes === 32 ? { speedupVsSymbChainSim: SYMBCHAINSIM_32_NODES_600_SEC / wallSecAtGoal } : {}),
  };
}

/**
 * Runs `cli run` in a child process per size and returns the measurements.
 *
 * @param cliPath the simulator's CLI script (the child runs `node <cliPath> run ...`).
 * @param onNotice receives what a child says on stderr despite `--quiet` (notices).
 * @param onRun is told when each run starts (progress).
 * @throws BenchRunError when a child fails.
 */
export function runBench(
  cliPath: string,
  sizes: readonly { nodes: number; durationSec: number }[],
  onNotice: (text: string) => void,
  onRun: (nodes: number, durationSec: number) => void = () => undefined,
): BenchRow[] {
  const rows: BenchRow[] = [];
  for (const { nodes, durationSec } of sizes) {
    onRun(nodes, durationSec);
    const child = spawnSync(
      process.execPath,
      [cliPath, 'run', '--set', `network.nodes=${nodes}`, '--duration', String(durationSec), '--json', '--timing', '--quiet'],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    if (child.error !== undefined) {
      throw new BenchRunError(`bench: cannot start the run with ${nodes} nodes: ${child.error.message}`);
    }
    if (child.status !== 0) {
      throw new BenchRunError(`bench: the run with ${nodes} nodes failed (exit ${child.status ?? child.signal}):\n${child.stderr.trim()}`);
    }
    if (child.stderr !== '') {
      onNotice(child.stderr);
    }
    const out = JSON.parse(child.stdout) as ChildOutput;
    const wallSec = out.timing.wallMs / 1000;
    const goal = judge(nodes, durationSec, wallSec);
    rows.push({
      nodes,
      simulatedSec: durationSec,
      wallSec,
      cpuSec: out.timing.cpuMs / 1000,
      peakRssMiB: out.timing.maxRssMiB,
      events: out.stats.events,
      messages: out.stats.messages,
      primaryBlocks: out.stats.primaryBlocks,
      ...(goal === undefined ? {} : { goal }),
    });
  }
  return rows;
}

/** The machine the figures were measured on: date, Node, CPUs and load average. */
export function machineLine(): string {
  const load = loadavg().map((x) => x.toFixed(2)).join(', ');
  return `${new Date().toISOString().slice(0, 16)}Z, Node ${process.version}, ${cpus().length} CPUs, load average ${load} (1, 5, 15 min)`;
}

/** The measurements as a markdown table, figure and goal side by side. */
export function benchTable(rows: readonly BenchRow[]): string {
  const lines = [
    '| primary nodes | simulated | wall time | CPU time | peak RSS | events | messages | primary blocks | goal | verdict |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
  ];
  for (const r of rows) {
    let goal = '-';
    let verdict = '-';
    if (r.goal !== undefined) {
      goal = r.goal.text;
      const at = r.goal.scaled ? ` (${r.goal.wallSecAtGoal.toFixed(2)} s scaled to the goal's duration)` : '';
      const speedup = r.goal.speedupVsSymbChainSim === undefined ? '' : `, ${r.goal.speedupVsSymbChainSim.toFixed(0)}x SymBChainSim`;
      verdict = `${r.goal.met ? 'met' : 'NOT met'}${at}${speedup}`;
    }
    lines.push(
      `| ${r.nodes} | ${r.simulatedSec} s | ${r.wallSec.toFixed(2)} s | ${r.cpuSec.toFixed(2)} s | ${r.peakRssMiB.toFixed(0)} MiB | ${r.events} | ${r.messages} | ${r.primaryBlocks} | ${goal} | ${verdict} |`,
    );
  }
  return lines.join('\n');
}
