/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The load phases the network benchmarks share (bench-devnet, bench-backends), through the real
 * fabric-gateway client: submit-to-commit latency from one client, throughput of concurrent
 * clients, and the memory of the network's processes from /proc (Linux).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { StatusCode } from '@hyperledger/fabric-gateway';
import type { Contract } from '@hyperledger/fabric-gateway';
import type { Command } from 'commander';
import { parseClientSigner, positiveInt, round, summarize } from './benchSupport';
import type { ClientSigner, Summary } from './benchSupport';

/** The options of the load phases: --latency-tx, --load-tx, --sample-ms, --client-signer. */
export interface LoadOptions {
  latencyTx: number;
  loadTx: number;
  sampleMs: number;
  clientSigner: ClientSigner;
}

/**
 * Adds the options of the load phases ({@link LoadOptions}) to a benchmark's command line; the
 * benchmark adds its own `--clients` (one count, or a list).
 */
export function withLoadOptions(program: Command): Command {
  return program
    .option('--latency-tx <n>', 'sequential transactions of the latency phase', positiveInt, 100)
    .option('--load-tx <n>', 'transactions of the throughput phase, in total', positiveInt, 500)
    .option('--sample-ms <ms>', 'memory sampling interval', positiveInt, 200)
    .option('--client-signer <kind>', "how the clients sign: 'openssl' (node:crypto) or 'fabric-gateway' (its pure-JavaScript signer, ~10x the CPU)", parseClientSigner, 'openssl' as ClientSigner);
}

/** A transaction that failed, and where. */
export interface LoadFailure {
  phase: 'latency' | 'throughput' | 'warm-up';
  client?: number;
  index: number;
  transactionId?: string;
  /** A TxValidationCode name for a transaction that committed invalid, else the error's name. */
  code: string;
  message: string;
}

/** One line for a failure. */
export function failureLine(f: LoadFailure): string {
  return `${f.phase}${f.client !== undefined ? ` client ${f.client}` : ''} #${f.index}${f.transactionId ? ` ${f.transactionId}` : ''}: ${f.code}: ${f.message}`;
}

const statusName = (code: number): string => Object.entries(StatusCode).find(([, v]) => v === code)?.[0] ?? `code ${code}`;

/** A fabric-gateway error with the peers' details (EndorseError, SubmitError, ...). */
function describeError(err: unknown): { code: string; message: string; transactionId?: string } {
  if (!(err instanceof Error)) return { code: 'Error', message: String(err) };
  const e = err as Error & { details?: { mspId?: string; address?: string; message?: string }[]; transactionId?: string };
  const details = (e.details ?? []).map((d) => `${d.mspId ?? d.address ?? '?'}: ${d.message ?? ''}`).join('; ');
  return { code: e.name, message: details ? `${e.message} [${details}]` : e.message, transactionId: e.transactionId };
}

/** Options of {@link latencyPhase}. */
export interface LatencyOptions {
  /** Unmeasured transactions first. */
  readonly warmup: number;
  readonly count: number;
  /** Called before each transaction; throws to stop (e.g. on Ctrl-C). */
  readonly check: () => void;
}

/** Sequential submitTransaction('Put') from one client: submit-to-commit latency. */
export async function latencyPhase(contract: Contract, o: LatencyOptions, failures: LoadFailure[]): Promise<Summary & { firstTxMs?: number; failed: number }> {
  let firstTxMs: number | undefined;
  for (let i = 0; i < o.warmup; i++) {
    o.check();
    const t = performance.now();
    try {
      await contract.submitTransaction('Put', `warmup-${i}`, 'w');
    } catch (err) {
      failures.push({ phase: 'warm-up', index: i, ...describeError(err) });
    }
    firstTxMs ??= round(performance.now() - t);
  }
  const times: number[] = [];
  let failed = 0;
  for (let i = 0; i < o.count; i++) {
    o.check();
    const t = performance.now();
    try {
      await contract.submitTransaction('Put', `latency-${i}`, `value-${i}`);
      times.push(performance.now() - t);
    } catch (err) {
      failed += 1;
      failures.push({ phase: 'latency', index: i, ...describeError(err) });
    }
  }
  return { ...summarize(times), firstTxMs, failed };
}

