#!/usr/bin/env node
/*
 * SPDX-License-Identifier: Apache-2.0
 */

/**
 * `mgmt-sim`: the simulator's command line (`npm run sim -- <command>` from the repository root).
 *
 * - `run` (default): one scenario; a summary on stdout, or JSON with `--json`; files with `--out`.
 * - `sweep`: the base case and the paper's sweeps, then the report with figures.
 * - `report`: rebuilds the report from samples CSVs, e.g. simulated plus live ones.
 * - `bench`: wall time, CPU time and peak memory at several network sizes, beside the speed goals.
 *
 * Exit codes: 0 success; 1 unexpected failure (stack printed) or a failed bench run; 2 bad usage,
 * an invalid scenario, sweep, CSV or sweeps.json file, or a path that cannot be read or written
 * (one line naming the field or file).
 */

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

import { Command, CommanderError, Option } from 'commander';

import { BenchRunError, SPEED_GOALS, benchTable, defaultDuration, machineLine, runBench } from './bench';
import { summarize } from './metrics';
import { writeReport, verdictLines } from './report';
import type { ReportContext, SweepMeta } from './report';
import { METRICS, readSamplesCsv, readSummaryCsv, samplesOf, summarizeSamples, summaryCsv, writeSamplesCsv } from './samples';
import type { SampleRow } from './samples';
import { BASE_SCENARIO, SCENARIO_DIR, ScenarioError, loadScenario, loadSweep, setNoticeSink, withOverrides } from './scenario';
import type { Scenario } from './scenario';
import { runScenario } from './simulation';
import type { RunResult } from './simulation';
import { runBase, runSweep } from './sweep';

class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

function parseSet(values: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const item of values) {
    const eq = item.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(`--set expects path=value, got ${JSON.stringify(item)}`);
    }
    const raw = item.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw) as unknown;
    } catch {
      // Not JSON: keep the text (enum values such as `sphere`).
    }
    out[item.slice(0, eq)] = value;
  }
  return out;
}

function parseNumber(name: string): (v: string) => number {
  return (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) {
      throw new UsageError(`${name} must be a number, got ${JSON.stringify(v)}`);
    }
    return n;
  };
}

function parseList(name: string): (v: string) => number[] {
  return (v: string): number[] => v.split(',').map(parseNumber(name));
}

function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

interface ScenarioOptions {
  readonly scenario?: string;
  readonly seed?: number;
  readonly duration?: number;
  readonly set: string[];
}

function scenarioFrom(o: ScenarioOptions): Scenario {
  let s = o.scenario === undefined ? BASE_SCENARIO : loadScenario(o.scenario);
  const overrides = parseSet(o.set);
  if (o.seed !== undefined) {
    overrides.seed = o.seed;
  }
  if (o.duration !== undefined) {
    overrides.durationSec = o.duration;
  }
  if (Object.keys(overrides).length > 0) {
    s = withOverrides(s, overrides, 'command line');
  }
  return s;
}

function progressLogger(quiet: boolean): ((line: string) => void) {
  return (line: string): void => {
    if (!quiet) {
      process.stderr.write(`${line}\n`);
    }
  };
}

function isSweepsJson(value: unknown): value is { context: ReportContext; sweeps: SweepMeta[] } {
  return typeof value === 'object' && value !== null && typeof (value as { context?: unknown }).context === 'object' && Array.isArray((value as { sweeps?: unknown }).sweeps);
}

/** A file-system error (a path that does not exist, is not a folder, cannot be written...). */
function isFileError(err: unknown): err is NodeJS.ErrnoException {
  // Duck-typed: `instanceof Error` fails for errors made in another realm (as under jest).
  const e = err as Partial<NodeJS.ErrnoException> | null;
  return typeof e === 'object' && e !== null && typeof e.message === 'string' && typeof e.code === 'string' && typeof e.syscall === 'string';
}

/** The deterministic JSON summary of a run. */
export function resultJson(result: RunResult): Record<string, unknown> {
  const summary: Record<string, unknown> = {};
  const rows = summarizeSamples(samplesOf(result, 'sim', 'run', 'run'));
  for (const metric of METRICS) {
    const row = rows.find((r) => r.metric === metric);
    summary[metric] = row === undefined ? summarize([]) : { n: row.n, mean: row.mean, min: row.min, p5: row.p5, p25: row.p25, median: row.median, p75: row.p75, p95: row.p95, max: row.max };
  }
  return {
    scenario: result.scenario,
    quorum: result.quorum,
    managementNodes: result.managementNodes,
    stats: result.stats,
    observation: result.observation,
    summary,
  };
}