/** Options of {@link throughputPhase}. */
export interface ThroughputOptions {
  /** Transactions in total, spread over the contracts. */
  readonly loadTx: number;
  readonly check: () => void;
  /** Memory of these processes' trees at the start and the end of the timed part, and every `everyMs` in between. */
  readonly memory?: { readonly roots: () => readonly number[]; readonly everyMs: number; readonly t0: number };
}

export type ThroughputFigures = Summary & {
  clients: number;
  submitted: number;
  valid: number;
  failed: number;
  wallMs: number;
  txPerSecond: number;
  endorseSubmitP50: number;
  blocks: number;
  /** CPU used during the timed part, in % of one core (present when `memory` names the network's processes). */
  cpu?: CpuShares;
};

/**
 * Where the CPU went during the timed part, in % of one core: the benchmark's own process (the
 * fabric-gateway clients), the network's root processes (the devnet) and their descendants
 * (chaincode servers), and the whole machine (other users included), so that a run can tell
 * whether the client side or a busy machine, rather than the network, was the limit.
 */
export interface CpuShares {
  bench: number;
  networkRoots: number;
  networkChildren: number;
  machine: number;
  cores: number;
}

/**
 * Concurrent clients (one contract each), each submitting back to back with submitAsync +
 * getStatus; every transaction must commit VALID. Each client first sends one unmeasured
 * transaction, so that no client's first call is in the figures.
 */
export async function throughputPhase(contracts: readonly Contract[], o: ThroughputOptions, failures: LoadFailure[]): Promise<{ figures: ThroughputFigures; samples: MemorySample[] }> {
  await Promise.all(
    contracts.map((c, i) =>
      c.submitTransaction('Put', `warmup-client-${i}`, 'w').catch((err: unknown) => {
        failures.push({ phase: 'warm-up', client: i, index: 0, ...describeError(err) });
      }),
    ),
  );
  const perClient = contracts.map((_, i) => Math.floor(o.loadTx / contracts.length) + (i < o.loadTx % contracts.length ? 1 : 0));
  const latencies: number[] = [];
  const endorseSubmit: number[] = [];
  const blocks = new Set<bigint>();
  let valid = 0;
  let failed = 0;
  const worker = async (client: number): Promise<void> => {
    const contract = contracts[client];
    for (let j = 0; j < perClient[client]; j++) {
      o.check();
      const t = performance.now();
      try {
        const submitted = await contract.submitAsync('Put', { arguments: [`load-${client}-${j}`, `value-${client}-${j}`] });
        endorseSubmit.push(performance.now() - t);
        const status = await submitted.getStatus();
        if (status.successful) {
          valid += 1;
          latencies.push(performance.now() - t);
          blocks.add(status.blockNumber);
        } else {
          failed += 1;
          failures.push({ phase: 'throughput', client, index: j, transactionId: status.transactionId, code: statusName(status.code), message: `committed invalid in block ${status.blockNumber}` });
        }
      } catch (err) {
        failed += 1;
        failures.push({ phase: 'throughput', client, index: j, ...describeError(err) });
      }
    }
  };
  const samples: MemorySample[] = [];
  const memory = o.memory;
  const sample = (): void => {
    if (memory !== undefined) samples.push(sampleMemory(memory.roots(), memory.t0));
  };
  sample();
  const timer = memory === undefined ? undefined : setInterval(sample, memory.everyMs);
  const cpuBefore = memory === undefined ? undefined : sampleCpu(memory.roots());
  const started = performance.now();
  try {
    await Promise.all(contracts.map((_, i) => worker(i)));
  } finally {
    clearInterval(timer);
  }
  const wallMs = performance.now() - started;
  const cpu = cpuBefore === undefined || memory === undefined ? undefined : cpuShares(cpuBefore, sampleCpu(memory.roots()), wallMs);
  sample();
  const figures = {
    ...summarize(latencies),
    clients: contracts.length,
    submitted: o.loadTx,
    valid,
    failed,
    wallMs: Math.round(wallMs),
    txPerSecond: round(valid / (wallMs / 1000)),
    endorseSubmitP50: summarize(endorseSubmit).p50,
    blocks: blocks.size,
    ...(cpu === undefined ? {} : { cpu }),
  };
  return { figures, samples };
}