function printRun(result: RunResult): void {
  const s = result.scenario;
  const st = result.stats;
  const lines = [
    `scenario ${s.name} (seed ${s.seed}, ${s.durationSec} s simulated, ${s.network.nodes} primary nodes, ` +
      `${s.management.enabled ? `${s.management.nodes} management nodes` : 'no management chain'}, quorum ${result.quorum})`,
    `CBs agreed ${st.cbsAgreed}, running on 2f+1 nodes ${st.cbsApplied}; primary blocks ${st.primaryBlocks}; failed rounds (ended in a view change): primary ${st.primaryFailedRounds}, management ${st.managementFailedRounds}; view-change messages: primary ${st.primaryViewChangeMessages}, management ${st.managementViewChangeMessages}; mid-round switches ${st.midRoundSwitches}`,
    'metric          n      median    mean      p5        p95   (seconds)',
  ];
  const rows = summarizeSamples(samplesOf(result, 'sim', 'run', 'run'));
  for (const metric of METRICS) {
    const r = rows.find((x) => x.metric === metric);
    if (r !== undefined) {
      lines.push(`${metric.padEnd(15)} ${String(r.n).padEnd(6)} ${r.median.toFixed(3).padEnd(9)} ${r.mean.toFixed(3).padEnd(9)} ${r.p5.toFixed(3).padEnd(9)} ${r.p95.toFixed(3)}`);
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function defaultSweeps(): string[] {
  const dir = join(SCENARIO_DIR, 'sweeps');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => join(dir, f));
}

function setupLines(s: Scenario): string[] {
  const n = s.network;
  const m = s.management;
  const p = s.primary;
  return [
    `${n.nodes} primary nodes at random ${n.locations === 'cities' ? 'cities' : 'points on the globe'}, each gossiping to ${n.peers} random peers; latency from distance, RTT = 0.022 ms/mile + 4.862 ms`,
    `bandwidth per message ~ Normal(${n.bandwidthMBps.mean} MB/s, ${n.bandwidthMBps.sd} MB/s), at least ${n.bandwidthMBps.min} MB/s; votes ${n.voteSizeMB} MB`,
    `primary chain: PBFT over all nodes, ${p.maxBlockSizeMB} MB blocks, block interval ${p.blockIntervalSec} s, view timeout ${p.viewTimeoutSec} s${p.doubleViewTimeout ? ' (doubling)' : ''}, validation ${p.validationSec} s`,
    `management chain: PBFT over ${m.nodes} management nodes drawn from the primaries, ${m.cbSizeMB} MB CBs, CBI ~ Normal(${m.cbiSec.mean} s, ${m.cbiSec.sd} s), cycle timeout ${m.cycleTimeoutSec} s, every CB carries the same configuration`,
  ];
}

/** Builds the `mgmt-sim` command (exported so that the `mgmt` CLI and tests can register it). */
export function createSimCommand(): Command {
  const program = new Command('mgmt-sim');
  program
    .description("Discrete-event simulator of the paper's management mechanism on PBFT chains")
    .showHelpAfterError()
    .addHelpText('after', '\nExample:\n  $ mgmt-sim run --scenario scenarios/base.json --seed 7 --out sim-out\n  $ mgmt-sim sweep --out sim-results');

  program
    .command('run', { isDefault: true })
    .description('Run one scenario and print the per-CB delays and inter-block times')
    .option('--scenario <file>', "scenario JSON (default: the paper's base case)")
    .option('--seed <n>', 'seed (overrides the scenario)', parseNumber('--seed'))
    .option('--duration <seconds>', 'simulated seconds (overrides the scenario)', parseNumber('--duration'))
    .option('--set <path=value>', 'override a scenario field, e.g. network.bandwidthMBps.mean=5 (repeatable)', collect, [])
    .option('--out <dir>', 'write samples.csv, summary.csv and result.json to this folder')
    .option('--json', 'print the result as JSON on stdout')
    .addOption(new Option('--timing', 'add wall time and peak memory to the JSON (not deterministic)').hideHelp())
    .option('--per-message-votes', 'queue one event per vote and per gossiped block copy instead of tallying them (same results, slower; for checking)')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', '\nExample:\n  $ mgmt-sim run --set network.bandwidthMBps.mean=2.5 --duration 600 --json')
    .action((o: ScenarioOptions & { out?: string; json?: boolean; timing?: boolean; quiet?: boolean; perMessageVotes?: boolean }) => {
      const scenario = scenarioFrom(o);
      const log = progressLogger(o.quiet === true);
      log(`sim: ${scenario.name}, seed ${scenario.seed}, ${scenario.durationSec} s simulated`);
      const started = process.hrtime.bigint();
      const cpuStarted = process.cpuUsage();
      const result = runScenario(scenario, {
        tallyVotes: o.perMessageVotes !== true,
        progressEverySec: Math.max(1, scenario.durationSec / 10),
        onProgress: (t, d) => { log(`sim: ${Math.round(t)}/${d} s simulated (${Math.round((100 * t) / d)} %)`); },
      });
      const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
      const cpu = process.cpuUsage(cpuStarted);
      log(`sim: done in ${(wallMs / 1000).toFixed(2)} s wall time, ${result.stats.events} events`);
      const json = resultJson(result);
      if (o.timing === true) {
        json.timing = { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, maxRssMiB: process.resourceUsage().maxRSS / 1024, eventsPerSec: result.stats.events / (wallMs / 1000) };
      }
      if (o.out !== undefined) {
        mkdirSync(o.out, { recursive: true });
        const samples = samplesOf(result, 'sim', 'run', 'run');
        writeSamplesCsv(join(o.out, 'samples.csv'), samples);
        writeFileSync(join(o.out, 'summary.csv'), summaryCsv(summarizeSamples(samples)));
        writeFileSync(join(o.out, 'result.json'), `${JSON.stringify(resultJson(result), null, 2)}\n`);
        log(`sim: wrote ${o.out}/{samples.csv,summary.csv,result.json}`);
      }
      if (o.json === true) {
        process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
      } else {
        printRun(result);
      }
    });

  program
    .command('sweep')
    .description("Run the base case and the paper's sweeps, then write samples, summary, figures and report.md")
    .argument('[sweeps...]', 'sweep files (default: every file in scenarios/sweeps)')
    .option('--scenario <file>', 'base case scenario (default: scenarios/base.json)')
    .option('--out <dir>', 'output folder', 'sim-results')
    .option('--duration <seconds>', 'simulated seconds per point (default: each scenario\'s own)', parseNumber('--duration'))
    .option('--seeds <list>', 'seeds, comma-separated (default: each sweep\'s own)', parseList('--seeds'))
    .option('--no-base', 'skip the base case')
    .option('--no-figures', 'skip SVG and PNG figures')
    .option('--json', 'print the verdicts as JSON on stdout')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', '\nExample:\n  $ mgmt-sim sweep scenarios/sweeps/cb-size.json --duration 600 --seeds 1,2 --out /tmp/cb')
    .action(async (files: string[], o: { scenario?: string; out: string; duration?: number; seeds?: number[]; base: boolean; figures: boolean; json?: boolean; quiet?: boolean }) => {
      const log = progressLogger(o.quiet === true);
      const sweepFiles = files.length > 0 ? files : defaultSweeps();
      const specs = sweepFiles.map(loadSweep);
      const baseFile = o.scenario ?? join(SCENARIO_DIR, 'base.json');
      const base = loadScenario(baseFile);
      const samples: SampleRow[] = [];
      const metas: SweepMeta[] = [];
      const started = Date.now();
      const onRun = (line: string): void => { log(`sweep: ${line} [${((Date.now() - started) / 1000).toFixed(0)} s]`); };
      let baseSeeds: number[] = [];
      let baseDuration = base.durationSec;
      if (o.base) {
        const b = runBase(base, { durationSec: o.duration, seeds: o.seeds ?? [1, 2, 3], onRun });
        samples.push(...b.samples);
        baseSeeds = b.seeds;
        baseDuration = b.durationSec;
      }
      for (const spec of specs) {
        const r = runSweep(spec, { durationSec: o.duration, seeds: o.seeds, onRun });
        samples.push(...r.samples);
        metas.push(r.meta);
      }
      mkdirSync(o.out, { recursive: true });
      writeSamplesCsv(join(o.out, 'samples.csv'), samples);
      const shown = (p: string): string => relative(process.cwd(), p) || '.';
      const command = ['mgmt-sim sweep', ...sweepFiles.map(shown), o.duration === undefined ? '' : `--duration ${o.duration}`, o.seeds === undefined ? '' : `--seeds ${o.seeds.join(',')}`, `--out ${shown(o.out)}`]
        .filter((x) => x !== '')
        .join(' ');
      const context: ReportContext = { command, setup: setupLines(base), baseSeeds, baseDurationSec: baseDuration };
      log('sweep: rendering the report');
      const verdicts = await writeReport(o.out, samples, metas, context, { figures: o.figures });
      log(`sweep: wrote ${o.out}/{samples.csv,summary.csv,sweeps.json,report.md${o.figures ? ',figures/' : ''}}`);
      if (o.json === true) {
        process.stdout.write(`${JSON.stringify(verdicts, null, 2)}\n`);
      } else {
        process.stdout.write(`${verdictLines(verdicts).join('\n')}\n`);
      }
    });

  program
    .command('report')
    .description('Rebuild the report from samples CSVs (simulated and live, same columns) and summary CSVs')
    .option('--samples <file>', 'a samples CSV (repeatable)', collect, [])
    .option('--summary <file>', 'a summary CSV a sweep wrote, standing in for its samples (repeatable)', collect, [])
    .requiredOption('--sweeps <file>', 'the sweeps.json a sweep wrote (sweep metadata and set-up)')
    .option('--out <dir>', 'output folder', 'sim-report')
    .option('--no-figures', 'skip SVG and PNG figures')
    .option('--quiet', 'no progress on stderr')
    .addHelpText('after', '\nExample:\n  $ mgmt-sim report --summary sim-results/summary.csv --samples live/devnet.csv --sweeps sim-results/sweeps.json --out report')
    .action(async (o: { samples: string[]; summary: string[]; sweeps: string; out: string; figures: boolean; quiet?: boolean }) => {
      if (o.samples.length === 0 && o.summary.length === 0) {
        throw new UsageError('report needs at least one --samples or --summary file');
      }
      // A missing or malformed input file is bad usage (exit 2, one line), not a crash.
      const read = <T>(option: string, file: string, parse: (f: string) => T): T => {
        try {
          return parse(file);
        } catch (err) {
          const message = (err as Error).message;
          throw new UsageError(message.includes(file) ? `${option}: ${message}` : `${option} ${file}: ${message}`);
        }
      };
      const samples = o.samples.flatMap((f) => read('--samples', f, readSamplesCsv));
      const summaries = o.summary.flatMap((f) => read('--summary', f, readSummaryCsv));
      const meta = read('--sweeps', o.sweeps, (f) => JSON.parse(readFileSync(f, 'utf8')) as unknown);
      if (!isSweepsJson(meta)) {
        throw new UsageError(`--sweeps ${o.sweeps}: not a sweeps.json that mgmt-sim sweep wrote (needs "context" and a "sweeps" array)`);
      }
      const verdicts = await writeReport(o.out, samples, meta.sweeps, meta.context, { figures: o.figures, summaries });
      progressLogger(o.quiet === true)(`report: wrote ${o.out}/report.md`);
      process.stdout.write(`${verdictLines(verdicts).join('\n')}\n`);
    });

  program
    .command('bench')
    .description('Wall time, CPU time and peak memory of the base case at several network sizes (one child process each, one after another), beside the speed goals')
    .option('--nodes <list>', 'primary node counts, comma-separated', parseList('--nodes'), [32, 256])
    .option('--duration <seconds>', 'simulated seconds for every size (default: 600 for 32 nodes, as the goal, else 3600)', parseNumber('--duration'))
    .option('--json', 'print the measurements as JSON')
    .addHelpText('after', '\nGoals: 32 nodes, 600 simulated s in <= 1.69 s (50x SymBChainSim); 256 nodes, one simulated hour in < 60 s.\nExit codes: 0 measured (the verdict column says whether each goal is met), 1 a run failed, 2 bad usage.\n\nExample:\n  $ mgmt-sim bench --nodes 256 --duration 3600')
    .action((o: { nodes: number[]; duration?: number; json?: boolean }) => {
      const sizes = o.nodes.map((nodes) => ({ nodes, durationSec: o.duration ?? defaultDuration(nodes) }));
      // Check every size before the first run, so that a bad one fails at once with exit 2.
      const silent = setNoticeSink(() => undefined);
      try {
        for (const { nodes, durationSec } of sizes) {
          withOverrides(BASE_SCENARIO, { 'network.nodes': nodes, durationSec }, `bench --nodes ${nodes} --duration ${durationSec}`);
        }
      } finally {
        setNoticeSink(silent);
      }
      const machine = machineLine();
      process.stderr.write(`bench: ${machine}\n`);
      const rows = runBench(__filename, sizes, (text) => { process.stderr.write(text); }, (nodes, durationSec) => {
        process.stderr.write(`bench: ${nodes} nodes, ${durationSec} s simulated...\n`);
      });
      const after = machineLine();
      if (o.json === true) {
        process.stdout.write(`${JSON.stringify({ machineBefore: machine, machineAfter: after, goals: SPEED_GOALS, rows }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${benchTable(rows)}\n\nbefore: ${machine}\nafter:  ${after}\n`);
    });

  return program;
}

/**
 * Runs the CLI and resolves to its exit code.
 */
export async function main(argv: readonly string[] = process.argv): Promise<number> {
  const program = createSimCommand();
  program.exitOverride();
  for (const cmd of program.commands) {
    cmd.exitOverride();
  }
  try {
    await program.parseAsync([...argv]);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version exit with 0; parse errors were already printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof ScenarioError || err instanceof UsageError) {
      process.stderr.write(`✖ ${err.message}\n`);
      return 2;
    }
    if (isFileError(err)) {
      // A path given on the command line: say which and why, without a stack.
      process.stderr.write(`✖ ${err.message}\n`);
      return 2;
    }
    if (err instanceof BenchRunError) {
      process.stderr.write(`✖ ${err.message}\n`);
      return 1;
    }
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main().then((code) => {
    process.exitCode = code;
  });
}