// ---------------------------------------------------------------------------------------------
// CPU: this process, the network's process trees and the machine, from /proc (Linux)

/** Linux's USER_HZ, the unit of /proc/<pid>/stat times (100 on every mainstream architecture). */
const CLOCK_TICKS_PER_S = 100;

interface CpuSample {
  benchUs: number;
  rootTicks: number;
  childTicks: number;
  machineTicks: number;
}

/** utime + stime of one process in clock ticks; 0 once it has gone. */
function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** Busy clock ticks of the whole machine (every CPU), from /proc/stat. */
function machineTicks(): number {
  try {
    const [, ...values] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = values.map(Number);
    return user + nice + system + irq + softirq + steal;
  } catch {
    return 0;
  }
}

function sampleCpu(roots: readonly number[]): CpuSample {
  let childTicks = 0;
  const queue = roots.flatMap(childrenOf);
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    childTicks += cpuTicks(pid);
    queue.push(...childrenOf(pid));
  }
  const usage = process.cpuUsage();
  return { benchUs: usage.user + usage.system, rootTicks: roots.reduce((sum, pid) => sum + cpuTicks(pid), 0), childTicks, machineTicks: machineTicks() };
}

function cpuShares(a: CpuSample, b: CpuSample, wallMs: number): CpuShares {
  const share = (seconds: number): number => round((100 * seconds) / (wallMs / 1000), 0);
  const ticks = (n: number): number => share(n / CLOCK_TICKS_PER_S);
  return {
    bench: share((b.benchUs - a.benchUs) / 1e6),
    networkRoots: ticks(b.rootTicks - a.rootTicks),
    // A chaincode that exited meanwhile would count negative; its time is lost either way.
    networkChildren: Math.max(0, ticks(b.childTicks - a.childTicks)),
    machine: ticks(b.machineTicks - a.machineTicks),
    cores: cpus().length,
  };
}

// ---------------------------------------------------------------------------------------------
// Memory: the network's process trees from /proc (Linux)

/** The memory of some processes and their descendants. */
export interface MemorySample {
  atMs: number;
  /** The given processes themselves (devnet: the devnet process). */
  rootKb: number;
  /** Their descendants (devnet: the chaincode servers). */
  childrenKb: number;
  totalKb: number;
  processes: number;
}

function rssKb(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0; // exited between listing and reading
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const task of tasks) {
    try {
      for (const c of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
        if (c) out.push(Number(c));
      }
    } catch {
      // the thread ended
    }
  }
  return out;
}

/** RSS of `roots` and all their descendants; `t0` is the benchmark's start (performance.now()). A process that has gone counts 0. */
export function sampleMemory(roots: readonly number[], t0: number): MemorySample {
  const rootKb = roots.reduce((sum, pid) => sum + rssKb(pid), 0);
  let childrenKb = 0;
  let processes = roots.length;
  const queue = roots.flatMap(childrenOf);
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    childrenKb += rssKb(pid);
    processes += 1;
    queue.push(...childrenOf(pid));
  }
  return { atMs: Math.round(performance.now() - t0), rootKb, childrenKb, totalKb: rootKb + childrenKb, processes };
}
